"""What VM Import's service role must be allowed: ``vmimport check`` and the emulator ask this.

The actions are the user guide's (required-permissions.md, "Required service
role"): S3 reads of the disk bucket, the EC2 actions that register the image,
KMS use when the disk or the snapshots are encrypted with a KMS key.  A name
ending in ``*`` is a family the service draws from (``ec2:Describe*``): a
policy allows it only when it allows the whole family.  ``vmimport
setup-role`` writes a policy from the same actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.wildcard import Text


class Area(StrEnum):
    S3 = "s3"
    EC2 = "ec2"
    KMS = "kms"


S3_ACTIONS = ("s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket")
S3_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")
EC2_ACTIONS = (
    "ec2:ModifySnapshotAttribute",
    "ec2:CopySnapshot",
    "ec2:RegisterImage",
    "ec2:Describe*",
)
KMS_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)


class Need(NamedTuple):
    """One action the role must be allowed on one resource."""

    area: Area
    action: Text
    resource: Text


def action_text(action: str) -> Text:
    """``ec2:Describe*`` as the family it names; a plain action as itself."""
    if action.endswith("*"):
        return Text(action[:-1], partial=True)
    return Text(action)


def kms_key_resource(key_arn: str | None, *, partition: str, region: str) -> Text:
    """The key a KMS need is about: its ARN, or any key of the Region when the ARN is not
    known (an alias or a bare id)."""
    if key_arn:
        return Text(key_arn)
    return Text(f"arn:{partition}:kms:{region}:", partial=True)


def needs(
    *,
    partition: str,
    region: str,
    buckets: Iterable[str],
    objects: Iterable[tuple[str, str]],
    kms_keys: Sequence[Text] = (),
) -> tuple[Need, ...]:
    """Everything the role must be allowed for these buckets, objects and KMS keys."""
    found: list[Need] = []
    objects = list(objects)
    for bucket in buckets:
        bucket_resource = Text(arn.bucket_arn(partition, bucket))
        found.extend(Need(Area.S3, Text(a), bucket_resource) for a in S3_BUCKET_ACTIONS)
        keys = [key for named, key in objects if named == bucket]
        resources = [Text(arn.object_arn(partition, bucket, key)) for key in keys] or [
            Text(arn.object_arn(partition, bucket, ""), partial=True)
        ]
        found.extend(Need(Area.S3, Text("s3:GetObject"), resource) for resource in resources)
    ec2_resource = Text(f"arn:{partition}:ec2:{region}:", partial=True)
    found.extend(Need(Area.EC2, action_text(a), ec2_resource) for a in EC2_ACTIONS)
    for key in kms_keys:
        found.extend(Need(Area.KMS, action_text(a), key) for a in KMS_ACTIONS)
    return tuple(found)
