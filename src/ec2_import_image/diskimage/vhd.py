"""VHD: the 512-byte big-endian footer, the dynamic header and the block allocation table.

Written from Microsoft's *Virtual Hard Disk Image Format Specification*.  A
fixed disk is the raw data followed by the footer (cookie ``conectix``).
Dynamic and differencing disks keep a copy of the footer at offset 0, a
dynamic header (cookie ``cxsparse``) where the footer's data offset points,
and a BAT of big-endian sector offsets, one per block (``0xFFFFFFFF``: not
allocated).  Each block is a sector bitmap then the data; a sector whose bit
is clear is not in this file (zero on a dynamic disk, the parent's on a
differencing one, which is read as zero here).  A read copies each run of
present sectors with one positioned read; the allocation map is the BAT's
(whole blocks).
"""

from __future__ import annotations

import re
import struct
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import (
    Assembly,
    Blob,
    Extent,
    SliceBlob,
    blocks_in,
    blocks_present,
    clamp_read,
    span,
)
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
_PRESENT = re.compile("1+")


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
        self._bitmaps: OrderedDict[int, str] = OrderedDict()

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

    def _bitmap(self, index: int, sector: int) -> str:
        """Block ``index``'s sector bitmap as a string of ``0``/``1``, one per sector."""
        cached = self._bitmaps.get(index)
        if cached is None:
            raw = self._blob.read(sector * SECTOR, self._bitmap_bytes)
            bits = len(raw) * 8
            cached = format(int.from_bytes(raw, "big"), f"0{bits}b") if raw else ""
            self._bitmaps[index] = cached
            if len(self._bitmaps) > 64:
                self._bitmaps.popitem(last=False)
        return cached

    def _present(self, index: int, sector: int, first: int, last: int) -> Iterator[Extent]:
        """Runs ``(first, last)`` of sectors in ``[first, last)`` whose bit is set."""
        bits = self._bitmap(index, sector)[first:last]
        if bits.count("1") == last - first:
            yield first, last
            return
        for run in _PRESENT.finditer(bits):
            yield first + run.start(), first + run.end()

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        if not length:
            return b""
        block = self._block
        out = Assembly(self._blob, length, "VHD block", pad=True)
        end = offset + length
        for index in blocks_in(offset, end, block):
            sector = self.bat[index] if index < len(self.bat) else UNALLOCATED
            if sector == UNALLOCATED:
                continue
            base = index * block
            low, high = max(offset, base), min(end, base + block)
            data = sector * SECTOR + self._bitmap_size
            first, last = (low - base) // SECTOR, -(-(high - base) // SECTOR)
            for run_first, run_last in self._present(index, sector, first, last):
                start = max(low, base + run_first * SECTOR)
                stop = min(high, base + run_last * SECTOR)
                out.copy(start - offset, data + start - base, stop - start)
        return out.result()

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """The blocks the BAT allocates (whole blocks: their bitmaps are not consulted)."""
        start, stop = span(self, start, end)
        return blocks_present(
            start, stop, self._block, lambda i: i < len(self.bat) and self.bat[i] != UNALLOCATED
        )


def fixed_disk(blob: Blob, footer: Footer) -> Blob:
    """A fixed VHD's virtual disk: the bytes before the footer."""
    return SliceBlob(blob, 0, min(footer.current_size, max(0, blob.size - FOOTER_SIZE)))
