"""The checks EC2 makes of an ImportImage request before it starts a task.

Pure: parsed parameters in, a normalized ``ImportRequest`` out, or the
``ApiError`` the service answers.  The checks that need the account's state
(the service role, the S3 objects, snapshots) are in ``resolve``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ec2_import_emulator import errors

MAX_DISKS = 21
ARCHITECTURES = ("i386", "x86_64")
PLATFORMS = ("Windows", "Linux")
LICENSE_TYPES = ("AWS", "BYOL")
BOOT_MODES = ("legacy-bios", "uefi")
HYPERVISORS = ("xen",)
DEFAULT_ROLE = "vmimport"
TASK_RESOURCE_TYPE = "import-image-task"


@dataclass(frozen=True)
class DiskSource:
    """One DiskContainer: where its bytes are and what it says they are."""

    index: int
    format: str | None = None
    declared_format: str | None = None
    bucket: str | None = None
    key: str | None = None
    url: str | None = None
    snapshot_id: str | None = None
    description: str | None = None
    device_name: str | None = None


@dataclass(frozen=True)
class ImportRequest:
    disks: tuple[DiskSource, ...]
    role_name: str = DEFAULT_ROLE
    architecture: str | None = None
    platform: str | None = None
    license_type: str | None = None
    usage_operation: str | None = None
    boot_mode: str | None = None
    hypervisor: str | None = None
    encrypted: bool | None = None
    kms_key_id: str | None = None
    description: str | None = None
    client_token: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    license_configurations: tuple[str, ...] = ()


def _choice(name: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """The allowed spelling of ``value`` (compared case-insensitively)."""
    if value is None:
        return None
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise errors.invalid_value(name, value, tuple(allowed))


def parse_s3_url(url: str) -> tuple[str, str] | None:
    """Bucket and key of ``s3://b/k`` or an S3 https URL (virtual-host or path style)."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path).lstrip("/")
    host = parts.hostname or ""
    if parts.scheme == "s3":
        bucket, key = host, path
    elif parts.scheme in ("http", "https"):
        labels = host.split(".")
        if len(labels) > 2 and "s3" in labels[1:] and not labels[0].startswith("s3"):
            bucket, key = host.split(".s3", 1)[0], path
        else:
            bucket, _, key = path.partition("/")
    else:
        return None
    return (bucket, key) if bucket and key else None


def s3_source(container: Mapping[str, Any], parameter: str) -> tuple[str, str, str | None]:
    """Bucket, key and Url of a disk container's UserBucket or Url (``parameter`` names the
    container in messages: ``DiskContainer.1``)."""
    if "UserBucket" in container:
        bucket = container["UserBucket"].get("S3Bucket")
        key = container["UserBucket"].get("S3Key")
        for name, value in (("S3Bucket", bucket), ("S3Key", key)):
            if not value:
                raise errors.missing_parameter(f"{parameter}.UserBucket.{name}")
        return str(bucket), str(key), None
    url = container["Url"]
    located = parse_s3_url(url)
    if located is None:
        raise errors.invalid_url(parameter, url)
    return located[0], located[1], url


def _disk(index: int, container: Mapping[str, Any]) -> DiskSource:
    declared = container.get("Format")
    fmt = None
    if declared is not None:
        if declared.upper() not in errors.SUPPORTED_FORMATS:
            raise errors.invalid_format(declared, index)
        fmt = declared.upper()
    sources = [name for name in ("UserBucket", "Url", "SnapshotId") if name in container]
    if len(sources) != 1:
        raise errors.disk_source(index)
    bucket = key = url = snapshot_id = None
    if "SnapshotId" in container:
        snapshot_id = container["SnapshotId"]
    else:
        bucket, key, url = s3_source(container, f"DiskContainer.{index}")
    if fmt is None and snapshot_id is None:
        raise errors.missing_parameter(f"DiskContainer.{index}.Format")
    return DiskSource(
        index=index,
        format=fmt,
        declared_format=declared,
        bucket=bucket,
        key=key,
        url=url,
        snapshot_id=snapshot_id,
        description=container.get("Description"),
        device_name=container.get("DeviceName"),
    )


def task_tags(
    specifications: Sequence[Mapping[str, Any]], resource_type_wanted: str = TASK_RESOURCE_TYPE
) -> tuple[tuple[str, str], ...]:
    """The tags of TagSpecifications, each of which must name the task's resource type."""
    tags: list[tuple[str, str]] = []
    for specification in specifications:
        resource_type = specification.get("ResourceType", "")
        if resource_type != resource_type_wanted:
            raise errors.tag_resource_type(resource_type)
        for tag in specification.get("Tags", []):
            if "Key" not in tag:
                raise errors.missing_parameter("TagSpecification.N.Tag.N.Key")
            tags.append((tag["Key"], tag.get("Value", "")))
    return tuple(tags)


def import_request(params: Mapping[str, Any]) -> ImportRequest:
    """Validate ImportImage's parameters (DryRun is handled before this).

    A request without disks passes here: the service checks the role first
    (a recorded reply), and ``resolve`` then asks for a DiskContainer.
    """
    containers = params.get("DiskContainers") or []
    if len(containers) > MAX_DISKS:
        raise errors.too_many_disks(len(containers), MAX_DISKS)
    disks = tuple(_disk(index, c) for index, c in enumerate(containers, start=1))
    architecture = _choice("Architecture", params.get("Architecture"), ARCHITECTURES)
    platform = _choice("Platform", params.get("Platform"), PLATFORMS)
    hypervisor = _choice("Hypervisor", params.get("Hypervisor"), HYPERVISORS)
    boot_mode = params.get("BootMode")
    if boot_mode is not None and boot_mode.lower() == "uefi-preferred":
        raise errors.uefi_preferred()
    boot_mode = _choice("BootMode", boot_mode, BOOT_MODES)
    license_type = _choice("LicenseType", params.get("LicenseType"), LICENSE_TYPES)
    usage_operation = params.get("UsageOperation")
    if license_type is not None and usage_operation is not None:
        raise errors.license_and_usage()
    encrypted = params.get("Encrypted")
    kms_key_id = params.get("KmsKeyId")
    if kms_key_id is not None and not encrypted:
        raise errors.kms_without_encrypted()
    if boot_mode == "uefi" and platform is None and any(d.snapshot_id for d in disks):
        raise errors.platform_required()
    licenses = tuple(
        spec["LicenseConfigurationArn"]
        for spec in params.get("LicenseSpecifications", [])
        if "LicenseConfigurationArn" in spec
    )
    return ImportRequest(
        disks=disks,
        role_name=params.get("RoleName") or DEFAULT_ROLE,
        architecture=architecture,
        platform=platform,
        license_type=license_type,
        usage_operation=usage_operation,
        boot_mode=boot_mode,
        hypervisor=hypervisor,
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        description=params.get("Description"),
        client_token=params.get("ClientToken"),
        tags=task_tags(params.get("TagSpecifications", [])),
        license_configurations=licenses,
    )
