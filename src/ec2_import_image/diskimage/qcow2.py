"""qcow2 (versions 2 and 3): the header, its extensions and the L1/L2 cluster map.

Written from QEMU's *qcow2 image file format* specification
(``docs/interop/qcow2.txt`` in the QEMU source).  All numbers are big-endian.
The header (magic ``QFI\\xfb``) gives the cluster size (``1 << cluster_bits``),
the virtual size and the active L1 table; version 3 adds feature bitmasks,
the header length and, at byte 104, the compression type (0 zlib, 1 zstd).
Header extensions follow the header in the first cluster (backing file
format, feature names, external data file, encryption header).

A virtual offset is mapped through the L1 table to an L2 table (one cluster)
and its entry: bit 62 marks a compressed cluster (host offset and sector count
packed in the low bits; raw deflate or a zstd frame that stops once it has
produced a cluster); otherwise bits 9-55 are the host cluster and, in version
3, bit 0 says the cluster reads as zeros.  Unallocated clusters read as zeros
(or the backing file's, which is not followed: see ``backing_file``).  With
*extended L2 entries* (incompatible bit 4) each entry is 128 bits, the second
half a bitmap of 32 subclusters (allocated, reads-as-zeros).

Refcounts and snapshots are not needed to read the active disk and are not
read.  Refused (:class:`~.errors.UnsupportedError`): encryption, an external
data file, unknown incompatible features, compression types other than zlib
and zstd.  Every table is checked against the file's size before it is read,
so a header's claims never make the reader allocate more than the file holds.
"""

from __future__ import annotations

import struct
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import (
    Assembly,
    Blob,
    Extent,
    blocks_in,
    clamp_read,
    coalesce,
    span,
)
from ec2_import_image.diskimage.errors import FormatError, UnsupportedError

MAGIC = b"QFI\xfb"
_V2 = struct.Struct(">4sIQIIQIIQQIIQ")
_V3 = struct.Struct(">QQQII")
V2_HEADER_LENGTH = 72
V3_MIN_HEADER_LENGTH = 104
# incompatible feature bits
DIRTY, CORRUPT, EXTERNAL_DATA, COMPRESSION_TYPE, EXTENDED_L2 = (1 << bit for bit in range(5))
KNOWN_INCOMPATIBLE = DIRTY | CORRUPT | EXTERNAL_DATA | COMPRESSION_TYPE | EXTENDED_L2
ZLIB, ZSTD = 0, 1
# header extension types
EXT_END = 0
EXT_BACKING_FORMAT = 0xE2792ACA
EXT_FEATURE_NAMES = 0x6803F857
EXT_DATA_FILE = 0x44415441
OFFSET_MASK = 0x00FFFFFFFFFFFE00
COMPRESSED = 1 << 62
ZERO_FLAG = 1
SUBCLUSTERS = 32
#: the largest L1 table read (QEMU's own limit is 32 MiB)
MAX_L1_BYTES = 32 * 1024 * 1024
#: how many bytes of L2 tables the completeness scan reads at most
TABLE_SCAN_BUDGET = 8 * 1024 * 1024
#: bytes of L2 tables kept in memory
L2_CACHE_BYTES = 16 * 1024 * 1024
_CRYPT = {1: "AES", 2: "LUKS"}
FLATTEN = "qemu-img convert -O qcow2 {source} flat.qcow2"


