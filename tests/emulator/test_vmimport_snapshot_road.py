"""``vmimport import --via snapshot`` on the emulator, end to end: the disks on S3 (an OVA's disk
as its own object, locally streamed from the archive or copied by S3 with UploadPartCopy),
ImportSnapshot per disk, RegisterImage; the AMI boots UEFI with ENA and its root snapshot read
back is the disk's virtual content; ``kill -9`` during the wait and a rerun leave one task, one
snapshot, one AMI; a qcow2 is refused by ``check --via snapshot`` with the roads that take it.

An OVA of two disks (scripts/make-ova-fixtures.sh: qemu-img, sgdisk, mke2fs and tar; the
archive holds the data disk first, the OVF lists the boot disk first) gives two tasks and an
AMI whose snapshots read back as ``qemu-img convert -O raw`` of each disk (the recorded
oracles), the boot disk's first; each disk's task is recorded in the state (a rerun after
``kill -9`` waits for the recorded tasks), in ``import``'s result and the results files;
``--no-wait`` returns once the tasks started, and a rerun waits and registers."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples as images
from ec2_import_emulator.snapshots import snapshot_blob
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.emulator.test_vmimport_import import objects, run_import, tags_of
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import (
    TWO_DISK_MEMBERS,
    TWO_DISK_OVA,
    DiskFixtures,
    member_raw,
)
from tests.support.vmimport_run import vmimport

ACCOUNT = "123456789012"
GIB = 1024**3


def _snapshot_tasks(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_import_snapshot_tasks()["ImportSnapshotTasks"])


def _snapshots(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])


def _images(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_images(Owners=["self"])["Images"])


def _assert_the_ami_holds(lab: Lab, image_id: str, raw: Path) -> None:
    """UEFI, ENA, and the root snapshot read back equals the raw disk (zeros after it)."""
    (image,) = lab.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert (image["BootMode"], image["EnaSupport"]) == ("uefi", True)
    assert tags_of(image)["vmimport:via"] == "snapshot"
    root = image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    blob = snapshot_blob(ACCOUNT, REGION, root)
    data = raw.read_bytes()
    assert blob.size == -(-len(data) // GIB) * GIB
    assert blob.read(0, len(data)) == data
    tail = min(blob.size - len(data), 4 * 1024 * 1024)
    assert blob.read(len(data), tail) == bytes(tail)


def _local_then_on_s3(
    lab: Lab, ova: Path, key: str, state: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``ova`` imported by the snapshot road from its file (``local``), then from S3 at ``key``
    (``remote``): each result.  Each of its disks' objects is deleted once imported, as
    uploads are (a local OVA's: uploaded by span; an S3 OVA's: copied by UploadPartCopy); the
    OVA on S3 is not this tool's, and stays."""
    local = run_import(lab, str(ova), "--via", "snapshot", "--name", "local", state=state)
    assert local.status == ExitStatus.OK, local.stderr
    assert objects(lab) == []
    lab.s3.put_object(Bucket=BUCKET, Key=key, Body=ova.read_bytes())
    remote = run_import(
        lab, f"s3://{BUCKET}/{key}", "--via", "snapshot", "--name", "remote", state=state
    )
    assert remote.status == ExitStatus.OK, remote.stderr
    assert objects(lab) == [key]
    return json.loads(local.stdout), json.loads(remote.stdout)


@pytest.fixture
def raw(disks: DiskFixtures) -> Path:
    return disks.path("gpt-uefi.raw")


