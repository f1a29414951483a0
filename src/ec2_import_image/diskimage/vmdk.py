"""VMDK: hosted sparse extents (monolithicSparse, streamOptimized) and descriptor files.

Written from VMware's *Virtual Disk Format 5.0* specification.  A sparse
extent starts with a 512-byte little-endian header (magic ``KDMV``) and
usually embeds the text descriptor (``createType``, the extent lines).  Its
data is addressed through a grain directory (GD) of grain-table (GT) sector
offsets; each GT entry is a grain's sector offset (0: never written).

A stream-optimized extent (VM Import's only VMDK) sets the compressed-grains
and markers flags: each grain is a marker (LBA, compressed size) followed by
deflate data.  Two layouts are met.  VMware's (the specification's) writes the
tables last, so its header says ``gdOffset = GD_AT_END``; the real header is the
*footer*, 1024 bytes from the end, between a footer marker and the end-of-stream
marker.  qemu's (``qemu-img convert -O vmdk -o subformat=streamOptimized``,
block/vmdk.c) puts the grain directory and every grain table, without markers,
before the grains, and writes neither a footer nor an end-of-stream marker: the
file ends with the last grain, padded with zeros to a whole grain when its
compressed data is shorter (a grain that does not compress leaves no zero sector
at all).  Only the header, the footer, the tables and the grains a read touches
are read.

Whether a file holds all of its stream (:func:`completeness`) is judged from its
structures, not from its length (nothing in a VMDK records the file's size):
every grain table lies inside the file, every grain a table points to starts
inside it, the grain furthest into the file ends inside it, and a stream whose
header defers to a footer ends with footer marker, footer and end-of-stream
marker.  The tables (4 bytes per 64 KiB grain of virtual disk) are read in a few
large requests, up to :data:`TABLE_SCAN_BYTES`; past that, a qemu-layout stream
is held to the rule that it ends with a zero sector.

A descriptor file's data is in other files (its extent lines: ``FLAT`` and
``VMFS`` extents are raw bytes at an offset, ``SPARSE`` ones hosted sparse
extents, ``ZERO`` ones read as zeros); :func:`extents_disk` joins them when
the caller can open the files the descriptor names.  The allocation map of a
sparse extent is its grain tables (grains never written, or written as zero
grains, left out).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import (
    Assembly,
    Blob,
    ConcatBlob,
    SliceBlob,
    blocks_in,
    clamp_read,
    coalesce,
    span,
)
from ec2_import_image.diskimage.blob import Extent as Range
from ec2_import_image.diskimage.errors import FormatError, UnsupportedError
from ec2_import_image.diskimage.records import Variant

MAGIC = b"KDMV"
SECTOR = 512
FLAG_ZERO_GTE = 0x4
FLAG_COMPRESSED = 0x10000
FLAG_MARKERS = 0x20000
GD_AT_END = 0xFFFFFFFFFFFFFFFF
MARKER_EOS, MARKER_GT, MARKER_GD, MARKER_FOOTER = 0, 1, 2, 3
DESCRIPTOR_SIGNATURE = b"# Disk DescriptorFile"
_HEADER = struct.Struct("<4sIIQQQQIQQQB4sH")
_MARKER = struct.Struct("<QII")
_GRAIN_MARKER = struct.Struct("<QI")
_MAX_DESCRIPTOR = 64 * 1024
_MAX_GD_BYTES = 16 * 1024 * 1024
#: the most bytes of grain tables the completeness check reads (all the tables of a
#: qemu-layout stream of up to 1 TiB of virtual disk), and in how many requests at most
TABLE_SCAN_BYTES = 64 * 1024 * 1024
TABLE_SCAN_REQUESTS = 32
#: tables this close together in the file are read in one request, up to _RUN_BYTES each
_RUN_GAP = 64 * 1024
_RUN_BYTES = 4 * 1024 * 1024
_LINE = re.compile(rb'^\s*([A-Za-z][\w.]*)\s*=\s*"?([^"\r\n]*)"?\s*$', re.M)
_EXTENT = re.compile(
    rb'^\s*(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?', re.M
)
_VARIANTS = {variant.value.lower(): variant for variant in Variant}
_VMDK_VARIANTS = (
    Variant.STREAM_OPTIMIZED,
    Variant.MONOLITHIC_SPARSE,
    Variant.MONOLITHIC_FLAT,
    Variant.TWO_GB_SPARSE,
    Variant.TWO_GB_FLAT,
)


@dataclass(frozen=True)
class SparseHeader:
    version: int
    flags: int
    capacity_sectors: int
    grain_sectors: int
    descriptor_offset: int
    descriptor_size: int
    gtes_per_gt: int
    gd_offset: int
    compress_algorithm: int

    @property
    def capacity(self) -> int:
        """The virtual disk's size in bytes."""
        return self.capacity_sectors * SECTOR

    @property
    def compressed(self) -> bool:
        return bool(self.flags & FLAG_COMPRESSED)

    @property
    def markers(self) -> bool:
        return bool(self.flags & FLAG_MARKERS)


