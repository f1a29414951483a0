"""The ImportImage request of an entry: its disks on S3, every option that applies, the tags.

The Format of each disk is the one given (``--format``/``format``), else the
one its bytes show (``DiskReport.format``); the boot mode the one given, else
the boot disk's when its bytes leave no doubt (``uefi`` or ``legacy-bios``;
a disk that boots both ways, or whose boot mode cannot be told, gets none and
the service decides).  Options not given are left out, so that the service's
defaults apply, and the request is built in one canonical shape (tags sorted
by key): its normalized form goes into the ClientToken.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.records import ACCEPTED_FORMATS, BootMode, DiskReport
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.identity import Identity
from ec2_import_image.vmimport.spec import DEFAULT_ROLE, ImportOptions

#: the only resource type ImportImage's TagSpecifications take
TASK_RESOURCE = "import-image-task"


class DiskObject(NamedTuple):
    """A disk as the import reads it: its source, its S3 object, its SHA-256 and size.

    ``sha256`` is None for an ``s3://`` DISK without ``sha256`` metadata (it is
    not hashed locally); ``size`` is the object's.  ``bucket`` and ``key`` are
    empty when the object is not known (an import found by its tags before
    anything was uploaded): null in JSON, never a bucket named "".
    """

    source: str
    bucket: str
    key: str
    sha256: str | None
    size: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "bucket": self.bucket or None,
            "key": self.key or None,
            "sha256": self.sha256,
            "size": self.size,
        }


class Prepared(NamedTuple):
    """An entry of the image road ready to start: its identity, request and token, its disks
    on S3."""

    identity: Identity
    request: dict[str, Any]
    token: str
    disks: tuple[DiskObject, ...]


def detected_format(report: DiskReport | None, given: str | None, source: str) -> str:
    """The disk container's Format: given, else read from the bytes."""
    if given is not None:
        return given
    if report is not None and report.format in ACCEPTED_FORMATS:
        return report.format.value
    found = "cannot be read" if report is None else f"is {report.format.value}"
    raise EntryFailed(
        Diagnostic(
            FailureCode.CHECK,
            f"the format of {source} {found}: VM Import takes OVA, VMDK, VHD, VHDX and RAW",
            context="The Format of the disk could not be told from its bytes.",
            hint="Convert the disk to a format VM Import takes (vmimport check says how), or give "
            "--format.",
        )
    )


def detected_boot_mode(reports: Sequence[DiskReport], given: str | None) -> str | None:
    """The BootMode to ask for: given, else the boot disk's when unambiguous, else None."""
    if given is not None:
        return given
    if not reports:
        return None
    mode = reports[0].boot_mode
    if mode in (BootMode.UEFI, BootMode.LEGACY_BIOS):
        return mode.value
    return None


def import_request(
    options: ImportOptions,
    disks: Sequence[DiskObject],
    formats: Sequence[str],
    boot_mode: str | None,
    tags: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """The ImportImage parameters (without ClientToken)."""
    request: dict[str, Any] = {
        "DiskContainers": [
            {"Format": fmt, "UserBucket": {"S3Bucket": disk.bucket, "S3Key": disk.key}}
            for disk, fmt in zip(disks, formats, strict=True)
        ],
    }
    optional: dict[str, Any] = {
        "Architecture": options.architecture.value if options.architecture else None,
        "BootMode": boot_mode,
        "Description": options.description,
        "LicenseType": options.license_type.value if options.license_type else None,
        "Platform": options.platform.value if options.platform else None,
        "UsageOperation": options.usage_operation,
        "KmsKeyId": options.kms_key_id,
        "RoleName": options.role_name if options.role_name != DEFAULT_ROLE else None,
    }
    request.update({key: value for key, value in optional.items() if value is not None})
    if options.encrypted:
        request["Encrypted"] = True
    if options.license_specifications:
        request["LicenseSpecifications"] = [
            {"LicenseConfigurationArn": arn} for arn in options.license_specifications
        ]
    request["TagSpecifications"] = [
        {
            "ResourceType": TASK_RESOURCE,
            "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags)],
        }
    ]
    return request
