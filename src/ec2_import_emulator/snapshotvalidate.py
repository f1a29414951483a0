"""The checks EC2 makes of an ImportSnapshot request before it starts a task.

Pure: parsed parameters in, a normalized ``SnapshotRequest`` out, or the
``ApiError`` the service answers.  ImportSnapshot takes one DiskContainer
(``SnapshotDiskContainer``: Format, Url or UserBucket, Description) and the
same RoleName, Encrypted/KmsKeyId, ClientToken and TagSpecifications as
ImportImage, so it is checked with ImportImage's rules where they are the same
(``validate``), and turned into an ``ImportRequest`` of one disk for the checks
against the account (``resolve``: the role, its policies, the object).

The formats: the EC2 API reference lists ``VHD | VMDK | RAW`` for
SnapshotDiskContainer.  A Format ImportImage knows but ImportSnapshot does not
(OVA, VHDX) passes the call and fails the task: osbuild-composer#706 recorded
an ImportSnapshot task of Format VHDX ``deleted`` with StatusMessage
``ClientError: Disk validation failed [Unsupported specified file format]``.
Any other Format is refused at the call as ImportImage refuses one (modelled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ec2_import_emulator import errors
from ec2_import_emulator.validate import (
    DEFAULT_ROLE,
    DiskSource,
    ImportRequest,
    s3_source,
    task_tags,
)

SNAPSHOT_TASK_RESOURCE_TYPE = "import-snapshot-task"
#: formats ImportImage takes and ImportSnapshot does not: the task fails with this message
FAILED_FORMATS = ("OVA", "VHDX")
UNSUPPORTED_FORMAT = "ClientError: Disk validation failed [Unsupported specified file format]"


@dataclass(frozen=True)
class SnapshotRequest:
    """An ImportSnapshot request as the service keeps it (the ClientToken compares these)."""

    disk: DiskSource | None
    role_name: str = DEFAULT_ROLE
    encrypted: bool | None = None
    kms_key_id: str | None = None
    description: str | None = None
    client_token: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def format_refused(self) -> bool:
        """Whether the task fails on its Format alone (OVA, VHDX)."""
        return self.disk is not None and self.disk.format in FAILED_FORMATS

    def as_import_request(self) -> ImportRequest:
        """The request as ImportImage's account checks read it: one disk, the same role."""
        return ImportRequest(
            disks=() if self.disk is None else (self.disk,),
            role_name=self.role_name,
            encrypted=self.encrypted,
            kms_key_id=self.kms_key_id,
        )


def _disk(container: Mapping[str, Any]) -> DiskSource:
    declared = container.get("Format")
    fmt = None if declared is None else declared.upper()
    if declared is not None and fmt not in errors.SNAPSHOT_FORMATS + FAILED_FORMATS:
        raise errors.invalid_snapshot_format(declared)
    sources = [name for name in ("UserBucket", "Url") if name in container]
    if len(sources) != 1:
        raise errors.snapshot_disk_source()
    bucket, key, url = s3_source(container, "DiskContainer")
    if fmt is None:
        raise errors.missing_parameter("DiskContainer.Format")
    return DiskSource(
        index=1,
        format=fmt,
        declared_format=declared,
        bucket=bucket,
        key=key,
        url=url,
        description=container.get("Description"),
    )


def snapshot_request(params: Mapping[str, Any]) -> SnapshotRequest:
    """Validate ImportSnapshot's parameters (DryRun is handled before this).

    A request without a DiskContainer passes here: as for ImportImage, the role is
    checked first and ``resolve`` then asks for the DiskContainer (modelled).
    """
    container = params.get("DiskContainer")
    disk = None if container is None else _disk(container)
    encrypted = params.get("Encrypted")
    kms_key_id = params.get("KmsKeyId")
    if kms_key_id is not None and not encrypted:
        raise errors.kms_without_encrypted()
    return SnapshotRequest(
        disk=disk,
        role_name=params.get("RoleName") or DEFAULT_ROLE,
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        description=params.get("Description"),
        client_token=params.get("ClientToken"),
        tags=task_tags(params.get("TagSpecifications", []), SNAPSHOT_TASK_RESOURCE_TYPE),
    )
