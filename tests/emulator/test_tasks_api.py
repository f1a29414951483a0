"""DescribeImportImageTasks, CancelImportTask, the quota, Regions and concurrent clients."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from tests.emulator.conftest import Lab


def _error(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def _start_many(lab: Lab, count: int) -> list[str]:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    return [
        lab.ec2.import_image(
            DiskContainers=[{"Format": "RAW", "UserBucket": bucket}], Description=f"task {n}"
        )["ImportTaskId"]
        for n in range(count)
    ]


def _bucket_in(lab: Lab, region: str) -> dict[str, str]:
    """A disk in a bucket of ``region``: the service reads only buckets of the import's Region."""
    name = f"import-bucket-{region}"
    lab.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    lab.s3.put_object(Bucket=name, Key="disk.raw", Body=images.raw_mbr())
    return {"S3Bucket": name, "S3Key": "disk.raw"}


def _ids(reply: dict[str, Any]) -> list[str]:
    return [task["ImportTaskId"] for task in reply["ImportImageTasks"]]


def test_describe_lists_tasks_in_creation_order(lab: Lab) -> None:
    assert lab.ec2.describe_import_image_tasks()["ImportImageTasks"] == []
    ids = _start_many(lab, 3)
    assert _ids(lab.ec2.describe_import_image_tasks()) == ids
    assert _ids(lab.ec2.describe_import_image_tasks(ImportTaskIds=[ids[2], ids[0]])) == [
        ids[0],
        ids[2],
    ]


def test_describe_unknown_and_malformed_ids(lab: Lab) -> None:
    describe = lab.ec2.describe_import_image_tasks
    assert _error(describe, ImportTaskIds=["import-ami-0123456789abcdef0"]) == (
        "InvalidConversionTaskId",
        "The import task ID 'import-ami-0123456789abcdef0' does not exist.",
    )
    assert _error(describe, ImportTaskIds=["import-ami-nope"]) == (
        "InvalidConversionTaskId.Malformed",
        "The import task ID 'import-ami-nope' is malformed.",
    )


def test_task_state_filter(lab: Lab) -> None:
    done = lab.start("RAW", images.raw_mbr())
    lab.elapse(lifecycle.COMPLETED_AT)
    failed = lab.start("RAW", images.qcow2(), key="bad.raw")
    lab.elapse(lifecycle.FAILED_AT)
    active, cancelled = _start_many(lab, 2)
    lab.ec2.cancel_import_task(ImportTaskId=cancelled)

    def matching(*states: str) -> list[str]:
        reply = lab.ec2.describe_import_image_tasks(
            Filters=[{"Name": "task-state", "Values": list(states)}]
        )
        return _ids(reply)

    assert matching("completed") == [done]
    assert matching("deleted") == [failed]
    assert matching("active") == [active]
    assert matching("deleting") == [cancelled]
    assert matching("active", "completed") == [done, active]


def test_filter_errors(lab: Lab) -> None:
    describe = lab.ec2.describe_import_image_tasks
    assert _error(describe, Filters=[{"Name": "status", "Values": ["active"]}]) == (
        "InvalidParameterValue",
        "The filter 'status' is invalid.",
    )
    code, message = _error(describe, Filters=[{"Name": "task-state", "Values": ["running"]}])
    assert code == "InvalidParameterValue"
    assert message.startswith("Value (running) for parameter task-state filter is invalid.")


def test_pagination_with_max_results_and_next_token(lab: Lab) -> None:
    ids = _start_many(lab, 5)
    first = lab.ec2.describe_import_image_tasks(MaxResults=2)
    assert _ids(first) == ids[:2]
    second = lab.ec2.describe_import_image_tasks(MaxResults=2, NextToken=first["NextToken"])
    assert _ids(second) == ids[2:4]
    third = lab.ec2.describe_import_image_tasks(MaxResults=2, NextToken=second["NextToken"])
    assert _ids(third) == ids[4:]
    assert "NextToken" not in third
    exact = lab.ec2.describe_import_image_tasks(MaxResults=5)
    assert _ids(exact) == ids and "NextToken" not in exact


def test_boto3_paginator_follows_pages(lab: Lab) -> None:
    ids = _start_many(lab, 7)
    paginator = lab.ec2.get_paginator("describe_import_image_tasks")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(page["ImportImageTasks"]) for page in pages] == [3, 3, 1]
    assert [task_id for page in pages for task_id in _ids(page)] == ids


