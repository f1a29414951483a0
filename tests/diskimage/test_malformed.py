"""Random and mutated bytes: the readers raise nothing but their own typed error.

``inspect_image`` raises nothing at all for what is in the bytes (malformed
structures become ``damage`` or ``truncation``); each reader on its own raises
only :class:`DiskImageError`.  No traceback can reach a user.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_emulator import samples
from ec2_import_image.diskimage import fat, filesystems, ova, partitions, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.judge import ImportRequest, image_problems

SEEDS = [
    samples.vmdk_stream_optimized(),
    samples.vhd_dynamic(),
    samples.vhd_fixed(samples.raw_gpt()),
    samples.raw_gpt(),
    samples.raw_mbr(),
    samples.ova(),
    samples.fat12(),
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 12))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        chunk = draw(st.binary(min_size=1, max_size=16))
        data[at : at + len(chunk)] = chunk
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def _read_all(reader: Callable[[Blob], object], blob: Blob) -> None:
    try:
        disk = reader(blob)
        if hasattr(disk, "read") and hasattr(disk, "size"):
            disk.read(0, 64 * 1024)
            disk.read(max(0, disk.size - 4096), 8192)
    except DiskImageError:
        pass


READERS: list[Callable[[Blob], object]] = [
    lambda blob: vmdk.SparseDisk(blob, vmdk.read_vmdk(blob).header or vmdk.SparseHeader(
        0, 0, 0, 128, 0, 0, 512, 0, 0)),
    lambda blob: vhd.DynamicDisk(
        blob, vhd.read_copy(blob) or vhd.Footer(b"", 0, 0, 3, 0),
        vhd.read_dynamic_header(blob, vhd.read_copy(blob) or vhd.Footer(b"", 512, 0, 3, 0)),
    ),
    lambda blob: vhdx.VhdxDisk(blob, vhdx.read_layout(blob)),
    ova.read_ova,
    partitions.read_partitions,
    fat.fallback_loaders,
    filesystems.detect,
]  # fmt: skip


@FUZZ
@given(mutated())
def test_inspection_never_raises(data: bytes) -> None:
    report = inspect_image(BytesBlob(data), "fuzz")
    image_problems([report], ImportRequest(format="vmdk", boot_mode="uefi"))


@FUZZ
@given(mutated(), st.sampled_from(range(len(READERS))))
def test_readers_raise_only_their_own_error(data: bytes, which: int) -> None:
    _read_all(READERS[which], BytesBlob(data))


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    inspect_image(BytesBlob(data), "random")
    for reader in READERS:
        _read_all(reader, BytesBlob(data))
