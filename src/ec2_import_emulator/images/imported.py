"""The AMI an ImportImage task registers, with its snapshots and what they hold.

VM Import registers an HVM image on the xen hypervisor with an EBS root
``/dev/sda1`` and one snapshot per disk (docs/emulator.md, "The task
lifecycle"); each snapshot holds the disk's virtual blocks, read through the
container of the uploaded object into the snapshot-content store by the task
(``diskcontent``), so the image can be inspected like any other (``inspection``)
and copied with its content.  PlatformDetails follows the
billing code (the user guide, "Understand AMI billing information": RunInstances
is Linux/UNIX, RunInstances:0002 Windows, RunInstances:0800 Windows BYOL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ec2_import_emulator.images import moto_ec2, register
from ec2_import_emulator.images.records import DeviceMapping, EbsDevice, ImageFacts, ImageRecord

PLATFORM_DETAILS = {
    "RunInstances": "Linux/UNIX",
    "RunInstances:0002": "Windows",
    "RunInstances:0800": "Windows BYOL",
}
VOLUME_TYPE = "gp2"


@dataclass(frozen=True)
class ImportedDisk:
    device_name: str
    size_gib: int


def register_import(
    account: str,
    region: str,
    *,
    name: str,
    description: str,
    snapshot_description: str,
    architecture: str,
    windows: bool,
    boot_mode: str,
    usage_operation: str,
    encrypted: bool,
    kms_key_id: str | None,
    disks: tuple[ImportedDisk, ...],
    now: datetime,
) -> tuple[str, tuple[str, ...]]:
    """Register the snapshots and the ``pending`` AMI; answers their ids."""
    key = kms_key_id
    if encrypted and key is None:
        key = moto_ec2.default_ebs_key(account, region)
    mappings = []
    for disk in disks:
        snapshot = moto_ec2.new_snapshot(
            account,
            region,
            moto_ec2.NewSnapshot(
                size_gib=disk.size_gib,
                description=snapshot_description,
                encrypted=encrypted,
                kms_key_id=key,
                state="completed",
            ),
        )
        mappings.append(
            DeviceMapping(
                disk.device_name,
                EbsDevice(
                    snapshot_id=str(snapshot.id),
                    volume_size=disk.size_gib,
                    volume_type=VOLUME_TYPE,
                    delete_on_termination=True,
                    encrypted=encrypted,
                    kms_key_id=key,
                ),
            )
        )
    facts = ImageFacts(
        architecture=architecture,
        virtualization_type="hvm",
        root_device_name=mappings[0].device_name if mappings else "/dev/sda1",
        mappings=tuple(mappings),
        boot_mode=boot_mode,
        platform="windows" if windows else None,
        platform_details=PLATFORM_DETAILS.get(usage_operation, "Linux/UNIX"),
        usage_operation=usage_operation,
    )
    ami = register.create(
        account, region, name, description, record=ImageRecord(facts), now=now, state="pending"
    )
    return str(ami.id), tuple(m.ebs.snapshot_id for m in mappings if m.ebs and m.ebs.snapshot_id)
