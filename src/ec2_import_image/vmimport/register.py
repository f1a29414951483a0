"""RegisterImage for the roads that make their own snapshots (snapshot, direct), at most once.

RegisterImage has no ClientToken, so "once" is made of the name and the tags:

1. the name: ``--ami-name`` (the one rule of ``distribute.options.AMI_NAME``; on these
   roads the name is given here and no CopyImage is needed), else one derived from the
   import's name and identity (``default_name``: ``NAME-<12 hex of the identity>``), so
   that a rerun, on this host or another, asks for the same name;
2. before registering, the account's AMIs of that name are looked at (DescribeImages,
   owner self): one carrying this import's identity tags (``vmimport:name``,
   ``vmimport:sha256``) is the AMI, found; one without them is another AMI, and the name
   is refused with a remedy (another ``--ami-name``);
3. RegisterImage with the identity's tags on the AMI (``TagSpecifications``, ``image``);
   ``InvalidAMIName.Duplicate`` (two hosts sharing a manifest raced) is looked up again
   and is "found" when the AMI carries this import's identity.

The request: Architecture (``x86_64``, or ``arm64``, which RegisterImage takes with UEFI),
BootMode from the check (``uefi``, ``legacy-bios``, or ``uefi-preferred`` when the boot disk
boots both ways; none when it cannot be told), RootDeviceName ``/dev/xvda`` and one
mapping per disk in order (the boot disk's snapshot first; ``gp3``, deleted on
termination; the encryption is the snapshot's, RegisterImage cannot change it),
VirtualizationType ``hvm``, EnaSupport (on unless ``--no-ena``: Nitro instances need it),
ImdsSupport ``v2.0`` with ``--imds-v2`` (irreversible for the AMI), TpmSupport ``v2.0``
with ``--tpm`` (UEFI only), UefiData from ``--uefi-data FILE`` (the file's bytes, base64),
the description.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.awserrors import error_code
from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.records import BootMode, DiskReport
from ec2_import_image.vmimport.distribute.options import AMI_NAME
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.identity import TAG_NAME, TAG_SHA256, Identity

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

ROOT_DEVICE = "/dev/xvda"
#: the device names of the other disks, in order (/dev/xvdb...)
DATA_DEVICES = tuple(f"/dev/xvd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz")
VOLUME_TYPE = "gp3"
DUPLICATE = "InvalidAMIName.Duplicate"
#: hex digits of the identity in a derived name
NAME_DIGITS = 12
MAX_NAME = 128


class Registration(NamedTuple):
    """What RegisterImage is asked (see the module's docstring)."""

    name: str
    architecture: str
    boot_mode: str | None
    snapshot_ids: tuple[str, ...]
    ena: bool = True
    imds_v2: bool = False
    tpm: bool = False
    uefi_data: str | None = None
    description: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


def default_name(identity: Identity) -> str:
    """The AMI's name when none is given: the import's name and 12 hex of its identity
    (RegisterImage's alphabet holds every character an entry's name may have)."""
    suffix = f"-{identity.sha256[:NAME_DIGITS]}"
    name = identity.name[: MAX_NAME - len(suffix)] + suffix
    assert AMI_NAME.match(name), name
    return name


def boot_mode_of(report: DiskReport | None, given: str | None) -> str | None:
    """The BootMode to register: given, else the boot disk's (both ways: uefi-preferred)."""
    if given is not None:
        return given
    if report is None:
        return None
    if report.boot_mode is BootMode.BOTH:
        return "uefi-preferred"
    if report.boot_mode in (BootMode.UEFI, BootMode.LEGACY_BIOS):
        return report.boot_mode.value
    return None


def architecture_of(report: DiskReport | None, given: str | None) -> str:
    """The Architecture to register: given, else arm64 when the boot disk's ESP holds only
    an arm64 loader, else x86_64."""
    if given is not None:
        return given
    if report is not None and report.esp_loaders == ("BOOTAA64.EFI",):
        return "arm64"
    return "x86_64"


def uefi_data(path: str | None) -> str | None:
    """``--uefi-data FILE`` as RegisterImage's UefiData (base64 of the file's bytes)."""
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise EntryFailed(
            Diagnostic(
                FailureCode.CHECK,
                f"the UEFI variable store {path} cannot be read: {error.strerror or error}",
                hint="Give --uefi-data a file that exists (a variable store made with "
                "python-uefivars, for instance).",
            )
        ) from None
    return base64.b64encode(data).decode("ascii")


def request(registration: Registration) -> dict[str, Any]:
    """The RegisterImage parameters."""
    mappings = [
        {
            "DeviceName": device,
            "Ebs": {
                "SnapshotId": snapshot,
                "VolumeType": VOLUME_TYPE,
                "DeleteOnTermination": True,
            },
        }
        for device, snapshot in zip(
            (ROOT_DEVICE, *DATA_DEVICES), registration.snapshot_ids, strict=False
        )
    ]
    params: dict[str, Any] = {
        "Name": registration.name,
        "Architecture": registration.architecture,
        "RootDeviceName": ROOT_DEVICE,
        "BlockDeviceMappings": mappings,
        "VirtualizationType": "hvm",
        "EnaSupport": registration.ena,
    }
    optional = {
        "BootMode": registration.boot_mode,
        "Description": registration.description,
        "ImdsSupport": "v2.0" if registration.imds_v2 else None,
        "TpmSupport": "v2.0" if registration.tpm else None,
        "UefiData": registration.uefi_data,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    if registration.tags:
        params["TagSpecifications"] = [
            {
                "ResourceType": "image",
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(registration.tags)],
            }
        ]
    return params


def tags_of(resource: Mapping[str, Any]) -> dict[str, str]:
    """An AMI's or snapshot's tags as DescribeImages/DescribeSnapshots give them, by key."""
    return {str(tag.get("Key")): str(tag.get("Value")) for tag in resource.get("Tags") or []}


def _named(ec2: EC2Client, name: str) -> list[Mapping[str, Any]]:
    found = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])
    return [image for image in found.get("Images", []) if image.get("Name") == name]


def _ours(images: Sequence[Mapping[str, Any]], identity: Identity) -> str | None:
    own = dict(identity.own_tags())
    for image in images:
        tags = tags_of(image)
        if tags.get(TAG_NAME) == own[TAG_NAME] and tags.get(TAG_SHA256) == own[TAG_SHA256]:
            return str(image["ImageId"])
    return None


def _taken(name: str, images: Sequence[Mapping[str, Any]]) -> EntryFailed:
    other = images[0].get("ImageId") if images else "another AMI"
    return EntryFailed(
        Diagnostic(
            FailureCode.CHECK,
            f"the AMI name {name!r} is taken by {other}, which is not this import's",
            context="AMI names are unique per account and Region; the AMI of that name does "
            "not carry this import's vmimport:name and vmimport:sha256 tags.",
            hint="Give another --ami-name (or ami_name in the manifest).",
        )
    )


def register_image(ec2: EC2Client, registration: Registration, identity: Identity) -> str:
    """The AMI of this import: found by its name and tags, or registered (see the module's
    docstring); answers its id."""
    named = _named(ec2, registration.name)
    found = _ours(named, identity)
    if found is not None:
        return found
    if named:
        raise _taken(registration.name, named)
    from botocore.exceptions import ClientError

    try:
        answer = ec2.register_image(**request(registration))
    except ClientError as error:
        if error_code(error) != DUPLICATE:
            raise
        named = _named(ec2, registration.name)
        found = _ours(named, identity)
        if found is None:
            raise _taken(registration.name, named) from None
        return found
    return str(answer["ImageId"])
