"""The OS read's cost over ranged reads, and its behaviour on damaged bytes.

Costs are counts (requests and bytes the source was asked for through the 64 KiB block
cache that ``vmimport check`` puts in front of an S3 object), never timings: the bench
(bench/os_read.py) times a 10 GiB disk with a 40 MB initramfs.

Damage: the bytes ``read_os`` reads of a fixture (its metadata, recorded on a first read)
are changed a few at a time (``tests/support/fsmutation``): the read must still return a
report, every failure a fact of it, never an exception.  A read that would not end runs
past the read budget and fails the test.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from ec2_import_image.diskimage.cache import CachedBlob, ReadStats
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos.judge import judge_os, roads
from ec2_import_image.guestos.osreport import OsReport, OsStatus
from ec2_import_image.guestos.read import read_os
from ec2_import_image.roads import ROADS
from tests.support.fsmutation import PatchedBlob, RecordingBlob, mutations
from tests.support.osfixtures import NAMES, OsImages

MIB = 1024 * 1024


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("initramfs", [True, False])
def test_the_os_read_costs_a_few_requests(os_images: OsImages, name: str, initramfs: bool) -> None:
    stats = ReadStats()
    with FileBlob(os_images.path(name)) as blob:
        report = read_os([CachedBlob(blob, stats=stats)], read_initramfs=initramfs)
    assert report.status is not OsStatus.NO_FILESYSTEM
    assert 0 < stats.requests <= 16
    assert stats.bytes <= 2 * MIB


def test_skipping_the_initramfs_skips_its_bytes(os_images: OsImages) -> None:
    """debian12's default kernel's initramfs, read through a blob that records each range:
    the read that skips the question reads none of its bytes."""
    from ec2_import_image.guestos.locate import search

    with FileBlob(os_images.path("debian12")) as blob:
        recording = RecordingBlob(blob)
        read_os([recording], read_initramfs=False)
        without = set(recording.ranges)
        recording.ranges.clear()
        read_os([recording], read_initramfs=True)
        with_it = set(recording.ranges)
        root = search([blob]).roots[0]
        size = root.tree.lookup("/boot/initrd.img-6.1.0-13-amd64").size
    extra = sum(length for _, length in with_it - without)
    assert extra >= size > 0


def _ranges(blob: FileBlob) -> list[tuple[int, int]]:
    recording = RecordingBlob(blob)
    read_os([recording], read_initramfs=True)
    return sorted({(offset, length) for offset, length in recording.ranges if length >= 512})


@pytest.mark.parametrize("name", ["debian12", "rocky9-lvm", "fedora39-btrfs", "windows2019"])
def test_damaged_bytes_give_a_report_never_an_exception(os_images: OsImages, name: str) -> None:
    blob = FileBlob(os_images.path(name))
    ranges = _ranges(blob)
    assert ranges

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutations(ranges))
    def damaged(change: tuple[dict[int, bytes], int | None]) -> None:
        patches, cut = change
        report = read_os([PatchedBlob(blob, patches, cut)], read_initramfs=True)
        assert isinstance(report, OsReport)
        for road in ROADS:
            judge_os(report, road)
        roads(report).to_json()
        report.to_json()

    try:
        damaged()
    finally:
        blob.close()