@dataclass(frozen=True)
class Header:
    version: int
    cluster_bits: int
    size: int
    crypt_method: int
    l1_size: int
    l1_offset: int
    incompatible: int
    compression_type: int
    header_length: int
    backing_file: str | None
    backing_format: str | None
    #: names of incompatible features, from the feature name table (bit -> name)
    feature_names: tuple[tuple[int, str], ...] = ()

    @property
    def cluster_size(self) -> int:
        return 1 << self.cluster_bits

    @property
    def dirty(self) -> bool:
        """Refcounts may be inconsistent (lazy refcounts, not closed cleanly): data reads fine."""
        return bool(self.incompatible & DIRTY)

    @property
    def corrupt(self) -> bool:
        """QEMU found an inconsistency in the metadata and marked the image."""
        return bool(self.incompatible & CORRUPT)

    @property
    def extended_l2(self) -> bool:
        return bool(self.incompatible & EXTENDED_L2)

    @property
    def l2_entries(self) -> int:
        """Entries per L2 table (one cluster; 16 bytes each with extended L2 entries)."""
        return self.cluster_size // (16 if self.extended_l2 else 8)

    def notes(self) -> tuple[str, ...]:
        """What the header says of the image's state, for a person."""
        found = []
        if self.corrupt:
            found.append(
                "the qcow2 header marks the image corrupt (QEMU found inconsistent metadata): "
                "repair it with qemu-img check -r all"
            )
        if self.dirty:
            found.append(
                "the qcow2 image is dirty (not closed cleanly; refcounts may be stale, the data "
                "reads as written)"
            )
        return tuple(found)


def is_qcow2(head: bytes) -> bool:
    return head[:4] == MAGIC


def _feature_names(raw: bytes) -> tuple[tuple[int, str], ...]:
    names = []
    for at in range(0, len(raw) - 47, 48):
        kind, bit = raw[at], raw[at + 1]
        if kind == 0:
            names.append(
                (bit, raw[at + 2 : at + 48].split(b"\x00", 1)[0].decode("ascii", "replace"))
            )
    return tuple(names)


def _extensions(first: bytes, start: int) -> dict[int, bytes]:
    """The header extensions between the header and the end of the first cluster."""
    found: dict[int, bytes] = {}
    at = start
    while at + 8 <= len(first):
        kind, length = struct.unpack_from(">II", first, at)
        if kind == EXT_END:
            return found
        if at + 8 + length > len(first):
            raise FormatError("a qcow2 header extension runs past the first cluster")
        found.setdefault(kind, first[at + 8 : at + 8 + length])
        at += 8 + (length + 7) // 8 * 8
    return found


def read_header(blob: Blob) -> Header:
    """The header and the extensions that matter for reading (see the module's docstring)."""
    raw = blob.read(0, V2_HEADER_LENGTH)
    if len(raw) < V2_HEADER_LENGTH or not is_qcow2(raw):
        raise FormatError("no qcow2 header")
    fields = _V2.unpack(raw)
    version, backing_offset, backing_size, cluster_bits, size = fields[1:6]
    crypt_method, l1_size, l1_offset = fields[6:9]
    if version not in (2, 3):
        raise UnsupportedError(
            f"qcow version {version} is not read (only qcow2 versions 2 and 3): convert it with "
            "qemu-img convert -O qcow2 in.qcow out.qcow2"
        )
    if not 9 <= cluster_bits <= 21:
        raise FormatError(f"qcow2 cluster_bits {cluster_bits} is outside 9..21")
    cluster = 1 << cluster_bits
    incompatible, compression, header_length = 0, ZLIB, V2_HEADER_LENGTH
    if version == 3:
        more = blob.read(V2_HEADER_LENGTH, _V3.size)
        if len(more) < _V3.size:
            raise FormatError("the qcow2 version 3 header is cut short")
        incompatible, _compatible, _autoclear, _refcount_order, header_length = _V3.unpack(more)
        if header_length < V3_MIN_HEADER_LENGTH or header_length % 8 or header_length > cluster:
            raise FormatError(f"qcow2 header_length {header_length} is not valid")
    first = blob.read(0, min(cluster, 1 << 16))
    if len(first) < header_length:
        raise FormatError("the qcow2 header is cut short")
    if header_length > V3_MIN_HEADER_LENGTH:
        compression = first[V3_MIN_HEADER_LENGTH]
    extensions = _extensions(first, header_length)
    names = _feature_names(extensions.get(EXT_FEATURE_NAMES, b""))
    backing: str | None = None
    if backing_offset:
        if backing_size > 1023 or backing_offset + backing_size > len(first):
            raise FormatError("the qcow2 backing file name lies outside the first cluster")
        backing = first[backing_offset : backing_offset + backing_size].decode("utf-8", "replace")
    backing_format = extensions.get(EXT_BACKING_FORMAT)
    header = Header(
        version=version,
        cluster_bits=cluster_bits,
        size=size,
        crypt_method=crypt_method,
        l1_size=l1_size,
        l1_offset=l1_offset,
        incompatible=incompatible,
        compression_type=compression,
        header_length=header_length,
        backing_file=backing,
        backing_format=backing_format.decode("utf-8", "replace") if backing_format else None,
        feature_names=names,
    )
    if header.extended_l2 and header.cluster_bits < 14:
        raise FormatError("qcow2 extended L2 entries need clusters of at least 16 KiB")
    if bool(header.incompatible & COMPRESSION_TYPE) != (compression != ZLIB):
        raise FormatError("the qcow2 compression type bit and field disagree")
    return header


