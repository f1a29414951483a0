"""Uploads to the discarding S3 stub: first run, rerun, interruptions, forgotten uploads,
endpoints without checksums, conflicts, lost connections, files that change."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.environment import Environment
from ec2_import_image.vmimport.context import GlobalOptions, Run
from ec2_import_image.vmimport.errors import ExitStatus, status_for
from ec2_import_image.vmimport.state.db import DiskJournal, StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, MultipartUpload, ObjectState, Part
from ec2_import_image.vmimport.upload.clients import from_run
from ec2_import_image.vmimport.upload.disk import hash_disk, upload_disk
from ec2_import_image.vmimport.upload.errors import (
    FileChanged,
    ObjectConflict,
    UploadCancelled,
    UploadError,
)
from ec2_import_image.vmimport.upload.hashing import RACY_SECONDS, identify
from ec2_import_image.vmimport.upload.keys import content_key, entry_key
from ec2_import_image.vmimport.upload.multipart import (
    ObjectDelivery,
    ObjectTarget,
    UploadOutcome,
    UploadSettings,
    upload_file,
)
from ec2_import_image.vmimport.upload.progress import LineProgress
from tests.support import tls
from tests.support.runner import base_env
from tests.support.s3stub import S3Stub, StubObject
from tests.support.uploads import Counted, MiB, write_disk

SIZE = 23 * MiB  # five parts of 5 MiB, the last 3 MiB
PARTS = 5
SETTINGS = UploadSettings(concurrency=3, min_part_size=5 * MiB, list_page_size=2)
BUCKET = "disks"


def by_content(digest: Any) -> str:
    return content_key("vmimport/", digest.sha256, digest.path)


def journal_for(db: StateDB, path: Path, name: str = "disk") -> DiskJournal:
    db.put_entry(EntrySpec(name, (str(path),)))
    return db.journal(db.claim(name), 0)


def run(
    counted: Counted,
    journal: Any,
    path: Path,
    key_for: Callable[[Any], str] = by_content,
    **options: Any,
) -> UploadOutcome:
    options.setdefault("settings", SETTINGS)
    return upload_disk(counted.clients, journal, path, BUCKET, key_for, **options)


def multipart_etag(path: Path, part_size: int = 5 * MiB) -> str:
    """The ETag S3 gives an object uploaded in parts: MD5 of the parts' MD5s, and the count."""
    data = path.read_bytes()
    digests = [
        hashlib.md5(data[i : i + part_size], usedforsecurity=False).digest()
        for i in range(0, len(data), part_size)
    ]
    combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f"{combined}-{len(digests)}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def part_sha256(path: Path, number: int, part_size: int = 5 * MiB) -> str:
    """Part ``number``'s SHA-256 as S3 writes it (base64)."""
    data = path.read_bytes()[(number - 1) * part_size : number * part_size]
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def part_md5(path: Path, number: int, part_size: int = 5 * MiB) -> str:
    """Part ``number``'s MD5 as ``Content-MD5`` carries it (base64)."""
    data = path.read_bytes()[(number - 1) * part_size : number * part_size]
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def change_in_place(path: Path, offset: int, data: bytes = b"other bytes") -> None:
    """Overwrite bytes without changing the size, and put the modification time back (as
    ``touch -r`` would): only the change time says so."""
    before = os.stat(path)
    with open(path, "r+b") as file:
        file.seek(offset)
        file.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


class Interrupting:
    """A disk's journal that acts (Ctrl-C, a cancel, a change of the file) once ``after``
    parts are committed: in the thread that called the upload, as Ctrl-C would."""

    def __init__(self, journal: DiskJournal, after: int, action: Callable[[], None]) -> None:
        self.journal = journal
        self.after = after
        self.action = action
        self.committed = 0
        self.fired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.journal, name)

    def parts_done(self, upload_id: str, parts: Sequence[Part]) -> None:
        self.journal.parts_done(upload_id, parts)
        self.committed += len(parts)
        if self.committed >= self.after and not self.fired:
            self.fired = True
            self.action()


