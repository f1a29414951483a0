"""What a snapshot holds: the one place the image package reads a snapshot's content.

Every snapshot the emulator makes keeps its blocks in the snapshot-content store
(``ec2_import_emulator.snapshots``): an ImportImage or ImportSnapshot task's
snapshots the disk read through its container (``diskcontent``), an EBS direct
snapshot what was written, and a copy (``copy_content``) reads its source's
blocks (a child of the source in the store: nothing is copied).  A snapshot the
store does not hold (moto's CreateSnapshot of a new volume) reads as zeros of
its size, which is what such a volume holds.
"""

from __future__ import annotations

from ec2_import_emulator.images import moto_ec2
from ec2_import_emulator.snapshots import SnapshotKey, UnknownSnapshot, default_store, snapshot_blob
from ec2_import_image.diskimage.blob import Blob, clamp_read

GIB = 1024**3

#: (account, Region, snapshot id)
Where = tuple[str, str, str]


class ZeroBlob:
    """``size`` bytes of zeros, never stored."""

    def __init__(self, size: int) -> None:
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        return bytes(clamp_read(offset, length, self._size))

    def allocated(self, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """No extent holds data."""
        return []


def snapshot_content(account: str, region: str, snapshot_id: str) -> Blob | None:
    """The bytes of the snapshot's volume (``volume size`` bytes); None when the account has no
    such snapshot in the Region."""
    snapshot = moto_ec2.find_snapshot(account, region, snapshot_id)
    if snapshot is None:
        return None
    try:
        return snapshot_blob(account, region, snapshot_id)
    except UnknownSnapshot:
        return ZeroBlob(moto_ec2.snapshot_size_gib(snapshot) * GIB)


def copy_content(source: Where, copy: Where, volume_gib: int) -> None:
    """The copy's content: its source's blocks, read through the store (zeros when the store
    holds nothing of the source)."""
    store = default_store()
    parent = store.get(SnapshotKey(*source))
    store.forget(SnapshotKey(*copy))
    store.create(SnapshotKey(*copy), volume_gib, parent)