def test_pagination_with_a_filter(lab: Lab) -> None:
    ids = _start_many(lab, 6)
    for task_id in ids[::2]:
        lab.ec2.cancel_import_task(ImportTaskId=task_id)
    filters = [{"Name": "task-state", "Values": ["active"]}]
    first = lab.ec2.describe_import_image_tasks(Filters=filters, MaxResults=2)
    second = lab.ec2.describe_import_image_tasks(
        Filters=filters, MaxResults=2, NextToken=first["NextToken"]
    )
    assert _ids(first) + _ids(second) == ids[1::2]
    assert "NextToken" not in second


def test_pagination_errors(lab: Lab) -> None:
    describe = lab.ec2.describe_import_image_tasks
    assert _error(describe, NextToken="garbage")[0] == "InvalidNextToken"
    assert _error(describe, MaxResults=0) == (
        "InvalidParameterValue",
        "Value (0) for parameter MaxResults is invalid. Expecting a value greater than 0.",
    )


def test_cancel_goes_deleting_then_deleted(lab: Lab) -> None:
    (task_id,) = _start_many(lab, 1)
    lab.elapse(400)
    reply = lab.ec2.cancel_import_task(ImportTaskId=task_id, CancelReason="wrong disk")
    reply.pop("ResponseMetadata")
    assert reply == {"ImportTaskId": task_id, "PreviousState": "active", "State": "deleting"}
    task = lab.task(task_id)
    assert (task["Status"], task["StatusMessage"]) == ("deleting", "wrong disk")
    assert "Progress" not in task
    assert task["SnapshotDetails"][0]["Format"] == "RAW"  # as at the cancel (converting)
    lab.elapse(lifecycle.DELETING_FOR)
    task = lab.task(task_id)
    assert (task["Status"], task["StatusMessage"]) == ("deleted", "wrong disk")
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(task_id)["Status"] == "deleted"
    assert lab.ec2.describe_images(Owners=["self"])["Images"] == []


def test_cancel_without_reason(lab: Lab) -> None:
    (task_id,) = _start_many(lab, 1)
    lab.ec2.cancel_import_task(ImportTaskId=task_id)
    assert lab.task(task_id)["StatusMessage"] == "User initiated task cancellation"


def test_cancel_while_preparing_the_ami_removes_it(lab: Lab) -> None:
    (task_id,) = _start_many(lab, 1)
    lab.elapse(lifecycle.start_of(lifecycle.PREPARING_AMI))
    snapshot_id = lab.task(task_id)["SnapshotDetails"][0]["SnapshotId"]
    assert len(lab.ec2.describe_images(Owners=["self"])["Images"]) == 1
    lab.ec2.cancel_import_task(ImportTaskId=task_id)
    assert lab.ec2.describe_images(Owners=["self"])["Images"] == []
    snapshots = lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert snapshot_id not in {s["SnapshotId"] for s in snapshots}


def test_cancel_errors(lab: Lab) -> None:
    cancel = lab.ec2.cancel_import_task
    assert _error(cancel, ImportTaskId="import-ami-nope") == (
        "InvalidConversionTaskId.Malformed",
        "The import task ID 'import-ami-nope' is malformed.",
    )
    assert _error(cancel, ImportTaskId="import-ami-0123456789abcdef0")[0] == (
        "InvalidConversionTaskId"
    )
    assert _error(cancel) == (
        "MissingParameter",
        "The request must contain the parameter ImportTaskId",
    )
    done = lab.start("RAW", images.raw_mbr())
    lab.elapse(lifecycle.COMPLETED_AT)
    assert _error(cancel, ImportTaskId=done) == (
        "IncorrectState",
        f"The import task '{done}' is in the state 'completed' and cannot be cancelled.",
    )
    (cancelled,) = _start_many(lab, 1)
    cancel(ImportTaskId=cancelled)
    assert _error(cancel, ImportTaskId=cancelled)[0] == "IncorrectState"


