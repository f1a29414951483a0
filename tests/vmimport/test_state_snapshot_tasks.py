"""The state's record of the snapshot road: each disk's ImportSnapshot task per attempt, and the
upload rows of an OVA's further disks (schema 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ec2_import_image.vmimport.state import schema
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import (
    EntrySpec,
    ObjectState,
    SnapshotTask,
    StoredObject,
)

OVA = EntrySpec("vm", ("/data/vm.ova", "/data/extra.vmdk"))


def test_each_disk_s_task_token_first_then_task_then_status(tmp_path: Path) -> None:
    with StateDB.open(tmp_path / "s.sqlite") as db:
        db.put_entry(OVA)
        claim = db.claim("vm")
        db.record_snapshot_tokens(claim, [(0, "vm.ova!a.vmdk", "t0"), (1, "vm.ova!b.vmdk", "t1")])
        db.record_snapshot_task(claim, 0, "import-snap-a")
        assert db.entry("vm").attempt.snapshot_tasks == (
            SnapshotTask(0, "vm.ova!a.vmdk", "t0", "import-snap-a"),
            SnapshotTask(1, "vm.ova!b.vmdk", "t1"),
        )
        db.record_snapshot_status(claim, 0, "active", None)
        db.record_snapshot_status(claim, 0, "completed", "snap-a")
        # the same tokens again (a rerun): the rows are kept as they are
        db.record_snapshot_tokens(claim, [(0, "vm.ova!a.vmdk", "t0"), (1, "vm.ova!b.vmdk", "t1")])
        assert db.snapshot_tasks(claim)[0] == SnapshotTask(
            0, "vm.ova!a.vmdk", "t0", "import-snap-a", "completed", "snap-a"
        )
        # another token for a disk (another request): its row starts again
        db.record_snapshot_tokens(claim, [(1, "vm.ova!b.vmdk", "t1-other")])
        assert db.snapshot_tasks(claim)[1] == SnapshotTask(1, "vm.ova!b.vmdk", "t1-other")
        # the next attempt has rows of its own; the first attempt's stay with it
        db.restart(claim)
        assert db.snapshot_tasks(claim) == ()
        assert db.entry("vm").attempt.snapshot_tasks == ()
        first, second = db.attempts("vm")
        assert [task.task_id for task in first.snapshot_tasks] == ["import-snap-a", None]
        assert second.snapshot_tasks == ()


OVA_ROWS = ["/data/vm.ova!b.vmdk", "/data/vm.ova!c.vmdk"]


def test_an_ova_s_further_disks_have_rows_of_their_own(tmp_path: Path) -> None:
    with StateDB.open(tmp_path / "s.sqlite") as db:
        db.put_entry(OVA)
        claim = db.claim("vm")
        assert db.member_position(claim, 0, 0, "/data/vm.ova!a.vmdk") == 0  # the OVA's own row
        second = db.member_position(claim, 0, 1, "/data/vm.ova!b.vmdk")
        third = db.member_position(claim, 0, 2, "/data/vm.ova!c.vmdk")
        assert (second, third) == (2, 3)  # after the entry's two disks
        assert db.member_position(claim, 0, 1, "/data/vm.ova!b.vmdk") == second
        stored = StoredObject("b", "k/b.vmdk", 10, "f" * 64, ObjectState.UPLOADED)
        db.journal(claim, second).object_stored(stored)
        # the entry's disks are its own; the rows of the OVA's disks are listed on request
        assert [d.source for d in db.disks("vm")] == ["/data/vm.ova", "/data/extra.vmdk"]
        listed = db.disks("vm", members=True)
        assert [d.source for d in listed][2:] == OVA_ROWS
        assert listed[2].object == stored
        assert db.entry("vm").spec.disks == OVA.disks
        db.release(claim)
        # the same spec again is the same entry (the further rows are not disks of it) ...
        assert db.put_entry(OVA).value == "same"
        # ... a changed one keeps those of the OVA it still has at the same place ...
        db.put_entry(EntrySpec("vm", ("/data/vm.ova",)))
        listed = db.disks("vm", members=True)
        assert [d.source for d in listed] == ["/data/vm.ova", *OVA_ROWS]
        assert listed[1].object == stored
        # ... and drops them with the OVA: they are made again from the new disks
        db.put_entry(EntrySpec("vm", ("/data/other.ova",)))
        assert [d.source for d in db.disks("vm", members=True)] == ["/data/other.ova"]


def test_a_version_6_database_gains_the_tables_of_the_snapshot_road(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with StateDB.open(path, migrations=schema.MIGRATIONS[:6]) as old:
        old.put_entry(OVA)
    with StateDB.open(path) as new:
        claim = new.claim("vm")
        assert new.entry("vm").attempt.snapshot_tasks == ()
        new.record_snapshot_tokens(claim, [(0, "vm.ova!a.vmdk", "t0")])
        assert new.member_position(claim, 0, 1, "vm.ova!b.vmdk") == 2
        assert len(new.disks("vm")) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    conn.close()
