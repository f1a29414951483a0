"""The snapshot road's tasks on the emulator: one ImportSnapshot per disk, started at most once
(the ClientToken, the tags found again without the state database), waited for on the shared
pacing, and a failed task explained as an image task's is."""

from __future__ import annotations

from typing import Any

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from ec2_import_emulator.snapshots import snapshot_blob
from ec2_import_image.importtasks.tasks import SNAPSHOT, fields, status, status_message, task_id
from ec2_import_image.vmimport.engine.discovery import discover_snapshot_tasks, find_tasks
from ec2_import_image.vmimport.engine.identity import TAG_DISK, Identity
from ec2_import_image.vmimport.engine.quota import active_task_ids
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.engine.snapshotroad import (
    Started,
    disk_tasks,
    first_failure,
    snapshot_ids,
    start_tasks,
    wait_tasks,
)
from ec2_import_image.vmimport.engine.starting import start_snapshot_import
from ec2_import_image.vmimport.engine.waiting import GaveUp, WaitLimits
from ec2_import_image.vmimport.explaining import explained
from ec2_import_image.vmimport.spec import ImportOptions
from tests.emulator.conftest import BUCKET, REGION, Lab

ACCOUNT = "123456789012"
IDENTITY = Identity("web-1", ("a" * 64, "b" * 64))


def _disks(lab: Lab, *data: tuple[str, bytes]) -> list[DiskObject]:
    disks = []
    for key, body in data:
        lab.upload(body, key)
        disks.append(DiskObject(f"s3://{BUCKET}/{key}", BUCKET, key, None, len(body)))
    return disks


def _plan(lab: Lab) -> Any:
    disks = _disks(
        lab,
        ("boot.vmdk", images.vmdk_stream_optimized()),
        ("data.raw", images.raw_mbr()),
    )
    tags = IDENTITY.tags([("team", "web")])
    return disk_tasks(IDENTITY, ImportOptions(), disks, ["VMDK", "RAW"], tags, attempt=1)


def _start(lab: Lab, planned: Any, recorded: dict[int, str] | None = None) -> list[Started]:
    told: list[Started] = []
    started = start_tasks(lab.ec2, IDENTITY, planned, recorded or {}, on_started=told.append)
    assert told == started
    return started


def _wait(lab: Lab, started: list[Started], limits: WaitLimits | None = None) -> Any:
    states: list[str] = []
    ended = wait_tasks(
        lab.ec2,
        started,
        limits=limits or WaitLimits(),
        clock=lab.clock,
        sleep=lab.elapse,
        on_state=lambda task: states.append(status(task)),
        note=lambda _: None,
    )
    return ended, states


def test_one_task_per_disk_with_the_request_and_tags() -> None:
    options = ImportOptions(
        role_name="disk-import", encrypted=True, kms_key_id="alias/disks", description="web"
    )
    disks = [DiskObject("boot.vmdk", BUCKET, "k/boot.vmdk", "a" * 64, 10)]
    (planned,) = disk_tasks(IDENTITY, options, disks, ["VMDK"], IDENTITY.tags([]), attempt=1)
    assert planned.request == {
        "DiskContainer": {
            "Format": "VMDK",
            "UserBucket": {"S3Bucket": BUCKET, "S3Key": "k/boot.vmdk"},
        },
        "Description": "web",
        "RoleName": "disk-import",
        "Encrypted": True,
        "KmsKeyId": "alias/disks",
        "TagSpecifications": [
            {
                "ResourceType": "import-snapshot-task",
                "Tags": [
                    {"Key": TAG_DISK, "Value": "1"},
                    {"Key": "vmimport:name", "Value": "web-1"},
                    {"Key": "vmimport:sha256", "Value": IDENTITY.sha256},
                ],
            }
        ],
    }
    again = disk_tasks(IDENTITY, options, disks, ["VMDK"], IDENTITY.tags([]), attempt=1)
    assert again[0].token == planned.token and len(planned.token) == 64
    (retry,) = disk_tasks(IDENTITY, options, disks, ["VMDK"], IDENTITY.tags([]), attempt=2)
    assert retry.token != planned.token


