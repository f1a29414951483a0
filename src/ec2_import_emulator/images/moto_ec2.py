"""The image package's door into moto's in-process backends (EC2, KMS, Organizations).

moto keeps the AMIs (``Ami``), snapshots and volumes, tags, instances and launch
templates; the emulator's own facts ride on moto's objects (``record_of`` /
``attach``), so they live and die with them: a deregistered image takes them
along, and ``/moto-api/reset`` clears them with everything else.  A snapshot's
content is not here: every snapshot's blocks are in the one snapshot-content
store (``ec2_import_emulator.snapshots``).  Nothing outside this module touches
moto's internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ec2_import_emulator.images.records import ImageRecord

_RECORD = "_ec2_import_emulator_image"
_TOKENS = "_ec2_import_emulator_copy_tokens"
EBS_DEFAULT_ALIAS = "alias/aws/ebs"


def backend(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def known_region(account: str, region: str) -> bool:
    from moto.ec2.models import ec2_backends

    return region in ec2_backends[account].regions


def backends() -> Iterator[tuple[str, str, Any]]:
    """Every EC2 backend moto has made so far: (account, Region, backend)."""
    from moto.ec2.models import ec2_backends

    # listed before the first is yielded: what the caller does with one (reading a record,
    # a snapshot) may make moto create another backend, which would change the dictionaries
    # being iterated ("dictionary changed size during iteration")
    for account, region, found in list(ec2_backends.iter_backends()):
        yield str(account), str(region), found


def backends_in(region: str) -> Iterator[tuple[str, Any]]:
    for account, where, found in backends():
        if where == region:
            yield account, found


# -- images -------------------------------------------------------------------


def find_image(account: str, region: str, image_id: str) -> Any:
    """moto's ``Ami`` of that id in the account's Region, None when there is none."""
    return backend(account, region).amis.get(image_id)


def was_deregistered(account: str, region: str, image_id: str) -> bool:
    return image_id in backend(account, region).deleted_amis


def record_of(ami: Any) -> ImageRecord | None:
    found = getattr(ami, _RECORD, None)
    return found if isinstance(found, ImageRecord) else None


def attach(ami: Any, record: ImageRecord) -> None:
    setattr(ami, _RECORD, record)


def new_image(account: str, region: str, name: str, description: str | None) -> Any:
    """A new ``Ami`` in moto, without the 15 GiB snapshot moto makes for every image."""
    ec2 = backend(account, region)
    ami = ec2.register_image(name=name, description=description)
    made = ami.ebs_snapshot
    ec2.snapshots.pop(made.id, None)
    return ami


def remove_image(account: str, region: str, image_id: str) -> None:
    ec2 = backend(account, region)
    if image_id in ec2.amis:
        ec2.deregister_image(image_id)


def tags_of(resource: Any) -> list[tuple[str, str]]:
    return [(str(tag["key"]), str(tag["value"])) for tag in resource.get_tags()]


def tag(account: str, region: str, resource_id: str, tags: dict[str, str]) -> None:
    if tags:
        backend(account, region).create_tags([resource_id], tags)


# -- snapshots ----------------------------------------------------------------


def find_snapshot(account: str, region: str, snapshot_id: str) -> Any:
    return backend(account, region).snapshots.get(snapshot_id)


@dataclass(frozen=True)
class NewSnapshot:
    size_gib: int
    description: str
    encrypted: bool
    kms_key_id: str | None
    state: str


def new_snapshot(account: str, region: str, spec: NewSnapshot) -> Any:
    """A snapshot in moto (through a volume moto needs, deleted at once)."""
    ec2 = backend(account, region)
    volume = ec2.create_volume(
        size=spec.size_gib,
        zone_name=f"{region}a",
        encrypted=spec.encrypted,
        kms_key_id=spec.kms_key_id,
    )
    snapshot = ec2.create_snapshot(volume.id, spec.description)
    ec2.delete_volume(volume.id)
    snapshot.encrypted = spec.encrypted
    snapshot.kms_key_id = spec.kms_key_id
    snapshot.status = spec.state
    return snapshot


def delete_snapshot(account: str, region: str, snapshot_id: str) -> None:
    backend(account, region).snapshots.pop(snapshot_id, None)


def snapshot_key(snapshot: Any) -> str | None:
    """The KMS key of an encrypted snapshot (moto's CreateSnapshot keeps it on the volume only);
    None for an unencrypted one or one under the default key."""
    if not snapshot.encrypted:
        return None
    key = snapshot.kms_key_id or getattr(snapshot.volume, "kms_key_id", None)
    return None if key is None else str(key)


def snapshot_size_gib(snapshot: Any) -> int:
    return int(snapshot.volume.size)


def encryption_by_default(account: str, region: str) -> bool:
    return bool(getattr(backend(account, region), "ebs_encryption_by_default", False))


# -- KMS ----------------------------------------------------------------------


def _kms(account: str, region: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[account][region]


def default_ebs_key(account: str, region: str) -> str:
    """The ARN of the account's ``aws/ebs`` key in the Region (made on first use, as AWS does)."""
    kms = _kms(account, region)
    if not kms.alias_exists(EBS_DEFAULT_ALIAS):
        key = kms.create_key(
            policy="",
            key_usage="ENCRYPT_DECRYPT",
            key_spec="SYMMETRIC_DEFAULT",
            description="Default key that protects my EBS volumes when no other key is defined",
            tags=None,
        )
        kms.create_alias(key.id, EBS_DEFAULT_ALIAS)
    return str(kms.describe_key(EBS_DEFAULT_ALIAS).arn)


def key_arn(account: str, region: str, key_id: str) -> str | None:
    """The ARN of a key given by id, ARN, alias or alias ARN in that Region; None if unknown."""
    if key_id.startswith("arn:") and f":{region}:" not in key_id:
        return None
    if key_id.endswith(EBS_DEFAULT_ALIAS):
        return default_ebs_key(account, region)
    try:
        return str(_kms(account, region).describe_key(key_id).arn)
    except Exception:  # moto's NotFoundException and friends: an unknown key
        return None


def is_default_ebs_key(account: str, region: str, key_id: str | None) -> bool:
    """Whether a snapshot encrypted with ``key_id`` (None: the default) uses ``aws/ebs``."""
    if key_id is None:
        return True
    if key_id.endswith(EBS_DEFAULT_ALIAS):
        return True
    kms = _kms(account, region)
    if not kms.alias_exists(EBS_DEFAULT_ALIAS):
        return False
    return key_arn(account, region, key_id) == default_ebs_key(account, region)


# -- Organizations ------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    """Where an account sits in an organization: the organization's ARN and the ARNs of the
    OUs above it (its own OU and every ancestor but the root)."""

    organization_arn: str
    unit_arns: tuple[str, ...]


def membership(account: str) -> Membership | None:
    from moto.organizations.models import organizations_backends

    for _, _, found in organizations_backends.iter_backends():
        orgs: Any = found
        org = getattr(orgs, "org", None)
        if org is None:
            continue
        members = {a.id: a for a in orgs.accounts}
        if account not in members and account != org.master_account_id:
            continue
        units = {ou.id: ou for ou in orgs.ou}
        parent = members[account].parent_id if account in members else org.root_id
        arns: list[str] = []
        while parent in units and parent != org.root_id:
            arns.append(str(units[parent].arn))
            parent = units[parent].parent_id
        return Membership(str(org.arn), tuple(arns))
    return None


# -- what uses an image ---------------------------------------------------------


@dataclass(frozen=True)
class Launched:
    instance_id: str
    state: str
    launched: datetime | None


def instances_of(account: str, region: str, image_id: str) -> list[Launched]:
    found = []
    for reservation in backend(account, region).reservations.values():
        for instance in reservation.instances:
            if instance.image_id == image_id:
                found.append(Launched(instance.id, str(instance.state), _launch_time(instance)))
    return found


def _launch_time(instance: Any) -> datetime | None:
    value = getattr(instance, "launch_time", None)
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def launch_templates_of(account: str, region: str, image_id: str, depth: int) -> list[str]:
    """The ids of launch templates whose ``depth`` newest versions include the image."""
    found = []
    for template in backend(account, region).launch_templates.values():
        versions = list(template.versions)[-depth:]
        if any(version.image_id == image_id for version in versions):
            found.append(str(template.id))
    return found
