"""The sources: local files read with positioned reads, a caller's ranged reader, slices."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ec2_import_image.diskimage.blob import BytesBlob, SliceBlob
from ec2_import_image.diskimage.errors import SourceError
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.sources import FileBlob, RangedBlob, file_kind, not_a_file


def test_file_blob_reads_ranges(tmp_path: Path) -> None:
    path = tmp_path / "disk"
    path.write_bytes(bytes(range(256)) * 4)
    with FileBlob(path) as blob:
        assert blob.size == 1024
        assert blob.read(250, 10) == bytes([250, 251, 252, 253, 254, 255, 0, 1, 2, 3])
        assert blob.read(1020, 100) == bytes([252, 253, 254, 255])
        assert blob.read(2000, 10) == b""
        assert blob.read(-1, 10) == b""


def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        FileBlob(tmp_path / "nope.vmdk")


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (stat.S_IFREG, None),
        (stat.S_IFDIR, "a directory"),
        (stat.S_IFIFO, "a named pipe (FIFO)"),
        (stat.S_IFSOCK, "a socket"),
        (stat.S_IFCHR, "a character device"),
        (stat.S_IFBLK, "a block device"),
    ],
)
def test_only_a_regular_file_is_a_disk_image_file(mode: int, kind: str | None) -> None:
    assert file_kind(mode | 0o644) == kind


def test_a_block_device_is_refused_with_how_to_image_it() -> None:
    why = not_a_file("/dev/sdb", "a block device")
    assert why.startswith("/dev/sdb is a block device, not a disk image file; ")
    assert "qemu-img convert -O vmdk -o subformat=streamOptimized /dev/sdb disk.vmdk" in why


def test_a_directory_is_refused_when_opened(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory, not a disk image file"):
        FileBlob(tmp_path)


def test_ranged_blob_asks_the_caller_and_clips() -> None:
    data = bytes(range(200))
    asked: list[tuple[int, int]] = []

    def fetch(offset: int, length: int) -> bytes:
        asked.append((offset, length))
        return data[offset : offset + length]

    blob = RangedBlob(len(data), fetch)
    assert blob.read(190, 50) == data[190:]
    assert asked == [(190, 10)]
    assert blob.read(500, 1) == b""


def test_a_failing_fetch_becomes_a_source_error() -> None:
    def fetch(offset: int, length: int) -> bytes:
        raise ConnectionError("reset by peer")

    blob = RangedBlob(4096, fetch)
    with pytest.raises(SourceError, match="reset by peer"):
        blob.read(0, 512)
    with pytest.raises(SourceError):
        inspect_image(blob, "s3://bucket/disk.vmdk")


def test_slices_stay_inside_their_window() -> None:
    base = BytesBlob(bytes(range(100)))
    window = SliceBlob(base, 10, 20)
    assert window.size == 20
    assert window.read(15, 10) == bytes(range(25, 30))
    assert window.read(20, 1) == b""
