"""The end of an AMI's life: deprecation, deregistration protection, deregistration.

- EnableImageDeprecation / DisableImageDeprecation (the API reference and the
  user guide, "Deprecate an AMI"): the owner only; DeprecateAt rounded to the
  minute, not in the past, at most 10 years ahead (2 years from the creation
  date for a public AMI: ``rules.deprecation_time``); a public AMI's
  deprecation cannot be cancelled ("you must make the AMI private").
- EnableImageDeregistrationProtection (``WithCooldown``) /
  DisableImageDeregistrationProtection ("Protect an AMI from deregistration"):
  while on, DeregisterImage is refused; disabling protection that was enabled
  with the cooldown keeps refusing it for 24 hours of the emulator's clock.
  DescribeImages shows ``enabled-with-cooldown``, ``enabled-without-cooldown``,
  ``disabled``, and during a cooldown ``disabled-until <time>`` (modelled).  The
  refusal's code and message are modelled.
- DeregisterImage (``DeleteAssociatedSnapshots``: "if a snapshot is associated
  with multiple AMIs, it is not deleted"; the reply lists each snapshot,
  ``success`` or ``skipped``); deregistering a pending copy stops it ("Stop a
  pending AMI copy operation").
- DeleteSnapshot of a snapshot a registered AMI uses: InvalidSnapshot.InUse.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, rules, sharing, view
from ec2_import_emulator.images.records import Protection

COOLDOWN = timedelta(hours=24)


def enable_deprecation(
    params: dict[str, Any], account: str, region: str, now: datetime
) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    raw = params.get("DeprecateAt")
    if raw is None:
        raise common.missing_parameter("DeprecateAt")
    when = rules.deprecation_time(
        rules.parse_time(str(raw)), now, ami.creation_date, sharing.is_public(ami)
    )
    moto_ec2.attach(ami, replace(view.record_for(ami), deprecation_time=when))
    return {"Return": True}


def disable_deprecation(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    if sharing.is_public(ami):
        raise errors.public_deprecation_fixed(ami.id)
    moto_ec2.attach(ami, replace(view.record_for(ami), deprecation_time=None))
    return {"Return": True}


def enable_protection(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    protection = Protection(enabled=True, cooldown=bool(params.get("WithCooldown")))
    moto_ec2.attach(ami, replace(view.record_for(ami), protection=protection))
    return {"Return": "true"}


def disable_protection(
    params: dict[str, Any], account: str, region: str, now: datetime
) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    record = view.record_for(ami)
    current = record.protection
    if current.enabled:
        until = now + COOLDOWN if current.cooldown else None
        moto_ec2.attach(ami, replace(record, protection=Protection(until=until)))
    return {"Return": "true"}


def images_using(region: str, snapshot_id: str, besides: str | None = None) -> list[str]:
    """The registered images (any account of the Region) whose mappings name the snapshot."""
    found = []
    for _, ec2 in moto_ec2.backends_in(region):
        for ami in ec2.amis.values():
            if ami.id == besides:
                continue
            if snapshot_id in view.record_for(ami).facts.snapshot_ids():
                found.append(str(ami.id))
    return found


def deregister(params: dict[str, Any], account: str, region: str, now: datetime) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    record = view.record_for(ami)
    protected, until = view.protected_until(record, now)
    if protected:
        raise errors.deregistration_protected(ami.id, until)
    snapshots = record.facts.snapshot_ids()
    moto_ec2.remove_image(account, region, ami.id)
    result: dict[str, Any] = {"Return": True}
    if params.get("DeleteAssociatedSnapshots"):
        outcomes = []
        for snapshot_id in snapshots:
            if moto_ec2.find_snapshot(account, region, snapshot_id) is None:
                continue
            if images_using(region, snapshot_id):
                outcomes.append({"SnapshotId": snapshot_id, "ReturnCode": "skipped"})
                continue
            moto_ec2.delete_snapshot(account, region, snapshot_id)
            outcomes.append({"SnapshotId": snapshot_id, "ReturnCode": "success"})
        result["DeleteSnapshotResults"] = outcomes
    elif ami.state == "pending" and record.ready_at is not None:
        for snapshot_id in snapshots:
            moto_ec2.delete_snapshot(account, region, snapshot_id)
    return result


def check_snapshot_free(params: dict[str, Any], region: str) -> None:
    """DeleteSnapshot is refused while a registered AMI uses the snapshot; else moto answers."""
    snapshot_id = params.get("SnapshotId")
    if not snapshot_id:
        return
    users = images_using(region, snapshot_id)
    if users:
        raise errors.snapshot_in_use(snapshot_id, users[0])
