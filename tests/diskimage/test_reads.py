"""Reads stay small: a 10 GiB-virtual disk is judged from a few MiB (a count, not a timing)."""

from __future__ import annotations

import pytest

from ec2_import_image.diskimage.cache import CachedBlob, ReadStats
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import BootMode, ContainerFormat, Filesystem
from ec2_import_image.diskimage.sources import FileBlob
from tests.support.diskfixtures import DiskFixtures

GIB = 1024**3
MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "fmt"), [("big.raw", ContainerFormat.RAW), ("big.stream.vmdk", ContainerFormat.VMDK)]
)
def test_a_10_gib_disk_costs_a_few_mib(
    disks: DiskFixtures, name: str, fmt: ContainerFormat
) -> None:
    stats = ReadStats()
    with FileBlob(disks.path(name)) as blob:
        report = inspect_image(CachedBlob(blob, stats=stats), name)
    assert (report.format, report.virtual_size) == (fmt, 10 * GIB)
    assert report.complete
    assert (report.boot_mode, report.esp_loaders) == (BootMode.UEFI, ("BOOTX64.EFI",))
    assert 0 < stats.bytes <= 2 * MIB
    assert stats.requests <= 8


def test_a_100_gib_stream_is_judged_from_its_tables_in_a_few_requests(
    disks: DiskFixtures,
) -> None:
    """qemu's layout puts every grain table (4 bytes per 64 KiB grain: 6.25 MiB for 100 GiB)
    before the grains; the completeness check reads them all, in runs of up to 4 MiB, to
    find any grain past the end of the file: a bounded number of requests, not one per
    64 KiB block (105 before)."""
    stats = ReadStats()
    with FileBlob(disks.path("huge.stream.vmdk")) as blob:
        report = inspect_image(CachedBlob(blob, stats=stats), "huge.stream.vmdk")
    assert (report.format, report.virtual_size) == (ContainerFormat.VMDK, 100 * GIB)
    assert report.complete and report.damage is None
    assert (report.boot_mode, report.esp_loaders) == (BootMode.UEFI, ("BOOTX64.EFI",))
    assert [p.filesystem for p in report.partitions][1:] == [Filesystem.EXT4, Filesystem.EXT4]
    assert stats.bytes <= 8 * MIB
    assert stats.requests <= 8


def test_the_cache_joins_neighbouring_blocks_into_one_request(disks: DiskFixtures) -> None:
    stats = ReadStats()
    with FileBlob(disks.path("gpt-uefi.raw")) as blob:
        cached = CachedBlob(blob, block_size=4096, capacity=8, stats=stats)
        assert cached.read(100, 10000) == blob.read(100, 10000)
        assert (stats.requests, stats.bytes) == (1, 3 * 4096)
        cached.read(0, 512)
        cached.read(5000, 100)
        assert stats.requests == 1  # both in blocks already read
        cached.read(8 * 4096, 100)
        assert stats.requests == 2
        big = cached.read(0, 64 * 1024)  # more than half the cache: read through, uncached
        assert big == blob.read(0, 64 * 1024)
        assert (stats.requests, stats.bytes) == (3, 4 * 4096 + 64 * 1024)