def test_tasks_complete_into_snapshots_of_the_disks(lab: Lab) -> None:
    planned = _plan(lab)
    started = _start(lab, planned)
    assert [s.how for s in started] == ["started", "started"]
    assert all(s.fresh for s in started)
    ended, states = _wait(lab, started)
    assert first_failure(ended) is None
    assert states[-1] == "completed" and "active" in states
    found = snapshot_ids(ended)
    assert len(found) == 2 and all(name.startswith("snap-") for name in found)
    raw = images.raw_mbr()
    blob = snapshot_blob(ACCOUNT, REGION, found[1])
    assert blob.read(0, len(raw)) == raw
    task = ended[0]
    tags = {tag["Key"]: tag["Value"] for tag in task["Tags"]}
    assert tags == {
        "team": "web",
        "vmimport:name": "web-1",
        "vmimport:sha256": IDENTITY.sha256,
        TAG_DISK: "1",
    }


def test_a_rerun_adopts_the_tasks_it_started(lab: Lab) -> None:
    planned = _plan(lab)
    first = _start(lab, planned)
    # the same token answers the same task
    again = start_snapshot_import(lab.ec2, planned[0].request, planned[0].token)
    assert task_id(again) == task_id(first[0].task)
    # without the state database: found by the tags, nothing started
    rerun = _start(lab, planned)
    assert [s.how for s in rerun] == ["found", "found"]
    assert [task_id(s.task) for s in rerun] == [task_id(s.task) for s in first]
    # with it: the recorded task, not even looked for
    recorded = _start(lab, planned, {0: task_id(first[0].task), 1: task_id(first[1].task)})
    assert [s.how for s in recorded] == ["recorded", "recorded"]
    ended, _ = _wait(lab, recorded)
    assert len(find_tasks(lab.ec2, IDENTITY, SNAPSHOT)) == 2
    assert len(lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == 2
    assert snapshot_ids(ended) == [str(fields(ended[i])["SnapshotId"]) for i in (0, 1)]


def test_a_completed_task_whose_snapshot_is_gone_is_not_adopted(lab: Lab) -> None:
    planned = _plan(lab)
    ended, _ = _wait(lab, _start(lab, planned))
    gone = snapshot_ids(ended)[0]
    lab.ec2.delete_snapshot(SnapshotId=gone)
    found = discover_snapshot_tasks(lab.ec2, IDENTITY, 2)
    assert list(found) == [1]


def test_a_failed_task_is_explained_as_an_image_task(lab: Lab) -> None:
    disks = _disks(lab, ("disk.vhdx", images.vhdx()))
    planned = disk_tasks(IDENTITY, ImportOptions(), disks, ["VHD"], IDENTITY.tags([]), attempt=1)
    ended, _ = _wait(lab, _start(lab, planned))
    failed = first_failure(ended)
    assert failed is not None and status(failed) == "deleted"
    message = status_message(failed)
    assert message.startswith("ClientError: Disk validation failed")
    assert explained(message).code == "disk-validation"
    # a deleted task is an earlier failure: not adopted
    assert discover_snapshot_tasks(lab.ec2, IDENTITY, 1) == {}


def test_max_wait_counts_for_every_disk(lab: Lab) -> None:
    started = _start(lab, _plan(lab))
    limit = lifecycle.SNAPSHOT_COMPLETED_AT / 2
    with pytest.raises(GaveUp, match="--max-wait"):
        _wait(lab, started, WaitLimits(max_wait=limit))


def test_snapshot_tasks_count_against_the_quota_of_active_tasks(lab: Lab) -> None:
    started = _start(lab, _plan(lab))
    image = lab.start("RAW", images.raw_mbr(), key="image.raw")
    assert active_task_ids(lab.ec2) == {image, *(task_id(s.task) for s in started)}
    _wait(lab, started)
    assert active_task_ids(lab.ec2) <= {image}
