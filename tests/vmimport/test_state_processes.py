"""The state database across real processes: kill -9 at any moment, two processes claiming."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.errors import Busy
from ec2_import_image.vmimport.state.records import EntrySpec, Phase

ROOT = Path(__file__).resolve().parents[2]


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.vmimport.state_child", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
    )


def read_until(process: subprocess.Popen[str], wanted: str) -> list[str]:
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.strip() == wanted:
            return lines
    raise AssertionError(f"the child ended before printing {wanted!r}: {lines}")


def kill_9(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("kill_after", [1, 7, 23])
def test_kill_9_loses_no_committed_step_and_a_rerun_continues(
    tmp_path: Path, kill_after: int
) -> None:
    path = tmp_path / "state.sqlite"
    total = 60
    worker = child("steps", str(path), str(total))
    read_until(worker, f"committed {kill_after}")
    kill_9(worker)  # mid-way through whatever it was doing
    assert integrity(path) == "ok"
    with StateDB.open(path) as db:
        upload = db.disks("disk")[0].upload
        assert upload is not None
        recorded = [part.number for part in upload.parts]
        assert recorded[:kill_after] == list(range(1, kill_after + 1))
        assert recorded == list(range(1, len(recorded) + 1))
        assert db.entry("disk").phase is Phase.PENDING
    rerun = child("steps", str(path), str(total))
    lines = read_until(rerun, "finished")
    rerun.communicate()
    first = int(lines[0].split()[1]) if lines[0] != "finished" else total + 1
    assert first == len(recorded) + 1  # it continued where the first stopped
    with StateDB.open(path) as db:
        upload = db.disks("disk")[0].upload
        assert upload is not None
        assert [part.number for part in upload.parts] == list(range(1, total + 1))
        assert db.entry("disk").phase is Phase.DONE
        assert db.entry("disk").holder is not None  # the rerun took the dead process's claim
        messages = [event.message for event in db.events("disk")]
        assert any(m.startswith("taken over from process ") for m in messages)


def test_two_processes_claim_every_entry_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    names = [f"vm-{i:02}" for i in range(40)]
    with StateDB.open(path) as db:
        db.put_entries([EntrySpec(name, (f"/data/{name}.vmdk",)) for name in names])
    go = tmp_path / "go"
    workers = [child("claim", str(path), worker, str(go)) for worker in ("a", "b")]
    go.touch()
    outputs = [w.communicate()[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    done = sum(int(out.split()[-1]) for out in outputs)
    assert done == len(names)
    with StateDB.open(path) as db:
        for name in names:
            worked = [e.message for e in db.events(name) if e.message.startswith("worked by")]
            assert len(worked) == 1, (name, worked)
            assert db.entry(name).phase is Phase.DONE


def test_a_live_holder_blocks_another_process_until_it_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateDB.open(path) as db:
        db.put_entry(EntrySpec("web-1", ("/data/web-1.vmdk",)))
    holder = child("hold", str(path), "web-1")
    try:
        read_until(holder, "held")
        with StateDB.open(path) as db:
            with pytest.raises(Busy, match=f"by process {holder.pid} on "):
                db.claim("web-1")
            kill_9(holder)
            claim = db.claim("web-1")  # at once: the holder is gone, its lease not expired
            assert claim.owner == db.owner.encode()
    finally:
        if holder.poll() is None:
            kill_9(holder)


def test_processes_opening_a_new_database_at_once_all_get_it(tmp_path: Path) -> None:
    for trial in range(3):
        path = tmp_path / f"state-{trial}.sqlite"
        go = tmp_path / f"go-{trial}"
        workers = [child("open", str(path), f"entry-{n}", str(go)) for n in range(6)]
        go.touch()
        outputs = [worker.communicate()[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0] * 6, outputs
        with StateDB.open(path) as db:
            assert len(db.entries()) == 60
