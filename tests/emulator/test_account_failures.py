"""The emulator's account failures: the role's trust (the shared judgement) and the bucket's Region.

Both fail at the ImportImage call itself, with InvalidParameter (docs/emulator.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ec2_import_emulator import samples as images
from ec2_import_image.iampolicy.trust import vmimport_trust_policy
from tests.emulator.conftest import BUCKET, Lab

ROLE_REFUSED = (
    "InvalidParameter",
    "The service role vmimport provided does not exist or does not have sufficient permissions",
)
DISK = {"Format": "raw", "UserBucket": {"S3Bucket": BUCKET, "S3Key": "disk.raw"}}


def _error(ec2: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        ec2.import_image(**params)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


def _lab_with_trust(make_lab: Callable[..., Lab], condition: dict[str, Any] | None) -> Lab:
    lab = make_lab()
    trust = vmimport_trust_policy()
    if condition is None:
        del trust["Statement"][0]["Condition"]
    else:
        trust["Statement"][0]["Condition"] = condition
    lab.role(policy=trust)
    lab.upload(images.raw_mbr(), "disk.raw")
    return lab


def test_an_external_id_other_than_vmimport_is_refused(make_lab: Callable[..., Lab]) -> None:
    lab = _lab_with_trust(make_lab, {"StringEquals": {"sts:ExternalId": "import-me"}})
    assert _error(lab.ec2, DiskContainers=[DISK]) == ROLE_REFUSED


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"sts:Externalid": "vmimport"}},
        {
            "StringEquals": {"sts:ExternalId": "vmimport", "aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:vmie:*:123456789012:*"},
        },
    ],
    ids=["no-condition", "external-id", "user-guide-source-keys"],
)
def test_trust_policies_vm_import_may_assume(
    make_lab: Callable[..., Lab], condition: dict[str, Any] | None
) -> None:
    lab = _lab_with_trust(make_lab, condition)
    assert lab.ec2.import_image(DiskContainers=[DISK])["Status"] == "active"


def test_a_source_account_condition_for_another_account_is_refused(
    make_lab: Callable[..., Lab],
) -> None:
    condition = {
        "StringEquals": {"sts:ExternalId": "vmimport", "aws:SourceAccount": "111122223333"}
    }
    lab = _lab_with_trust(make_lab, condition)
    assert _error(lab.ec2, DiskContainers=[DISK]) == ROLE_REFUSED


def test_an_explicit_deny_for_vm_import_is_refused(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    trust = vmimport_trust_policy()
    trust["Statement"].append(
        {"Effect": "Deny", "Principal": "*", "Action": "sts:*", "Resource": "*"}
    )
    lab.role(policy=trust)
    lab.upload(images.raw_mbr(), "disk.raw")
    assert _error(lab.ec2, DiskContainers=[DISK]) == ROLE_REFUSED


def test_a_bucket_in_another_region_is_refused_at_the_call(lab: Lab) -> None:
    lab.s3.create_bucket(
        Bucket="eu-disks", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    lab.s3.put_object(Bucket="eu-disks", Key="disk.raw", Body=images.raw_mbr())
    disk = {"Format": "raw", "UserBucket": {"S3Bucket": "eu-disks", "S3Key": "disk.raw"}}
    assert _error(lab.ec2, DiskContainers=[disk]) == (
        "InvalidParameter",
        "The given S3 object is not local to the region. The object must be located in us-east-1.",
    )
    assert lab.ec2.describe_import_image_tasks()["ImportImageTasks"] == []
    in_its_region = lab.client("ec2", "eu-west-1")
    assert in_its_region.import_image(DiskContainers=[disk])["Status"] == "active"


def test_the_bucket_region_error_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    assert "The given S3 object is not local to the region. The object must be located in" in doc
