"""The options of an import's request, shared by ``vmimport import`` and ``vmimport batch``.

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
from ec2_import_image.vmimport.spec import Architecture, BootMode, DiskFormat, LicenseType, Platform

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
}


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
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


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
