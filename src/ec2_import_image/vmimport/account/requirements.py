"""What the service role must be allowed, and the inline policy that allows exactly that.

One list serves both sides: the checks judge the role's documents against
``needs``; ``setup-role`` writes ``role_policy_document``, built from the same
actions, so what it writes passes the checks by construction (and a test
holds it to that).

The actions are the user guide's (required-permissions.md, "Required service
role"): S3 reads of the disk bucket, the EC2 actions that register the image,
KMS use when the disk or the snapshots are encrypted with a KMS key.  A name
ending in ``*`` is a family the service draws from (``ec2:Describe*``): a
policy allows it only when it allows the whole family.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import PolicyError, load
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
#: the inline policy ``setup-role`` manages (other policies of the role are left alone)
POLICY_NAME = "vmimport-access"
_SID_S3 = "VmimportReadDiskImages"
_SID_EC2 = "VmimportRegisterImages"
_SID_KMS = "VmimportUseKmsKeys"


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


def role_policy_document(
    partition: str, buckets: Sequence[str], kms_key_arns: Sequence[str]
) -> dict[str, Any]:
    """The inline policy that grants exactly ``needs`` for these buckets and keys."""
    s3_resources = [
        resource
        for bucket in buckets
        for resource in (arn.bucket_arn(partition, bucket), arn.object_arn(partition, bucket, "*"))
    ]
    statements: list[dict[str, Any]] = [
        {"Sid": _SID_S3, "Effect": "Allow", "Action": list(S3_ACTIONS), "Resource": s3_resources},
        {"Sid": _SID_EC2, "Effect": "Allow", "Action": list(EC2_ACTIONS), "Resource": "*"},
    ]
    if kms_key_arns:
        statements.append(
            {
                "Sid": _SID_KMS,
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": list(kms_key_arns),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class Granted(NamedTuple):
    buckets: tuple[str, ...]
    kms_key_arns: tuple[str, ...]


def _resources(statement: Any) -> list[str]:
    value = statement.get("Resource", []) if isinstance(statement, dict) else []
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def granted_by(document: Any) -> Granted:
    """The buckets and keys a policy ``role_policy_document`` wrote grants (to keep them when
    ``setup-role`` adds more); nothing for a document it did not write."""
    try:
        value = load(document)
    except PolicyError:
        return Granted((), ())
    statements = value.get("Statement", []) if isinstance(value, dict) else []
    buckets: list[str] = []
    keys: list[str] = []
    for statement in statements if isinstance(statements, list) else []:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if sid == _SID_S3:
            for resource in _resources(statement):
                name = resource.split(":::", 1)[-1]
                if resource.startswith("arn:") and "/" not in name:
                    buckets.append(name)
        elif sid == _SID_KMS:
            keys.extend(r for r in _resources(statement) if arn.is_kms_key_arn(r))
    return Granted(tuple(dict.fromkeys(buckets)), tuple(dict.fromkeys(keys)))
