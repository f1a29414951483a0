"""Random access to a disk image's bytes, wherever they are kept, and where its data lies.

A :class:`Blob` is a size and ranged reads.  A blob that knows which of its
ranges may hold data (a sparse local file, a container's virtual disk) also
answers ``allocated(start, end)``: sorted, non-overlapping ``(offset, length)``
extents covering every byte that may be non-zero; everything outside them
reads as zeros.  :func:`allocated` asks any blob, the whole range standing in
for a blob that cannot tell (an S3 object).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, runtime_checkable

from ec2_import_image.diskimage.errors import FormatError

#: ``(offset, length)``: a range of a blob
Extent = tuple[int, int]


class Blob(Protocol):
    """A read-only byte string that may be large: its size and ranged reads."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end)."""
        ...


@runtime_checkable
class Mapped(Protocol):
    """A blob that can tell where its data may be (see the module's docstring)."""

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]: ...


def allocated(blob: Blob, start: int = 0, end: int | None = None) -> Iterator[Extent]:
    """The extents of ``blob`` in ``[start, end)`` that may hold data: its own answer when it
    has one, else the whole range."""
    stop = blob.size if end is None else min(end, blob.size)
    start = max(0, start)
    if start >= stop:
        return iter(())
    if isinstance(blob, Mapped):
        return blob.allocated(start, stop)
    return iter(((start, stop - start),))


def span(blob: Blob, start: int, end: int | None) -> tuple[int, int]:
    """``[start, end)`` clipped to ``blob``: what an ``allocated`` call is asked about."""
    stop = blob.size if end is None else min(end, blob.size)
    return max(0, start), stop


def coalesce(extents: Iterable[Extent]) -> Iterator[Extent]:
    """Sorted extents with neighbours and overlaps joined (empty ones dropped)."""
    current: Extent | None = None
    for offset, length in extents:
        if length <= 0:
            continue
        if current is not None and offset <= current[0] + current[1]:
            end = max(current[0] + current[1], offset + length)
            current = (current[0], end - current[0])
            continue
        if current is not None:
            yield current
        current = (offset, length)
    if current is not None:
        yield current


def blocks_in(start: int, end: int, block: int) -> range:
    """The indexes of the ``block``-sized blocks that ``[start, end)`` touches."""
    return range(start // block, -(-end // block)) if end > start else range(0)


def blocks_present(
    start: int, stop: int, block: int, present: Callable[[int], bool]
) -> Iterator[Extent]:
    """The parts of ``[start, stop)`` in the ``block``-sized blocks whose index ``present``
    accepts, joined: the allocation of a container mapped by one table of whole blocks."""
    return coalesce(
        (max(start, index * block), min(stop, (index + 1) * block) - max(start, index * block))
        for index in blocks_in(start, stop, block)
        if present(index)
    )


def clip(extents: Iterable[Extent], start: int, end: int) -> Iterator[Extent]:
    """``extents`` cut to ``[start, end)``."""
    for offset, length in extents:
        low, high = max(offset, start), min(offset + length, end)
        if low < high:
            yield low, high - low


class Assembly:
    """The bytes of one read of a virtual disk, put together from pieces of the file.

    ``copy`` notes a run of the file for a range of the output and joins it to the
    previous one when both are contiguous, so a read over consecutive clusters or
    blocks is one positioned read; ``put`` places bytes already in hand (an
    inflated grain); what is never written stays zero.  The pieces are joined once
    at the end (no zero-filled buffer when they cover the whole read).  ``what``
    names the container in the error raised when the file ends before a run does;
    with ``pad`` the missing end reads as zeros instead (the containers whose
    truncation is found by a full scan of their tables before any read).
    """

    def __init__(self, blob: Blob, length: int, what: str, *, pad: bool = False) -> None:
        self._blob = blob
        self._length = length
        self._what = what
        self._pad = pad
        self._run: tuple[int, int, int] | None = None  # (output offset, file offset, length)
        self._pieces: list[tuple[int, bytes]] = []

    def copy(self, at: int, source: int, length: int) -> None:
        run = self._run
        if run is not None and run[0] + run[2] == at and run[1] + run[2] == source:
            self._run = (run[0], run[1], run[2] + length)
            return
        self._flush()
        self._run = (at, source, length)

    def put(self, at: int, data: bytes) -> None:
        self._flush()
        self._pieces.append((at, data))

    def _flush(self) -> None:
        run = self._run
        if run is None:
            return
        self._run = None
        at, source, length = run
        data = self._blob.read(source, length)
        if len(data) < length and self._pad:
            data = data.ljust(length, b"\x00")
        elif len(data) < length:
            raise FormatError(f"{self._what} data lies past the end of the file")
        self._pieces.append((at, data))

    def result(self) -> bytes:
        self._flush()
        pieces, at = self._pieces, 0
        for offset, data in pieces:
            if offset != at:
                break
            at += len(data)
        else:
            if at == self._length:
                return pieces[0][1] if len(pieces) == 1 else b"".join(data for _, data in pieces)
        out = bytearray(self._length)
        for offset, data in pieces:
            out[offset : offset + len(data)] = data
        return bytes(out)


def clamp_read(offset: int, length: int, size: int) -> int:
    """How many bytes a ``read(offset, length)`` of a blob of ``size`` bytes returns.

    Every blob answers the same way: nothing for a negative offset, an empty
    length or an offset at or past the end; otherwise at most what is left.
    """
    if offset < 0 or length <= 0 or offset >= size:
        return 0
    return min(length, size - offset)


class BytesBlob:
    """A blob held in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, len(self._data))
        return self._data[offset : offset + length] if length else b""


class SliceBlob:
    """A window of another blob (a member of an OVA)."""

    def __init__(self, base: Blob, offset: int, size: int) -> None:
        self._base = base
        self._offset = offset
        self._size = max(0, min(size, base.size - offset))

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        return self._base.read(self._offset + offset, length) if length else b""

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        start, stop = span(self, start, end)
        base = self._offset
        for offset, length in allocated(self._base, base + start, base + stop):
            yield offset - base, length


class ConcatBlob:
    """Blobs one after another (a VMDK's extents); ``None`` for a piece that reads as zeros."""

    def __init__(self, pieces: Iterable[tuple[int, Blob | None]]) -> None:
        self._pieces: list[tuple[int, int, Blob | None]] = []
        at = 0
        for size, blob in pieces:
            self._pieces.append((at, size, blob))
            at += size
        self._size = at

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        out: list[bytes] = []
        for at, size, blob in self._pieces:
            low, high = max(offset, at), min(offset + length, at + size)
            if low >= high:
                continue
            data = blob.read(low - at, high - low) if blob is not None else b""
            out.append(data.ljust(high - low, b"\x00"))
        return b"".join(out)

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        start, stop = span(self, start, end)
        found: list[Extent] = []
        for at, size, blob in self._pieces:
            low, high = max(start, at), min(stop, at + size)
            if low >= high or blob is None:
                continue
            found.extend((at + o, n) for o, n in allocated(blob, low - at, high - at))
        return coalesce(found)


class BlobReader(io.RawIOBase):
    """A seekable binary file over a blob, for the standard library's readers."""

    def __init__(self, blob: Blob) -> None:
        super().__init__()
        self._blob = blob
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._blob.size}
        self._position = max(0, base[whence] + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._blob.read(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
