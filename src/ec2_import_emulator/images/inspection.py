"""The emulator's own view of an AMI: ``GET /emulator/images/{ami-id}`` on its port, as JSON.

Not an EC2 API: nothing of it appears in EC2's replies or in tags, so no tool
can take it for a field of the service.  It says whether the AMI could boot
(``bootcheck``): the boot mode asked for and the one an instance would use,
what the root snapshot holds (partition table, the boot modes the disk
supports, the ESP's fallback loaders, whether any byte is not zero), and a
verdict with its reason.  ``?region=R`` narrows the search; without it every
account and Region moto has is searched (AMI ids are unique).
"""

from __future__ import annotations

import json
from typing import Any

from ec2_import_emulator.images import bootcheck, moto_ec2, sharing, view
from ec2_import_emulator.images.content import snapshot_content

PREFIX = "/emulator/images/"


def _find(image_id: str, region: str | None) -> tuple[str, str, Any] | None:
    for account, where, ec2 in moto_ec2.backends():
        if region is not None and where != region:
            continue
        ami = ec2.amis.get(image_id)
        if ami is not None and ami.owner_id == account:
            return account, where, ami
    return None


def describe(image_id: str, region: str | None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON document for one image."""
    found = _find(image_id, region)
    if found is None:
        return 404, {"Error": f"No image {image_id} in the emulator."}
    account, where, ami = found
    record = view.record_for(ami)
    facts = record.facts
    root = facts.root
    snapshot_id = root.ebs.snapshot_id if root is not None and root.ebs is not None else None
    disk = None
    if snapshot_id is not None:
        readable = sharing.readable_snapshot(account, where, snapshot_id)
        if readable is not None:
            disk = snapshot_content(readable[0], where, snapshot_id)
    result = bootcheck.check(snapshot_id, disk, facts.boot_mode, facts.architecture)
    return 200, {
        "ImageId": ami.id,
        "OwnerId": account,
        "Region": where,
        "Name": ami.name,
        "State": ami.state,
        "Architecture": facts.architecture,
        "BootMode": result.boot_mode,
        "EffectiveBootMode": result.effective_boot_mode,
        "RootDeviceName": facts.root_device_name,
        "RootSnapshotId": result.root_snapshot_id,
        "Disk": {
            "PartitionTable": result.partition_table,
            "BootModes": result.disk_boot_mode,
            "EspLoaders": list(result.esp_loaders),
            "HoldsData": result.holds_data,
        },
        "Boots": result.boots,
        "Reason": result.reason,
    }


def render(status: int, document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=False) + "\n").encode()
