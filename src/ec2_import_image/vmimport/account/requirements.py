"""The inline policy ``setup-role`` writes: exactly what the service role must be allowed.

One list serves both sides (``iampolicy.servicerole``): the checks judge the
role's documents against ``needs``; ``setup-role`` writes
``role_policy_document``, built from the same actions, so what it writes
passes the checks by construction (and a test holds it to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import PolicyError, load
from ec2_import_image.iampolicy.servicerole import EC2_ACTIONS, KMS_ACTIONS, S3_ACTIONS

#: the inline policy ``setup-role`` manages (other policies of the role are left alone)
POLICY_NAME = "vmimport-access"
_SID_S3 = "VmimportReadDiskImages"
_SID_EC2 = "VmimportRegisterImages"
_SID_KMS = "VmimportUseKmsKeys"


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
