"""The upload's pieces: part sizes, the file slice reader, local checksums, the hash and its
reuse, keys, progress."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import os
import threading
import time
import zlib
from pathlib import Path

import pytest
from rich.console import Console

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec
from ec2_import_image.vmimport.upload import parts
from ec2_import_image.vmimport.upload.disk import hash_disk
from ec2_import_image.vmimport.upload.errors import FileChanged, UploadCancelled
from ec2_import_image.vmimport.upload.hashing import RACY_SECONDS, identify, sha256_file
from ec2_import_image.vmimport.upload.keys import content_key, entry_key
from ec2_import_image.vmimport.upload.progress import LineProgress, RichProgress, human_size
from ec2_import_image.vmimport.upload.slices import Cancelled, FileSlice
from tests.support.uploads import MiB, write_disk

GiB = 1024 * MiB
TiB = 1024 * GiB


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, parts.DEFAULT_MIN_PART),
        (100 * GiB, parts.DEFAULT_MIN_PART),  # 3,200 parts of 32 MiB
        (1 * TiB, 105 * MiB),  # 10,000 parts cover it
        (8 * TiB, 839 * MiB),
    ],
)
def test_parts_are_large_enough_for_10000_to_cover_the_file(size: int, expected: int) -> None:
    chosen = parts.part_size_for(size)
    assert chosen == expected
    assert chosen % MiB == 0
    assert parts.part_count(size, chosen) <= parts.S3_MAX_PARTS


def test_the_minimum_part_size_is_never_below_s3s() -> None:
    assert parts.part_size_for(10, minimum=1) == parts.S3_MIN_PART
    with pytest.raises(ValueError, match="more than 10,000 parts"):
        parts.part_size_for(parts.S3_MAX_PART * parts.S3_MAX_PARTS + 1)


def test_part_ranges_cover_the_file_once() -> None:
    size, part_size = 23 * MiB, 5 * MiB
    count = parts.part_count(size, part_size)
    ranges = [parts.part_range(n, size, part_size) for n in range(1, count + 1)]
    assert ranges[-1] == parts.PartRange(5, 20 * MiB, 3 * MiB)
    assert sum(r.length for r in ranges) == size
    assert all(a.offset + a.length == b.offset for a, b in itertools.pairwise(ranges))


def test_local_digests_are_s3s_sha256_crc32_and_md5(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 3 * MiB)
    data = path.read_bytes()[MiB : 2 * MiB + 17]
    fd = os.open(path, os.O_RDONLY)
    try:
        found = parts.local_digests(fd, parts.PartRange(2, MiB, MiB + 17))
    finally:
        os.close(fd)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    md5 = hashlib.md5(data, usedforsecurity=False)
    assert found == parts.LocalDigests(
        base64.b64encode(hashlib.sha256(data).digest()).decode(),
        crc,
        md5.hexdigest(),
        base64.b64encode(md5.digest()).decode(),
    )
    assert parts.normal_etag('"abc"') == "abc"


def test_the_hash_pass_hashes_each_part_of_the_uploads_layout(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 12 * MiB + 5)
    data = path.read_bytes()
    result = sha256_file(path, layout=lambda size: parts.part_size_for(size, 5 * MiB))
    assert result.digest.parts is not None
    assert result.digest.parts.part_size == 5 * MiB
    assert result.digest.parts.sha256s == tuple(
        base64.b64encode(hashlib.sha256(data[i : i + 5 * MiB]).digest()).decode()
        for i in range(0, len(data), 5 * MiB)
    )
    # S3's checksum of the completed object: the SHA-256 of the parts' SHA-256s, and the count
    whole = hashlib.sha256(b"".join(base64.b64decode(v) for v in result.digest.parts.sha256s))
    assert parts.composite_sha256(result.digest.parts.sha256s) == (
        f"{base64.b64encode(whole.digest()).decode()}-3"
    )


def test_a_file_slice_reads_its_range_and_counts_each_byte_once(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 1000)
    data = path.read_bytes()
    counted: list[int] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        body = FileSlice(fd, 100, 300, on_progress=counted.append)
        assert len(body) == 300
        first = body.read(128)
        assert body.tell() == 128
        body.seek(0)  # botocore rewinds to sign or to retry
        again = body.read() + body.read()
        assert (first, again) == (data[100:228], data[100:400])
        assert sum(counted) == 300
        assert body.seek(-10, os.SEEK_END) == 290
        assert body.read(100) == data[390:400]
        assert body.seek(5, os.SEEK_CUR) == 300  # never past the end
    finally:
        os.close(fd)


def test_a_cancelled_slice_raises_on_its_next_read(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 100)
    cancel = threading.Event()
    fd = os.open(path, os.O_RDONLY)
    try:
        body = FileSlice(fd, 0, 100, cancel=cancel)
        body.read(10)
        cancel.set()
        with pytest.raises(Cancelled):
            body.read(10)
    finally:
        os.close(fd)


def test_a_slice_of_a_file_that_shrank_fails(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        body = FileSlice(fd, 50, 100)
        with pytest.raises(OSError, match="shorter than expected"):
            body.read(100)
    finally:
        os.close(fd)


def test_the_hash_is_sha256_with_progress(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 9 * MiB)
    seen: list[int] = []
    result = sha256_file(path, on_progress=seen.append)
    assert result.digest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.digest.identity == identify(path)
    assert sum(seen) == 9 * MiB
    assert not result.reused


def test_a_hash_is_reusable_only_when_the_file_was_not_just_written(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 1000)
    mtime = os.stat(path).st_mtime_ns / 1e9
    assert not sha256_file(path, clock=lambda: mtime + RACY_SECONDS / 2).reusable
    assert sha256_file(path, clock=lambda: mtime + RACY_SECONDS).reusable
    # times set back (touch -r, rsync -t): the change time is new, the hash not yet reusable
    old = os.stat(path).st_mtime_ns - 60 * 10**9
    os.utime(path, ns=(old, old))
    assert not sha256_file(path, clock=lambda: mtime + RACY_SECONDS / 2).reusable


def test_bytes_changed_in_place_with_the_mtime_restored_are_hashed_again(
    tmp_path: Path, db: StateDB
) -> None:
    """``touch -r`` puts the modification time back, not the change time."""
    path = write_disk(tmp_path / "d.img", 6 * MiB)
    db.put_entry(EntrySpec("d", (str(path),)))
    journal = db.journal(db.claim("d"), 0)
    first = hash_disk(journal, path, clock=lambda: time.time() + RACY_SECONDS)
    before = os.stat(path)
    with open(path, "r+b") as disk:
        disk.seek(MiB)
        disk.write(b"other bytes")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    again = hash_disk(journal, path, clock=lambda: time.time() + RACY_SECONDS)
    assert again.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != first.sha256


def test_a_file_written_while_it_is_hashed_is_refused(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 20 * MiB)

    def append(_: int) -> None:
        with open(path, "ab") as more:
            more.write(b"x")

    with pytest.raises(FileChanged, match="changed while it was hashed"):
        sha256_file(path, on_progress=append)


def test_hashing_can_be_cancelled(tmp_path: Path) -> None:
    path = write_disk(tmp_path / "d.img", 100)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(UploadCancelled):
        sha256_file(path, cancel=cancel)


def test_a_disk_is_hashed_once_while_it_does_not_change(tmp_path: Path, db: StateDB) -> None:
    path = write_disk(tmp_path / "d.img", 1000)
    db.put_entry(EntrySpec("d", (str(path),)))
    journal = db.journal(db.claim("d"), 0)

    def later() -> float:
        return time.time() + RACY_SECONDS

    first = hash_disk(journal, path, clock=later)
    lines = io.StringIO()
    second = hash_disk(journal, path, progress=LineProgress(lines), clock=later)
    assert second == first
    assert "known from an earlier run" in lines.getvalue()
    # another part size is another layout: hashed again
    other = hash_disk(journal, path, min_part_size=64 * MiB, clock=later)
    assert other.sha256 == first.sha256 and other.parts != first.parts
    write_disk(path, 1000, seed=2)  # rewritten: a new mtime, a new hash
    third = hash_disk(journal, path, clock=later)
    assert third.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != first.sha256
    disk = db.disks("d")[0]
    assert disk.digest == third


def test_keys_name_the_content_or_the_entry() -> None:
    digest = "0123456789abcdef" + "f" * 48
    assert content_key("vmimport/", digest, "/x/web.vmdk") == "vmimport/0123456789abcdef/web.vmdk"
    assert entry_key("wave1/", "web-1", Path("/x/disk.vmdk")) == "wave1/web-1/disk.vmdk"


def test_progress_on_a_terminal_and_in_lines() -> None:
    out = io.StringIO()
    shown = RichProgress(Console(file=out, force_terminal=True, width=80))
    shown.begin("uploading d.img", 100, 10)
    shown.advance(90)
    shown.end("uploaded d.img")
    assert "uploaded d.img" in out.getvalue()
    lines = io.StringIO()
    plain = LineProgress(lines, prefix="web-1: ")
    plain.begin("uploading d.img", 3 * GiB, GiB)
    plain.advance(5)
    plain.note("resumed")
    plain.end("uploaded")
    assert lines.getvalue().splitlines() == [
        "web-1: uploading d.img (3.0 GiB, 1.0 GiB already done)",
        "web-1: resumed",
        "web-1: uploaded",
    ]
    assert [human_size(n) for n in (12, 2048, 5 * TiB)] == ["12 B", "2.0 KiB", "5.0 TiB"]
