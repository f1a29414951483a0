"""Every container's virtual disk and its allocation map, against QEMU as the oracle.

For each fixture, scripts/make-container-fixtures.sh recorded ``qemu-img info``
(format, virtual size), ``qemu-img map`` (where data is) and the SHA-256 of
``qemu-img convert -O raw``.  The virtual disk read through the readers must
hash the same; so must the disk rebuilt from its ``allocated()`` extents alone
(zeros elsewhere), which proves no non-zero byte lies outside them; QEMU's data
ranges must lie inside the extents, which may be coarser only by a container
block (QEMU's cluster size).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.diskimage.blob import BytesBlob, Extent
from ec2_import_image.diskimage.cache import CachedBlob, ReadStats
from ec2_import_image.diskimage.errors import UnsupportedError
from ec2_import_image.diskimage.qcow2 import ZSTD, Qcow2Disk
from ec2_import_image.diskimage.records import ContainerFormat, Variant
from ec2_import_image.diskimage.sources import FileBlob, RangedBlob
from ec2_import_image.diskimage.virtual import VirtualDisk, open_virtual_disk, siblings
from tests.support.diskfixtures import DiskFixtures, oracle, oracle_names

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = 4 * MIB
ZEROS = bytes(CHUNK)
QEMU_FORMATS = {
    "qcow2": ContainerFormat.QCOW2,
    "vdi": ContainerFormat.VDI,
    "vmdk": ContainerFormat.VMDK,
    "vpc": ContainerFormat.VHD,
    "vhdx": ContainerFormat.VHDX,
}
#: the overlay's oracles include its backing file, which the readers refuse to follow
FLAT = [name for name in oracle_names() if "overlay" not in name]
SMALL = [name for name in FLAT if not name.startswith("big.")]
UEFI_SHA256 = oracle("gpt-uefi.stream.vmdk", "sha256").strip()


def qemu_info(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(oracle(name, "info.json"))
    return loaded


def qemu_map(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(oracle(name, "map.json"))
    return loaded


def open_fixture(disks: DiskFixtures, name: str, **options: Any) -> VirtualDisk:
    return open_virtual_disk(FileBlob(disks.path(name)), name, **options)


def whole_hash(disk: VirtualDisk) -> str:
    digest = hashlib.sha256()
    for offset in range(0, disk.size, CHUNK):
        digest.update(disk.read(offset, CHUNK))
    return digest.hexdigest()


def zeros(digest: Any, length: int) -> None:
    while length > 0:
        digest.update(ZEROS[: min(length, CHUNK)])
        length -= CHUNK


def rebuilt_hash(disk: VirtualDisk, extents: list[Extent]) -> str:
    """The hash of the disk made of its extents' bytes and zeros everywhere else."""
    digest = hashlib.sha256()
    at = 0
    for offset, length in extents:
        zeros(digest, offset - at)
        for piece in range(offset, offset + length, CHUNK):
            digest.update(disk.read(piece, min(CHUNK, offset + length - piece)))
        at = offset + length
    zeros(digest, disk.size - at)
    return digest.hexdigest()


def inside(start: int, end: int, extents: list[Extent]) -> bool:
    covered = start
    for offset, length in extents:
        if offset <= covered < offset + length:
            covered = offset + length
        if covered >= end:
            return True
    return covered >= end


def touches(start: int, end: int, ranges: list[Extent]) -> bool:
    return any(offset < end and start < offset + length for offset, length in ranges)


def check_extents(extents: list[Extent], size: int) -> None:
    """Sorted, non-overlapping, non-empty, inside the disk."""
    at = 0
    for offset, length in extents:
        assert length > 0 and offset >= at and offset + length <= size
        at = offset + length


@pytest.mark.parametrize("name", FLAT)
def test_format_and_size_are_qemus(disks: DiskFixtures, name: str) -> None:
    info = qemu_info(name)
    disk = open_fixture(disks, name)
    assert disk.format is QEMU_FORMATS[info["format"]]
    assert disk.size == info["virtual-size"]