def _refuse(header: Header) -> None:
    """Refuse the features this reader does not read, each with what to do instead."""
    unknown = header.incompatible & ~KNOWN_INCOMPATIBLE
    if unknown:
        named = dict(header.feature_names)
        bits = [bit for bit in range(64) if unknown >> bit & 1]
        which = ", ".join(named.get(bit, f"bit {bit}") for bit in bits)
        raise UnsupportedError(
            f"the qcow2 image uses incompatible features this reader does not know ({which}): "
            "convert it with qemu-img convert -O qcow2 -o compat=1.1 in.qcow2 out.qcow2"
        )
    if header.crypt_method:
        kind = _CRYPT.get(header.crypt_method, f"method {header.crypt_method}")
        raise UnsupportedError(
            f"the qcow2 image is encrypted ({kind}): decrypt it first, e.g. qemu-img convert "
            "--object secret,id=sec0,file=passphrase --image-opts "
            "driver=qcow2,file.filename=in.qcow2,encrypt.key-secret=sec0 -O qcow2 out.qcow2"
        )
    if header.incompatible & EXTERNAL_DATA:
        raise UnsupportedError(
            "the qcow2 image keeps its data in an external data file: convert it into one "
            "file with qemu-img convert -O qcow2 in.qcow2 out.qcow2"
        )
    compression = header.compression_type
    if compression not in (ZLIB, ZSTD):
        raise UnsupportedError(
            f"the qcow2 image uses compression type {compression} (zlib and zstd are read): "
            "convert it with qemu-img convert -O qcow2 in.qcow2 out.qcow2"
        )


