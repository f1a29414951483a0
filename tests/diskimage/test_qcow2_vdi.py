"""qcow2 and VDI: what is refused and why, the header's state, and damaged files.

Refusals are made from QEMU's own images by changing one header field as the
published layouts place it (qcow2: QEMU's docs/interop/qcow2.txt; VDI:
VirtualBox's VDICore.h).  The damaged files are the same images with their
headers' fields set to chosen or random values, bytes overwritten and files cut
short: opening, mapping and reading them raises nothing but the readers' own
error, and the inspection raises nothing at all.
"""

from __future__ import annotations

import struct
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.errors import DiskImageError, FormatError, UnsupportedError
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import ContainerFormat, PartitionTable, Variant
from ec2_import_image.diskimage.virtual import open_virtual_disk
from tests.support.diskfixtures import CONTAINERS, unpack

MIB = 1024 * 1024
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: (offset, struct format) of the header fields a reader trusts
QCOW2_FIELDS = [
    (4, ">I"),  # version
    (8, ">Q"),  # backing_file_offset
    (16, ">I"),  # backing_file_size
    (20, ">I"),  # cluster_bits
    (24, ">Q"),  # size
    (32, ">I"),  # crypt_method
    (36, ">I"),  # l1_size
    (40, ">Q"),  # l1_table_offset
    (72, ">Q"),  # incompatible_features
    (100, ">I"),  # header_length
    (104, ">B"),  # compression_type
]
VDI_FIELDS = [
    (68, "<I"),  # version
    (72, "<I"),  # header size
    (76, "<I"),  # image type
    (340, "<I"),  # offset of the block map
    (344, "<I"),  # offset of the data
    (368, "<Q"),  # disk size
    (376, "<I"),  # block size
    (380, "<I"),  # extra bytes per block
    (384, "<I"),  # blocks
]
SEEDS = {
    "gpt-uefi.v2.qcow2": QCOW2_FIELDS,
    "gpt-uefi.v3.qcow2": QCOW2_FIELDS,
    "gpt-uefi.zstd.qcow2": QCOW2_FIELDS,
    "gpt-uefi.l2ext.qcow2": QCOW2_FIELDS,
    "gpt-uefi.dynamic.vdi": VDI_FIELDS,
}


