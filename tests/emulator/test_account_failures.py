"""The emulator's account failures: the role's trust and its own policies (the shared
judgements) and the bucket's Region.

All fail at the ImportImage call itself, with InvalidParameter (docs/emulator.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ec2_import_emulator import samples as images
from ec2_import_emulator.permissions import refused_need
from ec2_import_image.iampolicy.servicerole import Area, needs
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


# --- the role's own policies (docs/emulator.md: modelled) -----------------------------------

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
S3_READS = ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]
EC2_REGISTER = ["ec2:ModifySnapshotAttribute", "ec2:CopySnapshot", "ec2:RegisterImage"]


def _allow(actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


S3_ON_BUCKET = _allow(S3_READS, [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"])
EC2_ANY = _allow([*EC2_REGISTER, "ec2:Describe*"], ["*"])


def _lab_with_policies(
    make_lab: Callable[..., Lab],
    *statements: dict[str, Any],
    bucket_policy: dict[str, Any] | None = None,
) -> Lab:
    lab = make_lab()
    lab.role(allowed=False)
    lab.upload(images.raw_mbr(), "disk.raw")
    if statements:
        lab.iam.put_role_policy(
            RoleName="vmimport", PolicyName="p", PolicyDocument=_document(*statements)
        )
    if bucket_policy is not None:
        lab.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(bucket_policy))
    return lab


GRANTING_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/vmimport"},
            "Action": S3_READS,
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        }
    ],
}


@pytest.mark.parametrize(
    ("statements", "bucket_policy"),
    [
        ((), None),
        ((EC2_ANY,), None),  # no S3 read of the disk
        ((S3_ON_BUCKET,), None),  # cannot register the image
        ((S3_ON_BUCKET,), GRANTING_BUCKET_POLICY),  # a bucket policy grants no EC2 action
        ((_allow(S3_READS, ["arn:aws:s3:::other", "arn:aws:s3:::other/*"]), EC2_ANY), None),
        (
            (
                S3_ON_BUCKET,
                EC2_ANY,
                {
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/*",
                },
            ),
            None,
        ),
        ((S3_ON_BUCKET, _allow(EC2_REGISTER, ["*"])), None),  # ec2:Describe* not allowed
    ],
    ids=[
        "no-policy",
        "no-s3",
        "no-ec2",
        "no-ec2-with-bucket-policy",
        "another-bucket",
        "explicit-deny",
        "no-describe",
    ],
)
def test_a_role_its_policies_refuse_what_vm_import_needs_is_refused(
    make_lab: Callable[..., Lab],
    statements: tuple[dict[str, Any], ...],
    bucket_policy: dict[str, Any] | None,
) -> None:
    lab = _lab_with_policies(make_lab, *statements, bucket_policy=bucket_policy)
    assert _error(lab.ec2, DiskContainers=[DISK]) == ROLE_REFUSED
    assert lab.ec2.describe_import_image_tasks()["ImportImageTasks"] == []


@pytest.mark.parametrize(
    ("statements", "bucket_policy"),
    [
        ((S3_ON_BUCKET, EC2_ANY), None),
        ((_allow(["s3:*", "ec2:*"], ["*"]),), None),
        ((EC2_ANY,), GRANTING_BUCKET_POLICY),  # the bucket policy may grant the reads
        # a condition that cannot be decided offline refuses nothing
        (
            (
                _allow(S3_READS, ["*"], Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
                EC2_ANY,
            ),
            None,
        ),
    ],
    ids=["setup-role-like", "wildcards", "bucket-policy", "undecidable-condition"],
)
def test_a_role_allowed_or_possibly_allowed_what_vm_import_needs_imports(
    make_lab: Callable[..., Lab],
    statements: tuple[dict[str, Any], ...],
    bucket_policy: dict[str, Any] | None,
) -> None:
    lab = _lab_with_policies(make_lab, *statements, bucket_policy=bucket_policy)
    assert lab.ec2.import_image(DiskContainers=[DISK])["Status"] == "active"


def test_an_attached_managed_policy_counts_at_its_default_version(
    make_lab: Callable[..., Lab],
) -> None:
    lab = _lab_with_policies(make_lab)
    arn = lab.iam.create_policy(PolicyName="vmimport-managed", PolicyDocument=_document(EC2_ANY))[
        "Policy"
    ]["Arn"]
    lab.iam.attach_role_policy(RoleName="vmimport", PolicyArn=arn)
    assert _error(lab.ec2, DiskContainers=[DISK]) == ROLE_REFUSED  # v1 has no S3 reads
    lab.iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=_document(S3_ON_BUCKET, EC2_ANY), SetAsDefault=True
    )
    assert lab.ec2.import_image(DiskContainers=[DISK])["Status"] == "active"


def test_a_kms_key_is_refused_only_on_an_explicit_deny(make_lab: Callable[..., Lab]) -> None:
    """A key policy may grant the role the key: without a KMS statement nothing is refused."""
    lab = _lab_with_policies(make_lab, S3_ON_BUCKET, EC2_ANY)
    encrypted = {"DiskContainers": [DISK], "Encrypted": True, "KmsKeyId": KEY_ARN}
    assert lab.ec2.import_image(**encrypted)["Status"] == "active"
    deny = {"Effect": "Deny", "Action": "kms:*", "Resource": KEY_ARN}
    lab.iam.put_role_policy(RoleName="vmimport", PolicyName="deny", PolicyDocument=_document(deny))
    assert _error(lab.ec2, **encrypted) == ROLE_REFUSED
    assert lab.ec2.import_image(DiskContainers=[DISK])["Status"] == "active"  # no key: no KMS


def test_a_missing_bucket_is_named_rather_than_the_role(make_lab: Callable[..., Lab]) -> None:
    lab = _lab_with_policies(make_lab, S3_ON_BUCKET, EC2_ANY)
    disk = {"Format": "raw", "UserBucket": {"S3Bucket": "nope", "S3Key": "disk.raw"}}
    assert _error(lab.ec2, DiskContainers=[disk]) == (
        "InvalidParameter",
        "The S3 bucket 'nope' does not exist.",
    )


def test_the_judgement_refuses_nothing_on_a_document_it_cannot_read() -> None:
    wanted = needs(partition="aws", region="us-east-1", buckets=[BUCKET], objects=[])
    assert refused_need([("inline policy p", "{not json")], wanted) is None
    refused = refused_need([("inline policy p", _document(S3_ON_BUCKET))], wanted)
    assert refused is not None and refused.area is Area.EC2
    everything = _document(_allow(["*"], ["*"]))
    assert refused_need([("inline policy p", everything)], wanted) is None
