"""SIGTERM stops ``vmimport import`` and ``vmimport batch`` as Ctrl-C does, as real processes:
the state kept, the results written, a message, exit 143; a rerun finishes with one import
task per entry."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.test_vmimport_batch import results, tasks_of, write_manifest
from tests.emulator.test_vmimport_batch_processes import batch, finish, real_time_lab
from tests.emulator.test_vmimport_import import tasks
from tests.support.children import signal_when, start_module
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import child_environ

#: an import of half an hour takes five seconds: long enough to be stopped while it runs
SPEED = 360.0


@pytest.fixture
def slow_lab(make_lab: Any) -> Lab:
    return real_time_lab(make_lab, SPEED)


def test_sigterm_stops_a_batch_keeping_its_state_and_writing_its_results(
    slow_lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, fixtures, 3, broken=set())
    child = batch(slow_lab, manifest, "--max-active", "1")
    stopped = signal_when(
        child,
        lambda lines: any("started the import task" in line for line in lines),
        sig=signal.SIGTERM,
        stderr=True,
    )
    assert any("started the import task" in line for line in stopped.lines), stopped
    assert child.returncode == 143 == ExitStatus.TERMINATED.value, stopped.stderr
    assert "stopped: the state is kept in" in stopped.stderr
    assert "vmimport: error: terminated (SIGTERM)" in stopped.stderr
    assert "internal error" not in stopped.stderr and "Traceback" not in stopped.stderr
    written = results(manifest)
    assert list(written) == ["vm-00", "vm-01", "vm-02"]
    (started,) = tasks(slow_lab)
    assert [row["import_task_id"] for row in written.values()].count(started["ImportTaskId"]) == 1
    with StateDB.open(tmp_path / "vms.yaml.state.sqlite") as db:
        assert all(entry.holder is None for entry in db.entries())  # claims released

    status, stderr = finish(batch(slow_lab, manifest, "--max-active", "1"))
    assert status == ExitStatus.OK, stderr
    for name in ("vm-00", "vm-01", "vm-02"):
        assert len(tasks_of(slow_lab, name)) == 1
    assert [row["status"] for row in results(manifest).values()] == ["done"] * 3


def test_sigterm_stops_an_import_waiting_for_its_task(
    slow_lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    environ = child_environ()
    argv = [
        "--endpoint-url",
        slow_lab.endpoint,
        "import",
        str(fixtures.path("mbr-linux.stream.vmdk")),
        "--bucket",
        BUCKET,
        "--state",
        str(state),
        "--poll-interval",
        "0.2",
    ]
    child = start_module("ec2_import_image.vmimport", argv, environ=environ)
    stopped = signal_when(
        child,
        lambda lines: any(line.startswith("waiting for import-ami-") for line in lines),
        sig=signal.SIGTERM,
        stderr=True,
    )
    assert child.returncode == ExitStatus.TERMINATED, stopped.stderr
    assert "stopped: the state is kept in" in stopped.stderr
    assert "vmimport: error: terminated (SIGTERM)" in stopped.stderr
    assert stopped.stdout == ""
    (task,) = tasks(slow_lab)
    with StateDB.open(state) as db:
        (entry,) = db.entries()
        assert entry.attempt.import_task_id == task["ImportTaskId"]

    again = start_module("ec2_import_image.vmimport", argv, environ=environ)
    out, err = again.communicate(timeout=300)
    assert again.returncode == ExitStatus.OK, err
    assert len(tasks(slow_lab)) == 1
    assert task["ImportTaskId"] in out