@dataclass(frozen=True)
class Extent:
    access: str
    sectors: int
    kind: str
    filename: str
    offset: int


@dataclass(frozen=True)
class Descriptor:
    create_type: str
    extents: tuple[Extent, ...]

    @property
    def variant(self) -> Variant:
        known = _VARIANTS.get(self.create_type.lower())
        return known if known in _VMDK_VARIANTS and known is not None else Variant.OTHER_VMDK

    @property
    def capacity(self) -> int:
        return sum(extent.sectors for extent in self.extents) * SECTOR


@dataclass(frozen=True)
class VmdkInfo:
    """What a VMDK file is: its header (the footer's, for a stream), descriptor, state."""

    header: SparseHeader | None
    descriptor: Descriptor | None
    variant: Variant
    virtual_size: int
    #: why the file is incomplete, None when it is complete
    truncation: str | None
    #: the header deferred to a footer, found at the end with the end-of-stream marker
    footer: bool = False


def is_sparse(head: bytes) -> bool:
    return head[:4] == MAGIC


def is_descriptor(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(DESCRIPTOR_SIGNATURE)


def parse_header(raw: bytes) -> SparseHeader | None:
    if len(raw) < _HEADER.size or not is_sparse(raw):
        return None
    fields = _HEADER.unpack_from(raw)
    _, version, flags, capacity, grain, desc_offset, desc_size, gtes, _rgd, gd = fields[:10]
    return SparseHeader(
        version, flags, capacity, grain, desc_offset, desc_size, gtes, gd, fields[13]
    )


def parse_descriptor(text: bytes) -> Descriptor:
    """The ``createType`` and the extent lines of a text descriptor."""
    text = text.split(b"\x00", 1)[0]
    create_type = ""
    for key, value in _LINE.findall(text):
        if key.lower() == b"createtype":
            create_type = value.decode("ascii", "replace").strip()
    extents = tuple(
        Extent(
            access.decode(),
            int(sectors),
            kind.decode("ascii", "replace").upper(),
            (name or b"").decode("utf-8", "replace"),
            int(offset or 0),
        )
        for access, sectors, kind, name, offset in _EXTENT.findall(text)
    )
    return Descriptor(create_type, extents)


def _footer(blob: Blob) -> tuple[SparseHeader | None, str | None]:
    """The footer of a stream whose header defers to it, or why the stream's end is missing:
    such a stream ends with a footer marker, the footer and the end-of-stream marker (a
    zero sector), in its last three sectors."""
    tail = blob.read(max(0, blob.size - 3 * SECTOR), 3 * SECTOR)
    if len(tail) < 3 * SECTOR or any(tail[2 * SECTOR :]):
        return None, "no end-of-stream marker: the stream-optimized VMDK is cut short"
    marker = _MARKER.unpack_from(tail, 0)
    footer = parse_header(tail[SECTOR : 2 * SECTOR])
    if marker[2] != MARKER_FOOTER or footer is None:
        return None, "no footer before the end-of-stream marker: the VMDK is cut short"
    return footer, None


def _check_header(header: SparseHeader) -> None:
    grain = header.grain_sectors
    if grain < 1 or grain > 1 << 16 or grain & (grain - 1):
        raise FormatError(f"VMDK grain size {grain} sectors is not a power of two up to 64 Ki")
    if not 1 <= header.gtes_per_gt <= 1 << 16:
        raise FormatError(f"VMDK grain tables of {header.gtes_per_gt} entries")


def read_vmdk(blob: Blob) -> VmdkInfo:
    """Identify a VMDK file: a sparse extent (and its embedded descriptor) or a descriptor."""
    head = blob.read(0, SECTOR)
    header = parse_header(head)
    if header is None:
        if not is_descriptor(head):
            raise FormatError("neither a VMDK sparse extent nor a VMDK descriptor")
        descriptor = parse_descriptor(blob.read(0, _MAX_DESCRIPTOR))
        return VmdkInfo(None, descriptor, descriptor.variant, descriptor.capacity, None)
    embedded: Descriptor | None = None
    if header.descriptor_offset and header.descriptor_size:
        length = min(header.descriptor_size * SECTOR, _MAX_DESCRIPTOR)
        embedded = parse_descriptor(blob.read(header.descriptor_offset * SECTOR, length))
    if embedded is not None and not embedded.create_type and not embedded.extents:
        embedded = None
    variant = embedded.variant if embedded is not None else Variant.SPARSE_EXTENT
    truncation = None
    effective = header
    if header.gd_offset == GD_AT_END:
        if not header.markers:
            raise FormatError("the VMDK header puts its grain directory at the end without markers")
        footer, truncation = _footer(blob)
        if footer is not None:
            effective = footer
    _check_header(effective)
    return VmdkInfo(
        effective, embedded, variant, header.capacity, truncation, effective is not header
    )


class SparseDisk:
    """The virtual disk inside a sparse extent (compressed or not): ranged reads by grain."""

    def __init__(self, blob: Blob, header: SparseHeader) -> None:
        _check_header(header)
        if header.gd_offset in (0, GD_AT_END):
            raise FormatError("the VMDK has no grain directory (its footer is missing)")
        self._blob = blob
        self._header = header
        self._grain = header.grain_sectors * SECTOR
        self._span = self._grain * header.gtes_per_gt
        count = -(-header.capacity // self._span)
        if count * 4 > _MAX_GD_BYTES:
            raise FormatError("the VMDK grain directory is implausibly large")
        raw = blob.read(header.gd_offset * SECTOR, count * 4)
        if len(raw) < count * 4:
            raise FormatError("the VMDK grain directory lies past the end of the file")
        self.directory = struct.unpack(f"<{count}I", raw)
        self._tables: OrderedDict[int, tuple[int, ...]] = OrderedDict()
        self._grains: OrderedDict[int, bytes] = OrderedDict()

    @property
    def size(self) -> int:
        return self._header.capacity

    @property
    def header(self) -> SparseHeader:
        return self._header

    def table(self, index: int) -> tuple[int, ...]:
        """Grain table ``index`` (all zeros when the directory entry is 0)."""
        cached = self._tables.get(index)
        if cached is not None:
            return cached
        entries = self._header.gtes_per_gt
        sector = self.directory[index]
        if sector == 0:
            table: tuple[int, ...] = (0,) * entries
        else:
            raw = self._blob.read(sector * SECTOR, entries * 4)
            if len(raw) < entries * 4:
                raise FormatError(f"VMDK grain table {index} lies past the end of the file")
            table = struct.unpack(f"<{entries}I", raw)
        self._tables[index] = table
        if len(self._tables) > 64:
            self._tables.popitem(last=False)
        return table

    def _sector(self, number: int) -> int:
        """Grain ``number``'s sector in the file (0: never written, 1: a zero grain)."""
        table = self.table(number // self._header.gtes_per_gt)
        return table[number % self._header.gtes_per_gt]

    def _inflated(self, number: int, sector: int) -> bytes:
        cached = self._grains.get(number)
        if cached is None:
            cached = self._compressed_grain(sector)
            self._grains[number] = cached
            if len(self._grains) > 32:
                self._grains.popitem(last=False)
        return cached

    def _compressed_grain(self, sector: int) -> bytes:
        head = self._blob.read(sector * SECTOR, SECTOR)
        if len(head) < _GRAIN_MARKER.size:
            raise FormatError("a compressed VMDK grain lies past the end of the file")
        _lba, length = _GRAIN_MARKER.unpack_from(head)
        if length > self._grain + 4096 + self._grain // 100:
            raise FormatError("a compressed VMDK grain is larger than its grain")
        start = sector * SECTOR + _GRAIN_MARKER.size
        payload = self._blob.read(start, length)
        if len(payload) < length:
            raise FormatError("a compressed VMDK grain lies past the end of the file")
        try:
            data = zlib.decompressobj().decompress(payload, self._grain + 1)
        except zlib.error as exc:
            raise FormatError(f"a compressed VMDK grain does not inflate ({exc})") from exc
        if len(data) != self._grain:
            raise FormatError("uncompressed data has invalid length (a VMDK grain)")
        return data

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self.size)
        if not length:
            return b""
        grain = self._grain
        out = Assembly(self._blob, length, "VMDK grain")
        end = offset + length
        for number in blocks_in(offset, end, grain):
            sector = self._sector(number)
            if sector in (0, 1):
                continue
            base = number * grain
            low, high = max(offset, base), min(end, base + grain)
            if self._header.compressed:
                out.put(low - offset, self._inflated(number, sector)[low - base : high - base])
            else:
                out.copy(low - offset, sector * SECTOR + low - base, high - low)
        return out.result()

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Range]:
        """Grains the tables point into the file; a directory entry of 0 skips its table."""
        start, stop = span(self, start, end)
        return coalesce(self._extents(start, stop))

    def _extents(self, start: int, stop: int) -> Iterator[Range]:
        grain, per_table = self._grain, self._header.gtes_per_gt
        for index in blocks_in(start, stop, self._span):
            if index >= len(self.directory) or self.directory[index] == 0:
                continue
            table = self.table(index)
            first = max(start, index * self._span) // grain
            last = -(-min(stop, (index + 1) * self._span) // grain)
            for number in range(first, last):
                if table[number - index * per_table] not in (0, 1):
                    low = max(start, number * grain)
                    yield low, min(stop, (number + 1) * grain) - low


#: opens a file a descriptor names (relative to the descriptor), or raises SourceError
Opener = Callable[[str], Blob]
_FLAT_KINDS = ("FLAT", "VMFS")


def extents_disk(descriptor: Descriptor, opener: Opener) -> tuple[Blob, str | None]:
    """The virtual disk a descriptor's extents make, and why it is incomplete (an extent
    file shorter than its line says)."""
    pieces: list[tuple[int, Blob | None]] = []
    truncation: str | None = None
    for extent in descriptor.extents:
        length = extent.sectors * SECTOR
        if extent.kind == "ZERO":
            pieces.append((length, None))
            continue
        if extent.access == "NOACCESS" or extent.kind not in (*_FLAT_KINDS, "SPARSE"):
            raise UnsupportedError(
                f"the VMDK extent {extent.filename or '(unnamed)'} is {extent.access} "
                f"{extent.kind}, which is not read: convert the disk with qemu-img convert -O "
                "vmdk -o subformat=streamOptimized in.vmdk out.vmdk"
            )
        blob = opener(extent.filename)
        if extent.kind in _FLAT_KINDS:
            start = extent.offset * SECTOR
            if blob.size < start + length and truncation is None:
                truncation = (
                    f"the extent file {extent.filename} is shorter than the descriptor says"
                )
            pieces.append((length, SliceBlob(blob, start, length)))
            continue
        info = read_vmdk(blob)
        if info.header is None:
            raise FormatError(f"the VMDK extent {extent.filename} is not a sparse extent")
        disk = SparseDisk(blob, info.header)
        truncation = truncation or info.truncation or completeness(blob, disk, footer=info.footer)
        pieces.append((length, disk))
    if not pieces:
        raise FormatError("the VMDK descriptor names no extent")
    return ConcatBlob(pieces), truncation


@dataclass(frozen=True)
class _Run:
    """Grain tables near each other in the file, read in one request."""

    start: int
    end: int
    #: (grain directory index, table sector)
    tables: tuple[tuple[int, int], ...]


def _runs(directory: tuple[int, ...], table_bytes: int) -> list[_Run]:
    placed = sorted((sector, index) for index, sector in enumerate(directory) if sector)
    runs: list[_Run] = []
    for sector, index in placed:
        start = sector * SECTOR
        last = runs[-1] if runs else None
        if (
            last is not None
            and start - last.end <= _RUN_GAP
            and start + table_bytes - last.start <= _RUN_BYTES
        ):
            runs[-1] = _Run(
                last.start, max(last.end, start + table_bytes), (*last.tables, (index, sector))
            )
        else:
            runs.append(_Run(start, start + table_bytes, ((index, sector),)))
    return runs


def _grain_end(blob: Blob, header: SparseHeader, sector: int) -> int:
    """Where the grain at ``sector`` ends: after its marker and deflate data when compressed."""
    if not header.compressed:
        return sector * SECTOR + header.grain_sectors * SECTOR
    head = blob.read(sector * SECTOR, _GRAIN_MARKER.size)
    if len(head) < _GRAIN_MARKER.size:
        return sector * SECTOR + _GRAIN_MARKER.size
    length: int = _GRAIN_MARKER.unpack_from(head)[1]
    return sector * SECTOR + _GRAIN_MARKER.size + length


def completeness(blob: Blob, disk: SparseDisk, *, footer: bool) -> str | None:
    """Why the sparse extent in ``blob`` does not hold all of its data, or None.

    ``footer``: the stream ended with its footer and end-of-stream marker (already
    checked), which proves its end is there.  Every grain table must lie inside the
    file; the tables are read (in runs, up to the budget) for grains that start past
    the end, and the grain furthest into the file must end inside it.
    """
    header = disk.header
    size = blob.size
    entries = header.gtes_per_gt
    table_bytes = entries * 4
    for index, sector in enumerate(disk.directory):
        if sector and sector * SECTOR + table_bytes > size:
            return f"grain table {index} lies past the end of the file"
    limit = -(-size // SECTOR)
    furthest: tuple[int, int] | None = None  # (sector, grain number)
    spent = requests = 0
    scanned = True
    for run in _runs(disk.directory, table_bytes):
        if spent >= TABLE_SCAN_BYTES or requests >= TABLE_SCAN_REQUESTS:
            scanned = False
            break
        raw = blob.read(run.start, run.end - run.start)
        spent += len(raw)
        requests += 1
        for index, sector in run.tables:
            offset = sector * SECTOR - run.start
            table = struct.unpack_from(f"<{entries}I", raw, offset)
            for position, grain in enumerate(table):
                if grain <= 1:  # 0: never written, 1: a zeroed grain (FLAG_ZERO_GTE)
                    continue
                if grain >= limit:
                    return (
                        f"grain table {index} points to grain {index * entries + position} "
                        "past the end of the file"
                    )
                if furthest is None or grain > furthest[0]:
                    furthest = (grain, index * entries + position)
    if furthest is not None:
        end = _grain_end(blob, header, furthest[0])
        if end > size:
            return (
                f"grain {furthest[1]} (at byte {furthest[0] * SECTOR}) runs past the end of "
                f"the file: it ends at byte {end}, the file has {size}"
            )
    if not scanned and not footer and header.markers and any(blob.read(size - SECTOR, SECTOR)):
        return (
            "no end-of-stream marker, and the grain tables are too large to read whole: "
            "the stream-optimized VMDK may be cut short"
        )
    return None
