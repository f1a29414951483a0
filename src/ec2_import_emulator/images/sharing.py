"""Who may launch an image and who may create volumes from a snapshot, and changing that.

An image's launch permissions (moto's ``Ami.launch_permissions``) name accounts,
the group ``all``, organizations and OUs.  An account may launch an image it
owns, a public one, one shared with it, or one shared with its organization or
with an OU it is in or below ("all of the children accounts gain access": the
user guide, "Share an AMI with organizations or OUs"); membership is read from
moto's Organizations.  A snapshot's create-volume permissions name accounts and
``all`` only.

The rules of sharing (the user guide, "Make an AMI public", "Share an AMI with
specific AWS accounts", "Share an Amazon EBS snapshot"):

- only the owner changes them (AuthFailure otherwise);
- an image backed by snapshots encrypted with the AWS managed key ``aws/ebs``
  cannot be shared: ModifyImageAttribute refuses it at once (the reply
  hashicorp/packer#7410 recorded), and ModifySnapshotAttribute likewise;
- an image with encrypted snapshots cannot be made public, nor can an encrypted
  snapshot (modelled error);
- at most 5 public AMIs per Region and 1,000 entities per AMI ("AMI quotas");
- a public AMI gets a deprecation time two years after its creation, unless it
  has an earlier one ("Make an AMI public", Automatic deprecation).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, rules
from ec2_import_emulator.images.records import ImageFacts, ImageRecord
from ec2_import_emulator.images.rules import Grantee, Permission

PUBLIC_IMAGE_QUOTA = 5
SHARING_QUOTA = 1000
PUBLIC = Permission(Grantee.GROUP, "all")


def permissions(ami: Any) -> list[Permission]:
    found = []
    for entry in ami.launch_permissions:
        for kind in Grantee:
            if kind.value in entry:
                found.append(Permission(kind, str(entry[kind.value])))
    return found


def is_public(ami: Any) -> bool:
    return PUBLIC in permissions(ami)


def can_launch(ami: Any, account: str) -> bool:
    if ami.owner_id == account:
        return True
    granted = permissions(ami)
    if PUBLIC in granted or Permission(Grantee.ACCOUNT, account) in granted:
        return True
    member = moto_ec2.membership(account)
    if member is None:
        return False
    if Permission(Grantee.ORGANIZATION, member.organization_arn) in granted:
        return True
    return any(Permission(Grantee.UNIT, arn) in granted for arn in member.unit_arns)


def visible(account: str, region: str) -> Iterator[tuple[str, Any]]:
    """Every image the account sees in the Region: (the backend's account, moto's Ami)."""
    for ami in list(moto_ec2.backend(account, region).amis.values()):
        yield account, ami
    for other, ec2 in moto_ec2.backends_in(region):
        if other == account:
            continue
        for ami in list(ec2.amis.values()):
            if ami.owner_id == other and can_launch(ami, account):
                yield other, ami


def find_visible(account: str, region: str, image_id: str) -> tuple[str, Any] | None:
    for owner, ami in visible(account, region):
        if ami.id == image_id:
            return owner, ami
    return None


def owned(account: str, region: str, image_id: str) -> Any:
    """The account's own image; AuthFailure for another's it can see, NotFound otherwise."""
    rules.check_image_id(image_id)
    ami = moto_ec2.find_image(account, region, image_id)
    if ami is not None and ami.owner_id == account:
        return ami
    if ami is None and find_visible(account, region, image_id) is not None:
        raise errors.not_authorized(image_id)
    if ami is None and moto_ec2.was_deregistered(account, region, image_id):
        raise errors.image_unavailable(image_id)
    if ami is None:
        raise errors.image_not_found([image_id])
    raise errors.not_authorized(image_id)


def _encrypted_with_default_key(account: str, region: str, facts: ImageFacts) -> bool:
    for snapshot_id in facts.snapshot_ids():
        snapshot = moto_ec2.find_snapshot(account, region, snapshot_id)
        if (
            snapshot is not None
            and snapshot.encrypted
            and moto_ec2.is_default_ebs_key(account, region, moto_ec2.snapshot_key(snapshot))
        ):
            return True
    return False


def _encrypted(facts: ImageFacts) -> bool:
    return any(mapping.ebs is not None and mapping.ebs.encrypted for mapping in facts.mappings)


def modify_launch_permissions(
    account: str,
    region: str,
    ami: Any,
    record: ImageRecord,
    *,
    add: Sequence[Permission],
    remove: Sequence[Permission],
    now: datetime,
) -> ImageRecord:
    """Apply the changes; answers the record (a new deprecation time when made public)."""
    current = permissions(ami)
    shares = [p for p in add if p != PUBLIC]
    if shares and _encrypted_with_default_key(account, region, record.facts):
        raise errors.default_key_not_shareable()
    going_public = PUBLIC in add and PUBLIC not in current and PUBLIC not in remove
    if going_public:
        if _encrypted(record.facts):
            raise errors.public_encrypted()
        public_count = sum(
            1 for other in moto_ec2.backend(account, region).amis.values() if is_public(other)
        )
        if public_count >= PUBLIC_IMAGE_QUOTA:
            raise errors.public_image_quota(PUBLIC_IMAGE_QUOTA)
    result = [p for p in current if p not in remove]
    for entry in add:
        if entry not in result and entry not in remove:
            result.append(entry)
    if len([p for p in result if p != PUBLIC]) > SHARING_QUOTA:
        raise errors.sharing_quota(SHARING_QUOTA)
    ami.launch_permissions = [p.as_dict() for p in result]
    if going_public:
        latest = ami.creation_date + rules.PUBLIC_DEPRECATION_LIMIT
        if record.deprecation_time is None or record.deprecation_time > latest:
            return replace(record, deprecation_time=latest)
    return record


def launch_permission_changes(params: dict[str, Any]) -> tuple[list[Permission], list[Permission]]:
    """LaunchPermission.Add/Remove, or the older OperationType with UserIds, UserGroups,
    OrganizationArns and OrganizationalUnitArns."""
    add: list[Permission] = []
    remove: list[Permission] = []
    structured = params.get("LaunchPermission") or {}
    add += [rules.permission(entry) for entry in structured.get("Add", [])]
    remove += [rules.permission(entry) for entry in structured.get("Remove", [])]
    operation = params.get("OperationType")
    flat: list[Permission] = []
    for user in params.get("UserIds", []):
        flat.append(rules.permission({"UserId": user}))
    for group in params.get("UserGroups", []):
        flat.append(rules.permission({"Group": group}))
    for arn in params.get("OrganizationArns", []):
        flat.append(rules.permission({"OrganizationArn": arn}))
    for arn in params.get("OrganizationalUnitArns", []):
        flat.append(rules.permission({"OrganizationalUnitArn": arn}))
    if flat:
        rules.choice("OperationType", operation, ("add", "remove"))
        if operation is None:
            raise common.missing_parameter("OperationType")
        (add if operation == "add" else remove).extend(flat)
    return add, remove


# -- snapshots ------------------------------------------------------------------


def volume_permission_changes(params: dict[str, Any]) -> tuple[list[Permission], list[Permission]]:
    structured = params.get("CreateVolumePermission") or {}
    add = [_volume_permission(entry) for entry in structured.get("Add", [])]
    remove = [_volume_permission(entry) for entry in structured.get("Remove", [])]
    flat = [_volume_permission({"UserId": user}) for user in params.get("UserIds", [])]
    flat += [_volume_permission({"Group": group}) for group in params.get("GroupNames", [])]
    if flat:
        operation = rules.choice("OperationType", params.get("OperationType"), ("add", "remove"))
        if operation is None:
            raise common.missing_parameter("OperationType")
        (add if operation == "add" else remove).extend(flat)
    return add, remove


def _volume_permission(entry: dict[str, str]) -> Permission:
    found = rules.permission(entry)
    if found.kind not in (Grantee.ACCOUNT, Grantee.GROUP):
        raise errors.attribute_item_value("createVolumePermission", found.value)
    return found


def modify_volume_permissions(
    account: str,
    region: str,
    snapshot: Any,
    add: Sequence[Permission],
    remove: Sequence[Permission],
) -> None:
    shared = any(p != PUBLIC for p in add)
    if (
        shared
        and snapshot.encrypted
        and moto_ec2.is_default_ebs_key(account, region, moto_ec2.snapshot_key(snapshot))
    ):
        raise errors.default_key_not_shareable()
    if PUBLIC in add and snapshot.encrypted:
        raise errors.public_snapshot_encrypted(snapshot.id)

    def holder(entry: Permission) -> set[str]:
        if entry.kind is Grantee.GROUP:
            return snapshot.create_volume_permission_groups  # type: ignore[no-any-return]
        return snapshot.create_volume_permission_userids  # type: ignore[no-any-return]

    for entry in add:
        holder(entry).add(entry.value)
    for entry in remove:
        holder(entry).discard(entry.value)


def can_read_snapshot(snapshot: Any, account: str) -> bool:
    return (
        snapshot.owner_id == account
        or "all" in snapshot.create_volume_permission_groups
        or account in snapshot.create_volume_permission_userids
    )


def readable_snapshot(account: str, region: str, snapshot_id: str) -> tuple[str, Any] | None:
    """The account's snapshot, or one shared with it: (owner, moto's snapshot)."""
    own = moto_ec2.find_snapshot(account, region, snapshot_id)
    if own is not None:
        return account, own
    for other, ec2 in moto_ec2.backends_in(region):
        found = ec2.snapshots.get(snapshot_id)
        if other != account and found is not None and can_read_snapshot(found, account):
            return other, found
    return None