@pytest.mark.parametrize("name", SMALL)
def test_the_whole_virtual_disk_hashes_as_qemus_raw(disks: DiskFixtures, name: str) -> None:
    assert whole_hash(open_fixture(disks, name)) == oracle(name, "sha256").strip()


@pytest.mark.parametrize("name", FLAT)
def test_the_allocated_extents_alone_rebuild_the_disk(disks: DiskFixtures, name: str) -> None:
    disk = open_fixture(disks, name)
    extents = list(disk.allocated())
    check_extents(extents, disk.size)
    assert rebuilt_hash(disk, extents) == oracle(name, "sha256").strip()


@pytest.mark.parametrize("name", FLAT)
def test_qemus_data_lies_inside_the_extents_which_are_coarser_by_a_block_at_most(
    disks: DiskFixtures, name: str
) -> None:
    disk = open_fixture(disks, name)
    extents = list(disk.allocated())
    entries = qemu_map(name)
    data = [(e["start"], e["length"]) for e in entries if e["data"]]
    if disk.format is not ContainerFormat.VHDX:
        # QEMU's VHDX driver reports no allocation (its map is one data range): there the
        # rebuilt-hash test above is the oracle that nothing lies outside the extents
        for entry in entries:
            if entry["data"] and not entry["zero"]:
                assert inside(entry["start"], entry["start"] + entry["length"], extents), entry
    granule = qemu_info(name).get("cluster-size", 64 * 1024)
    for offset, length in extents:
        for block in range(offset - offset % granule, offset + length, granule):
            assert touches(block, block + granule, data), (name, block)


def test_zero_clusters_and_subclusters_are_not_allocated(disks: DiskFixtures) -> None:
    v3 = list(open_fixture(disks, "gpt-uefi.v3.qcow2").allocated(60 * MIB, 62 * MIB))
    assert v3 == [(60 * MIB + 64 * 1024, 64 * 1024)]  # 60M zeroed, 61M a zero cluster
    l2ext = open_fixture(disks, "gpt-uefi.l2ext.qcow2")
    # 2 KiB at 62 MiB, 6 KiB at 62500 KiB (61.03 MiB): subclusters of 2 KiB
    assert list(l2ext.allocated(61 * MIB, 63 * MIB)) == [(62500 * 1024, 6144), (62 * MIB, 2048)]
    assert l2ext.read(62500 * 1024 - 1, 6146) == b"\x00" + b"\xcc" * 6144 + b"\x00"


def test_both_qcow2_versions_and_both_compressions(disks: DiskFixtures) -> None:
    v2 = open_fixture(disks, "gpt-uefi.v2.qcow2").disk
    v3 = open_fixture(disks, "gpt-uefi.zstd.qcow2").disk
    assert isinstance(v2, Qcow2Disk) and isinstance(v3, Qcow2Disk)
    assert (v2.header.version, v3.header.version, v3.header.compression_type) == (2, 3, ZSTD)
    assert qemu_info("gpt-uefi.zstd.qcow2")["format-specific"]["data"]["compression-type"] == (
        "zstd"
    )


@pytest.mark.parametrize(
    ("name", "variant"),
    [("gpt-uefi.dynamic.vdi", Variant.DYNAMIC), ("gpt-uefi.static.vdi", Variant.FIXED)],
)
def test_vdi_variants(disks: DiskFixtures, name: str, variant: Variant) -> None:
    assert open_fixture(disks, name).variant is variant


def test_an_overlay_is_refused_with_how_to_flatten_it(disks: DiskFixtures) -> None:
    name = "gpt-uefi.overlay.qcow2"
    with pytest.raises(UnsupportedError) as refused:
        open_fixture(disks, name)
    assert "base.raw" in str(refused.value)
    assert f"qemu-img convert -O qcow2 {name} flat.qcow2" in str(refused.value)
    own = open_fixture(disks, name, without_parent=True)
    assert own.variant is Variant.DIFFERENCING
    mine = [(e["start"], e["length"]) for e in qemu_map(name) if e["data"] and e["depth"] == 0]
    assert list(own.allocated()) == mine == [(60 * MIB, 64 * 1024)]
    assert own.read(60 * MIB, 64 * 1024) == b"\xdd" * 64 * 1024
    assert own.read(0, 512) == bytes(512)  # the base's, not followed


