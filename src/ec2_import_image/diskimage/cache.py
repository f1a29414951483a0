"""A block cache in front of a source, and the count of what was really read.

Readers ask for many small pieces (a 512-byte header, a 4-byte table entry,
a sector bitmap); against S3 each would be a request.  :class:`CachedBlob`
reads aligned blocks (64 KiB by default), joins neighbouring missing blocks
into one request, keeps the last few blocks (LRU), and counts the requests and
bytes it asked its source for in :class:`ReadStats` (``--debug`` prints it).
Large reads (a manifest digest streaming the whole file) go straight through,
counted but not cached, so they do not evict the headers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from ec2_import_image.diskimage.blob import Blob, Extent, allocated, clamp_read

BLOCK_SIZE = 64 * 1024
CAPACITY = 64


class ReadStats:
    """Requests sent to a source and the bytes they returned."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

    def count(self, data: bytes) -> bytes:
        self.requests += 1
        self.bytes += len(data)
        return data

    def __repr__(self) -> str:
        return f"ReadStats(requests={self.requests}, bytes={self.bytes})"


class CachedBlob:
    """``base`` read in aligned blocks, the last ``capacity`` of them kept."""

    def __init__(
        self,
        base: Blob,
        *,
        block_size: int = BLOCK_SIZE,
        capacity: int = CAPACITY,
        stats: ReadStats | None = None,
    ) -> None:
        self._base = base
        self._block = max(512, block_size)
        self._capacity = max(1, capacity)
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self.stats = stats if stats is not None else ReadStats()

    @property
    def size(self) -> int:
        return self._base.size

    def read(self, offset: int, length: int) -> bytes:
        size = self._base.size
        length = clamp_read(offset, length, size)
        if not length:
            return b""
        first = offset // self._block
        last = (offset + length - 1) // self._block
        if last - first + 1 > self._capacity // 2:
            return self.stats.count(self._base.read(offset, length))
        self._load(first, last)
        data = b"".join(self._blocks[index] for index in range(first, last + 1))
        start = offset - first * self._block
        return data[start : start + length]

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """The source's own answer (a sparse local file's data regions)."""
        return allocated(self._base, start, end)

    def _load(self, first: int, last: int) -> None:
        """Fetch the missing blocks of ``first..last``, each run of them in one request."""
        index = first
        while index <= last:
            if index in self._blocks:
                self._blocks.move_to_end(index)
                index += 1
                continue
            end = index
            while end + 1 <= last and end + 1 not in self._blocks:
                end += 1
            start = index * self._block
            data = self.stats.count(self._base.read(start, (end - index + 1) * self._block))
            for block in range(index, end + 1):
                piece = data[(block - index) * self._block : (block - index + 1) * self._block]
                self._blocks[block] = piece
            index = end + 1
        while len(self._blocks) > self._capacity:
            oldest = next(iter(self._blocks))
            if first <= oldest <= last:
                break
            self._blocks.popitem(last=False)
