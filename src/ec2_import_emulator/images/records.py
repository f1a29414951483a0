"""What the emulator keeps of an AMI beyond moto's ``Ami``: typed, frozen records.

``ImageFacts`` is what registration fixed (architecture, boot mode, the block
device mappings, ENA, TPM, IMDS, UEFI data...): CopyImage carries it to the copy.
``ImageRecord`` adds the image's own settings, which a copy does not inherit
(deprecation, deregistration protection) and, for a copy, where it came from
and when it completes.  A record is replaced, never changed in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EbsDevice:
    """An EBS volume of a block device mapping (sizes in GiB)."""

    snapshot_id: str | None
    volume_size: int
    volume_type: str
    delete_on_termination: bool
    encrypted: bool
    kms_key_id: str | None = None
    iops: int | None = None
    throughput: int | None = None


@dataclass(frozen=True)
class DeviceMapping:
    device_name: str
    ebs: EbsDevice | None = None
    virtual_name: str | None = None
    no_device: bool = False


@dataclass(frozen=True)
class ImageFacts:
    """An AMI as registered: what instances launched from it get."""

    architecture: str
    virtualization_type: str
    root_device_name: str
    mappings: tuple[DeviceMapping, ...]
    boot_mode: str | None = None
    ena_support: bool = False
    sriov_net_support: str | None = None
    tpm_support: str | None = None
    uefi_data: str | None = None
    imds_support: str | None = None
    #: ``windows`` or None, as DescribeImages shows it
    platform: str | None = None
    platform_details: str = "Linux/UNIX"
    usage_operation: str = "RunInstances"
    kernel_id: str | None = None
    ramdisk_id: str | None = None
    hypervisor: str = "xen"

    @property
    def root(self) -> DeviceMapping | None:
        return next((m for m in self.mappings if m.device_name == self.root_device_name), None)

    def snapshot_ids(self) -> tuple[str, ...]:
        return tuple(
            m.ebs.snapshot_id for m in self.mappings if m.ebs is not None and m.ebs.snapshot_id
        )


@dataclass(frozen=True)
class Protection:
    """Deregistration protection: on (with or without the 24-hour cooldown), or off, possibly
    still in the cooldown that disabling it started."""

    enabled: bool = False
    cooldown: bool = False
    #: when protection was disabled with a cooldown: the image is protected until then
    until: datetime | None = None


@dataclass(frozen=True)
class Failure:
    """Why an image is ``failed`` (DescribeImages' StateReason)."""

    code: str
    message: str


@dataclass(frozen=True)
class ImageRecord:
    facts: ImageFacts
    source_image_id: str | None = None
    source_image_region: str | None = None
    deprecation_time: datetime | None = None
    protection: Protection = Protection()
    #: a pending copy completes at this (emulator) time
    ready_at: datetime | None = None
    #: a copy that will fail (an unusable KMS key) ends ``failed`` with this reason
    failure: Failure | None = None
