"""The ARNs the account checks ask about, in the partition of the import's Region."""

from __future__ import annotations

#: Region prefix -> partition (longest prefixes first); anything else is ``aws``
_PARTITIONS = (
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
)


def partition_of(region: str | None) -> str:
    for prefix, partition in _PARTITIONS:
        if region is not None and region.startswith(prefix):
            return partition
    return "aws"


def bucket_arn(partition: str, bucket: str) -> str:
    return f"arn:{partition}:s3:::{bucket}"


def object_arn(partition: str, bucket: str, key: str) -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


def bucket_of(resource: str) -> str:
    """The bucket an S3 bucket or object ARN names."""
    return resource.split(":::", 1)[-1].split("/", 1)[0]


def account_root(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}:root"


def is_kms_key_arn(value: str) -> bool:
    parts = value.split(":", 5)
    return (
        len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms" and parts[5].startswith("key/")
    )


def kms_key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def account_of(value: str) -> str | None:
    """The account field of an ARN (None when it has none)."""
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None
