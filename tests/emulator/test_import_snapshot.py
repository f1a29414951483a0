"""ImportSnapshot, DescribeImportSnapshotTasks and CancelImportTask of snapshot tasks.

The snapshot's content is read back as a client reads it (EBS direct's
ListSnapshotBlocks and GetSnapshotBlock) and compared with the raw disk the
fixture recipe made with real tools (scripts/make-disk-fixtures.sh: the VMDK
and VHD are ``qemu-img convert`` of that raw disk, and ``qemu-img compare``
found them identical: the fixtures' oracle files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from ec2_import_emulator.snapshots import UnknownSnapshot, snapshot_blob
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.emulator.snapshotlab import GIB, ebs_client, error, read_blocks, volume_from
from tests.support.diskfixtures import DiskFixtures

ACCOUNT = "123456789012"
UNSUPPORTED = "ClientError: Disk validation failed [Unsupported specified file format]"


def _import(lab: Lab, fmt: str, data: bytes, key: str = "disk.img", **params: Any) -> str:
    bucket = lab.upload(data, key)
    reply = lab.ec2.import_snapshot(DiskContainer={"Format": fmt, "UserBucket": bucket}, **params)
    return str(reply["ImportTaskId"])


def _task(lab: Lab, task_id: str) -> dict[str, Any]:
    tasks = lab.ec2.describe_import_snapshot_tasks(ImportTaskIds=[task_id])["ImportSnapshotTasks"]
    assert len(tasks) == 1
    return dict(tasks[0])


def _detail(lab: Lab, task_id: str) -> dict[str, Any]:
    return dict(_task(lab, task_id)["SnapshotTaskDetail"])


def _ids(reply: dict[str, Any]) -> list[str]:
    return [task["ImportTaskId"] for task in reply["ImportSnapshotTasks"]]


def _snapshot(lab: Lab, snapshot_id: str) -> dict[str, Any]:
    (found,) = lab.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return dict(found)


def _completed(lab: Lab, task_id: str) -> str:
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    detail = _detail(lab, task_id)
    assert detail["Status"] == "completed", detail
    return str(detail["SnapshotId"])


def test_reply_is_pending(lab: Lab) -> None:
    bucket = lab.upload(images.vmdk_stream_optimized(), "vms/disk.vmdk")
    reply = lab.ec2.import_snapshot(
        Description="my server disk",
        DiskContainer={"Format": "vmdk", "UserBucket": bucket, "Description": "ignored"},
    )
    reply.pop("ResponseMetadata")
    task_id = reply["ImportTaskId"]
    assert task_id.startswith("import-snap-") and len(task_id) == len("import-snap-") + 17
    assert reply == {
        "Description": "my server disk",
        "ImportTaskId": task_id,
        "SnapshotTaskDetail": {
            "Description": "my server disk",
            "DiskImageSize": 0.0,
            "Format": "VMDK",
            "Progress": "3",
            "Status": "active",
            "StatusMessage": "pending",
            "UserBucket": {"S3Bucket": BUCKET, "S3Key": "vms/disk.vmdk"},
        },
        "Tags": [],
    }


def test_phases_then_a_completed_snapshot(lab: Lab) -> None:
    disk = images.vmdk_stream_optimized()
    task_id = _import(lab, "VMDK", disk)
    lab.elapse(lifecycle.SNAPSHOT_PHASES[1].start)
    detail = _detail(lab, task_id)
    assert (detail["Status"], detail["StatusMessage"]) == ("active", "downloading/converting")
    assert detail["DiskImageSize"] == float(len(disk))
    progress = [int(detail["Progress"])]
    for _ in range(3):
        lab.elapse(200)
        progress.append(int(_detail(lab, task_id)["Progress"]))
    assert progress == sorted(progress) and progress[0] < progress[-1]
    assert all(10 <= value <= 95 for value in progress)
    assert "SnapshotId" not in detail
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    detail = _detail(lab, task_id)
    assert detail["Status"] == "completed"
    assert "Progress" not in detail and "StatusMessage" not in detail
    assert detail["DiskImageSize"] == float(len(disk))
    snapshot = _snapshot(lab, detail["SnapshotId"])
    assert snapshot["State"] == "completed"
    assert snapshot["VolumeSize"] == 1
    assert snapshot["Encrypted"] is False
    assert snapshot["Description"] == f"Created by AWS-VMImport service for {task_id}"


def test_the_snapshot_is_not_tagged_with_the_task_tags(lab: Lab) -> None:
    tags = [{"Key": "vmimport:id", "Value": "web-1"}]
    task_id = _import(
        lab,
        "RAW",
        images.raw_mbr(),
        TagSpecifications=[{"ResourceType": "import-snapshot-task", "Tags": tags}],
    )
    assert _task(lab, task_id)["Tags"] == tags
    snapshot_id = _completed(lab, task_id)
    assert _snapshot(lab, snapshot_id)["Tags"] == []


def test_volume_size_is_the_virtual_size_in_gib_rounded_up(lab: Lab) -> None:
    sectors = GIB // 512 + 1
    task_id = _import(lab, "VMDK", images.vmdk_stream_optimized(capacity=sectors))
    snapshot_id = _completed(lab, task_id)
    assert _snapshot(lab, snapshot_id)["VolumeSize"] == 2
    assert snapshot_blob(ACCOUNT, REGION, snapshot_id).size == 2 * GIB


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("gpt-uefi.stream.vmdk", "VMDK"),
        ("gpt-uefi.dynamic.vhd", "VHD"),
        ("gpt-uefi.raw", "RAW"),
    ],
)
def test_the_snapshot_holds_the_virtual_disk(
    lab: Lab, fixtures: DiskFixtures, name: str, fmt: str
) -> None:
    task_id = _import(lab, fmt, fixtures.path(name).read_bytes(), key=name)
    snapshot_id = _completed(lab, task_id)
    raw = fixtures.path("gpt-uefi.raw").read_bytes()
    blocks = read_blocks(ebs_client(lab), snapshot_id)
    assert volume_from(blocks, GIB) == raw.ljust(GIB, b"\0")
    blob = snapshot_blob(ACCOUNT, REGION, snapshot_id)
    assert blob.read(0, len(raw)) == raw
    assert blob.read(len(raw), 4096) == bytes(4096)


def test_a_data_disk_needs_no_partition_table(lab: Lab) -> None:
    data = images.raw_without_table()
    snapshot_id = _completed(lab, _import(lab, "RAW", data))
    blocks = read_blocks(ebs_client(lab), snapshot_id)
    assert list(blocks) == [0]
    assert blocks[0] == data.ljust(len(blocks[0]), b"\0")


def test_a_url_disk(lab: Lab) -> None:
    lab.upload(images.raw_mbr(), "url.raw")
    url = f"s3://{BUCKET}/url.raw"
    reply = lab.ec2.import_snapshot(DiskContainer={"Format": "RAW", "Url": url})
    detail = reply["SnapshotTaskDetail"]
    assert detail["Url"] == url and "UserBucket" not in detail
    snapshot_id = _completed(lab, reply["ImportTaskId"])
    blocks = read_blocks(ebs_client(lab), snapshot_id)
    assert blocks[0][: len(images.raw_mbr())] == images.raw_mbr()


@pytest.mark.parametrize("fmt", ["VHDX", "ova"])
def test_formats_import_snapshot_does_not_take_fail_the_task(lab: Lab, fmt: str) -> None:
    data = images.vhdx() if fmt == "VHDX" else images.ova()
    task_id = _import(lab, fmt, data)
    assert _detail(lab, task_id)["Status"] == "active"
    lab.elapse(lifecycle.SNAPSHOT_FAILED_AT)
    detail = _detail(lab, task_id)
    assert (detail["Status"], detail["StatusMessage"]) == ("deleted", UNSUPPORTED)
    assert detail["DiskImageSize"] == 0.0
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    assert lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_the_disk_judgements_of_image_tasks(lab: Lab) -> None:
    task_id = _import(lab, "VMDK", images.vmdk_monolithic_sparse())
    lab.elapse(lifecycle.SNAPSHOT_FAILED_AT)
    detail = _detail(lab, task_id)
    assert (detail["Status"], detail["StatusMessage"]) == (
        "deleted",
        "ClientError: Unsupported VMDK File Format",
    )


def test_parameter_errors(lab: Lab) -> None:
    bucket = lab.upload(images.raw_mbr())
    call = lab.ec2.import_snapshot
    assert error(call, DiskContainer={"Format": "qcow2", "UserBucket": bucket})["Message"] == (
        "Value (qcow2) for parameter DiskContainer.Format is invalid. "
        "Supported formats: VHD, VMDK, RAW"
    )
    both = {"Format": "RAW", "UserBucket": bucket, "Url": f"s3://{BUCKET}/disk.img"}
    assert error(call, DiskContainer=both)["Code"] == "InvalidParameterCombination"
    assert error(call, DiskContainer={"UserBucket": bucket})["Message"] == (
        "The request must contain the parameter DiskContainer.Format"
    )
    bad_url = {"Format": "RAW", "Url": "ftp://host/disk"}
    assert error(call, DiskContainer=bad_url)["Message"] == (
        "Value (ftp://host/disk) for parameter DiskContainer.Url is not a valid S3 URL."
    )
    container = {"Format": "RAW", "UserBucket": bucket}
    assert error(call, DiskContainer=container, KmsKeyId="alias/x")["Code"] == (
        "InvalidParameterDependency"
    )
    wrong = [{"ResourceType": "import-image-task", "Tags": [{"Key": "a", "Value": "b"}]}]
    assert error(call, DiskContainer=container, TagSpecifications=wrong)["Message"] == (
        "'import-image-task' is not a valid taggable resource type for this operation."
    )
    assert error(call, DiskContainer=container, DryRun=True)["Code"] == "DryRunOperation"
    assert error(call)["Message"] == "The request must contain the parameter DiskContainer"
    missing = {"Format": "RAW", "UserBucket": {"S3Bucket": BUCKET, "S3Key": "gone.raw"}}
    assert error(call, DiskContainer=missing)["Message"] == (
        f"The S3 object 's3://{BUCKET}/gone.raw' does not exist."
    )


def test_role_errors(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    bucket = lab.upload(images.raw_mbr())
    found = error(lab.ec2.import_snapshot, DiskContainer={"Format": "RAW", "UserBucket": bucket})
    assert found["Message"] == (
        "The service role vmimport provided does not exist or does not have sufficient permissions"
    )
    lab.role("disk-import")
    reply = lab.ec2.import_snapshot(
        DiskContainer={"Format": "RAW", "UserBucket": bucket}, RoleName="disk-import"
    )
    assert reply["SnapshotTaskDetail"]["Status"] == "active"


def test_encryption(lab: Lab) -> None:
    default = _import(lab, "RAW", images.raw_mbr(), Encrypted=True)
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/disks", TargetKeyId=key["KeyId"])
    named = _import(lab, "RAW", images.raw_mbr(), Encrypted=True, KmsKeyId="alias/disks")
    assert _detail(lab, named)["Encrypted"] is True
    assert _detail(lab, named)["KmsKeyId"] == "alias/disks"
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    aws_ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    first = _snapshot(lab, _detail(lab, default)["SnapshotId"])
    assert (first["Encrypted"], first["KmsKeyId"]) == (True, aws_ebs)
    second = _snapshot(lab, _detail(lab, named)["SnapshotId"])
    assert (second["Encrypted"], second["KmsKeyId"]) == (True, key["Arn"])


def test_client_token(lab: Lab) -> None:
    container = {"Format": "RAW", "UserBucket": lab.upload(images.raw_mbr())}
    first = lab.ec2.import_snapshot(DiskContainer=container, ClientToken="disk-1")
    again = lab.ec2.import_snapshot(DiskContainer=container, ClientToken="disk-1")
    assert again["ImportTaskId"] == first["ImportTaskId"]
    found = error(
        lab.ec2.import_snapshot, DiskContainer=container, ClientToken="disk-1", Description="x"
    )
    assert found["Code"] == "IdempotentParameterMismatch"
    image = lab.ec2.import_image(DiskContainers=[container], ClientToken="disk-1")
    assert image["ImportTaskId"].startswith("import-ami-")
    assert len(_ids(lab.ec2.describe_import_snapshot_tasks())) == 1


def test_filters(lab: Lab) -> None:
    def tagged(value: str) -> list[dict[str, Any]]:
        return [{"ResourceType": "import-snapshot-task", "Tags": [{"Key": "run", "Value": value}]}]

    done = _import(lab, "RAW", images.raw_mbr(), TagSpecifications=tagged("a-1"))
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    active = _import(lab, "RAW", images.raw_mbr(), TagSpecifications=tagged("b-2"))
    untagged = _import(lab, "RAW", images.raw_mbr())

    def matching(*filters: dict[str, Any]) -> list[str]:
        return _ids(lab.ec2.describe_import_snapshot_tasks(Filters=list(filters)))

    assert matching({"Name": "task-state", "Values": ["completed"]}) == [done]
    assert matching({"Name": "task-state", "Values": ["active"]}) == [active, untagged]
    assert matching({"Name": "tag:run", "Values": ["a-*"]}) == [done]
    assert matching({"Name": "tag-key", "Values": ["run"]}) == [done, active]
    both = ({"Name": "tag-key", "Values": ["run"]}, {"Name": "task-state", "Values": ["active"]})
    assert matching(*both) == [active]
    assert error(
        lab.ec2.describe_import_snapshot_tasks, Filters=[{"Name": "status", "Values": ["x"]}]
    )["Message"] == ("The filter 'status' is invalid.")


def test_pagination(lab: Lab) -> None:
    ids = [_import(lab, "RAW", images.raw_mbr(), Description=f"disk {n}") for n in range(5)]
    describe = lab.ec2.describe_import_snapshot_tasks
    first = describe(MaxResults=2)
    second = describe(MaxResults=2, NextToken=first["NextToken"])
    third = describe(MaxResults=2, NextToken=second["NextToken"])
    assert [_ids(first), _ids(second), _ids(third)] == [ids[:2], ids[2:4], ids[4:]]
    assert "NextToken" not in third
    pages = lab.ec2.get_paginator("describe_import_snapshot_tasks").paginate(
        PaginationConfig={"PageSize": 3}
    )
    assert [task for page in pages for task in _ids(page)] == ids
    assert error(describe, NextToken="garbage")["Code"] == "InvalidNextToken"
    assert error(describe, MaxResults=0)["Code"] == "InvalidParameterValue"


def test_image_and_snapshot_tasks_are_listed_apart(lab: Lab) -> None:
    snapshot_task = _import(lab, "RAW", images.raw_mbr())
    image_task = lab.start("RAW", images.raw_mbr())
    assert _ids(lab.ec2.describe_import_snapshot_tasks()) == [snapshot_task]
    images_listed = lab.ec2.describe_import_image_tasks()["ImportImageTasks"]
    assert [task["ImportTaskId"] for task in images_listed] == [image_task]
    found = error(lab.ec2.describe_import_image_tasks, ImportTaskIds=[snapshot_task])
    assert found["Code"] == "InvalidConversionTaskId"
    assert error(lab.ec2.describe_import_snapshot_tasks, ImportTaskIds=["import-snap-nope"])[
        "Code"
    ] == ("InvalidConversionTaskId.Malformed")


def test_cancel(lab: Lab) -> None:
    task_id = _import(lab, "RAW", images.raw_mbr())
    lab.elapse(lifecycle.SNAPSHOT_PHASES[1].start)
    reply = lab.ec2.cancel_import_task(ImportTaskId=task_id, CancelReason="wrong disk")
    reply.pop("ResponseMetadata")
    assert reply == {"ImportTaskId": task_id, "PreviousState": "active", "State": "deleting"}
    detail = _detail(lab, task_id)
    assert (detail["Status"], detail["StatusMessage"]) == ("deleting", "wrong disk")
    lab.elapse(lifecycle.DELETING_FOR)
    assert _detail(lab, task_id)["Status"] == "deleted"
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    assert lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    done = _import(lab, "RAW", images.raw_mbr())
    _completed(lab, done)
    found = error(lab.ec2.cancel_import_task, ImportTaskId=done)
    assert found["Message"] == (
        f"The import task '{done}' is in the state 'completed' and cannot be cancelled."
    )


def test_one_quota_for_image_and_snapshot_tasks(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(max_active_tasks=3)
    lab.role()
    lab.start("RAW", images.raw_mbr())
    lab.start("RAW", images.raw_mbr())
    _import(lab, "RAW", images.raw_mbr())
    container = {"Format": "RAW", "UserBucket": {"S3Bucket": BUCKET, "S3Key": "disk.img"}}
    assert error(lab.ec2.import_snapshot, DiskContainer=container)["Message"] == (
        "You have reached the maximum number of active import snapshot tasks (3) in this Region."
    )
    assert error(lab.ec2.import_image, DiskContainers=[container])["Code"] == (
        "ResourceCountLimitExceeded"
    )
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    assert lab.ec2.import_snapshot(DiskContainer=container)["ImportTaskId"]


def test_deleting_the_snapshot_drops_its_content(lab: Lab) -> None:
    snapshot_id = _completed(lab, _import(lab, "RAW", images.raw_mbr()))
    assert snapshot_blob(ACCOUNT, REGION, snapshot_id).read(0, 2) == images.raw_mbr()[:2]
    lab.ec2.delete_snapshot(SnapshotId=snapshot_id)
    lab.ec2.describe_snapshots(OwnerIds=["self"])
    with pytest.raises(UnknownSnapshot):
        snapshot_blob(ACCOUNT, REGION, snapshot_id)


def test_import_image_snapshots_hold_their_disks(lab: Lab, fixtures: DiskFixtures) -> None:
    raw = fixtures.path("gpt-uefi.raw").read_bytes()
    second = images.raw_mbr()
    bucket = lab.upload(fixtures.path("gpt-uefi.stream.vmdk").read_bytes(), "root.vmdk")
    data = lab.upload(images.vhd_dynamic(data=second), "data.vhd")
    task_id = lab.ec2.import_image(
        DiskContainers=[
            {"Format": "VMDK", "UserBucket": bucket},
            {"Format": "VHD", "UserBucket": data},
        ]
    )["ImportTaskId"]
    lab.elapse(lifecycle.COMPLETED_AT)
    root_id, data_id = (d["SnapshotId"] for d in lab.task(task_id)["SnapshotDetails"])
    ebs = ebs_client(lab)
    assert volume_from(read_blocks(ebs, root_id), GIB) == raw.ljust(GIB, b"\0")
    data_blocks = read_blocks(ebs, data_id)
    assert list(data_blocks) == [0]
    assert data_blocks[0] == second.ljust(len(data_blocks[0]), b"\0")
    assert snapshot_blob(ACCOUNT, REGION, root_id).read(0, len(raw)) == raw
