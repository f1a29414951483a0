"""``vmimport batch`` with snapshot-road entries on the emulator: ``--max-active`` bounds their
ImportSnapshot tasks as it bounds ImportImage tasks (one gate, ``engine.slots``), and
``--dry-run`` and ``--status`` say what the snapshot road does."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.test_vmimport_import import tags_of
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import Outcome, vmimport

DISK = "gpt-uefi.stream.vmdk"


def _manifest(folder: Path, disks: DiskFixtures, names: list[str], per_entry: int) -> Path:
    """Snapshot-road entries of ``per_entry`` disks each (copies of one UEFI VMDK)."""
    lines = ["defaults:", f"  bucket: {BUCKET}", "  via: snapshot", "entries:"]
    for name in names:
        paths = []
        for position in range(per_entry):
            path = folder / f"{name}-{position}.vmdk"
            shutil.copyfile(disks.path(DISK), path)
            paths.append(str(path))
        lines += [f"  - name: {name}", f"    disks: [{', '.join(paths)}]"]
    manifest = folder / "vms.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def _active(lab: Lab) -> int:
    """The account's active import tasks, snapshot and image."""
    snapshots = lab.ec2.describe_import_snapshot_tasks()["ImportSnapshotTasks"]
    images = lab.ec2.describe_import_image_tasks()["ImportImageTasks"]
    states = [task["SnapshotTaskDetail"]["Status"] for task in snapshots]
    states += [task["Status"] for task in images]
    return sum(1 for state in states if state == "active")


def _run_under_one_slot(lab: Lab, manifest: Path) -> Outcome:
    """The batch with ``--max-active 1``, the account's active tasks sampled at each of its
    sleeps (any thread's): never more than one, and every entry done."""
    seen: list[int] = []
    sampling = threading.Lock()

    def sleep(seconds: float) -> None:
        with sampling:
            seen.append(_active(lab))
        lab.clock.advance(seconds)

    argv = ("batch", str(manifest), "--max-active", "1")
    outcome = vmimport(lab.endpoint, *argv, clock=lab.clock, sleep=sleep)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert seen and max(seen) == 1, seen
    return outcome


def test_max_active_bounds_the_snapshot_tasks(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    # two disks an entry: without the gate, one entry alone would have two tasks active
    manifest = _manifest(tmp_path, disks, ["vm-a", "vm-b", "vm-c"], per_entry=2)
    outcome = _run_under_one_slot(granted, manifest)
    tasks = granted.ec2.describe_import_snapshot_tasks()["ImportSnapshotTasks"]
    assert len(tasks) == 6
    assert {task["SnapshotTaskDetail"]["Status"] for task in tasks} == {"completed"}
    images = granted.ec2.describe_images(Owners=["self"])["Images"]
    assert sorted(tags_of(image)["vmimport:name"] for image in images) == [
        "vm-a",
        "vm-b",
        "vm-c",
    ]
    assert "(--max-active 1): waiting for a slot" in outcome.stderr


def test_an_image_task_and_a_snapshot_task_share_max_active(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    # the image entry waits for its task outside the workers: without one gate, the snapshot
    # entry claimed meanwhile would start its task beside it
    image = tmp_path / "img.vmdk"
    shutil.copyfile(disks.path(DISK), image)
    manifest = _manifest(tmp_path, disks, ["vm-s"], per_entry=1)
    lines = manifest.read_text().splitlines()
    lines[4:4] = ["  - name: vm-i", "    via: image", f"    disks: [{image}]"]
    manifest.write_text("\n".join(lines) + "\n")
    outcome = _run_under_one_slot(granted, manifest)
    assert "(--max-active 1): waiting for a slot" in outcome.stderr
    images = granted.ec2.describe_images(Owners=["self"])["Images"]
    assert sorted(tags_of(image)["vmimport:via"] for image in images) == ["image", "snapshot"]


def _look(lab: Lab, manifest: Path, *argv: str) -> list[dict[str, Any]]:
    outcome = vmimport(lab.endpoint, "batch", str(manifest), "--json", *argv)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    rows: list[dict[str, Any]] = json.loads(outcome.stdout)
    return rows


def test_dry_run_and_status_say_the_snapshot_roads_calls(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, disks, ["vm-a"], per_entry=2)
    (step,) = _look(granted, manifest, "--dry-run")
    assert step["action"] == "upload"
    assert step["detail"].endswith(
        "then 2 ImportSnapshot task(s), one per disk, and RegisterImage (--via snapshot)"
    )
    assert f"s3://{BUCKET}/vmimport/vm-a/vm-a-1.vmdk" in step["detail"]
    (row,) = _look(granted, manifest, "--status")
    assert (row["phase"], row["via"]) == ("pending", "snapshot")
    assert row["note"].startswith("2 ImportSnapshot task(s), one per disk")
    shown = vmimport(granted.endpoint, "batch", str(manifest), "--status")
    header, line = shown.stdout.splitlines()[:2]
    assert "via" in header.split() and "snapshot" in line.split()
    ran = vmimport(
        granted.endpoint, "batch", str(manifest), clock=granted.clock, sleep=granted.clock.advance
    )
    assert ran.status == ExitStatus.OK, ran.stderr
    (done,) = _look(granted, manifest, "--status")
    assert (done["phase"], done["via"], done["note"]) == ("done", "snapshot", None)
    assert granted.ec2.describe_import_image_tasks()["ImportImageTasks"] == []