def test_dry_run_of_describe_and_cancel(lab: Lab) -> None:
    (task_id,) = _start_many(lab, 1)
    assert _error(lab.ec2.describe_import_image_tasks, DryRun=True)[0] == "DryRunOperation"
    code, _ = _error(lab.ec2.cancel_import_task, ImportTaskId=task_id, DryRun=True)
    assert code == "DryRunOperation"
    assert lab.task(task_id)["Status"] == "active"


def test_quota_of_active_tasks(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(max_active_tasks=2)
    lab.role()
    first, second = _start_many(lab, 2)
    code, message = _error(lab.ec2.import_image, DiskContainers=[{"SnapshotId": "snap-1"}])
    assert code == "ResourceCountLimitExceeded"
    assert message == (
        "You have reached the maximum number of active import image tasks (2) in this Region."
    )
    lab.ec2.cancel_import_task(ImportTaskId=first)
    (third,) = _start_many(lab, 1)
    with pytest.raises(ClientError):
        _start_many(lab, 1)
    lab.elapse(lifecycle.COMPLETED_AT)
    assert len(_start_many(lab, 2)) == 2
    other_region = lab.client("ec2", "eu-west-1")
    bucket = _bucket_in(lab, "eu-west-1")
    assert other_region.import_image(DiskContainers=[{"Format": "RAW", "UserBucket": bucket}])
    assert {second, third} <= set(_ids(lab.ec2.describe_import_image_tasks()))


def test_tasks_are_kept_per_region(lab: Lab) -> None:
    (task_id,) = _start_many(lab, 1)
    west = lab.client("ec2", "us-west-2")
    assert west.describe_import_image_tasks()["ImportImageTasks"] == []
    assert _error(west.describe_import_image_tasks, ImportTaskIds=[task_id])[0] == (
        "InvalidConversionTaskId"
    )
    bucket = _bucket_in(lab, "us-west-2")
    west_id = west.import_image(DiskContainers=[{"Format": "RAW", "UserBucket": bucket}])[
        "ImportTaskId"
    ]
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(west_id, region="us-west-2")["Status"] == "completed"
    image_id = lab.task(west_id, region="us-west-2")["ImageId"]
    assert [i["ImageId"] for i in west.describe_images(Owners=["self"])["Images"]] != []
    assert image_id not in {
        i["ImageId"] for i in lab.ec2.describe_images(Owners=["self"])["Images"]
    }


def test_client_token_makes_import_idempotent(lab: Lab) -> None:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    params: dict[str, Any] = {
        "DiskContainers": [{"Format": "RAW", "UserBucket": bucket}],
        "ClientToken": "token-1",
    }
    first = lab.ec2.import_image(**params)["ImportTaskId"]
    assert lab.ec2.import_image(**params)["ImportTaskId"] == first
    params["ClientToken"] = "token-2"
    assert lab.ec2.import_image(**params)["ImportTaskId"] != first


def test_concurrent_clients(lab: Lab) -> None:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    started: list[str] = []
    failures: list[BaseException] = []
    guard = threading.Lock()

    def client_thread() -> None:
        try:
            ec2 = lab.client("ec2")
            for _ in range(4):
                reply = ec2.import_image(DiskContainers=[{"Format": "RAW", "UserBucket": bucket}])
                with guard:
                    started.append(reply["ImportTaskId"])
                ec2.describe_import_image_tasks()
                lab.elapse(100)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=client_thread) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(started) == len(set(started)) == 20
    listed = _ids(lab.ec2.describe_import_image_tasks())
    assert sorted(listed) == sorted(started)
    lab.elapse(lifecycle.COMPLETED_AT)
    tasks = lab.ec2.describe_import_image_tasks()["ImportImageTasks"]
    assert {task["Status"] for task in tasks} == {"completed"}
    images_seen = lab.ec2.describe_images(Owners=["self"])["Images"]
    assert sorted(i["ImageId"] for i in images_seen) == sorted(t["ImageId"] for t in tasks)


def test_a_client_token_reused_with_other_parameters_is_refused(lab: Lab) -> None:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    params: dict[str, Any] = {
        "DiskContainers": [{"Format": "RAW", "UserBucket": bucket}],
        "ClientToken": "token-1",
        "Description": "first",
    }
    first = lab.ec2.import_image(**params)["ImportTaskId"]
    code, message = _error(lab.ec2.import_image, **{**params, "Description": "second"})
    assert code == "IdempotentParameterMismatch"
    assert "token-1" in message
    # the same parameters still answer the first task, and no second task exists
    assert lab.ec2.import_image(**params)["ImportTaskId"] == first
    assert _ids(lab.ec2.describe_import_image_tasks()) == [first]


