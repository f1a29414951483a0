"""An image as DescribeImages and DescribeImageAttribute show it (botocore's member names).

moto gives the id, name, description, state, owner, creation date, tags and
launch permissions; the record (``records.ImageRecord``) the rest.  An image
without a record (moto's default AMIs, CreateImage from an instance) is shown
from moto's fields.  An image shared with the caller shows no tags ("your
user-defined tags are not available to any AWS account ... with which the AMI
is shared": the user guide, "Share an AMI with organizations or OUs").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ec2_import_emulator.images import moto_ec2, rules, sharing
from ec2_import_emulator.images.records import DeviceMapping, EbsDevice, ImageFacts, ImageRecord

PROTECTION_DISABLED = "disabled"


def derived_facts(ami: Any) -> ImageFacts:
    """What moto's own fields say of an image the emulator did not register."""
    mappings = []
    for entry in ami.block_device_mappings:
        ebs = entry.get("Ebs") or {}
        snapshot = None
        if ebs.get("SnapshotId"):
            snapshot = moto_ec2.find_snapshot(
                ami.owner_id, ami.ec2_backend.region_name, ebs["SnapshotId"]
            )
        mappings.append(
            DeviceMapping(
                entry["DeviceName"],
                EbsDevice(
                    snapshot_id=ebs.get("SnapshotId"),
                    volume_size=int(ebs.get("VolumeSize", 8)),
                    volume_type=str(ebs.get("VolumeType", "standard")),
                    delete_on_termination=bool(ebs.get("DeleteOnTermination", False)),
                    encrypted=bool(snapshot is not None and snapshot.encrypted),
                ),
            )
        )
    platform = "windows" if str(ami.platform or "").lower() == "windows" else None
    return ImageFacts(
        architecture=str(ami.architecture or "x86_64"),
        virtualization_type=str(ami.virtualization_type or "hvm"),
        root_device_name=str(ami.root_device_name or "/dev/sda1"),
        mappings=tuple(mappings),
        boot_mode=ami.boot_mode,
        platform=platform,
        platform_details="Windows" if platform else "Linux/UNIX",
        usage_operation="RunInstances:0002" if platform else "RunInstances",
        kernel_id=ami.kernel_id,
        hypervisor=str(ami.hypervisor or "xen"),
        sriov_net_support=ami.sriov,
    )


def record_for(ami: Any) -> ImageRecord:
    return moto_ec2.record_of(ami) or ImageRecord(derived_facts(ami))


def protection_text(record: ImageRecord, now: datetime) -> str:
    protection = record.protection
    if protection.enabled:
        return "enabled-with-cooldown" if protection.cooldown else "enabled-without-cooldown"
    if protection.until is not None and protection.until > now:
        return f"disabled-until {rules.iso(protection.until)}"
    return PROTECTION_DISABLED


def protected_until(record: ImageRecord, now: datetime) -> tuple[bool, str | None]:
    """Whether DeregisterImage is refused now, and until when for a cooldown."""
    protection = record.protection
    if protection.enabled:
        return True, None
    if protection.until is not None and protection.until > now:
        return True, rules.iso(protection.until)
    return False, None


def mapping_view(mapping: DeviceMapping) -> dict[str, Any]:
    view: dict[str, Any] = {"DeviceName": mapping.device_name}
    if mapping.virtual_name is not None:
        view["VirtualName"] = mapping.virtual_name
    if mapping.no_device:
        view["NoDevice"] = ""
    if mapping.ebs is not None:
        ebs = mapping.ebs
        device: dict[str, Any] = {
            "DeleteOnTermination": ebs.delete_on_termination,
            "VolumeSize": ebs.volume_size,
            "VolumeType": ebs.volume_type,
            "Encrypted": ebs.encrypted,
        }
        if ebs.snapshot_id is not None:
            device["SnapshotId"] = ebs.snapshot_id
        if ebs.iops is not None:
            device["Iops"] = ebs.iops
        if ebs.throughput is not None:
            device["Throughput"] = ebs.throughput
        view["Ebs"] = device
    return view


def last_launched(owner: str, region: str, image_id: str) -> datetime | None:
    times = [
        launched.launched
        for launched in moto_ec2.instances_of(owner, region, image_id)
        if launched.launched is not None
    ]
    return max(times) if times else None


def image_view(owner: str, region: str, ami: Any, caller: str, now: datetime) -> dict[str, Any]:
    record = record_for(ami)
    facts = record.facts
    name = ami.name or ""
    view: dict[str, Any] = {
        "ImageId": ami.id,
        "ImageLocation": ami.image_location or f"{ami.owner_alias or ami.owner_id}/{name}",
        "State": ami.state,
        "OwnerId": ami.owner_id,
        "CreationDate": rules.iso(ami.creation_date),
        "Public": sharing.is_public(ami),
        "Architecture": facts.architecture,
        "ImageType": ami.image_type or "machine",
        "PlatformDetails": facts.platform_details,
        "UsageOperation": facts.usage_operation,
        "BlockDeviceMappings": [mapping_view(m) for m in facts.mappings],
        "EnaSupport": facts.ena_support,
        "Hypervisor": facts.hypervisor,
        "Name": name,
        "RootDeviceName": facts.root_device_name,
        "RootDeviceType": "ebs",
        "VirtualizationType": facts.virtualization_type,
        "DeregistrationProtection": protection_text(record, now),
    }
    optional = {
        "ProductCodes": [
            {"ProductCodeId": code, "ProductCodeType": "marketplace"} for code in ami.product_codes
        ],
        "KernelId": facts.kernel_id,
        "RamdiskId": facts.ramdisk_id,
        "Platform": facts.platform,
        "Description": ami.description,
        "ImageOwnerAlias": ami.owner_alias,
        "SriovNetSupport": facts.sriov_net_support,
        "BootMode": facts.boot_mode,
        "TpmSupport": facts.tpm_support,
        "ImdsSupport": facts.imds_support,
        "SourceInstanceId": ami.instance_id,
        "SourceImageId": record.source_image_id,
        "SourceImageRegion": record.source_image_region,
    }
    view.update({key: value for key, value in optional.items() if value})
    if record.deprecation_time is not None:
        view["DeprecationTime"] = rules.iso(record.deprecation_time)
    launched = last_launched(owner, region, ami.id)
    if launched is not None:
        view["LastLaunchedTime"] = rules.iso(launched)
    if ami.state == "failed" and record.failure is not None:
        view["StateReason"] = {"Code": record.failure.code, "Message": record.failure.message}
    tags = moto_ec2.tags_of(ami) if ami.owner_id == caller else []
    if tags:
        view["Tags"] = [{"Key": key, "Value": value} for key, value in tags]
    return view