def test_a_uefi_vmdk_by_the_snapshot_road(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    outcome = run_import(
        granted, str(vmdk), "--via", "snapshot", "--name", "web-1", state=tmp_path / "s"
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    _assert_the_ami_holds(granted, result["image_id"], raw)
    (task,) = _snapshot_tasks(granted)
    assert task["SnapshotTaskDetail"]["Status"] == "completed"
    assert tags_of(task)["vmimport:disk"] == "1"
    assert granted.ec2.describe_import_image_tasks()["ImportImageTasks"] == []
    again = run_import(
        granted, str(vmdk), "--via", "snapshot", "--name", "web-1", state=tmp_path / "s"
    )
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout)["image_id"] == result["image_id"]
    assert len(_snapshot_tasks(granted)) == 1 and len(_images(granted)) == 1


def test_an_ova_local_and_on_s3(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    ova = tmp_path / "web-1.ova"
    ova.write_bytes(images.ova([disks.path("gpt-uefi.stream.vmdk").read_bytes()]))
    local, remote = _local_then_on_s3(granted, ova, "vms/web-1.ova", tmp_path / "s")
    _assert_the_ami_holds(granted, local["image_id"], raw)
    _assert_the_ami_holds(granted, remote["image_id"], raw)


def _killed_in_the_wait(lab: Lab, disk: Path, state: Path, *more: str) -> list[str]:
    """``import DISK --via snapshot`` in a child killed (SIGKILL) at its first poll of the tasks
    it started (the lookup by tags before the starts goes out): its arguments, to run again."""
    argv = ["import", str(disk), "--via", "snapshot", *more, "--bucket", BUCKET]
    argv += ["--state", str(state), "--poll-interval", "1"]
    child = start_module(
        "tests.support.gated_child", [lab.endpoint, "DescribeImportSnapshotTasks", "1", *argv]
    )
    lines = kill_when(child, lambda lines: "blocked" in lines)
    assert "blocked" in lines, lines
    return argv


def test_killed_during_the_snapshot_task_wait_then_rerun(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    argv = _killed_in_the_wait(granted, vmdk, tmp_path / "s")
    assert len(_snapshot_tasks(granted)) == 1
    outcome = vmimport(granted.endpoint, *argv, clock=granted.clock, sleep=granted.clock.advance)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    _assert_the_ami_holds(granted, json.loads(outcome.stdout)["image_id"], raw)
    assert len(_snapshot_tasks(granted)) == 1
    assert len(_snapshots(granted)) == 1
    assert len(_images(granted)) == 1


def test_a_qcow2_is_refused_for_the_snapshot_road(lab: Lab, disks: DiskFixtures) -> None:
    outcome = vmimport(
        lab.endpoint, "check", "--via", "snapshot", str(disks.path("gpt-uefi.qcow2"))
    )
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    said = outcome.stdout + outcome.stderr
    assert "QCOW2" in said and "--via direct" in said


def test_a_batch_by_the_snapshot_road(granted: Lab, disks: DiskFixtures, tmp_path: Path) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    lines = ["defaults:", f"  bucket: {BUCKET}", "  via: snapshot", "entries:"]
    for name in ("vm-a", "vm-b"):
        lines += [f"  - name: {name}", f"    disks: [{vmdk}]"]
    manifest = tmp_path / "vms.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    outcome = vmimport(
        granted.endpoint,
        "batch",
        str(manifest),
        clock=granted.clock,
        sleep=granted.clock.advance,
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert len(_snapshot_tasks(granted)) == 2 and len(_images(granted)) == 2
    names = {tags_of(image)["vmimport:name"] for image in _images(granted)}
    assert names == {"vm-a", "vm-b"}
    # each entry's task per disk, in the results files (version 3)
    tasks = {
        tags_of(task)["vmimport:name"]: task["ImportTaskId"] for task in _snapshot_tasks(granted)
    }
    document = json.loads((tmp_path / "vms.yaml.results.json").read_text())
    assert document["version"] == 3
    assert {row["entry"]: row["snapshot_tasks"] for row in document["entries"]} == {
        name: [task] for name, task in tasks.items()
    }
    with (tmp_path / "vms.yaml.results.csv").open(newline="") as source:
        table = {row["entry"]: row["snapshot_tasks"] for row in csv.DictReader(source)}
    assert table == tasks


TWO_DISKS = TWO_DISK_OVA


def _assert_the_two_disks(lab: Lab, image_id: str) -> None:
    """The AMI maps the boot disk's snapshot first, the data disk's after; each reads back as
    its disk converted to RAW by qemu-img, zeros after it."""
    (image,) = lab.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert (image["BootMode"], image["EnaSupport"]) == ("uefi", True)
    mappings = image["BlockDeviceMappings"]
    assert len(mappings) == 2 and mappings[0]["DeviceName"] == image["RootDeviceName"]
    for mapping, member in zip(mappings, TWO_DISK_MEMBERS, strict=True):
        size, digest = member_raw(member)
        blob = snapshot_blob(ACCOUNT, REGION, mapping["Ebs"]["SnapshotId"])
        assert blob.size == -(-size // GIB) * GIB
        read = hashlib.sha256()
        for offset in range(0, size, 8 * 1024 * 1024):
            read.update(blob.read(offset, min(8 * 1024 * 1024, size - offset)))
        assert read.hexdigest() == digest, member
        tail = min(blob.size - size, 4 * 1024 * 1024)
        assert blob.read(size, tail) == bytes(tail)


def _task_ids_by_disk(lab: Lab) -> dict[str, str]:
    """The import's tasks by their ``vmimport:disk`` tag (one import in the lab)."""
    return {tags_of(task)["vmimport:disk"]: task["ImportTaskId"] for task in _snapshot_tasks(lab)}


def test_an_ova_of_two_disks_local_and_on_s3(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    ova = disks.path(TWO_DISKS)
    check = vmimport(granted.endpoint, "check", "--via", "snapshot", "--bucket", BUCKET, str(ova))
    assert check.status == ExitStatus.OK, check.stdout + check.stderr
    local, remote = _local_then_on_s3(granted, ova, "vms/two.ova", tmp_path / "s")
    for result in (local, remote):
        _assert_the_two_disks(granted, result["image_id"])
    tasks = {
        (tags_of(task)["vmimport:name"], tags_of(task)["vmimport:disk"]): task["ImportTaskId"]
        for task in _snapshot_tasks(granted)
    }
    assert len(tasks) == 4 and len(_images(granted)) == 2
    for name, result in (("local", local), ("remote", remote)):  # in disk order
        assert result["snapshot_tasks"] == [tasks[(name, "1")], tasks[(name, "2")]]


def test_killed_during_the_wait_of_two_disks_then_rerun_waits_for_the_recorded_tasks(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    argv = _killed_in_the_wait(granted, disks.path(TWO_DISKS), state, "--name", "two")
    started = _task_ids_by_disk(granted)
    assert len(started) == 2
    with StateDB.open(state) as db:  # what the killed run recorded: each disk's task
        recorded = db.entry("two").attempt.snapshot_tasks
    assert [task.task_id for task in recorded] == [started["1"], started["2"]]
    assert all(task.client_token for task in recorded)
    outcome = vmimport(granted.endpoint, *argv, clock=granted.clock, sleep=granted.clock.advance)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert f"disk 1: recorded {started['1']}" in outcome.stderr
    assert f"disk 2: recorded {started['2']}" in outcome.stderr
    _assert_the_two_disks(granted, json.loads(outcome.stdout)["image_id"])
    assert _task_ids_by_disk(granted) == started
    assert len(_snapshots(granted)) == 2
    assert len(_images(granted)) == 1
    with StateDB.open(state) as db:
        done = db.entry("two").attempt.snapshot_tasks
    assert [(task.status, bool(task.snapshot_id)) for task in done] == [("completed", True)] * 2


def test_no_wait_returns_once_the_tasks_started_and_a_rerun_registers(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    ova = str(disks.path(TWO_DISKS))
    state = tmp_path / "s"
    early = run_import(granted, ova, "--via", "snapshot", "--name", "two", "--no-wait", state=state)
    assert early.status == ExitStatus.OK, early.stderr
    started = json.loads(early.stdout)
    by_disk = _task_ids_by_disk(granted)
    assert started["image_id"] is None and started["via"] == "snapshot"
    assert started["snapshot_tasks"] == [by_disk["1"], by_disk["2"]]
    assert all(
        task["SnapshotTaskDetail"]["Status"] == "active" for task in _snapshot_tasks(granted)
    )
    assert _images(granted) == []
    again = run_import(granted, ova, "--via", "snapshot", "--name", "two", "--no-wait", state=state)
    assert again.status == ExitStatus.OK, again.stderr  # still running: said again, not waited
    assert json.loads(again.stdout)["snapshot_tasks"] == started["snapshot_tasks"]
    assert _images(granted) == []
    done = run_import(granted, ova, "--via", "snapshot", "--name", "two", state=state)
    assert done.status == ExitStatus.OK, done.stderr
    result = json.loads(done.stdout)
    _assert_the_two_disks(granted, result["image_id"])
    assert result["snapshot_tasks"] == started["snapshot_tasks"]
    # each disk's task said, and in the entry's history, as it ended
    with StateDB.open(state) as db:
        history = [event.message for event in db.events("two")]
    for task in started["snapshot_tasks"]:
        assert f"{task}: completed" in done.stderr
        assert f"{task}: completed" in history
    assert _task_ids_by_disk(granted) == by_disk and len(_images(granted)) == 1