@pytest.mark.parametrize("name", ["big.qcow2", "big.stream.vmdk"])
def test_a_10_gib_disk_is_mapped_and_read_without_touching_its_holes(
    disks: DiskFixtures, name: str
) -> None:
    stats = ReadStats()
    path = disks.path(name)
    with FileBlob(path) as blob:
        disk = open_virtual_disk(CachedBlob(blob, stats=stats), name)
        extents = list(disk.allocated())
        total = sum(length for _, length in extents)
        assert disk.size == 10 * GIB and 0 < total <= 8 * MIB
        for offset, length in extents:
            disk.read(offset, length)
    assert stats.bytes <= os.path.getsize(path) + 2 * MIB


def test_a_sparse_raw_file_maps_its_data_with_seek_data(tmp_path: Path) -> None:
    path = tmp_path / "sparse.raw"
    with path.open("wb") as out:
        out.truncate(4 * GIB)
        for offset in (0, 1 * GIB, 3 * GIB + 5 * MIB):
            out.seek(offset)
            out.write(b"\xab" * MIB)
    with FileBlob(path) as blob:
        disk = open_virtual_disk(CachedBlob(blob), "sparse.raw", declared=ContainerFormat.RAW)
        extents = list(disk.allocated())
        assert disk.format is ContainerFormat.RAW
        for offset in (0, 1 * GIB, 3 * GIB + 5 * MIB):
            assert inside(offset, offset + MIB, extents)
        # file systems map data in their own blocks: a little more than written, never the holes
        assert 3 * MIB <= sum(length for _, length in extents) <= 3 * MIB + 3 * 64 * 1024
        assert list(disk.allocated(2 * GIB, 3 * GIB)) == []
        assert list(disk.allocated(GIB + MIB // 2, GIB + MIB)) == [(GIB + MIB // 2, MIB // 2)]


def test_a_ranged_raw_source_is_all_data(disks: DiskFixtures) -> None:
    data = disks.path("gpt-uefi.raw").read_bytes()
    blob = RangedBlob(len(data), lambda offset, length: data[offset : offset + length])
    disk = open_virtual_disk(blob, "s3://bucket/gpt-uefi.raw")
    assert list(disk.allocated()) == [(0, len(data))]
    assert whole_hash(disk) == UEFI_SHA256


@pytest.mark.parametrize("name", ["gpt-uefi.flat.vmdk", "gpt-uefi.split.vmdk"])
def test_a_descriptor_is_read_with_its_extent_files(disks: DiskFixtures, name: str) -> None:
    path = disks.path(name)
    extent = "gpt-uefi.flat-flat.vmdk" if "flat" in name else "gpt-uefi.split-s001.vmdk"
    disks.path(extent)  # unpacked beside the descriptor
    with pytest.raises(UnsupportedError, match=extent):
        open_virtual_disk(FileBlob(path), name)
    disk = open_virtual_disk(FileBlob(path), name, opener=siblings(path))
    assert disk.size == 64 * MIB
    assert whole_hash(disk) == UEFI_SHA256
    assert rebuilt_hash(disk, list(disk.allocated())) == UEFI_SHA256


def test_an_ova_disk(disks: DiskFixtures) -> None:
    blob = FileBlob(disks.path("vm.ova"))
    disk = open_virtual_disk(blob, "vm.ova")
    assert (disk.source, disk.format, disk.variant) == (
        "vm.ova!vm-disk1.vmdk",
        ContainerFormat.VMDK,
        Variant.STREAM_OPTIMIZED,
    )
    assert whole_hash(disk) == UEFI_SHA256
    with pytest.raises(UnsupportedError, match=r"no disk other\.vmdk"):
        open_virtual_disk(blob, "vm.ova", member="other.vmdk")


def test_what_is_not_a_disk_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="no disk image format"):
        open_virtual_disk(BytesBlob(b"hello" * 1000), "notes.txt")
