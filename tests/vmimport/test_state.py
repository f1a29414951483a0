"""The state database in one process: typed records in and out, steps, claims, the schema."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.vmimport.errors import ExitStatus, status_for
from ec2_import_image.vmimport.state import paths, schema
from ec2_import_image.vmimport.state.claims import Owner
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.errors import (
    Busy,
    LostClaim,
    NewerSchema,
    NotAStateFile,
    StateError,
    UnknownEntry,
)
from ec2_import_image.vmimport.state.records import (
    EntryChange,
    EntrySpec,
    FileDigest,
    FileIdentity,
    ImportOptions,
    MultipartUpload,
    ObjectState,
    Part,
    PartHashes,
    Phase,
    StoredObject,
)
from tests.support.clock import ManualClock

OPTIONS = ImportOptions(
    bucket="disks",
    boot_mode="uefi",
    platform="Linux",
    encrypted=True,
    license_specifications=("arn:aws:license-manager:us-east-1:1:license-configuration:lic-1",),
    tags=(("project", "dc-exit"), ("team", "infra")),
)
WEB = EntrySpec("web-1", ("/data/web-1.vmdk",), OPTIONS)
DB = EntrySpec("db-1", ("/data/db-1-os.vmdk", "/data/db-1-data.vmdk"))


def at(clock: ManualClock) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(clock.now, datetime.UTC)


def other_process(db: StateDB, clock: ManualClock) -> StateDB:
    """The same file opened as another live process of this host would open it."""
    return StateDB.open(db.path, clock=clock, owner=Owner(db.owner.host, 1, "other"))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_new_database_is_marked_and_journaled_as_documented(db: StateDB) -> None:
    conn = sqlite3.connect(db.path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.current_version()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert db._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_entries_go_in_and_come_out_as_typed_records(db: StateDB, clock: ManualClock) -> None:
    assert db.put_entries([WEB, DB]) == {"web-1": EntryChange.NEW, "db-1": EntryChange.NEW}
    entries = db.entries()
    assert [e.name for e in entries] == ["web-1", "db-1"]
    web = db.entry("web-1")
    assert web.spec == WEB
    assert web.phase is Phase.PENDING
    assert web.attempt.number == 1
    assert web.attempt.started == at(clock)
    assert web.last_error is None
    assert web.holder is None
    assert [d.source for d in db.disks("db-1")] == list(DB.disks)
    assert all(d.digest is None and d.upload is None and d.object is None for d in db.disks("db-1"))
    with pytest.raises(UnknownEntry):
        db.entry("nope")


def test_putting_a_spec_again_says_whether_it_changed(db: StateDB) -> None:
    db.put_entry(DB)
    claim = db.claim("db-1")
    digest = FileDigest(
        FileIdentity("/data/db-1-os.vmdk", 1, 2, 3, 4, 5),
        "a" * 64,
        PartHashes(5 * 1024 * 1024, ("c2hhLTE=", "c2hhLTI=")),
    )
    db.record_digest(claim, 0, digest)
    db.record_digest(claim, 1, digest._replace(sha256="b" * 64))
    assert db.put_entry(DB) is EntryChange.SAME
    changed = DB._replace(disks=("/data/db-1-os.vmdk", "/data/db-1-new.vmdk"))
    assert db.put_entry(changed) is EntryChange.CHANGED
    disks = db.disks("db-1")
    assert [d.source for d in disks] == list(changed.disks)
    assert disks[0].digest == digest  # unchanged disk kept
    assert disks[1].digest is None  # changed disk starts again
    assert db.put_entry(changed._replace(disks=changed.disks[:1])) is EntryChange.CHANGED
    assert len(db.disks("db-1")) == 1
    assert db.entry("db-1").spec.disks == ("/data/db-1-os.vmdk",)


def test_steps_errors_and_attempts_are_recorded_with_their_times(
    db: StateDB, clock: ManualClock
) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    clock.advance(10)
    db.set_phase(claim, Phase.IMPORTING)
    db.record_token(claim, "token-1")
    db.record_task(claim, "import-ami-1")
    db.add_event(claim, "task active: 42%", progress=0.42)
    clock.advance(10)
    db.record_error(
        claim, Diagnostic("ClientError", "Unknown OS", context="no kernel", hint="check the disk")
    )
    db.set_phase(claim, Phase.FAILED)
    web = db.entry("web-1")
    assert web.phase is Phase.FAILED
    assert web.attempt.client_token == "token-1"
    assert web.attempt.import_task_id == "import-ami-1"
    assert web.attempt.finished == at(clock)
    assert web.last_error == Diagnostic(
        "ClientError", "Unknown OS", context="no kernel", hint="check the disk"
    )
    events = db.events("web-1")
    assert [(e.phase, e.message, e.progress) for e in events][-4:] == [
        (Phase.IMPORTING, "importing", None),
        (Phase.IMPORTING, "task active: 42%", 0.42),
        (Phase.IMPORTING, "error: ClientError: Unknown OS", None),
        (Phase.FAILED, "failed", None),
    ]
    assert events[-1].at == at(clock)

    second = db.restart(claim)
    assert second.number == 2
    db.record_token(claim, "token-2")
    db.record_result(claim, "ami-2", ["snap-1", "snap-2"])
    web = db.entry("web-1")
    assert (web.phase, web.last_error, web.attempt.number) == (Phase.PENDING, None, 2)
    assert web.attempt.snapshot_ids == ("snap-1", "snap-2")
    history = db.attempts("web-1")
    assert [(a.number, a.client_token, a.image_id) for a in history] == [
        (1, "token-1", None),
        (2, "token-2", "ami-2"),
    ]


def test_a_disk_records_its_upload_parts_and_object(db: StateDB) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    upload = MultipartUpload("u-1", "disks", "vmimport/k/web-1.vmdk", "c" * 64, 16, "CRC32")
    db.record_upload(claim, 0, upload)
    db.record_parts(claim, 0, "u-1", [Part(1, 16, "e1", "x1"), Part(2, 16, "e2", "x2")])
    db.record_parts(claim, 0, "u-1", [Part(3, 5, "e3", None)])
    recorded = db.disks("web-1")[0].upload
    assert recorded is not None
    assert recorded.parts == (Part(1, 16, "e1", "x1"), Part(2, 16, "e2", "x2"), Part(3, 5, "e3"))
    assert recorded._replace(parts=(), started=None) == upload
    db.forget_parts(claim, 0, [2])
    assert [p.number for p in db.disk(claim, 0).upload.parts] == [1, 3]  # type: ignore[union-attr]
    with pytest.raises(StateError, match="not the current one"):
        db.record_parts(claim, 0, "u-old", [Part(4, 1, "e4")])
    stored = StoredObject("disks", "vmimport/k/web-1.vmdk", 37, "c" * 64, ObjectState.UPLOADED)
    db.record_object(claim, 0, stored)
    disk = db.disks("web-1")[0]
    assert (disk.upload, disk.object) == (None, stored)
    assert disk.object is not None and disk.object.state.ours
    db.forget_upload(claim, 0, "gone")
    assert db.events("web-1")[-1].message == "disk 1: gone"


def test_a_hash_is_found_again_only_for_the_same_stat_identity(db: StateDB) -> None:
    identity = FileIdentity("/data/a.vmdk", 10, 20, 30, 40, 45)
    digest = FileDigest(identity, "d" * 64, PartHashes(8, ("a", "b", "c", "d")))
    db.remember_sha256(digest)
    assert db.cached_digest(identity) == digest
    for changed in (
        identity._replace(mtime_ns=41),
        identity._replace(ctime_ns=46),  # what `touch -r` leaves behind
        identity._replace(ctime_ns=None),
        identity._replace(size=31),
        identity._replace(inode=21),
        identity._replace(device=11),
        identity._replace(path="/data/b.vmdk"),
    ):
        assert db.cached_digest(changed) is None
    db.remember_sha256(FileDigest(identity._replace(mtime_ns=50), "e" * 64))
    assert db.cached_digest(identity) is None  # one hash per path: the newest
    db.remember_sha256(digest)
    db.forget_sha256(identity.path)
    assert db.cached_digest(identity) is None


def test_a_version_2_hash_without_a_change_time_is_never_reused(tmp_path: Path) -> None:
    """Rows of schema version 2 know no ctime: a restored mtime would pass them."""
    path = tmp_path / "state.sqlite"
    StateDB.open(path, migrations=schema.MIGRATIONS[:2]).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO file_hashes (path, device, inode, size, mtime_ns, sha256, hashed_at) "
        "VALUES ('/data/a.vmdk', 10, 20, 30, 40, ?, 0)",
        ("d" * 64,),
    )
    conn.commit()
    conn.close()
    with StateDB.open(path) as migrated:
        for ctime in (40, 0, 45):
            assert (
                migrated.cached_digest(FileIdentity("/data/a.vmdk", 10, 20, 30, 40, ctime)) is None
            )
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.current_version()
    conn.close()


def test_a_claim_held_by_a_live_process_is_refused_and_an_expired_one_taken_over(
    db: StateDB, clock: ManualClock
) -> None:
    db.put_entries([WEB, DB])
    claim = db.claim("web-1")
    with other_process(db, clock) as other:
        with pytest.raises(Busy, match=r"web-1 is being worked on by process \d+ on "):
            other.claim("web-1")
        following = other.claim_next()  # the next free one
        assert following is not None and following.name == "db-1"
        assert other.claim_next() is None
        clock.advance(db.lease_seconds + 1)
        taken = other.claim("web-1")
        assert db.entry("web-1").holder is not None
        assert db.entry("web-1").holder.pid == 1  # type: ignore[union-attr]
        assert db.events("web-1")[-1].message.startswith("taken over from process ")
        with pytest.raises(LostClaim, match="another process took over"):
            db.set_phase(claim, Phase.UPLOADING)
        other.release(taken)
    assert db.entry("web-1").holder is None


def test_writes_renew_the_lease(db: StateDB, clock: ManualClock) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    clock.advance(db.lease_seconds * 0.9)
    db.add_event(claim, "still here")
    clock.advance(db.lease_seconds * 0.9)
    with other_process(db, clock) as other, pytest.raises(Busy):
        other.claim("web-1")


def test_a_claim_of_a_process_that_ended_is_taken_at_once(db: StateDB, clock: ManualClock) -> None:
    db.put_entry(WEB)
    gone = Owner(db.owner.host, dead_pid(), "gone")
    with StateDB.open(db.path, clock=clock, owner=gone) as crashed:
        crashed.claim("web-1")
    assert db.claim("web-1").owner == db.owner.encode()
    assert f"taken over from process {gone.pid}" in db.events("web-1")[-1].message


def test_claim_next_follows_the_manifest_and_the_wish(db: StateDB) -> None:
    db.put_entries([WEB, DB], [1, 0])
    first = db.claim_next()
    assert first is not None and first.name == "db-1"
    db.set_phase(first, Phase.DONE)
    db.release(first)
    chosen = db.claim_next(lambda entry: entry.spec.options.bucket == "disks")
    assert chosen is not None and chosen.name == "web-1"
    db.release(chosen)
    assert db.claim_next(lambda entry: entry.phase is Phase.WAITING) is None


def test_hold_releases_the_claim_when_the_work_ends(db: StateDB) -> None:
    db.put_entry(WEB)
    with db.hold(db.claim("web-1"), interval=0.01) as claim:
        db.renew(claim)
        assert db.entry("web-1").holder is not None
    assert db.entry("web-1").holder is None


def test_release_all_gives_up_this_processs_claims_and_no_others(
    db: StateDB, clock: ManualClock
) -> None:
    db.put_entries([WEB, DB])
    db.claim("web-1")  # a claim whose holder forgot it (an interruption right after)
    with other_process(db, clock) as other:
        other.claim("db-1")
        db.release_all()
        assert db.entry("web-1").holder is None
        assert other.entry("db-1").holder is not None


def test_changing_an_entry_another_process_holds_is_refused(
    db: StateDB, clock: ManualClock
) -> None:
    db.put_entry(WEB)
    with other_process(db, clock) as other:
        other.claim("web-1")
        assert db.put_entry(WEB) is EntryChange.SAME
        with pytest.raises(Busy):
            db.put_entry(WEB._replace(disks=("/data/other.vmdk",)))


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateDB.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(NewerSchema) as refused:
        StateDB.open(path)
    assert str(refused.value) == (
        f"state database {path} has schema version 99, written by a newer vmimport (this one "
        f"reads versions up to {schema.current_version()}): upgrade vmimport, or give another "
        "state file"
    )
    assert status_for(refused.value) is ExitStatus.INCOMPLETE
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99  # untouched
    conn.close()


@pytest.mark.parametrize("content", [b"not a database at all, just text\n" * 100, "other-sqlite"])
def test_a_file_that_is_not_a_state_database_is_refused(
    tmp_path: Path, content: bytes | str
) -> None:
    path = tmp_path / "state.sqlite"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE photos (id INTEGER)")
        conn.commit()
        conn.close()
    with pytest.raises(NotAStateFile, match="is not a vmimport state database"):
        StateDB.open(path)


NEXT = schema.current_version() + 1
V2 = schema.Migration(
    NEXT,
    "entries get a remark",
    ("ALTER TABLE entries ADD COLUMN remark TEXT", "UPDATE entries SET remark = 'migrated'"),
)


def test_an_older_database_is_migrated_forward_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path) as old:
        old.put_entry(WEB)
    with StateDB.open(path, migrations=(*schema.MIGRATIONS, V2)) as new:
        assert new.entry("web-1").spec == WEB
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == NEXT
    assert conn.execute("SELECT remark FROM entries").fetchall() == [("migrated",)]
    conn.close()
    with pytest.raises(NewerSchema):
        StateDB.open(path)  # this version knows only the versions before NEXT


def test_a_migration_that_fails_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path) as old:
        old.put_entry(WEB)
    broken = schema.Migration(NEXT, "broken", ("ALTER TABLE entries ADD COLUMN x", "NOT SQL"))
    with pytest.raises(StateError, match="cannot use the state database"):
        StateDB.open(path, migrations=(*schema.MIGRATIONS, broken))
    with StateDB.open(path) as again:
        assert again.entry("web-1").spec == WEB
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.current_version()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)")]
    assert "x" not in columns
    conn.close()


def test_default_locations_follow_xdg_and_the_manifest(tmp_path: Path) -> None:
    assert paths.import_state_path({"XDG_STATE_HOME": "/xdg", "HOME": "/home/u"}) == Path(
        "/xdg/vmimport/state.sqlite"
    )
    assert paths.import_state_path({"XDG_STATE_HOME": "relative", "HOME": "/home/u"}) == Path(
        "/home/u/.local/state/vmimport/state.sqlite"
    )
    assert paths.import_state_path({"HOME": "/home/u"}) == Path(
        "/home/u/.local/state/vmimport/state.sqlite"
    )
    assert paths.batch_state_path(tmp_path / "wave1.yaml") == tmp_path / "wave1.yaml.state.sqlite"


def test_the_directory_is_created_private(tmp_path: Path) -> None:
    path = paths.import_state_path({"XDG_STATE_HOME": str(tmp_path / "xdg")})
    StateDB.open(path).close()
    assert path.exists()
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_sqlites_own_failures_are_one_line_state_errors(db: StateDB) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    db._conn.execute("PRAGMA query_only = ON")  # as a read-only file or a full disk would
    with pytest.raises(
        StateError, match=r"^cannot write the state database .*: attempt to write a readonly"
    ):
        db.set_phase(claim, Phase.HASHING)
    db._conn.execute("PRAGMA query_only = OFF")
    db.set_phase(claim, Phase.HASHING)
    assert db.entry("web-1").phase is Phase.HASHING


def test_a_version_1_database_gains_the_attempts_identity(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:1]) as old:
        old.put_entry(WEB)
        claim = old.claim("web-1")
        old.record_token(claim, "token-1")
        old.release(claim)
    with StateDB.open(path) as new:
        attempt = new.entry("web-1").attempt
        assert (attempt.client_token, attempt.identity) == ("token-1", None)
        new.record_identity(new.claim("web-1"), "a" * 64)
        assert new.entry("web-1").attempt.identity == "a" * 64
        assert new.attempts("web-1")[0].identity == "a" * 64


def test_progress_past_an_error_clears_it_and_done_always_does(db: StateDB) -> None:
    db.put_entries([WEB, DB])
    web = db.claim("web-1")
    db.set_phase(web, Phase.UPLOADING)
    db.record_error(web, Diagnostic("upload-failed", "the upload of web-1.vmdk failed"))
    db.set_phase(web, Phase.HASHING)  # a rerun starts again: the error still says why
    db.set_phase(web, Phase.UPLOADING)
    assert db.entry("web-1").last_error is not None
    db.set_phase(web, Phase.IMPORTING)  # past the upload: the error no longer holds
    assert db.entry("web-1").last_error is None
    # the sequence: an error, then the result, then DONE
    other = db.claim("db-1")
    db.set_phase(other, Phase.FINISHING)
    db.record_error(other, Diagnostic("upload-failed", "the upload failed"))
    db.record_result(other, "ami-1", ["snap-1"])
    db.set_phase(other, Phase.DONE)
    done = db.entry("db-1")
    assert (done.phase, done.last_error) == (Phase.DONE, None)
    # a failure keeps its error
    db.restart(web)
    db.record_error(web, Diagnostic("import-failed", "the task failed"))
    db.set_phase(web, Phase.FAILED)
    assert db.entry("web-1").last_error is not None


def test_a_note_is_kept_until_changed_and_a_new_attempt_clears_it(db: StateDB) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    db.set_note(claim, "changed: the AMI holds the old content")
    db.set_note(claim, "changed: the AMI holds the old content")
    assert db.entry("web-1").note == "changed: the AMI holds the old content"
    notes = [e.message for e in db.events("web-1") if e.message.startswith("note:")]
    assert notes == ["note: changed: the AMI holds the old content"]  # said once
    db.restart(claim)
    assert db.entry("web-1").note is None


def test_a_version_5_database_gains_the_road_of_each_attempt(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:5]) as old:
        old.put_entry(WEB)
        claim = old.claim("web-1")
        old.record_token(claim, "token-1")
        old.release(claim)
    with StateDB.open(path) as new:
        # every attempt made before the roads took the image road
        assert new.entry("web-1").attempt.via == "image"
        claim = new.claim("web-1")
        new.record_via(claim, "direct")
        assert new.entry("web-1").attempt.via == "direct"
        assert new.restart(claim).number == 2
        assert [a.via for a in new.attempts("web-1")] == ["direct", "image"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.current_version()
    conn.close()


def test_options_stored_before_the_roads_read_as_the_same_spec(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path) as db:
        db.put_entry(WEB)
    conn = sqlite3.connect(path)
    (text,) = conn.execute("SELECT options FROM entries").fetchone()
    stored = {
        k: v for k, v in json.loads(text).items() if k not in ("via", "ena", "tpm", "uefi_data")
    }
    with conn:  # as a version before the roads wrote them
        conn.execute("UPDATE entries SET options = ?", (json.dumps(stored, sort_keys=True),))
    conn.close()
    with StateDB.open(path) as db:
        assert db.put_entry(WEB) is EntryChange.SAME
