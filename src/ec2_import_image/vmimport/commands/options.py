"""The options of an import's request, shared by ``vmimport import`` and ``vmimport batch``,
and what is asked of its AMI once it is finished (``distribute``).

For ``import`` they are the request; for ``batch`` the defaults under the
manifest's own.  Either way they are handed on as the manifest's keys
(``given``) and read by ``manifest``'s converters, so one set of rules (the
choices, the reserved tag prefixes, what needs what) judges both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from ec2_import_image.vmimport.commands.check import ARCHITECTURE_HELP, choice
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.spec import (
    VIA_NAMES,
    Architecture,
    BootMode,
    DiskFormat,
    LicenseType,
    Platform,
)

F = TypeVar("F", bound=Callable[..., Any])
ARN_KEY = "LicenseConfigurationArn="

#: the request options (click parameter name -> manifest key)
REQUEST_KEYS = {
    "bucket": "bucket",
    "prefix": "prefix",
    "disk_format": "format",
    "boot_mode": "boot_mode",
    "architecture": "architecture",
    "platform": "platform",
    "license_type": "license_type",
    "usage_operation": "usage_operation",
    "description": "description",
    "role_name": "role_name",
    "encrypted": "encrypted",
    "kms_key_id": "kms_key_id",
    "license_specifications": "license_specifications",
    "tags": "tags",
    "keep_upload": "keep_upload",
    "via": "via",
    "ena": "ena",
    "tpm": "tpm",
    "uefi_data": "uefi_data",
    # what is asked of the AMI once it is finished (``distribute.options``)
    "ami_name": "ami_name",
    "copy_to_region": "copy_to_region",
    "copy_kms_key": "copy_kms_key",
    "share_with": "share_with",
    "unshare": "unshare",
    "deprecate_after": "deprecate_after",
    "deprecate_at": "deprecate_at",
    "deregistration_protection": "deregistration_protection",
    "imds_v2": "imds_v2",
    "owner": "owner",
}

VIA_HELP = (
    "The road to the AMI: image (S3 upload, then ImportImage: the service adapts the guest; "
    "the default), snapshot (S3 upload, ImportSnapshot per disk, then RegisterImage) or direct "
    "(the EBS direct APIs, then RegisterImage: no bucket, no role). The last two leave the "
    "guest as it is: Linux only, arm64 too. auto: the road the check recommends (Windows and "
    "a Linux that needs ImportImage's changes: image; a Linux ready for Nitro as it is: "
    "direct), said on stderr and kept by reruns."
)

#: what --via takes: the roads, and auto
VIA_CHOICES = click.Choice(VIA_NAMES, case_sensitive=False)

IMDS_HELP = (
    "Require IMDSv2 of instances launched from the AMI (ImdsSupport v2.0). Irreversible: the AMI "
    "can never go back."
)


def request_options(function: F) -> F:
    """The request's options, as click options (none has a default: not given is None)."""
    decorators = [
        click.option("--bucket", help="The bucket local disks are uploaded to."),
        click.option("--prefix", help="The key prefix of uploads (default vmimport/)."),
        click.option("--format", "disk_format", type=choice(DiskFormat), help="The disks' Format."),
        click.option("--boot-mode", type=choice(BootMode), help="legacy-bios or uefi."),
        click.option("--architecture", type=choice(Architecture), help=ARCHITECTURE_HELP),
        click.option("--platform", type=choice(Platform), help="Windows or Linux."),
        click.option("--license-type", type=choice(LicenseType), help="AWS or BYOL."),
        click.option("--usage-operation", help="The AMI's usage operation (billing)."),
        click.option("--description", help="The AMI's description."),
        click.option("--role-name", help="The service role (default vmimport)."),
        click.option("--encrypted", is_flag=True, default=None, help="Encrypt the snapshots."),
        click.option("--kms-key-id", help="The KMS key of encrypted snapshots."),
        click.option(
            "--license-specifications",
            multiple=True,
            metavar="ARN",
            help="A license configuration ARN (repeatable).",
        ),
        click.option(
            "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag (repeatable)."
        ),
        click.option(
            "--keep-upload",
            is_flag=True,
            default=None,
            help="Keep the uploaded objects once the AMI exists.",
        ),
        click.option("--via", type=VIA_CHOICES, help=VIA_HELP),
        click.option(
            "--ena/--no-ena",
            default=None,
            help="EnaSupport of the AMI RegisterImage makes (snapshot, direct; default on: "
            "Nitro instances need it).",
        ),
        click.option(
            "--tpm",
            is_flag=True,
            default=None,
            help="TpmSupport v2.0 at RegisterImage (snapshot, direct; UEFI only).",
        ),
        click.option(
            "--uefi-data",
            metavar="FILE",
            help="A UEFI variable store (e.g. Secure Boot keys) for RegisterImage's UefiData "
            "(snapshot, direct).",
        ),
        *distribution_options(),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def distribution_options() -> list[Callable[[F], F]]:
    """What is asked of the AMI once it is finished (``distribute``); none has a default."""
    return [
        click.option(
            "--ami-name",
            metavar="NAME",
            help="The AMI's name (image: a copy named so replaces the import-ami-... AMI; "
            "snapshot, direct: given at RegisterImage).",
        ),
        click.option(
            "--copy-to-region",
            multiple=True,
            metavar="REGION",
            help="Copy the AMI to this Region (repeatable).",
        ),
        click.option(
            "--copy-kms-key",
            multiple=True,
            metavar="REGION=KEY",
            help="Encrypt the copies in REGION with this KMS key (repeatable).",
        ),
        click.option(
            "--share-with",
            multiple=True,
            metavar="ID",
            help="Share with an account id, organization ARN or OU ARN, in every Region "
            "(repeatable; never 'all').",
        ),
        click.option(
            "--unshare",
            multiple=True,
            metavar="ID",
            help="Remove a share (repeatable); a share not named is kept.",
        ),
        click.option(
            "--deprecate-after",
            metavar="DAYS",
            help="Deprecate the AMI this many days after the import.",
        ),
        click.option(
            "--deprecate-at",
            metavar="DATE",
            help="Deprecate the AMI at this date or time (UTC).",
        ),
        click.option(
            "--deregistration-protection",
            is_flag=True,
            default=None,
            help="Protect the AMI from deregistration.",
        ),
        click.option("--imds-v2", is_flag=True, default=None, help=IMDS_HELP),
        click.option(
            "--owner",
            metavar="NAME",
            help="The vmimport:owner tag (default: the state database's id): what gc scopes by.",
        ),
    ]


def _tags(words: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals or not key:
            raise UsageError(f"--tag {word!r}: expected KEY=VALUE")
        tags[key] = value
    return tags


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The request options given, as manifest keys (``values``: click's parameters)."""
    found: dict[str, Any] = {}
    for parameter, key in REQUEST_KEYS.items():
        value = values.get(parameter)
        if value is None or value == ():
            continue
        if key == "tags":
            value = _tags(value)
        elif key == "license_specifications":
            value = [word.removeprefix(ARN_KEY) for word in value]
        found[key] = value
    return found
