"""What every snapshot the emulator makes holds, block by block, on disk.

EBS keeps a snapshot as fixed 512 KiB blocks addressed by their index, the
logical offset in the volume divided by 524288 (AWS EBS user guide, "Concepts
for EBS direct APIs", ebsapi-elements); a block nobody wrote reads as zeros.
The emulator keeps each snapshot's written blocks in a file of its own under
one temporary directory (the store's): a block takes the next free 512 KiB slot
of the file the first time it is written and is rewritten in place after, and
an in-memory map says which slot holds which index and the block's SHA-256.
So a 64 GiB volume with three blocks written costs 1.5 MiB of disk and a few
hundred bytes of memory, and no file ever has to be as large as the volume (a
sparse file could not be: ext4 stops at 16 TiB, an EBS volume at 64 TiB).

A snapshot may have a parent (EBS direct's ``ParentSnapshotId``: an incremental
snapshot): where it wrote nothing it reads its parent's blocks.

Who writes: ``ebsdirect`` (PutSnapshotBlock), the import tasks (``tasks``: the
disk read through its container with the shared ``diskimage.virtual`` readers,
only its allocated extents, blocks of zeros skipped), through
:meth:`SnapshotContent.write_block` and :meth:`SnapshotContent.fill`.
Who reads: GetSnapshotBlock and ListSnapshotBlocks, and whoever judges what a
snapshot holds, through :func:`snapshot_blob`.

The store is one per process, as moto's backends are (the emulators one
process starts share moto's state, and so this store): :func:`default_store`.
A snapshot deleted in moto's EC2 is dropped by its owner's sweep
(:meth:`SnapshotStore.retain`); ``/moto-api/reset`` empties the store.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ec2_import_image.diskimage.blob import Blob, Extent, allocated, blocks_in, clip, coalesce

#: the size of every EBS snapshot block (EBS direct APIs: "Currently, the only supported size
#: is 524288 bytes", PutSnapshotBlock's DataLength)
BLOCK_SIZE = 512 * 1024
GIB = 1024**3
BLOCKS_PER_GIB = GIB // BLOCK_SIZE
_ZERO_BLOCK = bytes(BLOCK_SIZE)
#: how much of an imported disk is read at once
_FILL_CHUNK = 16 * BLOCK_SIZE


class UnknownSnapshot(LookupError):
    """The store holds no content for that snapshot."""


@dataclass(frozen=True)
class SnapshotKey:
    """A snapshot as the store files it: its owner's account, its Region, its id."""

    account: str
    region: str
    snapshot_id: str


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class SnapshotContent:
    """One snapshot's volume: ``volume_gib`` GiB of blocks, its own written ones in a file.

    It is a :class:`~ec2_import_image.diskimage.blob.Blob` of the whole volume (zeros where
    nothing was written, here or in the parent) and answers ``allocated``: the extents of
    the blocks written (every other byte reads as zero).
    """

    def __init__(self, path: Path, volume_gib: int, parent: SnapshotContent | None = None) -> None:
        if volume_gib < 1:
            raise ValueError(f"a volume of {volume_gib} GiB")
        self.path = path
        self.volume_gib = volume_gib
        self.parent = parent
        self._lock = threading.Lock()
        #: index -> (slot in the file, SHA-256 of the block)
        self._blocks: dict[int, tuple[int, bytes]] = {}
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self._holders = 1
        if parent is not None:
            parent._hold()

    # -- what it is -----------------------------------------------------------

    @property
    def size(self) -> int:
        """The volume's size in bytes."""
        return self.volume_gib * GIB

    @property
    def block_count(self) -> int:
        return self.volume_gib * BLOCKS_PER_GIB

    def own_digests(self) -> list[tuple[int, bytes]]:
        """``(index, SHA-256)`` of every block written to this snapshot itself, by index."""
        with self._lock:
            return sorted((index, digest) for index, (_, digest) in self._blocks.items())

    def digest(self, index: int) -> bytes | None:
        """The SHA-256 of block ``index`` as this snapshot reads it; None where it reads zeros
        because nothing was written there."""
        with self._lock:
            found = self._blocks.get(index)
        if found is not None:
            return found[1]
        if self.parent is not None and index < self.parent.block_count:
            return self.parent.digest(index)
        return None

    def indexes(self, start: int = 0) -> list[int]:
        """The indexes from ``start`` on that hold written data (this snapshot's or its
        parent's), ascending."""
        with self._lock:
            found = {index for index in self._blocks if index >= start}
        if self.parent is not None:
            found.update(i for i in self.parent.indexes(start) if i < self.block_count)
        return sorted(found)

    # -- writing --------------------------------------------------------------

    def write_block(self, index: int, data: bytes) -> bytes:
        """Write one whole block; answers its SHA-256."""
        if not 0 <= index < self.block_count:
            raise IndexError(f"block {index} is outside a {self.volume_gib} GiB volume")
        if len(data) != BLOCK_SIZE:
            raise ValueError(f"a block is {BLOCK_SIZE} bytes, not {len(data)}")
        digest = sha256(data)
        with self._lock:
            slot = self._blocks[index][0] if index in self._blocks else len(self._blocks)
            os.pwrite(self._fd, data, slot * BLOCK_SIZE)
            self._blocks[index] = (slot, digest)
        return digest

    def fill(self, disk: Blob) -> int:
        """Copy a disk's data into this (new) snapshot: the blocks its allocated extents touch,
        those of zeros skipped.  Answers how many blocks were written."""
        end = min(disk.size, self.size)
        written = 0
        wanted = coalesce(
            (index * BLOCK_SIZE, BLOCK_SIZE)
            for offset, length in allocated(disk, 0, end)
            for index in blocks_in(offset, offset + length, BLOCK_SIZE)
        )
        for offset, length in wanted:
            for start in range(offset, offset + length, _FILL_CHUNK):
                chunk = disk.read(start, min(_FILL_CHUNK, offset + length - start))
                for at in range(0, len(chunk), BLOCK_SIZE):
                    block = chunk[at : at + BLOCK_SIZE]
                    if block.count(0) == len(block):
                        continue
                    self.write_block((start + at) // BLOCK_SIZE, block.ljust(BLOCK_SIZE, b"\0"))
                    written += 1
        return written

    # -- reading --------------------------------------------------------------

    def block(self, index: int) -> bytes | None:
        """Block ``index`` as written (here or in the parent); None where nothing was."""
        with self._lock:
            found = self._blocks.get(index)
        if found is not None:
            data = os.pread(self._fd, BLOCK_SIZE, found[0] * BLOCK_SIZE)
            return data.ljust(BLOCK_SIZE, b"\0")
        if self.parent is not None and index < self.parent.block_count:
            return self.parent.block(index)
        return None

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of the volume from ``offset`` (zeros where nothing was
        written)."""
        end = min(self.size, offset + max(0, length))
        if offset < 0 or offset >= end:
            return b""
        pieces = []
        for index in blocks_in(offset, end, BLOCK_SIZE):
            base = index * BLOCK_SIZE
            low, high = max(offset, base) - base, min(end, base + BLOCK_SIZE) - base
            data = self.block(index)
            pieces.append(_ZERO_BLOCK[low:high] if data is None else data[low:high])
        return b"".join(pieces)

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """Sorted extents of ``[start, end)`` that hold written blocks; the rest is zeros."""
        stop = self.size if end is None else min(end, self.size)
        first = max(0, start) // BLOCK_SIZE
        extents = coalesce((i * BLOCK_SIZE, BLOCK_SIZE) for i in self.indexes(first))
        return clip(extents, max(0, start), stop)

    # -- lifetime -------------------------------------------------------------

    def _hold(self) -> None:
        with self._lock:
            self._holders += 1

    def release(self) -> None:
        """Drop one holder (the store, or a child); the file goes with the last."""
        with self._lock:
            self._holders -= 1
            last = self._holders == 0
        if not last:
            return
        os.close(self._fd)
        self.path.unlink(missing_ok=True)
        if self.parent is not None:
            self.parent.release()


class SnapshotStore:
    """Every snapshot's content, by :class:`SnapshotKey`, under one directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._given = directory
        self._directory: Path | None = directory
        self._lock = threading.RLock()
        self._contents: dict[SnapshotKey, SnapshotContent] = {}
        self._serial = 0

    def _where(self) -> Path:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="ec2-import-emulator-snapshots-"))
        self._directory.mkdir(parents=True, exist_ok=True)
        return self._directory

    def create(
        self, key: SnapshotKey, volume_gib: int, parent: SnapshotContent | None = None
    ) -> SnapshotContent:
        """A new, empty snapshot content (reading ``parent``'s blocks where it has none)."""
        with self._lock:
            if key in self._contents:
                raise ValueError(f"the store already holds {key.snapshot_id}")
            self._serial += 1
            path = self._where() / f"{key.snapshot_id}.{self._serial}.blocks"
            content = SnapshotContent(path, volume_gib, parent)
            self._contents[key] = content
            return content

    def get(self, key: SnapshotKey) -> SnapshotContent | None:
        with self._lock:
            return self._contents.get(key)

    def keys(self) -> list[SnapshotKey]:
        with self._lock:
            return list(self._contents)

    def forget(self, key: SnapshotKey) -> None:
        with self._lock:
            content = self._contents.pop(key, None)
        if content is not None:
            content.release()

    def retain(self, keep: Callable[[SnapshotKey], bool]) -> None:
        """Forget every snapshot ``keep`` says no longer exists."""
        for key in self.keys():
            if not keep(key):
                self.forget(key)

    def reset(self) -> None:
        for key in self.keys():
            self.forget(key)

    def close(self) -> None:
        """Forget everything and remove the directory the store made."""
        self.reset()
        with self._lock:
            made, self._directory = self._directory, self._given
        if made is not None and self._given is None:
            shutil.rmtree(made, ignore_errors=True)


@functools.cache
def default_store() -> SnapshotStore:
    """The process's store (made on first use, its directory removed at exit)."""
    made = SnapshotStore()
    atexit.register(made.close)
    return made


def snapshot_blob(account: str, region: str, snapshot_id: str) -> Blob:
    """The volume a snapshot holds, as a :class:`Blob` of ``VolumeSize`` GiB.

    Zeros where nothing was written; the blob also answers ``allocated(start, end)``
    (the extents of the written blocks), so a reader can skip the rest.  Every snapshot
    the emulator makes has content here: EBS direct snapshots (from StartSnapshot on,
    pending or not), ImportSnapshot's and ImportImage's (from the moment they appear in
    EC2).  It reads the store as it is at each read, and stops working (OSError) once the
    snapshot is deleted.  Raises :class:`UnknownSnapshot` for a snapshot the store does
    not hold: another account's or Region's, one moto made on its own (CreateSnapshot of
    a volume, which holds zeros), or none at all.
    """
    content = default_store().get(SnapshotKey(account, region, snapshot_id))
    if content is None:
        raise UnknownSnapshot(f"no content is stored for {snapshot_id} in {account}/{region}")
    return content
