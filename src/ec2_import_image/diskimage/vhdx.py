"""VHDX: headers, region table, metadata and the block allocation table.

Written from Microsoft's *[MS-VHDX]* specification.  The file starts with the
file type identifier (``vhdxfile``); two headers (``head``, at 64 and 128 KiB;
the valid one with the higher sequence number is current) and two region
tables (``regi``, at 192 and 256 KiB) follow, each protected by CRC-32C.  The
region table locates the metadata region (virtual size, block size, logical
sector size, whether the disk has a parent) and the BAT, whose 64-bit entries
give each payload block's state and offset in MiB; after every *chunk ratio*
payload entries comes one sector-bitmap entry.  Blocks that are not fully
present read as zero (a differencing disk's parent is not followed), and
only fully present blocks count as allocated.
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
from ec2_import_image.diskimage.crc32c import crc32c
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.records import Variant

SIGNATURE = b"vhdxfile"
KIB, MIB = 1024, 1024 * 1024
HEADER_OFFSETS = (64 * KIB, 128 * KIB)
REGION_OFFSETS = (192 * KIB, 256 * KIB)
HEADER_SIZE = 4 * KIB
REGION_TABLE_SIZE = 64 * KIB
BAT_REGION = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
LOGICAL_SECTOR_SIZE = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
PAYLOAD_FULLY_PRESENT = 6
PAYLOAD_PARTIALLY_PRESENT = 7
_HEADER = struct.Struct("<4sIQ16s16s16sHHIQ")
_REGION_ENTRY = struct.Struct("<16sQII")
_METADATA_ENTRY = struct.Struct("<16sIII4x")
_MAX_BAT_BYTES = 64 * MIB


@dataclass(frozen=True)
class Geometry:
    """What the metadata region says of the virtual disk."""

    virtual_size: int
    block_size: int
    logical_sector_size: int
    leave_blocks_allocated: bool
    has_parent: bool

    @property
    def variant(self) -> Variant:
        if self.has_parent:
            return Variant.DIFFERENCING
        return Variant.FIXED if self.leave_blocks_allocated else Variant.DYNAMIC

    @property
    def chunk_ratio(self) -> int:
        return (1 << 23) * self.logical_sector_size // self.block_size


@dataclass(frozen=True)
class Layout:
    geometry: Geometry
    bat_offset: int
    bat_length: int


def is_vhdx(head: bytes) -> bool:
    return head[:8] == SIGNATURE


def _checksummed(raw: bytes, size: int) -> bool:
    if len(raw) < size:
        return False
    zeroed = raw[:4] + b"\x00\x00\x00\x00" + raw[8:size]
    stored: int = struct.unpack_from("<I", raw, 4)[0]
    return crc32c(zeroed) == stored


def _current_header(blob: Blob) -> None:
    """Require one valid header (the log is not replayed: a dirty log is read as is)."""
    for offset in HEADER_OFFSETS:
        raw = blob.read(offset, HEADER_SIZE)
        if raw[:4] == b"head" and _checksummed(raw, HEADER_SIZE):
            return
    raise FormatError("neither VHDX header is valid")


def _regions(blob: Blob) -> dict[uuid.UUID, tuple[int, int]]:
    for offset in REGION_OFFSETS:
        raw = blob.read(offset, REGION_TABLE_SIZE)
        if raw[:4] != b"regi" or not _checksummed(raw, REGION_TABLE_SIZE):
            continue
        count = struct.unpack_from("<I", raw, 8)[0]
        if 16 + 32 * count > len(raw):
            continue
        regions = {}
        for index in range(count):
            guid, file_offset, length, _required = _REGION_ENTRY.unpack_from(raw, 16 + 32 * index)
            regions[uuid.UUID(bytes_le=guid)] = (file_offset, length)
        return regions
    raise FormatError("neither VHDX region table is valid")


def _metadata(blob: Blob, offset: int, length: int) -> dict[uuid.UUID, bytes]:
    table = blob.read(offset, 64 * KIB)
    if table[:8] != b"metadata":
        raise FormatError("the VHDX metadata table is missing")
    count = struct.unpack_from("<H", table, 10)[0]
    if 32 + 32 * count > len(table):
        raise FormatError("the VHDX metadata table is malformed")
    items = {}
    for index in range(count):
        guid, item_offset, item_length, _flags = _METADATA_ENTRY.unpack_from(table, 32 + 32 * index)
        if item_offset + item_length > length or item_length > 64 * KIB:
            raise FormatError("a VHDX metadata item lies outside its region")
        items[uuid.UUID(bytes_le=guid)] = blob.read(offset + item_offset, item_length)
    return items


def _item(items: dict[uuid.UUID, bytes], key: uuid.UUID, fmt: str, name: str) -> tuple[int, ...]:
    raw = items.get(key, b"")
    if len(raw) < struct.calcsize(fmt):
        raise FormatError(f"the VHDX metadata has no {name}")
    return struct.unpack_from(fmt, raw)


def read_layout(blob: Blob) -> Layout:
    if not is_vhdx(blob.read(0, 8)):
        raise FormatError("no VHDX file type identifier")
    _current_header(blob)
    regions = _regions(blob)
    if METADATA_REGION not in regions or BAT_REGION not in regions:
        raise FormatError("the VHDX region table lacks the BAT or the metadata region")
    items = _metadata(blob, *regions[METADATA_REGION])
    block_size, flags = _item(items, FILE_PARAMETERS, "<II", "file parameters")
    (virtual_size,) = _item(items, VIRTUAL_DISK_SIZE, "<Q", "virtual disk size")
    (sector_size,) = _item(items, LOGICAL_SECTOR_SIZE, "<I", "logical sector size")
    if sector_size not in (512, 4096):
        raise FormatError(f"VHDX logical sector size {sector_size}")
    if not MIB <= block_size <= 256 * MIB or block_size & (block_size - 1):
        raise FormatError(f"VHDX block size {block_size}")
    geometry = Geometry(virtual_size, block_size, sector_size, bool(flags & 1), bool(flags & 2))
    bat_offset, bat_length = regions[BAT_REGION]
    return Layout(geometry, bat_offset, bat_length)


class VhdxDisk:
    """The virtual disk of a VHDX: payload blocks located through the BAT."""

    def __init__(self, blob: Blob, layout: Layout) -> None:
        self._blob = blob
        self.geometry = layout.geometry
        blocks = -(-self.geometry.virtual_size // self.geometry.block_size)
        ratio = self.geometry.chunk_ratio
        entries = blocks + (blocks - 1) // ratio if blocks else 0
        if entries * 8 > min(layout.bat_length, _MAX_BAT_BYTES):
            raise FormatError("the VHDX BAT is smaller than the virtual disk needs")
        raw = blob.read(layout.bat_offset, entries * 8)
        if len(raw) < entries * 8:
            raise FormatError("the VHDX BAT lies past the end of the file")
        table = struct.unpack(f"<{entries}Q", raw)
        self.blocks = tuple(table[index + index // ratio] for index in range(blocks))

    @property
    def size(self) -> int:
        return self.geometry.virtual_size

    def truncation(self) -> str | None:
        """A present payload block that lies (partly) past the end of the file."""
        block = self.geometry.block_size
        for index, entry in enumerate(self.blocks):
            if entry & 7 in (PAYLOAD_FULLY_PRESENT, PAYLOAD_PARTIALLY_PRESENT):
                length = min(block, self.size - index * block)
                if (entry >> 20) * MIB + length > self._blob.size:
                    return f"the VHDX BAT points past the end of the file (block {index})"
        return None

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self.size)
        if not length:
            return b""
        block = self.geometry.block_size
        out = Assembly(self._blob, length, "VHDX payload block", pad=True)
        end = offset + length
        for index in blocks_in(offset, end, block):
            entry = self.blocks[index]
            if entry & 7 != PAYLOAD_FULLY_PRESENT:
                continue
            base = index * block
            low, high = max(offset, base), min(end, base + block)
            out.copy(low - offset, (entry >> 20) * MIB + low - base, high - low)
        return out.result()

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """The fully present payload blocks (the BAT's own map)."""
        start, stop = span(self, start, end)
        return blocks_present(
            start,
            stop,
            self.geometry.block_size,
            lambda i: self.blocks[i] & 7 == PAYLOAD_FULLY_PRESENT,
        )
