"""The three roads to an AMI, and the one table of what each takes (shared).

- **image**: the disks uploaded to S3, ImportImage (VM Import reads the guest, injects
  drivers, handles Windows licensing), which registers the AMI.
- **snapshot**: the disks uploaded to S3, ImportSnapshot per disk, then RegisterImage: the
  guest is left as it is.
- **direct**: each disk's virtual blocks written into an EBS snapshot with the EBS direct
  APIs (no bucket, no service role), then RegisterImage: the guest is left as it is.

``TABLE`` says, per road, the container formats it takes (ImportImage: OVA, VMDK, VHD,
VHDX, RAW, the disk checks' ``ACCEPTED_FORMATS``; ImportSnapshot: VHD, VMDK, RAW, the only
Formats its ``DiskContainer`` takes, an OVA's VMDK among them; direct: every container
``diskimage.virtual`` reads through to its virtual disk), whether it takes arm64
(ImportImage takes i386 and x86_64 only; RegisterImage takes arm64 with UEFI), whether it
takes a Windows guest (the image road only: licensing and drivers are what ImportImage
does) and what it needs of the account (a bucket, the ``vmimport`` service role).  The
disk checks of each road (``vmimport.roadcheck``) and the guest's judgement
(``guestos.judge``) read it here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.diskimage.records import ACCEPTED_FORMATS, ContainerFormat, Variant


class Road(StrEnum):
    IMAGE = "image"
    SNAPSHOT = "snapshot"
    DIRECT = "direct"


ROADS = (Road.IMAGE, Road.SNAPSHOT, Road.DIRECT)
DEFAULT_ROAD = Road.IMAGE

#: why a Windows guest takes the image road only
WINDOWS_REASON = (
    "Windows needs what ImportImage does to it (license activation, the EC2 drivers); "
    "ImportSnapshot and the EBS direct APIs copy the disk unchanged"
)


class RoadTerms(NamedTuple):
    """What one road takes and needs."""

    #: what the road is, in a few words (help texts, messages)
    summary: str
    formats: frozenset[ContainerFormat]
    #: VMDK variants the road takes (every one it reads on the direct road)
    vmdk_variants: frozenset[Variant] | None
    arm64: bool
    windows: bool
    #: an S3 bucket to upload local disks to
    bucket: bool
    #: the ``vmimport`` service role (VM Import reads the bucket with it)
    role: bool
    #: whether the road registers the AMI itself (RegisterImage) rather than the service
    registers: bool


_STREAM = frozenset({Variant.STREAM_OPTIMIZED})

TABLE: dict[Road, RoadTerms] = {
    Road.IMAGE: RoadTerms(
        "S3 upload, then ImportImage",
        ACCEPTED_FORMATS,
        _STREAM,
        arm64=False,
        windows=True,
        bucket=True,
        role=True,
        registers=False,
    ),
    Road.SNAPSHOT: RoadTerms(
        "S3 upload, then ImportSnapshot per disk and RegisterImage",
        # ImportSnapshot's Formats; an OVA goes in as its VMDK, uploaded as its own object
        frozenset(
            {ContainerFormat.VHD, ContainerFormat.VMDK, ContainerFormat.RAW, ContainerFormat.OVA}
        ),
        _STREAM,
        arm64=True,
        windows=False,
        bucket=True,
        role=True,
        registers=True,
    ),
    Road.DIRECT: RoadTerms(
        "EBS direct APIs (no bucket, no role), then RegisterImage",
        ACCEPTED_FORMATS | {ContainerFormat.QCOW2, ContainerFormat.VDI},
        None,
        arm64=True,
        windows=False,
        bucket=False,
        role=False,
        registers=True,
    ),
}


def roads_taking(fmt: ContainerFormat) -> tuple[Road, ...]:
    """The roads that take a container format, in ``ROADS`` order."""
    return tuple(road for road in ROADS if fmt in TABLE[road].formats)


def takes_vmdk(road: Road, variant: Variant | None) -> bool:
    """Whether the road takes a VMDK of this variant."""
    variants = TABLE[road].vmdk_variants
    return variants is None or variant in variants