class Qcow2Disk:
    """The active virtual disk of a qcow2 image: reads and the allocation map.

    A backing file, when the header names one, is not followed: its clusters read
    as zeros here, and :mod:`~.virtual` refuses such an image unless told to read
    this file's own layer only.
    """

    def __init__(self, blob: Blob, header: Header) -> None:
        _refuse(header)
        self._blob = blob
        self.header = header
        self._cluster = header.cluster_size
        self._entries = header.l2_entries
        self._extended = header.extended_l2
        self._size = header.size
        needed = -(-header.size // (self._cluster * self._entries))
        if header.l1_size < needed:
            raise FormatError(
                f"the qcow2 L1 table has {header.l1_size} entries, the virtual size needs {needed}"
            )
        length = needed * 8
        if header.l1_offset % self._cluster:
            raise FormatError("the qcow2 L1 table is not cluster aligned")
        if length > MAX_L1_BYTES or header.l1_offset + length > blob.size:
            raise FormatError("the qcow2 L1 table lies past the end of the file")
        raw = blob.read(header.l1_offset, length)
        if len(raw) < length:
            raise FormatError("the qcow2 L1 table lies past the end of the file")
        self.l1 = tuple(entry & OFFSET_MASK for entry in struct.unpack(f">{needed}Q", raw))
        self._tables: OrderedDict[int, tuple[int, ...]] = OrderedDict()
        self._keep = max(4, L2_CACHE_BYTES // self._cluster)
        self._inflated: OrderedDict[int, bytes] = OrderedDict()
        bits = header.cluster_bits - 8
        self._compressed_shift = 62 - bits
        self._sector_mask = (1 << bits) - 1
        # bit 0 of a standard entry says "reads as zeros" in version 3 without extended entries
        self._zero_flag = ZERO_FLAG if header.version >= 3 and not header.extended_l2 else 0

    @property
    def size(self) -> int:
        return self._size

    def table(self, index: int) -> tuple[int, ...]:
        """L2 table ``index``: its raw entries (pairs of entry and bitmap when extended)."""
        cached = self._tables.get(index)
        if cached is not None:
            self._tables.move_to_end(index)
            return cached
        offset = self.l1[index]
        width = 2 if self._extended else 1
        if offset == 0:
            table: tuple[int, ...] = (0,) * (self._entries * width)
        else:
            if offset % self._cluster:
                raise FormatError(f"qcow2 L2 table {index} is not cluster aligned")
            raw = self._blob.read(offset, self._cluster)
            if len(raw) < self._cluster:
                raise FormatError(f"qcow2 L2 table {index} lies past the end of the file")
            table = struct.unpack(f">{self._entries * width}Q", raw)
        self._tables[index] = table
        if len(self._tables) > self._keep:
            self._tables.popitem(last=False)
        return table

    def _entry(self, number: int) -> tuple[int, int]:
        """Cluster ``number``'s L2 entry and subcluster bitmap (0 when not extended)."""
        index, slot = divmod(number, self._entries)
        table = self.table(index)
        if self._extended:
            return table[2 * slot], table[2 * slot + 1]
        return table[slot], 0

    def _host(self, entry: int, number: int) -> int:
        host = entry & OFFSET_MASK
        if host % self._cluster:
            raise FormatError(f"qcow2 cluster {number} is not cluster aligned in the file")
        return host

    def _compressed(self, entry: int, number: int) -> bytes:
        cached = self._inflated.get(entry)
        if cached is not None:
            return cached
        host = entry & ((1 << self._compressed_shift) - 1)
        sectors = (entry >> self._compressed_shift) & self._sector_mask
        length = (sectors + 1) * 512 - (host & 511)
        payload = self._blob.read(host, length)
        if not payload:
            raise FormatError(f"compressed qcow2 cluster {number} lies past the end of the file")
        data = self._inflate(payload, number)
        self._inflated[entry] = data
        if len(self._inflated) > 8:
            self._inflated.popitem(last=False)
        return data

    def _inflate(self, payload: bytes, number: int) -> bytes:
        cluster = self._cluster
        if self.header.compression_type == ZSTD:
            data = _zstd(payload, cluster)
        else:
            try:
                data = zlib.decompressobj(-15).decompress(payload, cluster)
            except zlib.error as exc:
                raise FormatError(f"compressed qcow2 cluster {number} does not inflate") from exc
        if len(data) != cluster:
            raise FormatError(f"compressed qcow2 cluster {number} inflates to {len(data)} bytes")
        return data

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        if not length:
            return b""
        cluster = self._cluster
        out = Assembly(self._blob, length, "qcow2 cluster")
        end = offset + length
        for number in blocks_in(offset, end, cluster):
            base = number * cluster
            low, high = max(offset, base), min(end, base + cluster)
            entry, bitmap = self._entry(number)
            if entry & COMPRESSED:
                out.put(low - offset, self._compressed(entry, number)[low - base : high - base])
            elif self._extended:
                self._subclusters(
                    out, number, entry=entry, bitmap=bitmap, at=low - offset, low=low, high=high
                )
            elif entry & OFFSET_MASK and not entry & self._zero_flag:
                out.copy(low - offset, self._host(entry, number) + low - base, high - low)
        return out.result()

    def _subclusters(
        self, out: Assembly, number: int, *, entry: int, bitmap: int, at: int, low: int, high: int
    ) -> None:
        """The allocated subclusters of cluster ``number`` within ``[low, high)``."""
        if not bitmap & 0xFFFFFFFF:
            return
        host = self._host(entry, number)
        if host == 0:
            raise FormatError(f"qcow2 cluster {number} has allocated subclusters and no offset")
        base = number * self._cluster
        sub = self._cluster // SUBCLUSTERS
        for index in blocks_in(low - base, high - base, sub):
            if bitmap >> index & 1:
                start = max(low, base + index * sub)
                stop = min(high, base + (index + 1) * sub)
                out.copy(at + start - low, host + start - base, stop - start)

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """Clusters (subclusters) that hold data: standard or compressed, not zero, not
        unallocated; an L1 entry of zero skips its whole L2 table unread."""
        start, stop = span(self, start, end)
        return coalesce(self._extents(start, stop))

    def _extents(self, start: int, stop: int) -> Iterator[Extent]:
        cluster = self._cluster
        sub = cluster // SUBCLUSTERS
        span_bytes = cluster * self._entries
        for index in blocks_in(start, stop, span_bytes):
            if self.l1[index] == 0:
                continue
            first = max(start, index * span_bytes) // cluster
            last = -(-min(stop, (index + 1) * span_bytes) // cluster)
            for number in range(first, last):
                entry, bitmap = self._entry(number)
                base = number * cluster
                if entry & COMPRESSED or (
                    not self._extended and entry & OFFSET_MASK and not entry & self._zero_flag
                ):
                    low, high = max(start, base), min(stop, base + cluster)
                    yield low, high - low
                elif self._extended and bitmap & 0xFFFFFFFF:
                    for sub_index in range(SUBCLUSTERS):
                        if bitmap >> sub_index & 1:
                            low = max(start, base + sub_index * sub)
                            high = min(stop, base + (sub_index + 1) * sub)
                            if low < high:
                                yield low, high - low

    def _needed(self, entry: int, bitmap: int, base: int) -> int:
        """How many bytes of a standard cluster's host cluster hold the virtual disk's data
        (up to its last allocated subcluster; 0 when it holds none)."""
        if not entry & OFFSET_MASK or base >= self._size:
            return 0
        length = min(self._cluster, self._size - base)
        if self._extended:
            allocated = bitmap & 0xFFFFFFFF
            length = min(length, allocated.bit_length() * (self._cluster // SUBCLUSTERS))
        return length

    def truncation(self) -> str | None:
        """An L2 table or a data cluster the file does not hold (tables read up to a budget)."""
        limit = self._blob.size
        budget = TABLE_SCAN_BUDGET
        width = 2 if self._extended else 1
        for index, offset in enumerate(self.l1):
            if offset == 0:
                continue
            if offset + self._cluster > limit:
                return f"qcow2 L2 table {index} lies past the end of the file"
            if budget <= 0:
                continue
            budget -= self._cluster
            table = self.table(index)
            for slot, entry in enumerate(table[::width]):
                if entry & COMPRESSED:
                    if entry & ((1 << self._compressed_shift) - 1) >= limit:
                        return "a compressed qcow2 cluster lies past the end of the file"
                    continue
                base = (index * self._entries + slot) * self._cluster
                needed = self._needed(entry, table[2 * slot + 1] if self._extended else 0, base)
                if needed and (entry & OFFSET_MASK) + needed > limit:
                    return "a qcow2 data cluster lies past the end of the file"
        return None


def _zstd(payload: bytes, cluster: int) -> bytes:
    """One cluster from a zstd stream (at most ``cluster`` bytes are produced)."""
    from ec2_import_image.zstdcodec import ZstdError, decompress_bounded

    try:
        return decompress_bounded(payload, cluster)
    except ZstdError as exc:
        raise FormatError(f"a zstd-compressed qcow2 cluster does not decompress ({exc})") from exc
