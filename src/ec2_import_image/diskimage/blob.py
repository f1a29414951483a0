"""Random access to a disk image's bytes, wherever they are kept."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Protocol


class Blob(Protocol):
    """A read-only byte string that may be large: its size and ranged reads."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end)."""
        ...


def clamp_read(offset: int, length: int, size: int) -> int:
    """How many bytes a ``read(offset, length)`` of a blob of ``size`` bytes returns.

    Every blob answers the same way: nothing for a negative offset, an empty
    length or an offset at or past the end; otherwise at most what is left.
    """
    if offset < 0 or length <= 0 or offset >= size:
        return 0
    return min(length, size - offset)


def read_in_blocks(
    offset: int, length: int, size: int, block: int, piece: Callable[[int, int, int], bytes]
) -> bytes:
    """A read of a disk stored in blocks: ``piece(index, within, take)`` per block touched.

    The virtual disks of VHD, VHDX and VMDK are laid out in blocks (grains);
    a read is cut at block boundaries, each piece read from its block.
    """
    length = clamp_read(offset, length, size)
    pieces: list[bytes] = []
    while length > 0:
        index, within = divmod(offset, block)
        take = min(length, block - within)
        pieces.append(piece(index, within, take))
        offset += take
        length -= take
    return b"".join(pieces)


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
