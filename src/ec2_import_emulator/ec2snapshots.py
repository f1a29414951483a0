"""EC2's records of the snapshots the emulator makes, kept in moto's EC2 backend.

A snapshot that ImportSnapshot or EBS direct makes is a real snapshot of moto's
EC2: ``DescribeSnapshots`` shows it (state, size in GiB, encryption and key,
description, tags), ``CreateTags`` and ``DeleteSnapshot`` work on it, and the
content store (``snapshots``) forgets its blocks once moto no longer has it.
moto makes a snapshot only of a volume, so each is made of a volume of its
size that is deleted at once (moto keeps the size on the snapshot).

Also here: the account's EBS encryption defaults as moto's EC2 holds them
(``EnableEbsEncryptionByDefault`` sets them; the default key is the AWS managed
key ``alias/aws/ebs``, made on first use as EC2 does, unless
``ModifyEbsDefaultKmsKeyId`` named another) and KMS keys looked up in moto's KMS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PENDING, COMPLETED, ERROR = "pending", "completed", "error"
_ZONE_SUFFIX = "a"


@dataclass(frozen=True)
class SnapshotFacts:
    """What EC2 says of a snapshot."""

    snapshot_id: str
    owner_id: str
    volume_gib: int
    state: str
    encrypted: bool
    kms_key_id: str | None
    description: str


def _backend(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def create_snapshot(
    account: str,
    region: str,
    *,
    volume_gib: int,
    description: str,
    encrypted: bool = False,
    kms_key_id: str | None = None,
    tags: Iterable[tuple[str, str]] = (),
    state: str = COMPLETED,
) -> str:
    """A snapshot of ``volume_gib`` GiB in moto's EC2; answers its id."""
    backend = _backend(account, region)
    volume = backend.create_volume(
        size=volume_gib,
        zone_name=f"{region}{_ZONE_SUFFIX}",
        encrypted=encrypted,
        kms_key_id=kms_key_id if encrypted else None,
    )
    try:
        snapshot = backend.create_snapshot(volume.id, description)
    finally:
        backend.delete_volume(volume.id)
    snapshot.encrypted = encrypted
    snapshot.kms_key_id = volume.kms_key_id if encrypted else None
    snapshot.status = state
    tagged = dict(tags)
    if tagged:
        backend.create_tags([snapshot.id], tagged)
    return str(snapshot.id)


def facts(account: str, region: str, snapshot_id: str) -> SnapshotFacts | None:
    """The snapshot as EC2 holds it, None when the account has no such snapshot there."""
    snapshot = _backend(account, region).snapshots.get(snapshot_id)
    if snapshot is None:
        return None
    return SnapshotFacts(
        snapshot_id=str(snapshot.id),
        owner_id=str(snapshot.owner_id),
        volume_gib=int(snapshot.volume.size),
        state=str(snapshot.status),
        encrypted=bool(snapshot.encrypted),
        kms_key_id=None if snapshot.kms_key_id is None else str(snapshot.kms_key_id),
        description=str(snapshot.description),
    )


def exists(account: str, region: str, snapshot_id: str) -> bool:
    from moto.ec2.models import ec2_backends

    if region not in ec2_backends[account].regions:
        return False
    return snapshot_id in _backend(account, region).snapshots


def set_state(account: str, region: str, snapshot_id: str, state: str) -> None:
    snapshot = _backend(account, region).snapshots.get(snapshot_id)
    if snapshot is not None:
        snapshot.status = state


def delete(account: str, region: str, snapshot_id: str) -> None:
    _backend(account, region).snapshots.pop(snapshot_id, None)


def encryption_by_default(account: str, region: str) -> bool:
    """Whether the account's Region makes every new EBS volume and snapshot encrypted."""
    return bool(getattr(_backend(account, region), "ebs_encryption_by_default", False))


def default_kms_key(account: str, region: str) -> str:
    """The ARN of the key EBS encrypts with when none is named (made on first use)."""
    backend = _backend(account, region)
    if not backend.default_kms_key_id:
        backend._create_default_encryption_key()
    return str(backend.default_kms_key_id)


def kms_key_arn(account: str, region: str, key: str) -> str | None:
    """The ARN of a KMS key named by id, alias, key ARN or alias ARN, looked up in moto's KMS
    (an ARN in the account and Region it names); None when there is no such key."""
    from moto.kms.models import kms_backends

    if key.startswith("arn:"):
        parts = key.split(":", 5)
        if len(parts) < 6 or parts[2] != "kms":
            return None
        region, account = parts[3], parts[4]
    try:
        found = kms_backends[account][region].describe_key(key)
    except Exception:  # moto's KMS raises its own errors, or KeyError, for an unknown key
        return None
    return str(found.arn)
