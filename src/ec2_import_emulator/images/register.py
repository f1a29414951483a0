"""RegisterImage: an EBS-backed AMI from snapshots, with the fields the service keeps.

The rules, in the order they are checked (docs/emulator.md, "Images", has each
with its source):

1. Name (``rules.check_name``), Description (255 characters), the enumerations
   of the EC2 model (Architecture: i386, x86_64, arm64, x86_64_mac, arm64_mac;
   BootMode: legacy-bios, uefi, uefi-preferred; TpmSupport and ImdsSupport:
   v2.0; VirtualizationType: hvm, paravirtual; SriovNetSupport: simple).
   Architecture defaults to i386 and VirtualizationType to paravirtual, as the
   API reference says for EBS-backed AMIs.
2. TpmSupport only with BootMode uefi (the user guide, "NitroTPM": register with
   ``--boot-mode uefi``; "you can't ... create an AMI that supports both NitroTPM
   and UEFI Preferred"); arm64 not with legacy-bios (Graviton instance types boot
   only UEFI: "Boot modes"; the refusal at registration is modelled).
3. UefiData: base64, at most 64,000 characters (the model's
   ``ImageUefiDataRequest``).
4. The block device mappings: a device name each, once; an EBS volume names a
   snapshot or a size ("Either snapshot ID or volume size must be provided");
   the encryption state cannot be given with a snapshot ("you can't specify the
   encryption state of the volume": RegisterImage's reference; the volume is
   encrypted exactly when the snapshot is); the size is at least the snapshot's;
   st1 and sc1 cannot be the root volume; the root device is mapped to a
   snapshot.  Each snapshot is the account's, or shared with it, and completed.
5. TagSpecifications: ``image`` only ("If you specify another value for
   ResourceType, the request fails").
6. The name is unused in the account's Region (InvalidAMIName.Duplicate).

ImageLocation (instance store-backed AMIs) is not emulated.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, rules, sharing
from ec2_import_emulator.images.records import DeviceMapping, EbsDevice, ImageFacts, ImageRecord

ARCHITECTURES = ("i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac")
BOOT_MODES = ("legacy-bios", "uefi", "uefi-preferred")
VIRTUALIZATION_TYPES = ("hvm", "paravirtual")
VOLUME_TYPES = ("standard", "io1", "io2", "gp2", "sc1", "st1", "gp3")
NOT_BOOTABLE = ("st1", "sc1")
MAX_UEFI_DATA = 64000
#: the largest volume of each type, GiB (EBS user guide, "Amazon EBS volume types")
LARGEST = {"standard": 1024, "io1": 16384, "io2": 65536, "gp2": 16384, "gp3": 16384}
LARGEST_HDD = 16384
#: a gp3 volume's baseline (EBS user guide, "General Purpose SSD volumes")
GP3_IOPS = 3000
GP3_THROUGHPUT = 125
DEFAULT_VOLUME_TYPE = "gp2"


@dataclass(frozen=True)
class Registration:
    """A RegisterImage request, checked."""

    name: str
    description: str | None
    facts: ImageFacts
    tags: dict[str, str]


def _name_in_use(account: str, region: str, name: str) -> str | None:
    for ami in moto_ec2.backend(account, region).amis.values():
        if ami.owner_id == account and ami.name == name:
            return str(ami.id)
    return None


def check_unique_name(account: str, region: str, name: str) -> None:
    other = _name_in_use(account, region, name)
    if other is not None:
        raise errors.name_duplicate(name, other)


def _uefi_data(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_UEFI_DATA:
        raise errors.uefi_data_too_large(len(value), MAX_UEFI_DATA)
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise errors.uefi_data_malformed() from None
    return value


def _ebs(account: str, region: str, device: str, ebs: dict[str, Any], root: bool) -> EbsDevice:
    snapshot_id = ebs.get("SnapshotId")
    volume_type = rules.choice(
        f"BlockDeviceMapping.{device}.Ebs.VolumeType", ebs.get("VolumeType"), VOLUME_TYPES
    )
    volume_type = volume_type or DEFAULT_VOLUME_TYPE
    if root and volume_type in NOT_BOOTABLE:
        raise errors.boot_volume_type(volume_type)
    size = ebs.get("VolumeSize")
    encrypted = False
    kms_key_id = None
    if snapshot_id is not None:
        if "Encrypted" in ebs or "KmsKeyId" in ebs:
            raise errors.encrypted_with_snapshot(device)
        found = sharing.readable_snapshot(account, region, snapshot_id)
        if found is None:
            raise common.no_such_snapshot(snapshot_id)
        _, snapshot = found
        if snapshot.status != "completed":
            raise errors.snapshot_not_completed(snapshot_id, str(snapshot.status))
        needed = moto_ec2.snapshot_size_gib(snapshot)
        size = needed if size is None else size
        if size < needed:
            raise errors.volume_smaller_than_snapshot(size, snapshot_id, needed)
        encrypted = bool(snapshot.encrypted)
        kms_key_id = moto_ec2.snapshot_key(snapshot)
    elif size is None:
        raise errors.no_snapshot_or_size([device])
    else:
        encrypted = bool(ebs.get("Encrypted")) or moto_ec2.encryption_by_default(account, region)
        kms_key_id = ebs.get("KmsKeyId")
    largest = LARGEST.get(volume_type, LARGEST_HDD)
    if not 1 <= size <= largest:
        raise errors.volume_size_range(size, volume_type, largest)
    iops = ebs.get("Iops")
    throughput = ebs.get("Throughput")
    if volume_type == "gp3":
        iops = GP3_IOPS if iops is None else iops
        throughput = GP3_THROUGHPUT if throughput is None else throughput
    return EbsDevice(
        snapshot_id=snapshot_id,
        volume_size=int(size),
        volume_type=volume_type,
        delete_on_termination=bool(ebs.get("DeleteOnTermination", True)),
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        iops=iops,
        throughput=throughput,
    )


def _mappings(
    account: str, region: str, requested: list[dict[str, Any]], root_device: str
) -> tuple[DeviceMapping, ...]:
    mappings: list[DeviceMapping] = []
    seen: set[str] = set()
    for entry in requested:
        device = entry.get("DeviceName")
        if not device:
            raise common.missing_parameter("BlockDeviceMapping.N.DeviceName")
        if device in seen:
            raise errors.duplicate_device(device)
        seen.add(device)
        if "NoDevice" in entry:
            mappings.append(DeviceMapping(device, no_device=True))
        elif "VirtualName" in entry:
            mappings.append(DeviceMapping(device, virtual_name=entry["VirtualName"]))
        else:
            ebs = _ebs(account, region, device, dict(entry.get("Ebs") or {}), device == root_device)
            mappings.append(DeviceMapping(device, ebs))
    root = next((m for m in mappings if m.device_name == root_device), None)
    if root is None or root.ebs is None or root.ebs.snapshot_id is None:
        raise errors.root_not_mapped(root_device)
    return tuple(mappings)


def check(params: dict[str, Any], account: str, region: str) -> Registration:
    name = rules.check_name(params.get("Name"))
    description = rules.check_description(params.get("Description"))
    architecture = rules.choice("Architecture", params.get("Architecture"), ARCHITECTURES)
    architecture = architecture or "i386"
    boot_mode = rules.choice("BootMode", params.get("BootMode"), BOOT_MODES)
    virtualization = rules.choice(
        "VirtualizationType", params.get("VirtualizationType"), VIRTUALIZATION_TYPES
    )
    tpm = rules.choice("TpmSupport", params.get("TpmSupport"), ("v2.0",))
    imds = rules.choice("ImdsSupport", params.get("ImdsSupport"), ("v2.0",))
    sriov = rules.choice("SriovNetSupport", params.get("SriovNetSupport"), ("simple",))
    if tpm is not None and boot_mode != "uefi":
        raise errors.tpm_needs_uefi(boot_mode)
    if architecture.startswith("arm64") and boot_mode == "legacy-bios":
        raise errors.arm64_needs_uefi()
    uefi_data = _uefi_data(params.get("UefiData"))
    if params.get("ImageLocation"):
        raise errors.not_emulated("ImageLocation (an instance store-backed AMI)")
    if params.get("BillingProducts"):
        raise errors.not_emulated("BillingProducts")
    root_device = params.get("RootDeviceName")
    if not root_device:
        raise common.missing_parameter("RootDeviceName")
    mappings = _mappings(account, region, list(params.get("BlockDeviceMappings", [])), root_device)
    tags = rules.tags(params.get("TagSpecifications", []), ("image",)).get("image", {})
    check_unique_name(account, region, name)
    facts = ImageFacts(
        architecture=architecture,
        virtualization_type=virtualization or "paravirtual",
        root_device_name=root_device,
        mappings=mappings,
        boot_mode=boot_mode,
        ena_support=bool(params.get("EnaSupport", False)),
        sriov_net_support=sriov,
        tpm_support=tpm,
        uefi_data=uefi_data,
        imds_support=imds,
        kernel_id=params.get("KernelId"),
        ramdisk_id=params.get("RamdiskId"),
    )
    return Registration(name, description, facts, tags)


def create(
    account: str,
    region: str,
    name: str,
    description: str | None,
    *,
    record: ImageRecord,
    now: datetime,
    state: str = "available",
) -> Any:
    """The image in moto, with its record; its facts' fields moto also keeps set there."""
    ami = moto_ec2.new_image(account, region, name, description)
    facts = record.facts
    ami.state = state
    ami.creation_date = now
    ami.architecture = facts.architecture
    ami.virtualization_type = facts.virtualization_type
    ami.root_device_name = facts.root_device_name
    ami.root_device_type = "ebs"
    ami.boot_mode = facts.boot_mode
    ami.platform = facts.platform
    ami.hypervisor = facts.hypervisor
    ami.kernel_id = facts.kernel_id
    ami.image_location = f"{account}/{name}"
    ami.sriov = facts.sriov_net_support
    root = facts.root
    if root is not None and root.ebs is not None and root.ebs.snapshot_id:
        snapshot = moto_ec2.find_snapshot(account, region, root.ebs.snapshot_id)
        if snapshot is not None:
            ami.ebs_snapshot = snapshot
    moto_ec2.attach(ami, record)
    return ami


def register(params: dict[str, Any], account: str, region: str, now: datetime) -> dict[str, Any]:
    registration = check(params, account, region)
    ami = create(
        account,
        region,
        registration.name,
        registration.description,
        record=ImageRecord(registration.facts),
        now=now,
    )
    moto_ec2.tag(account, region, ami.id, registration.tags)
    return {"ImageId": ami.id}