@cache
def image(name: str, tmp: str = "/tmp") -> bytes:
    """The fixture's bytes (read once; tests change copies)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(dir=tmp) as directory:
        target = Path(directory) / name
        unpack(CONTAINERS / f"{name}.xz", target)
        return target.read_bytes()


def changed(name: str, *fields: tuple[int, str, int]) -> bytes:
    data = bytearray(image(name))
    for offset, fmt, value in fields:
        struct.pack_into(fmt, data, offset, value)
    return bytes(data)


def refused(data: bytes) -> str:
    with pytest.raises(UnsupportedError) as error:
        open_virtual_disk(BytesBlob(data), "disk")
    report = inspect_image(BytesBlob(data), "disk")
    assert report.refused is not None and report.partition_table is None
    return str(error.value)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ([(32, ">I", 2)], "encrypted (LUKS)"),
        ([(32, ">I", 1)], "encrypted (AES)"),
        ([(72, ">Q", 1 << 2)], "external data file"),
        ([(72, ">Q", 1 << 9)], "incompatible features this reader does not know (bit 9)"),
        ([(72, ">Q", 1 << 3), (104, ">B", 2)], "compression type 2"),
        ([(4, ">I", 1)], "qcow version 1"),
    ],
)
def test_qcow2_refusals_say_why_and_what_to_do(
    fields: list[tuple[int, str, int]], why: str
) -> None:
    message = refused(changed("gpt-uefi.v3.qcow2", *fields))
    assert why in message and "qemu-img convert" in message


def test_the_feature_name_table_names_unknown_features() -> None:
    assert "bit 30" in refused(changed("gpt-uefi.v3.qcow2", (72, ">Q", 1 << 30)))
    # QEMU's table names its own bits; the first entry (incompatible bit 0, "dirty bit")
    # renamed to bit 30 names it
    data = bytearray(changed("gpt-uefi.v3.qcow2", (72, ">Q", 1 << 30)))
    table = data.index(bytes.fromhex("6803f857"), 104, 65536) + 8
    assert (data[table], data[table + 1], bytes(data[table + 2 : table + 11])) == (
        0,
        0,
        b"dirty bit",
    )
    data[table + 1] = 30
    assert "(dirty bit)" in refused(bytes(data))


def test_dirty_and_corrupt_bits_are_reported() -> None:
    dirty = open_virtual_disk(BytesBlob(changed("gpt-uefi.v3.qcow2", (72, ">Q", 1))), "d")
    assert any("dirty" in note for note in dirty.notes)
    corrupt = changed("gpt-uefi.v3.qcow2", (72, ">Q", 2))
    with pytest.raises(FormatError, match="corrupt"):
        open_virtual_disk(BytesBlob(corrupt), "c")
    report = inspect_image(BytesBlob(corrupt), "c")
    assert report.damage is not None and "qemu-img check -r all" in report.damage
    assert report.partition_table is PartitionTable.GPT  # still read, for a person


def test_vdi_refusals() -> None:
    message = refused(changed("gpt-uefi.dynamic.vdi", (68, "<I", 0x00000001)))
    assert "VDI header version 0.1" in message
    diff = changed("gpt-uefi.dynamic.vdi", (76, "<I", 4))
    with pytest.raises(UnsupportedError, match=r"VBoxManage clonemedium disk d flat\.vdi"):
        open_virtual_disk(BytesBlob(diff), "d")
    own = open_virtual_disk(BytesBlob(diff), "d", without_parent=True)
    assert own.variant is Variant.DIFFERENCING


@pytest.mark.parametrize("name", ["gpt-uefi.v3.qcow2", "gpt-uefi.dynamic.vdi"])
def test_inspection_sees_through_to_the_partitions(name: str) -> None:
    report = inspect_image(BytesBlob(image(name)), name)
    assert report.format in (ContainerFormat.QCOW2, ContainerFormat.VDI)
    assert report.complete and report.damage is None and report.refused is None
    assert report.partition_table is PartitionTable.GPT and report.esp_loaders == ("BOOTX64.EFI",)


def test_tables_past_the_end_of_the_file_are_truncation() -> None:
    for name, keep in (("gpt-uefi.v3.qcow2", 600 * 1024), ("gpt-uefi.dynamic.vdi", 4 * MIB)):
        report = inspect_image(BytesBlob(image(name)[:keep]), name)
        assert not report.complete and report.truncation is not None
        assert "past the end of the file" in report.truncation
        with pytest.raises(FormatError, match="incomplete"):
            open_virtual_disk(BytesBlob(image(name)[:keep]), name)


def test_an_l1_table_larger_than_the_file_is_not_allocated() -> None:
    data = changed("gpt-uefi.v3.qcow2", (24, ">Q", 1 << 62), (36, ">I", 0xFFFFFFFF))
    with pytest.raises(FormatError, match="L1 table"):
        open_virtual_disk(BytesBlob(data), "huge")


def exercise(data: bytes) -> None:
    """Open, map and read a damaged image: only the readers' own error may come out."""
    inspect_image(BytesBlob(data), "fuzz")
    try:
        disk = open_virtual_disk(BytesBlob(data), "fuzz", without_parent=True)
        disk.read(0, 64 * 1024)
        disk.read(max(0, disk.size - 4096), 8192)
        extents = list(disk.allocated(0, 256 * MIB))
        for offset, length in extents[:4]:
            disk.read(offset, min(length, MIB))
    except DiskImageError:
        pass


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(image(name))
    for _ in range(draw(st.integers(0, 3))):
        offset, fmt = draw(st.sampled_from(SEEDS[name]))
        bits = struct.calcsize(fmt) * 8
        value = draw(
            st.one_of(
                st.sampled_from([0, 1, 9, 14, 21, 22, 63, 64, 512, 1 << (bits - 1)]),
                st.integers(0, (1 << bits) - 1),
            )
        )
        struct.pack_into(fmt, data, offset, value & ((1 << bits) - 1))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, min(len(data), 2 * MIB) - 1))
        chunk = draw(st.binary(min_size=1, max_size=16))
        data[at : at + len(chunk)] = chunk
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@FUZZ
@given(damaged())
def test_damaged_images_raise_only_the_readers_error(data: bytes) -> None:
    exercise(data)
