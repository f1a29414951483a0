"""VDI (VirtualBox): the version 1.1 header and the block map; dynamic and fixed images.

Written from the layout VirtualBox documents in its storage backend's header
(``src/VBox/Storage/VDICore.h``: ``VDIPREHEADER``, ``VDIHEADER1``).  All numbers
are little-endian.  The file starts with 64 bytes of text, the signature
``0xBEDA107F`` at 64 and the version at 68 (major in the high 16 bits; 1.1 is
``0x00010001``).  The version 1 header follows at 72: its size, the image
type (1 normal i.e. dynamic, 2 fixed, 3 undo, 4 differencing), a 256-byte
comment, the offsets of the block map and of the data, the virtual size at
368, the block size, the extra bytes before each block, and the block count.

The block map has one 32-bit entry per virtual block: the block's index in the
data area (the block then lies at ``data + index * (extra + block) + extra``),
``0xFFFFFFFF`` for a block never written and ``0xFFFFFFFE`` for a block that
reads as zeros; both read as zeros.  A fixed image has every block allocated.
Undo and differencing images hold only what differs from a parent, which is
not followed (their absent blocks read as zeros; :mod:`~.virtual` refuses them
unless told to read this file's own layer only).  The map is checked against
the file's size before it is read.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import (
    Assembly,
    Blob,
    Extent,
    blocks_in,
    blocks_present,
    clamp_read,
    span,
)
from ec2_import_image.diskimage.errors import FormatError, UnsupportedError
from ec2_import_image.diskimage.records import Variant

SIGNATURE = 0xBEDA107F
SIGNATURE_AT = 64
VERSION_1_1 = 0x00010001
HEADER_AT = 72
_PRE = struct.Struct("<II")
_HEADER = struct.Struct("<III256sII16sIQIIII16s16s16s16s")
NORMAL, FIXED, UNDO, DIFF = 1, 2, 3, 4
TYPES = {
    NORMAL: Variant.DYNAMIC,
    FIXED: Variant.FIXED,
    UNDO: Variant.DIFFERENCING,
    DIFF: Variant.DIFFERENCING,
}
BLOCK_FREE = 0xFFFFFFFF
BLOCK_ZERO = 0xFFFFFFFE
#: the largest block map read (4 Mi blocks: 4 PiB at 1 MiB blocks)
MAX_MAP_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Header:
    image_type: int
    offset_blocks: int
    offset_data: int
    size: int
    block_size: int
    block_extra: int
    blocks: int
    blocks_allocated: int
    parent: uuid.UUID | None

    @property
    def variant(self) -> Variant:
        return TYPES[self.image_type]

    @property
    def has_parent(self) -> bool:
        return self.image_type in (UNDO, DIFF)


def is_vdi(head: bytes) -> bool:
    return len(head) >= SIGNATURE_AT + 4 and _PRE.unpack_from(head, SIGNATURE_AT)[0] == SIGNATURE


def read_header(blob: Blob) -> Header:
    raw = blob.read(0, HEADER_AT + _HEADER.size)
    if not is_vdi(raw):
        raise FormatError("no VDI signature")
    version = _PRE.unpack_from(raw, SIGNATURE_AT)[1]
    if version != VERSION_1_1:
        raise UnsupportedError(
            f"VDI header version {version >> 16}.{version & 0xFFFF} is not read (1.1 is): "
            "convert it with VBoxManage clonemedium in.vdi out.vdi, or qemu-img convert -O vdi"
        )
    if len(raw) < HEADER_AT + _HEADER.size:
        raise FormatError("the VDI header is cut short")
    fields = _HEADER.unpack_from(raw, HEADER_AT)
    header_size, image_type, _flags, _comment, offset_blocks, offset_data = fields[:6]
    size, block_size, block_extra, blocks, allocated = fields[8:13]
    linkage = fields[15]
    if header_size < _HEADER.size:
        raise FormatError(f"the VDI header says it is {header_size} bytes long")
    if image_type not in TYPES:
        raise FormatError(f"VDI image type {image_type}")
    if block_size < 512 or block_size & (block_size - 1) or block_size > 1 << 28:
        raise FormatError(f"VDI block size {block_size} is not a power of two")
    if block_extra % 512 or block_extra > 1 << 28:
        raise FormatError(f"VDI extra block data of {block_extra} bytes")
    if blocks < -(-size // block_size):
        raise FormatError(f"the VDI has {blocks} blocks, its size needs {-(-size // block_size)}")
    parent = uuid.UUID(bytes=linkage) if any(linkage) else None
    return Header(
        image_type,
        offset_blocks,
        offset_data,
        size,
        block_size,
        block_extra,
        blocks,
        allocated,
        parent,
    )


class VdiDisk:
    """The virtual disk of a VDI: blocks located through the block map."""

    def __init__(self, blob: Blob, header: Header) -> None:
        self._blob = blob
        self.header = header
        self._block = header.block_size
        self._stride = header.block_size + header.block_extra
        self._data = header.offset_data + header.block_extra
        count = -(-header.size // header.block_size)
        length = count * 4
        if length > MAX_MAP_BYTES or header.offset_blocks + length > blob.size:
            raise FormatError("the VDI block map lies past the end of the file")
        raw = blob.read(header.offset_blocks, length)
        if len(raw) < length:
            raise FormatError("the VDI block map lies past the end of the file")
        self.blocks: tuple[int, ...] = struct.unpack(f"<{count}I", raw)

    @property
    def size(self) -> int:
        return self.header.size

    def _where(self, index: int) -> int | None:
        """The file offset of virtual block ``index``, None when it reads as zeros."""
        entry = self.blocks[index]
        if entry >= BLOCK_ZERO:
            return None
        return self._data + entry * self._stride

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self.size)
        if not length:
            return b""
        out = Assembly(self._blob, length, "VDI block")
        end = offset + length
        for index in blocks_in(offset, end, self._block):
            where = self._where(index)
            if where is None:
                continue
            base = index * self._block
            low, high = max(offset, base), min(end, base + self._block)
            out.copy(low - offset, where + low - base, high - low)
        return out.result()

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """Blocks the map points into the file (never-written and zero blocks left out)."""
        start, stop = span(self, start, end)
        return blocks_present(start, stop, self._block, lambda i: self.blocks[i] < BLOCK_ZERO)

    def truncation(self) -> str | None:
        """A block the map points to that the file does not hold."""
        limit = self._blob.size
        for index, entry in enumerate(self.blocks):
            if entry >= BLOCK_ZERO:
                continue
            length = min(self._block, self.size - index * self._block)
            if self._data + entry * self._stride + length > limit:
                return f"VDI block {index} lies past the end of the file"
        return None
