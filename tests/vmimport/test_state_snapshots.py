"""The state database's record of each disk's EBS snapshot and its acknowledged blocks."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from ec2_import_image.vmimport.state import schema
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.errors import StateError
from ec2_import_image.vmimport.state.records import (
    DiskSnapshot,
    EntrySpec,
    SnapshotState,
    WrittenBlock,
)

SNAPSHOT = DiskSnapshot("snap-1", "token-1", 8, 524288, SnapshotState.WRITING, timeout_minutes=60)


def block(index: int) -> WrittenBlock:
    return WrittenBlock(index, hashlib.sha256(str(index).encode()).digest())


def test_a_version_3_database_gains_the_snapshot_tables(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:3]) as old:
        old.put_entry(EntrySpec("web-1", ("/disks/web.raw",)))
    with StateDB.open(path) as db:
        claim = db.claim("web-1")
        assert db.disk_snapshot(claim, 0) is None
        db.record_snapshot(claim, 0, SNAPSHOT)
        assert db.disk_snapshot(claim, 0) == SNAPSHOT._replace(
            started=db.disk_snapshot(claim, 0).started  # type: ignore[union-attr]
        )
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.current_version()
    conn.close()


def test_blocks_are_recorded_in_batches_and_read_back_in_pages(db: StateDB) -> None:
    db.put_entry(EntrySpec("web-1", ("/disks/web.raw",)))
    claim = db.claim("web-1")
    db.record_snapshot(claim, 0, SNAPSHOT)
    db.record_blocks(claim, 0, "snap-1", [block(i) for i in (9, 3, 5)])
    db.record_blocks(claim, 0, "snap-1", [block(3), block(1)])  # written again: one row
    assert db.written_blocks(claim, 0, "snap-1", limit=2) == [block(1), block(3)]
    assert db.written_blocks(claim, 0, "snap-1", after=3, limit=2) == [block(5), block(9)]
    assert db.disk_snapshot(claim, 0).written == 4  # type: ignore[union-attr]
    with pytest.raises(StateError, match="snapshot snap-2 is not the current one"):
        db.record_blocks(claim, 0, "snap-2", [block(1)])

    db.snapshot_completing(claim, 0, "snap-1", 4, "aggregate")
    db.snapshot_completed(claim, 0, "snap-1", True, "arn:aws:kms:us-east-1:1:key/k")
    done = db.disk_snapshot(claim, 0)
    assert done is not None and done.state is SnapshotState.COMPLETED
    assert (done.changed_blocks, done.checksum, done.encrypted) == (4, "aggregate", True)
    assert done.kms_key_arn == "arn:aws:kms:us-east-1:1:key/k" and done.completed is not None


def test_a_new_snapshot_replaces_the_old_one_and_its_blocks(db: StateDB) -> None:
    db.put_entry(EntrySpec("web-1", ("/disks/web.raw",)))
    claim = db.claim("web-1")
    db.record_snapshot(claim, 0, SNAPSHOT)
    db.record_blocks(claim, 0, "snap-1", [block(1), block(2)])
    db.snapshot_expired(claim, 0, "snap-1", "it is in error")
    expired = db.disk_snapshot(claim, 0)
    assert expired is not None and expired.state is SnapshotState.EXPIRED
    assert expired.message == "it is in error"
    db.record_snapshot(claim, 0, SNAPSHOT._replace(snapshot_id="snap-2", client_token="t-2"))
    assert db.written_blocks(claim, 0, "snap-1") == []
    assert db.disk_snapshot(claim, 0).written == 0  # type: ignore[union-attr]


def test_a_disk_whose_source_changed_loses_its_snapshot(db: StateDB) -> None:
    db.put_entry(EntrySpec("web-1", ("/disks/web.raw", "/disks/data.raw")))
    claim = db.claim("web-1")
    for position in (0, 1):
        db.record_snapshot(claim, position, SNAPSHOT._replace(snapshot_id=f"snap-{position}"))
        db.record_blocks(claim, position, f"snap-{position}", [block(7)])
    db.release(claim)
    db.put_entry(EntrySpec("web-1", ("/disks/web.raw", "/disks/other.raw")))
    claim = db.claim("web-1")
    assert db.disk_snapshot(claim, 0) is not None
    assert db.disk_snapshot(claim, 1) is None
    assert db.written_blocks(claim, 1, "snap-1") == []
    db.forget_snapshot(claim, 0, "snapshot snap-0 deleted")
    assert db.disk_snapshot(claim, 0) is None


def test_a_version_6_database_keeps_its_snapshots_and_blocks_as_the_disks_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:6]) as old:
        old.put_entry(EntrySpec("web-1", ("/disks/web.raw",)))
    conn = sqlite3.connect(path)
    with conn:  # the rows as version 6 wrote them
        (entry_id,) = conn.execute("SELECT entry_id FROM disks").fetchone()
        conn.execute(
            "INSERT INTO disk_snapshots (entry_id, position, snapshot_id, client_token, "
            "volume_size, block_size, state, started_at) VALUES (?, 0, 'snap-1', 'token-1', "
            "8, 524288, 'writing', 0)",
            (entry_id,),
        )
        conn.executemany(
            "INSERT INTO snapshot_blocks VALUES (?, 0, 'snap-1', ?, ?)",
            [(entry_id, b.index, b.sha256) for b in (block(1), block(4))],
        )
    conn.close()
    with StateDB.open(path) as db:
        claim = db.claim("web-1")
        kept = db.disk_snapshot(claim, 0)
        assert kept is not None and (kept.snapshot_id, kept.written) == ("snap-1", 2)
        assert kept.replacement == 0
        assert db.written_blocks(claim, 0, "snap-1") == [block(1), block(4)]
        assert db.disk_snapshot(claim, 0, member=1) is None


def test_each_disk_of_an_ova_has_its_snapshot_and_keeps_its_replacements(db: StateDB) -> None:
    db.put_entry(EntrySpec("web-1", ("/disks/web.ova",)))
    claim = db.claim("web-1")
    db.record_snapshot(claim, 0, SNAPSHOT)
    second = db.snapshot_journal(claim, 0, member=1, replacement=2)
    second.snapshot_started(SNAPSHOT._replace(snapshot_id="snap-2", client_token="t-2"))
    second.blocks_written("snap-2", [block(3)])
    db.record_blocks(claim, 0, "snap-1", [block(5)])
    assert db.written_blocks(claim, 0, "snap-2", member=1) == [block(3)]
    assert db.written_blocks(claim, 0, "snap-1") == [block(5)]
    recorded = second.snapshot()
    assert recorded is not None and (recorded.snapshot_id, recorded.replacement) == ("snap-2", 2)
    assert db.disk_snapshot(claim, 0).snapshot_id == "snap-1"  # type: ignore[union-attr]
    with pytest.raises(StateError, match=r"disk 1\.2: snapshot snap-1 is not the current one"):
        second.blocks_written("snap-1", [block(1)])
    second.snapshot_forgotten("deleted")
    assert second.snapshot() is None and db.disk_snapshot(claim, 0) is not None
