"""An imported disk's content, put in the snapshot the import made of it.

VM Import converts the uploaded image into the volume the snapshot holds: the
virtual disk inside the container, not the file.  The emulator reads that
virtual disk with the shared readers (``diskimage.virtual.open_virtual_disk``:
a stream-optimized VMDK's grains, a VHD's or VHDX's blocks, an OVA's member)
and copies its allocated extents into the snapshot-content store
(``snapshots``), so ImportImage's and ImportSnapshot's snapshots hold what the
disk holds and a reader of the snapshot sees the bytes, zeros elsewhere.  A
disk imported from an EBS snapshot (ImportImage's ``SnapshotId``) reads that
snapshot's content.  ``disk_blob`` is either kind of disk as an import reads it
(the check of its guest, ``oscheck``, reads the same bytes).

A disk that cannot be read at this point (the object deleted or replaced since
the import started) leaves the snapshot holding zeros, which the log says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ec2_import_emulator import ec2snapshots, errors
from ec2_import_emulator.aws_state import AwsState
from ec2_import_emulator.snapshots import (
    SnapshotContent,
    SnapshotKey,
    default_store,
    snapshot_blob,
)
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.diskimage.virtual import open_virtual_disk

LOG = logging.getLogger("ec2_import_emulator")


@dataclass(frozen=True)
class DiskSource:
    """Where one imported disk's bytes are: an S3 object (an OVA's member), or a snapshot."""

    bucket: str | None = None
    key: str | None = None
    #: the declared Format (OVA, VMDK, VHD, VHDX, RAW)
    declared: str | None = None
    #: the disk inside an OVA
    member: str | None = None
    snapshot_id: str | None = None

    @property
    def name(self) -> str:
        if self.snapshot_id is not None:
            return self.snapshot_id
        where = f"s3://{self.bucket}/{self.key}"
        return f"{where}!{self.member}" if self.member else where


def virtual_disk(state: AwsState, account: str, source: DiskSource) -> Blob:
    """The virtual disk of an uploaded image, read through its container (raises
    ``errors.ApiError`` for a missing object, ``DiskImageError`` for one that cannot be read)."""
    if source.bucket is None or source.key is None or source.declared is None:
        raise ValueError(f"{source} names no S3 object")
    blob = state.open_object(account, source.bucket, source.key)
    declared = ContainerFormat(source.declared.lower())
    member = source.member if declared is ContainerFormat.OVA else None
    return open_virtual_disk(blob, source.name, declared=declared, member=member)


def disk_blob(state: AwsState, account: str, region: str, source: DiskSource) -> Blob:
    """The disk an import reads: an uploaded image's virtual disk, or an EBS snapshot's
    volume (raises as ``virtual_disk``, ``snapshots.UnknownSnapshot`` for a snapshot
    without content)."""
    if source.snapshot_id is not None:
        return snapshot_blob(account, region, source.snapshot_id)
    return virtual_disk(state, account, source)


def store(
    state: AwsState, account: str, region: str, snapshot_id: str, source: DiskSource
) -> SnapshotContent | None:
    """Fill the content of the snapshot an import made of ``source`` (None when EC2 has no
    such snapshot)."""
    found = ec2snapshots.facts(account, region, snapshot_id)
    if found is None:
        return None
    contents = default_store()
    key = SnapshotKey(account, region, snapshot_id)
    contents.forget(key)
    parent = None
    if source.snapshot_id is not None:
        parent = contents.get(SnapshotKey(account, region, source.snapshot_id))
    content = contents.create(key, found.volume_gib, parent)
    if source.snapshot_id is not None:
        return content
    try:
        content.fill(virtual_disk(state, account, source))
    except (DiskImageError, errors.ApiError, OSError, ValueError) as exc:
        LOG.warning("%s holds zeros: %s could not be read (%s)", snapshot_id, source.name, exc)
    return content
