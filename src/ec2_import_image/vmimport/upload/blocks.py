"""A virtual disk as the 512 KiB blocks of an EBS snapshot: which to write, their bytes, their
checksums.

An EBS snapshot is a sequence of fixed-size blocks; the EBS direct APIs write one block per
``PutSnapshotBlock``, named by its index, "the logical offset of the data in the logical volume"
divided by 524,288, and ``DataLength`` "Currently, the only supported size is 524288 bytes"
(EBS direct APIs reference, PutSnapshotBlock;
https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-elements.html, "Block indexes").  The
volume is ``VolumeSize`` GiB, a whole number (StartSnapshot: "The size of the volume, in GiB.
The maximum size is 65536 GiB"), so a disk's virtual size is rounded up to the next GiB and
everything past the disk's last byte is zeros.

The plan (:func:`plan_blocks`) is the blocks the disk's ``allocated()`` extents touch: the
container's own map (VMDK grain tables, qcow2 L1/L2, the VHD/VHDX BATs, a RAW file's
``SEEK_DATA``/``SEEK_HOLE``), so the holes of a 20 GiB-virtual disk holding 1 GiB are never read.
:func:`read_blocks` reads those blocks in runs of up to :data:`CHUNK_BLOCKS` consecutive blocks
(one read of the virtual disk each, which the readers turn into few positioned reads of the
file, or one ranged GET of an ``s3://`` disk), cuts them into blocks, and tells which are all
zeros.  A disk that is a local file read as it is (RAW: ``sources.FileBlob``) is read one block
at a time instead: a read is then a ``pread`` that makes the block's bytes object itself, where
cutting a run into blocks copies each block once more (reading took some 0.25 ms per block in
runs and 0.16 ms one block at a time, in the writer on the benchmark's disk: see
docs/performance.md, "Where the direct road's CPU goes"), and the kernel's read-ahead keeps the
reads sequential on disk.  Whether an all-zero block, or a
block no extent touches, is written at all is the writer's decision (``ebsdirect``: they are,
for an encrypted snapshot only).

Checksums (https://docs.aws.amazon.com/ebs/latest/userguide/ebsapis-using-checksums.html):
each block carries the base64 of its SHA-256 (``x-amz-Checksum``); CompleteSnapshot carries an
aggregate made by "the linear aggregation method": "arrange the checksums for each written
block in ascending order of their block index, concatenate them to form a single string, and
then generate the checksum on the entire string using the SHA256 algorithm" (CompleteSnapshot,
``Checksum``).  What is concatenated is each block's 32-byte digest, not its base64 text: so
does awslabs/coldsnap, AWS's own uploader (src/upload.rs: the hash of "all hashes in block index
order" over each block's raw digest bytes), whose snapshots the service completes.
:func:`linear_checksum` is that fold; it takes the digests as an iterable, so that a snapshot
of a million blocks is aggregated from the state database page by page.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ec2_import_image.diskimage.blob import Extent, blocks_in
from ec2_import_image.diskimage.sources import FileBlob

#: the EBS snapshot block: 512 KiB
BLOCK_SIZE = 512 * 1024
GiB = 1024**3
#: blocks per GiB of volume
BLOCKS_PER_GIB = GiB // BLOCK_SIZE
#: StartSnapshot's largest VolumeSize (GiB): 64 TiB
MAX_VOLUME_GIB = 65536
#: blocks read from the virtual disk at once (4 MiB): few, large reads
CHUNK_BLOCKS = 8
#: a block of zeros, shared by every zero block (never copied)
ZERO_BLOCK = bytes(BLOCK_SIZE)
#: its SHA-256
ZERO_SHA256 = hashlib.sha256(ZERO_BLOCK).digest()


class BlockSource(Protocol):
    """A virtual disk (``diskimage.virtual.VirtualDisk``): its size, reads, and where its data
    may be."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]: ...


def volume_gib(size: int) -> int:
    """The snapshot's ``VolumeSize``: ``size`` bytes rounded up to whole GiB (at least 1)."""
    return max(1, -(-size // GiB))


def b64(digest: bytes) -> str:
    """A digest as the EBS direct APIs carry it (base64)."""
    return base64.b64encode(digest).decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def linear_checksum(digests: Iterable[bytes]) -> str:
    """CompleteSnapshot's ``LINEAR`` aggregate (base64) of the written blocks' SHA-256 digests,
    given in ascending block index order."""
    total = hashlib.sha256()
    for digest in digests:
        total.update(digest)
    return b64(total.digest())


class BlockPlan(NamedTuple):
    """The blocks of a volume that may hold data, as sorted, disjoint ``range`` runs."""

    volume_blocks: int
    runs: tuple[range, ...]

    @property
    def block_count(self) -> int:
        return sum(len(run) for run in self.runs)

    def indexes(self) -> Iterator[int]:
        for run in self.runs:
            yield from run


def plan_blocks(disk: BlockSource) -> BlockPlan:
    """The blocks the disk's allocated extents touch (see the module's docstring)."""
    volume_blocks = volume_gib(disk.size) * BLOCKS_PER_GIB
    runs: list[range] = []
    for offset, length in disk.allocated():
        touched = blocks_in(offset, offset + length, BLOCK_SIZE)
        if not touched:
            continue
        if runs and touched.start <= runs[-1].stop:
            last = runs.pop()
            touched = range(last.start, max(last.stop, touched.stop))
        runs.append(touched)
    return BlockPlan(volume_blocks, tuple(runs))


@dataclass(frozen=True, slots=True)
class Block:
    """A block read: its index and bytes (``ZERO_BLOCK`` itself when all zeros)."""

    index: int
    data: bytes

    @property
    def zero(self) -> bool:
        return self.data is ZERO_BLOCK


def _chunks(indexes: Iterable[int], most: int) -> Iterator[range]:
    """Consecutive indexes joined into runs of at most ``most``."""
    start = stop = -1
    for index in indexes:
        if index == stop and stop - start < most:
            stop += 1
            continue
        if stop > start:
            yield range(start, stop)
        start, stop = index, index + 1
    if stop > start:
        yield range(start, stop)


def read_blocks(disk: BlockSource, indexes: Iterable[int]) -> Iterator[Block]:
    """The blocks ``indexes`` (ascending) of the disk, read in runs; past the disk's end, and
    wherever the disk reads zeros for a whole block, the block is ``ZERO_BLOCK``."""
    size = disk.size
    local = isinstance(getattr(disk, "disk", disk), FileBlob)  # see the module's docstring
    for chunk in _chunks(indexes, 1 if local else CHUNK_BLOCKS):
        offset = chunk.start * BLOCK_SIZE
        length = min(len(chunk) * BLOCK_SIZE, max(0, size - offset))
        data = disk.read(offset, length) if length else b""
        if len(data) < length:
            raise OSError(
                f"the disk ended early: {len(data)} of {length} bytes read at offset {offset}"
            )
        for i, index in enumerate(chunk):
            # a slice of bytes is one copy; comparing it with ZERO_BLOCK is a memcmp (a
            # memoryview compares element by element, 40 times slower)
            piece = (
                data
                if len(chunk) == 1 and len(data) == BLOCK_SIZE
                else data[i * BLOCK_SIZE : (i + 1) * BLOCK_SIZE]
            )
            if len(piece) < BLOCK_SIZE:  # the disk's last, partial block (or past its end)
                piece = piece.ljust(BLOCK_SIZE, b"\x00")
            yield Block(index, ZERO_BLOCK if piece == ZERO_BLOCK else piece)
