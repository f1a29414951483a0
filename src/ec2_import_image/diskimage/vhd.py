"""VHD: the 512-byte big-endian footer, the dynamic header and the block allocation table.

Written from Microsoft's *Virtual Hard Disk Image Format Specification*.  A
fixed disk is the raw data followed by the footer (cookie ``conectix``).
Dynamic and differencing disks keep a copy of the footer at offset 0, a
dynamic header (cookie ``cxsparse``) where the footer's data offset points,
and a BAT of big-endian sector offsets, one per block (``0xFFFFFFFF``: not
allocated).  Each block is a sector bitmap then the data; a sector whose bit
is clear is not in this file (zero on a dynamic disk, the parent's on a
differencing one, which is read as zero here).
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob, SliceBlob, read_in_blocks
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.records import Variant

COOKIE = b"conectix"
DYNAMIC_COOKIE = b"cxsparse"
FOOTER_SIZE = 512
SECTOR = 512
FIXED, DYNAMIC, DIFFERENCING = 2, 3, 4
VARIANTS = {FIXED: Variant.FIXED, DYNAMIC: Variant.DYNAMIC, DIFFERENCING: Variant.DIFFERENCING}
UNALLOCATED = 0xFFFFFFFF
_FOOTER = struct.Struct(">8sIIQI4sI4sQQIII16sB")
_DYNAMIC = struct.Struct(">8sQQIII")
_CHECKSUM_AT = 64
_MAX_BAT_ENTRIES = 1 << 24


@dataclass(frozen=True)
class Footer:
    raw: bytes
    data_offset: int
    current_size: int
    disk_type: int
    checksum: int

    @property
    def checksum_ok(self) -> bool:
        return checksum(self.raw) == self.checksum

    @property
    def variant(self) -> Variant | None:
        return VARIANTS.get(self.disk_type)


@dataclass(frozen=True)
class DynamicHeader:
    table_offset: int
    max_entries: int
    block_size: int


def checksum(footer: bytes) -> int:
    """One's complement of the byte sum, the checksum field counted as zero."""
    total = sum(footer[:_CHECKSUM_AT]) + sum(footer[_CHECKSUM_AT + 4 : FOOTER_SIZE])
    return ~total & 0xFFFFFFFF


def parse_footer(raw: bytes) -> Footer | None:
    if len(raw) < FOOTER_SIZE or raw[:8] != COOKIE:
        return None
    fields = _FOOTER.unpack_from(raw)
    data_offset, current_size = fields[3], fields[9]
    disk_type, footer_checksum = fields[11], fields[12]
    return Footer(raw[:FOOTER_SIZE], data_offset, current_size, disk_type, footer_checksum)


def read_footer(blob: Blob) -> Footer | None:
    """The footer at the end of the file, if there is one."""
    if blob.size < FOOTER_SIZE:
        return None
    return parse_footer(blob.read(blob.size - FOOTER_SIZE, FOOTER_SIZE))


def read_copy(blob: Blob) -> Footer | None:
    """The copy of the footer at offset 0 (dynamic and differencing disks)."""
    return parse_footer(blob.read(0, FOOTER_SIZE))


def read_dynamic_header(blob: Blob, footer: Footer) -> DynamicHeader:
    offset = footer.data_offset
    raw = blob.read(offset, _DYNAMIC.size) if 0 < offset < blob.size else b""
    if len(raw) < _DYNAMIC.size or raw[:8] != DYNAMIC_COOKIE:
        raise FormatError("the VHD's dynamic header (cxsparse) is missing")
    _, _data, table_offset, _version, entries, block_size = _DYNAMIC.unpack(raw)
    if block_size < SECTOR or block_size & (block_size - 1) or block_size > 1 << 28:
        raise FormatError(f"VHD block size {block_size} is not a power of two")
    if entries > _MAX_BAT_ENTRIES:
        raise FormatError("the VHD block allocation table is implausibly large")
    return DynamicHeader(table_offset, entries, block_size)


class DynamicDisk:
    """The virtual disk of a dynamic (or differencing) VHD."""

    def __init__(self, blob: Blob, footer: Footer, header: DynamicHeader) -> None:
        self._blob = blob
        self._size = footer.current_size
        self._block = header.block_size
        self._bitmap_bytes = -(-(header.block_size // SECTOR) // 8)
        self._bitmap_size = -(-self._bitmap_bytes // SECTOR) * SECTOR
        raw = blob.read(header.table_offset, header.max_entries * 4)
        if len(raw) < header.max_entries * 4:
            raise FormatError("the VHD block allocation table lies past the end of the file")
        self.bat = struct.unpack(f">{header.max_entries}I", raw)
        self._bitmaps: OrderedDict[int, bytes] = OrderedDict()

    @property
    def size(self) -> int:
        return self._size

    def truncation(self) -> str | None:
        """A block that lies (partly) past the end of the file."""
        span = self._bitmap_size + self._block
        for index, sector in enumerate(self.bat):
            if sector != UNALLOCATED and sector * SECTOR + span > self._blob.size:
                return f"VHD block {index} lies past the end of the file"
        return None

    def _bitmap(self, index: int, sector: int) -> bytes:
        cached = self._bitmaps.get(index)
        if cached is None:
            cached = self._blob.read(sector * SECTOR, self._bitmap_bytes)
            self._bitmaps[index] = cached
            if len(self._bitmaps) > 64:
                self._bitmaps.popitem(last=False)
        return cached

    def _read_block(self, index: int, within: int, length: int) -> bytes:
        sector = self.bat[index] if index < len(self.bat) else UNALLOCATED
        if sector == UNALLOCATED:
            return bytes(length)
        bitmap = self._bitmap(index, sector)
        data = bytearray(
            self._blob.read(sector * SECTOR + self._bitmap_size + within, length).ljust(
                length, b"\x00"
            )
        )
        first = within // SECTOR
        last = (within + length - 1) // SECTOR
        for number in range(first, last + 1):
            byte = bitmap[number // 8] if number // 8 < len(bitmap) else 0
            if not byte & (0x80 >> (number % 8)):
                start = max(0, number * SECTOR - within)
                end = min(length, (number + 1) * SECTOR - within)
                data[start:end] = bytes(end - start)
        return bytes(data)

    def read(self, offset: int, length: int) -> bytes:
        return read_in_blocks(offset, length, self._size, self._block, self._read_block)


def fixed_disk(blob: Blob, footer: Footer) -> Blob:
    """A fixed VHD's virtual disk: the bytes before the footer."""
    return SliceBlob(blob, 0, min(footer.current_size, max(0, blob.size - FOOTER_SIZE)))