def _tagged(key: str, value: str) -> list[dict[str, Any]]:
    return [{"ResourceType": "import-image-task", "Tags": [{"Key": key, "Value": value}]}]


def test_tag_filters_find_tasks_by_their_tags(lab: Lab) -> None:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    disks = [{"Format": "RAW", "UserBucket": bucket}]
    web = lab.ec2.import_image(DiskContainers=disks, TagSpecifications=_tagged("vm", "web-1"))
    db = lab.ec2.import_image(DiskContainers=disks, TagSpecifications=_tagged("vm", "db-1"))
    plain = lab.ec2.import_image(DiskContainers=disks)
    describe = lab.ec2.describe_import_image_tasks
    assert _ids(describe(Filters=[{"Name": "tag:vm", "Values": ["web-1"]}])) == [
        web["ImportTaskId"]
    ]
    assert _ids(describe(Filters=[{"Name": "tag:vm", "Values": ["*-1"]}])) == [
        web["ImportTaskId"],
        db["ImportTaskId"],
    ]
    assert _ids(describe(Filters=[{"Name": "tag-key", "Values": ["vm"]}])) == [
        web["ImportTaskId"],
        db["ImportTaskId"],
    ]
    assert plain["ImportTaskId"] not in _ids(
        describe(Filters=[{"Name": "tag-key", "Values": ["*"]}])
    )
    # filters combine with task-state
    both = [{"Name": "tag:vm", "Values": ["db-?"]}, {"Name": "task-state", "Values": ["active"]}]
    assert _ids(describe(Filters=both)) == [db["ImportTaskId"]]
    assert describe(Filters=[{"Name": "tag:vm", "Values": ["app-1"]}])["ImportImageTasks"] == []


def test_tasks_and_tokens_are_forgotten_after_seven_days_but_the_ami_keeps_its_tags(
    lab: Lab,
) -> None:
    bucket = lab.upload(images.raw_mbr(), "disk.raw")
    params: dict[str, Any] = {
        "DiskContainers": [{"Format": "RAW", "UserBucket": bucket}],
        "ClientToken": "token-7d",
        "TagSpecifications": _tagged("vm", "web-1"),
    }
    first = lab.ec2.import_image(**params)["ImportTaskId"]
    lab.elapse(lifecycle.COMPLETED_AT)
    image_id = lab.task(first)["ImageId"]
    lab.ec2.create_tags(Resources=[image_id], Tags=[{"Key": "vm", "Value": "web-1"}])
    lab.elapse(lifecycle.TASK_MEMORY)
    code, _ = _error(lab.ec2.describe_import_image_tasks, ImportTaskIds=[first])
    assert code == "InvalidConversionTaskId"
    found = lab.ec2.describe_images(
        Owners=["self"], Filters=[{"Name": "tag:vm", "Values": ["web-1"]}]
    )
    assert [image["ImageId"] for image in found["Images"]] == [image_id]
    # the token is forgotten with its task: the same request starts a new import
    assert lab.ec2.import_image(**params)["ImportTaskId"] != first


def test_the_ami_and_its_snapshots_take_tags(lab: Lab) -> None:
    task_id = lab.start("RAW", images.raw_mbr(), "disk.raw")
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(task_id)
    snapshots = [detail["SnapshotId"] for detail in task["SnapshotDetails"]]
    tags = [{"Key": "Name", "Value": "web-1"}, {"Key": "vmimport:name", "Value": "web-1"}]
    lab.ec2.create_tags(Resources=[task["ImageId"], *snapshots], Tags=tags)
    image = lab.ec2.describe_images(ImageIds=[task["ImageId"]])["Images"][0]
    assert sorted((t["Key"], t["Value"]) for t in image["Tags"]) == sorted(
        (t["Key"], t["Value"]) for t in tags
    )
    described = lab.ec2.describe_snapshots(
        Filters=[{"Name": "tag:vmimport:name", "Values": ["web-1"]}]
    )["Snapshots"]
    assert [s["SnapshotId"] for s in described] == snapshots
