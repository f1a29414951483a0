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


def test_a_version_6_database_s_snapshot_and_blocks_migrate_and_a_rerun_continues_them(
    tmp_path: Path,
) -> None:
    """Migration 7 keeps the two tables as version 6 made them (an OVA's further disks have
    rows of ``disks`` of their own): a snapshot a version 6 run started, with its blocks, is
    the disk's, and a rerun records more blocks and completes it."""
    path = tmp_path / "state.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:6]) as old:
        old.put_entry(EntrySpec("web-1", ("/disks/web.ova",)))
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
        journal = db.snapshot_journal(claim, 0)
        kept = journal.snapshot()
        assert kept is not None and (kept.snapshot_id, kept.written) == ("snap-1", 2)
        assert kept.replacement == 0
        journal.blocks_written("snap-1", [block(2)])
        assert journal.written_blocks("snap-1", -1, 10) == [block(1), block(2), block(4)]
        journal.snapshot_completing("snap-1", 3, "aggregate")
        journal.snapshot_completed("snap-1", False, None)
        done = db.disk_snapshot(claim, 0)
        assert done is not None and (done.state, done.written) == (SnapshotState.COMPLETED, 3)
        # the OVA's second disk: a row of its own, with no snapshot yet
        second = db.member_position(claim, 0, 1, "/disks/web.ova!b.vmdk")
        assert second != 0 and db.disk_snapshot(claim, second) is None
    conn = sqlite3.connect(path)
    for table in ("disk_snapshots", "snapshot_blocks"):
        keys = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5]]
        assert "member" not in keys and keys[:2] == ["entry_id", "position"]
    conn.close()


def test_each_disk_of_an_ova_has_its_snapshot_in_its_own_row(db: StateDB) -> None:
    """An OVA's second disk is keyed by its row of ``disks`` (``member_position``), the one
    its upload is journaled in; its replacements are kept, its history says ``disk 1.2``."""
    db.put_entry(EntrySpec("web-1", ("/disks/web.ova", "/disks/data.raw")))
    claim = db.claim("web-1")
    db.record_snapshot(claim, 0, SNAPSHOT)
    row = db.member_position(claim, 0, 1, "/disks/web.ova!b.vmdk")
    assert row == 2  # after the entry's two disks
    second = db.snapshot_journal(claim, row, replacement=2)
    second.snapshot_started(SNAPSHOT._replace(snapshot_id="snap-2", client_token="t-2"))
    second.blocks_written("snap-2", [block(3)])
    db.record_blocks(claim, 0, "snap-1", [block(5)])
    assert db.written_blocks(claim, row, "snap-2") == [block(3)]
    assert db.written_blocks(claim, 0, "snap-1") == [block(5)]
    recorded = second.snapshot()
    assert recorded is not None and (recorded.snapshot_id, recorded.replacement) == ("snap-2", 2)
    assert db.disk_snapshot(claim, 0).snapshot_id == "snap-1"  # type: ignore[union-attr]
    assert db.disk_snapshot(claim, 1) is None  # the entry's second DISK
    with pytest.raises(StateError, match=r"disk 1\.2: snapshot snap-1 is not the current one"):
        second.blocks_written("snap-1", [block(1)])
    second.note("a line of its own")
    second.snapshot_forgotten("deleted")
    assert second.snapshot() is None and db.disk_snapshot(claim, 0) is not None
    history = [event.message for event in db.events("web-1")]
    assert "disk 1.2: snapshot snap-2 writing (8 GiB, replacement 2)" in history
    assert "disk 1.2: a line of its own" in history and "disk 1.2: deleted" in history


def test_an_ova_s_further_disk_keeps_its_snapshot_while_its_ova_does(db: StateDB) -> None:
    """A changed entry keeps the rows (and snapshots) of the further disks of an OVA it still
    has at the same place, and drops those of an OVA it no longer has there."""
    db.put_entry(EntrySpec("web-1", ("/disks/web.ova", "/disks/two.ova")))
    claim = db.claim("web-1")
    first = db.member_position(claim, 0, 1, "/disks/web.ova!b.vmdk")
    other = db.member_position(claim, 1, 1, "/disks/two.ova!b.vmdk")
    for row in (first, other):
        db.record_snapshot(claim, row, SNAPSHOT._replace(snapshot_id=f"snap-{row}"))
        db.record_blocks(claim, row, f"snap-{row}", [block(7)])
    db.release(claim)
    db.put_entry(EntrySpec("web-1", ("/disks/web.ova", "/disks/three.ova")))
    claim = db.claim("web-1")
    assert db.member_position(claim, 0, 1, "/disks/web.ova!b.vmdk") == first
    kept = db.disk_snapshot(claim, first)
    assert kept is not None and (kept.snapshot_id, kept.written) == (f"snap-{first}", 1)
    made = db.member_position(claim, 1, 1, "/disks/three.ova!b.vmdk")
    assert db.disk_snapshot(claim, made) is None
    assert db.written_blocks(claim, other, f"snap-{other}") == []
