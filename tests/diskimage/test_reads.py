"""Reads stay small: a 10 GiB-virtual disk is judged from a few MiB (a count, not a timing).

What ``vmimport check`` reads of a disk, measured through the 64 KiB block cache it puts in
front of every disk (an S3 object's requests are ranged GETs): the inspection (container,
partitions, file systems, the ESP) and then the operating system, read through the
virtual disks the inspection opened (``inspect_image_disks``, then ``guestos.read_os``).
Measured 2026-12-07: big.raw (10 GiB virtual) 6 requests and 384 KiB, 4 and 256 KiB of
them the inspection's; big.stream.vmdk 4 and 832 KiB, the OS read adding nothing (its
blocks are cached); the OS fixtures (tests/fixtures/os/: LVM, Btrfs subvolumes, NTFS hives)
5 to 13 requests and 320 KiB to 1.06 MiB, their small initramfs images included.  A real
initramfs (20-100 MB) costs its size: bench/os_read.py measures a 40 MB one (52 requests,
40.9 MB; docs/performance.md), which ``check`` reads over S3 only for the roads that need
it (``guestos.judge.needs_initramfs``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2_import_image.diskimage.cache import CachedBlob, ReadStats
from ec2_import_image.diskimage.inspect import inspect_image_disks
from ec2_import_image.diskimage.records import BootMode, ContainerFormat, DiskReport, Filesystem
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos.osreport import OsReport
from ec2_import_image.guestos.read import read_os
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import NAMES, OsImages

GIB = 1024**3
MIB = 1024 * 1024


def checked(path: Path, *, initramfs: bool) -> tuple[DiskReport, OsReport, ReadStats]:
    """What vmimport check reads of one disk: the inspection, then the operating system."""
    stats = ReadStats()
    with FileBlob(path) as blob:
        report, disks = inspect_image_disks(CachedBlob(blob, stats=stats), path.name)
        assert None not in disks
        guest = read_os([disk for disk in disks if disk is not None], read_initramfs=initramfs)
    return report, guest, stats


@pytest.mark.parametrize(
    ("name", "fmt"), [("big.raw", ContainerFormat.RAW), ("big.stream.vmdk", ContainerFormat.VMDK)]
)
def test_a_10_gib_disk_costs_a_few_mib(
    disks: DiskFixtures, name: str, fmt: ContainerFormat
) -> None:
    report, guest, stats = checked(disks.path(name), initramfs=True)
    assert (report.format, report.virtual_size) == (fmt, 10 * GIB)
    assert report.complete
    assert (report.boot_mode, report.esp_loaders) == (BootMode.UEFI, ("BOOTX64.EFI",))
    assert guest.found and guest.root == "disk 1 partition 2"  # its /etc/fstab was read
    assert 0 < stats.bytes <= 2 * MIB
    assert stats.requests <= 8


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("initramfs", [True, False])
def test_a_disk_and_its_operating_system_cost_a_few_requests(
    os_images: OsImages, name: str, initramfs: bool
) -> None:
    """The OS fixtures, inspected and their systems read: at most 16 requests and 2 MiB."""
    report, guest, stats = checked(os_images.path(name), initramfs=initramfs)
    assert report.complete and guest.volumes
    assert 0 < stats.requests <= 16
    assert stats.bytes <= 2 * MIB


def test_a_100_gib_stream_is_judged_from_its_tables_in_a_few_requests(
    disks: DiskFixtures,
) -> None:
    """qemu's layout puts every grain table (4 bytes per 64 KiB grain: 6.25 MiB for 100 GiB)
    before the grains; the completeness check reads them all, in runs of up to 4 MiB, to
    find any grain past the end of the file: a bounded number of requests, not one per
    64 KiB block (105 before); the OS read goes through the same open container and
    reads no table again."""
    report, _, stats = checked(disks.path("huge.stream.vmdk"), initramfs=True)
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
