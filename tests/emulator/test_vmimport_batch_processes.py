"""``vmimport batch`` as real processes against the emulator (real time, a fast speed):
killed with SIGKILL in the middle and run again, and two processes on one manifest.

Never twice: the emulator must hold exactly one import task per good entry,
and each good entry exactly one AMI, whatever the interruptions.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import Lab
from tests.emulator.test_vmimport_batch import (
    images_of,
    results,
    tasks_of,
    write_manifest,
)
from tests.emulator.test_vmimport_import import objects, tasks
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import child_environ

ROOT = Path(__file__).resolve().parents[2]
#: an import of half an hour takes half a second
SPEED = 3600.0
#: seconds a whole batch may take before the test gives up on it (never reached when it works)
DEADLINE = 300


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    return DiskFixtures(tmp_path_factory.mktemp("disks"))


def real_time_lab(make_lab: Any, speed: float) -> Lab:
    """An emulator on real time at ``speed``, the role and the bucket granted."""
    lab: Lab = make_lab(clock=time.monotonic, speed=speed)
    lab.role()
    return lab.grant()


@pytest.fixture
def fast_lab(make_lab: Any) -> Lab:
    return real_time_lab(make_lab, SPEED)


def batch(lab: Lab, manifest: Path, *argv: str) -> subprocess.Popen[str]:
    """``vmimport batch MANIFEST --poll-interval 0.2 ARGV...`` as a child process."""
    return start_module(
        "ec2_import_image.vmimport",
        ["--endpoint-url", lab.endpoint, "batch", str(manifest), "--poll-interval", "0.2", *argv],
        environ=child_environ(),
    )


def started(lines: Sequence[str]) -> int:
    return sum("started the import task" in line for line in lines)


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=DEADLINE)
    return process.returncode, stderr


def assert_once_each(lab: Lab, manifest: Path, names: Sequence[str], broken: set[str]) -> None:
    found = results(manifest)
    for name in names:
        if name in broken:
            assert tasks_of(lab, name) == [] and images_of(lab, name) == []
            assert found[name]["status"] == "failed" and found[name]["remedy"]
            continue
        assert len(tasks_of(lab, name)) == 1, name
        (image,) = images_of(lab, name)
        assert found[name]["status"] == "done" and found[name]["image_id"] == image["ImageId"]
    assert len(tasks(lab)) == len(names) - len(broken)


def test_a_batch_killed_with_sigkill_in_the_middle_resumes_and_imports_each_entry_once(
    fast_lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, fixtures, 10, broken={4})
    names = [f"vm-{i:02d}" for i in range(10)]
    first = batch(fast_lab, manifest, "--max-active", "2")
    seen = kill_when(first, lambda lines: started(lines) == 3, stderr=True)
    assert started(seen) == 3, seen
    started_before = len(tasks(fast_lab))
    assert 3 <= started_before < 9

    status, stderr = finish(batch(fast_lab, manifest, "--max-active", "2"))
    assert status == ExitStatus.PROBLEMS, stderr
    assert "9 of 10 imported, 1 failed" in stderr
    assert_once_each(fast_lab, manifest, names, broken={"vm-04"})
    assert objects(fast_lab) == []
    # a third run has nothing to do
    status, stderr = finish(batch(fast_lab, manifest, "--max-active", "2"))
    assert status == ExitStatus.PROBLEMS and "started the import task" not in stderr
    assert len(tasks(fast_lab)) == 9


@pytest.mark.parametrize("separate_state", [False, True], ids=["one-state", "two-states"])
def test_two_processes_on_one_manifest_start_one_task_per_entry(
    fast_lab: Lab, fixtures: DiskFixtures, tmp_path: Path, separate_state: bool
) -> None:
    manifest = write_manifest(tmp_path, fixtures, 6, broken=set())
    names = [f"vm-{i:02d}" for i in range(6)]
    extra = [["--state", str(tmp_path / f"host-{n}.sqlite")] for n in (1, 2)]
    processes = [
        batch(fast_lab, manifest, "--max-active", "3", *(extra[n] if separate_state else []))
        for n in range(2)
    ]
    ended = [finish(process) for process in processes]
    for status, stderr in ended:
        assert status == ExitStatus.OK, stderr
    assert_once_each(fast_lab, manifest, names, broken=set())
    if not separate_state:  # the claims split the work: each entry started by one process
        starts = [stderr.count("started the import task") for _, stderr in ended]
        assert sum(starts) == len(names)
    document = json.loads(manifest.with_name(manifest.name + ".results.json").read_text())
    assert [row["status"] for row in document["entries"]] == ["done"] * len(names)
