"""What one image import asks for: its name, its disks and the ``import-image`` options.

``vmimport import`` builds one ``ImportSpec`` from its command line;
``vmimport batch`` one per manifest entry (``manifest.py``).  The values are
typed (enums for the choices ImportImage takes) and checked where they are
read, so the rest of the program never sees a raw string for a choice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.roads import DEFAULT_ROAD, Road
from ec2_import_image.vmimport.distribute.options import Distribution

#: the S3 key prefix uploads go under
DEFAULT_PREFIX = "vmimport/"
DEFAULT_ROLE = "vmimport"
#: ImportImage's limit on disk containers
MAX_DISKS = 21


class DiskFormat(StrEnum):
    OVA = "ova"
    VMDK = "vmdk"
    VHD = "vhd"
    VHDX = "vhdx"
    RAW = "raw"


class BootMode(StrEnum):
    LEGACY_BIOS = "legacy-bios"
    UEFI = "uefi"


class Architecture(StrEnum):
    I386 = "i386"
    X86_64 = "x86_64"
    #: accepted on the command line so that the check can explain why ImportImage refuses it
    ARM64 = "arm64"


class Platform(StrEnum):
    WINDOWS = "Windows"
    LINUX = "Linux"


class LicenseType(StrEnum):
    AWS = "AWS"
    BYOL = "BYOL"


class Auto(StrEnum):
    """``--via auto``: the road is chosen from the check before the upload (the check
    report's ``recommended_road``, ``vmimport.roadverdicts``), recorded with its reason and
    kept by every rerun of the attempt (``engine.entry.EntryWork.road``)."""

    AUTO = "auto"


#: what ``--via`` and the manifest's ``via`` take: a road, or ``auto``
Via = Road | Auto


#: what ``--via`` and the manifest's ``via`` take: the roads, and auto
VIA_NAMES = (*(road.value for road in Road), Auto.AUTO.value)


def via_named(text: str) -> Via:
    """The ``--via`` value ``text`` names (case-insensitive); ValueError for another."""
    lowered = text.lower()
    return Auto.AUTO if lowered == Auto.AUTO.value else Road(lowered)


class DiskSource(NamedTuple):
    """A disk: a local file (an absolute path) or an S3 object (``s3://bucket/key``)."""

    location: str

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")

    @property
    def bucket_and_key(self) -> tuple[str, str]:
        bucket, _, key = self.location.removeprefix("s3://").partition("/")
        return bucket, key


class ImportOptions(NamedTuple):
    """The options of one import; None where not given (the service's default applies)."""

    bucket: str | None = None
    prefix: str = DEFAULT_PREFIX
    format: DiskFormat | None = None
    boot_mode: BootMode | None = None
    architecture: Architecture | None = None
    platform: Platform | None = None
    license_type: LicenseType | None = None
    usage_operation: str | None = None
    description: str | None = None
    role_name: str = DEFAULT_ROLE
    encrypted: bool = False
    kms_key_id: str | None = None
    #: license configuration ARNs (``LicenseSpecifications``)
    license_specifications: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    keep_upload: bool = False
    #: the road to the AMI (``roads``): ImportImage, ImportSnapshot, or the EBS direct APIs;
    #: or ``auto``, chosen by the check
    via: Via = DEFAULT_ROAD
    #: RegisterImage's (the snapshot and direct roads): EnaSupport, TpmSupport v2.0, and a
    #: UEFI variable store file (its base64 is ``UefiData``)
    ena: bool = True
    tpm: bool = False
    uefi_data: str | None = None


class ImportSpec(NamedTuple):
    """One image to import: a unique name, its disks (the boot disk first), its options, and
    what is asked of its AMI once it is finished (``distribute``)."""

    name: str
    disks: tuple[DiskSource, ...]
    options: ImportOptions
    distribution: Distribution = Distribution()


def parse_s3_url(text: str) -> tuple[str, str] | None:
    """``(bucket, key)`` of ``s3://bucket/key``; None when either part is missing."""
    if not text.startswith("s3://"):
        return None
    bucket, _, key = text[len("s3://") :].partition("/")
    return (bucket, key) if bucket and key else None