def ctrl_c() -> None:
    raise KeyboardInterrupt


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    return write_disk(tmp_path / "disk.img", SIZE)


def interrupted(db: StateDB, stub: S3Stub, disk: Path, after: int = 2) -> tuple[Counted, int]:
    """An upload stopped by Ctrl-C once ``after`` parts were committed; answers the clients
    and how many parts S3 holds for it."""
    counted = Counted(stub.endpoint)
    journal = Interrupting(journal_for(db, disk), after, ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run(counted, journal, disk)
    assert not stub.objects
    (upload,) = stub.uploads.values()
    return counted, len(upload.parts)


def test_an_upload_sends_the_file_in_parts_with_its_sha256_and_checksums(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    counted = Counted(stub.endpoint)
    lines = io.StringIO()
    outcome = run(counted, journal_for(db, disk), disk, progress=LineProgress(lines))
    key = outcome.target.key
    assert key == f"vmimport/{sha256(disk)[:16]}/disk.img"
    assert outcome == UploadOutcome(
        outcome.target, sha256(disk), SIZE, ObjectDelivery.UPLOADED, True, PARTS, SIZE, "SHA256"
    )
    stored = stub.objects[key]
    assert stored.size == SIZE
    assert stored.metadata == {"sha256": sha256(disk)}
    assert stored.etag == multipart_etag(disk)  # the stub's MD5s of what it received
    parts = [call for call in stub.calls if call.operation == "UploadPart"]
    assert sorted(stub.parts_sent()) == [1, 2, 3, 4, 5]
    # on the wire: each part's SHA-256 from the hash pass, as given (botocore adds none)
    assert {call.part_number: call.headers for call in parts} == {
        n: {
            "x-amz-checksum-sha256": part_sha256(disk, n),
            "x-amz-sdk-checksum-algorithm": "SHA256",
        }
        for n in range(1, PARTS + 1)
    }
    disk_state = db.disks("disk")[0]
    assert disk_state.upload is None
    assert disk_state.object is not None
    assert disk_state.object.state is ObjectState.UPLOADED
    assert disk_state.digest is not None and disk_state.digest.sha256 == sha256(disk)
    assert lines.getvalue().splitlines() == [
        "hashing disk.img (23.0 MiB)",
        f"sha256 of disk.img (23.0 MiB, computed): {sha256(disk)}",
        "uploading disk.img (23.0 MiB)",
        f"uploaded disk.img to s3://{BUCKET}/{key}",
    ]


def test_a_second_run_sends_nothing(db: StateDB, stub: S3Stub, disk: Path, tmp_path: Path) -> None:
    counted = Counted(stub.endpoint)
    journal = journal_for(db, disk)
    run(counted, journal, disk)
    counted.reset()
    again = run(counted, journal, disk)
    assert (again.delivery, again.ours, again.parts_sent) == (ObjectDelivery.FOUND, True, 0)
    assert counted.sent == {"HeadObject": 1}
    # with the state lost, the object is found again, and is not this tool's to delete
    with StateDB.open(tmp_path / "other.sqlite") as fresh:
        found = run(counted, journal_for(fresh, disk), disk)
        assert (found.delivery, found.ours) == (ObjectDelivery.FOUND, False)
        stored = fresh.disks("disk")[0].object
        assert stored is not None and stored.state is ObjectState.FOUND


def test_an_interrupted_upload_resumes_sending_only_the_missing_parts(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    counted, on_s3 = interrupted(db, stub, disk)
    recorded = db.disks("disk")[0].upload
    assert recorded is not None and len(recorded.parts) >= 2
    counted.reset()
    resumed = run(counted, db.journal(db.claim("disk"), 0), disk)
    assert resumed.delivery is ObjectDelivery.RESUMED
    assert counted.count("UploadPart") == PARTS - on_s3 == resumed.parts_sent
    assert counted.count("CreateMultipartUpload") == 0
    assert counted.count("ListParts") == -(-on_s3 // 2)  # pages of 2
    assert stub.objects[resumed.target.key].etag == multipart_etag(disk)


def test_parts_s3_has_but_the_state_lost_are_checked_locally_not_sent_again(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    counted, on_s3 = interrupted(db, stub, disk, after=3)
    claim = db.claim("disk")
    db.forget_parts(claim, 0, range(1, PARTS + 1))  # as if killed before recording them
    (upload,) = stub.uploads.values()
    tampered = min(upload.parts)
    upload.parts[tampered].checksum = "AAAAAA=="  # not the hashed bytes
    present = set(upload.parts)
    assert len(present) == on_s3
    counted.reset()
    before = len(stub.calls)
    resumed = run(counted, db.journal(claim, 0), disk)
    missing = set(range(1, PARTS + 1)) - present
    assert sorted(stub.parts_sent(before)) == sorted({tampered, *missing})
    assert stub.objects[resumed.target.key].etag == multipart_etag(disk)


def test_an_upload_id_s3_forgot_starts_over(db: StateDB, stub: S3Stub, disk: Path) -> None:
    counted, _ = interrupted(db, stub, disk)
    stub.forget_uploads()
    counted.reset()
    again = run(counted, db.journal(db.claim("disk"), 0), disk)
    assert again.delivery is ObjectDelivery.UPLOADED
    assert counted.count("UploadPart") == PARTS
    assert counted.count("CreateMultipartUpload") == 1
    assert any("S3 no longer knows upload" in e.message for e in db.events("disk"))
    assert stub.objects[again.target.key].etag == multipart_etag(disk)


@pytest.mark.parametrize(
    "refused",
    [
        ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject"),
        ("UploadPart",),  # takes the algorithm, refuses a part's checksum
    ],
)
def test_an_endpoint_that_refuses_checksums_gets_the_upload_without_them(
    db: StateDB, disk: Path, refused: tuple[str, ...]
) -> None:
    with S3Stub(refuse_checksums=refused) as stub:
        counted = Counted(stub.endpoint)
        outcome = run(counted, journal_for(db, disk), disk)
        assert outcome.checksum_algorithm is None
        assert stub.objects[outcome.target.key].etag == multipart_etag(disk)
        refusals = [i for i, c in enumerate(stub.calls) if c.operation.endswith(" refused")]
        assert refusals
        after = stub.calls[refusals[-1] + 1 :]
        assert {c.operation for c in after} >= {"CreateMultipartUpload", "UploadPart"}
        assert not any(c.checksum_headers for c in after)
        assert counted.clients.checksums is False
        # what remains: each part's Content-MD5, of bytes read again and checked against the
        # hash pass, which the endpoint checks the body against
        sent = {c.part_number: c.headers for c in after if c.operation == "UploadPart"}
        assert sent == {n: {"content-md5": part_md5(disk, n)} for n in range(1, PARTS + 1)}


def test_an_object_at_the_key_that_is_not_this_disk_is_left_alone(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    key = content_key("vmimport/", sha256(disk), disk)
    stub.objects[key] = StubObject(7, "0" * 32, {})
    counted = Counted(stub.endpoint)
    with pytest.raises(ObjectConflict, match=r"already exists and is not disk\.img") as refused:
        run(counted, journal_for(db, disk), disk)
    assert status_for(refused.value) is ExitStatus.INCOMPLETE
    assert counted.count("UploadPart") == 0
    assert stub.objects[key].size == 7


def test_an_object_this_tool_uploaded_is_replaced_when_the_disk_changed(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    by_entry = lambda digest: entry_key("wave1/", "web-1", digest.path)  # noqa: E731
    counted = Counted(stub.endpoint)
    journal = journal_for(db, disk)
    run(counted, journal, disk, by_entry)
    write_disk(disk, SIZE, seed=2)
    replaced = run(counted, journal, disk, by_entry)
    assert replaced.delivery is ObjectDelivery.UPLOADED
    assert stub.objects["wave1/web-1/disk.img"].metadata == {"sha256": sha256(disk)}


def test_a_lost_connection_fails_in_one_line_and_a_rerun_resumes(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    stub.drop_parts_after = 2
    counted = Counted(stub.endpoint, concurrency=1)
    with pytest.raises(UploadError) as failed:
        run(counted, journal_for(db, disk), disk, settings=SETTINGS._replace(concurrency=1))
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"the upload of disk.img to s3://{BUCKET}/vmimport/")
    assert message.endswith("(run again to resume)")
    assert status_for(failed.value) is ExitStatus.INCOMPLETE
    stub.drop_parts_after = None
    counted.reset()
    resumed = run(counted, db.journal(db.claim("disk"), 0), disk)
    assert resumed.delivery is ObjectDelivery.RESUMED
    assert counted.count("UploadPart") == PARTS - 2
    assert stub.objects[resumed.target.key].etag == multipart_etag(disk)


def test_a_file_that_changes_during_the_upload_is_refused_and_its_object_deleted(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    def touch() -> None:
        info = os.stat(disk)
        os.utime(disk, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))

    journal = Interrupting(journal_for(db, disk), 1, touch)
    with pytest.raises(FileChanged, match="changed while it was uploaded"):
        run(Counted(stub.endpoint), journal, disk)
    assert not stub.objects
    state = db.disks("disk")[0]
    assert (state.upload, state.object) == (None, None)


def test_a_cancel_event_stops_the_upload_and_leaves_it_to_resume(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    cancel = threading.Event()
    journal = Interrupting(journal_for(db, disk), 1, cancel.set)
    counted = Counted(stub.endpoint, concurrency=1)
    with pytest.raises(UploadCancelled):
        run(counted, journal, disk, settings=SETTINGS._replace(concurrency=1), cancel=cancel)
    assert db.disks("disk")[0].upload is not None
    resumed = run(counted, db.journal(db.claim("disk"), 0), disk)
    assert resumed.delivery is ObjectDelivery.RESUMED


@pytest.mark.skipif(tls.OPENSSL is None, reason="needs the openssl command")
def test_over_https_parts_carry_the_hash_passs_checksum_in_a_header(
    db: StateDB, disk: Path, tmp_path: Path
) -> None:
    cert, key = tls.self_signed(tmp_path)
    with S3Stub(tls=(cert, key)) as stub:
        outcome = run(Counted(stub.endpoint, verify=str(cert)), journal_for(db, disk), disk)
        assert stub.objects[outcome.target.key].etag == multipart_etag(disk)
        parts = [c for c in stub.calls if c.operation == "UploadPart"]
        assert {c.part_number: c.headers.get("x-amz-checksum-sha256") for c in parts} == {
            n: part_sha256(disk, n) for n in range(1, PARTS + 1)
        }
        assert not any("x-amz-trailer" in c.headers for c in parts)  # never computed on the fly
        assert outcome.checksum_algorithm == "SHA256"


def test_an_empty_file_is_refused(db: StateDB, stub: S3Stub, tmp_path: Path) -> None:
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match="is empty"):
        run(Counted(stub.endpoint), journal_for(db, empty), empty)


def test_a_vmimport_run_uploads_through_its_session_to_the_endpoint_url(
    db: StateDB, stub: S3Stub, disk: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    for name in ("config", "credentials"):
        (home / ".aws" / name).write_text("")
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ=base_env(home), program="vmimport"
    )
    # as cli.run does: botocore reads the run's variables from the process while it works
    with env.process_environment():
        clients = from_run(Run(env, GlobalOptions(endpoint_url=stub.endpoint)), concurrency=2)
        outcome = upload_disk(clients, journal_for(db, disk), disk, BUCKET, by_content)
    assert stub.objects[outcome.target.key].metadata == {"sha256": sha256(disk)}
    config: Any = clients.plain.meta.config  # its settings are attributes the stubs omit
    assert config.max_pool_connections == 4
    assert config.request_checksum_calculation == "when_required"


def test_a_file_gone_after_it_was_hashed_is_one_line(db: StateDB, stub: S3Stub, disk: Path) -> None:
    journal = journal_for(db, disk)
    digest = hash_disk(journal, disk)
    disk.unlink()
    with pytest.raises(UploadError, match=r"^cannot read .*disk\.img: No such file"):
        upload_file(
            Counted(stub.endpoint).clients, journal, digest, ObjectTarget(BUCKET, "k/disk.img")
        )


def test_a_file_changed_after_it_was_hashed_is_refused_by_s3_and_never_completed(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    """Bytes changed in place, the mtime put back: S3 refuses the part whose SHA-256 the hash
    pass computed (so botocore sent it as given), the upload is discarded, a rerun sends the
    new content."""
    hashed = sha256(disk)
    journal = Interrupting(journal_for(db, disk), 1, lambda: change_in_place(disk, 21 * MiB))
    counted = Counted(stub.endpoint, concurrency=1)
    one_thread = SETTINGS._replace(concurrency=1)
    with pytest.raises(FileChanged) as refused:
        run(counted, journal, disk, settings=one_thread)
    message = str(refused.value)
    assert message.startswith(f"{disk} changed since it was hashed: part 5: S3 refused its bytes")
    assert "BadDigest" in message and message.endswith("run again to import the new content")
    assert status_for(refused.value) is ExitStatus.INCOMPLETE
    assert not stub.objects and not stub.uploads  # aborted, never completed
    assert stub.count("CompleteMultipartUpload") == 0 and stub.count("AbortMultipartUpload") == 1
    state = db.disks("disk")[0]
    assert (state.upload, state.object) == (None, None)
    assert db.cached_digest(identify(disk)) is None

    again = run(counted, db.journal(db.claim("disk"), 0), disk, settings=one_thread)
    assert again.sha256 == sha256(disk) != hashed
    stored = stub.objects[again.target.key]
    assert stored.metadata == {"sha256": sha256(disk)}
    assert stored.etag == multipart_etag(disk)  # the MD5s of the bytes S3 received


def test_a_part_damaged_on_its_way_is_not_taken_for_a_changed_file(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    stub.damage_parts = {3}
    counted = Counted(stub.endpoint, concurrency=1)
    with pytest.raises(UploadError) as refused:
        run(counted, journal_for(db, disk), disk, settings=SETTINGS._replace(concurrency=1))
    assert not isinstance(refused.value, FileChanged)
    assert "refused part 3 of disk.img (BadDigest: " in str(refused.value)
    assert "the file still holds the bytes hashed" in str(refused.value)
    assert db.disks("disk")[0].upload is not None and stub.uploads  # kept for the rerun
    resumed = run(counted, db.journal(db.claim("disk"), 0), disk)
    assert resumed.delivery is ObjectDelivery.RESUMED
    assert stub.objects[resumed.target.key].etag == multipart_etag(disk)


def crc32_of(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def legacy_upload(db: StateDB, stub: S3Stub, disk: Path, sent: int) -> tuple[Any, ObjectTarget]:
    """A CRC32 upload as an earlier vmimport left it: created with CRC32, ``sent`` parts sent
    with their CRC32 and recorded; answers the disk's journal and digest, and the target."""
    journal = journal_for(db, disk)
    digest = hash_disk(journal, disk, min_part_size=5 * MiB)
    target = ObjectTarget(BUCKET, by_content(digest))
    client = Counted(stub.endpoint).clients.plain
    created = client.create_multipart_upload(
        Bucket=BUCKET, Key=target.key, Metadata={"sha256": digest.sha256}, ChecksumAlgorithm="CRC32"
    )
    upload = MultipartUpload(
        created["UploadId"], BUCKET, target.key, digest.sha256, 5 * MiB, "CRC32"
    )
    journal.upload_started(upload)
    data = disk.read_bytes()
    parts = []
    for number in range(1, sent + 1):
        body = data[(number - 1) * 5 * MiB : number * 5 * MiB]
        reply = client.upload_part(
            Bucket=BUCKET,
            Key=target.key,
            UploadId=upload.upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
            ChecksumCRC32=crc32_of(body),
        )
        parts.append(Part(number, len(body), reply["ETag"].strip('"'), crc32_of(body)))
    journal.parts_done(upload.upload_id, parts)
    return (journal, digest), target


def test_an_upload_started_with_crc32_keeps_it_and_each_part_is_read_and_checked(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    (journal, digest), target = legacy_upload(db, stub, disk, sent=2)
    (upload,) = stub.uploads.values()
    upload.parts[2].checksum = "AAAAAA=="  # S3 holds other bytes for part 2 than the file's
    counted = Counted(stub.endpoint)
    before = len(stub.calls)
    outcome = upload_file(counted.clients, journal, digest, target, settings=SETTINGS)
    assert (outcome.delivery, outcome.checksum_algorithm) == (ObjectDelivery.RESUMED, "CRC32")
    data = disk.read_bytes()
    sent = {c.part_number: c.headers for c in stub.calls[before:] if c.operation == "UploadPart"}
    assert sent == {
        n: {
            "x-amz-checksum-crc32": crc32_of(data[(n - 1) * 5 * MiB : n * 5 * MiB]),
            "x-amz-sdk-checksum-algorithm": "CRC32",
        }
        for n in (2, 3, 4, 5)
    }
    assert stub.objects[target.key].etag == multipart_etag(disk)


def test_an_upload_started_with_crc32_of_a_file_changed_since_is_refused(
    db: StateDB, stub: S3Stub, disk: Path
) -> None:
    (journal, digest), target = legacy_upload(db, stub, disk, sent=2)
    change_in_place(disk, MiB)  # inside part 1, which S3 has
    with pytest.raises(FileChanged, match=r"changed since it was hashed: part 1: its bytes are"):
        upload_file(Counted(stub.endpoint).clients, journal, digest, target, settings=SETTINGS)
    assert not stub.uploads and not stub.objects
    assert db.disks("disk")[0].upload is None


def test_on_an_endpoint_without_checksums_a_changed_file_is_refused_before_sending(
    db: StateDB, disk: Path
) -> None:
    with S3Stub(checksums=False) as stub:
        journal = journal_for(db, disk)
        digest = hash_disk(journal, disk, min_part_size=5 * MiB)
        change_in_place(disk, 12 * MiB)  # inside part 3
        target = ObjectTarget(BUCKET, by_content(digest))
        counted = Counted(stub.endpoint, concurrency=1)
        with pytest.raises(FileChanged, match=r"part 3: its bytes are not the ones hashed"):
            upload_file(
                counted.clients,
                journal,
                digest,
                target,
                settings=SETTINGS._replace(concurrency=1),
            )
        assert 3 not in stub.parts_sent()
        assert not stub.uploads and not stub.objects


def test_a_racy_hash_is_kept_for_reuse_once_s3_checked_every_part(
    db: StateDB, stub: S3Stub, tmp_path: Path
) -> None:
    """Hashed within RACY_SECONDS of its last change, a file's hash is not reusable; once an
    upload created after the times settled had every part checked against it, it is."""
    for name, settles in (("settles.img", True), ("racy.img", False)):
        path = write_disk(tmp_path / name, SIZE)
        info = os.stat(path)
        changed = max(info.st_mtime_ns, info.st_ctime_ns) / 1e9
        moments = iter([changed + RACY_SECONDS / 4])  # the hash pass starts then
        later = changed + (RACY_SECONDS + 1 if settles else RACY_SECONDS / 2)
        run(
            Counted(stub.endpoint),
            journal_for(db, path, name),
            path,
            clock=lambda m=moments, t=later: next(m, t),
        )
        found = db.cached_digest(identify(path))
        assert (found is not None and found.sha256 == sha256(path)) is settles
