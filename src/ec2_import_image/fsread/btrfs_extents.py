"""A btrfs file's extents: the EXTENT_DATA item and the decompression of its bytes.

From the *On-disk Format* page's EXTENT_DATA (and ``btrfs_file_extent_item``
in ``btrfs_tree.h``): 21 bytes (generation, ``ram_bytes``: the decoded size,
compression, encryption, other encoding, type), then for an **inline** extent
the data itself, for a **regular** or **prealloc** one the logical address and
size of the extent on disk, the offset into its decoded bytes and the count of
the file's bytes it gives.  A regular extent at address 0 is a hole; a prealloc
extent reads as zeros; offsets not covered by any item (the ``no-holes``
feature) are holes too.

Compression (btrfs(5), "Compression"): each extent is compressed alone,
at most 128 KiB of data:

- 1, **zlib**: one zlib stream;
- 2, **LZO**: btrfs's own framing of LZO1X (described in the kernel's
  ``fs/btrfs/lzo.c``): a little-endian 32-bit total length, then segments,
  each a 32-bit length and an LZO1X stream of at most one sector of data; a
  segment header never crosses a sector boundary, so up to 3 bytes of padding
  end a sector (``lzo.py`` decompresses the streams);
- 3, **zstd**: one zstd frame (``zstdcodec``).

Every decompression is bounded by the extent's ``ram_bytes`` (itself at most
128 KiB for a compressed extent); data that does not decompress is a
``FormatError``.  Encrypted or otherwise encoded extents are refused.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread import lzo

_HEAD = struct.Struct("<QQBBHB")
_DISK = struct.Struct("<QQQQ")
#: the largest decoded size of a compressed extent (BTRFS_MAX_UNCOMPRESSED)
MAX_COMPRESSED_EXTENT = 128 * 1024
#: the largest extent btrfs makes (BTRFS_MAX_EXTENT_SIZE)
MAX_EXTENT = 128 * 1024 * 1024


class ExtentType(IntEnum):
    INLINE = 0
    REGULAR = 1
    PREALLOC = 2


class Compression(IntEnum):
    NONE = 0
    ZLIB = 1
    LZO = 2
    ZSTD = 3


@dataclass(frozen=True)
class FileExtent:
    """One EXTENT_DATA item of a file, at ``file_offset``; ``length`` bytes of the file."""

    file_offset: int
    type: ExtentType
    compression: Compression
    ram_bytes: int
    #: regular and prealloc: where the extent is (0: a hole), its size on disk, the offset
    #: into its decoded bytes and how many of them the file uses
    disk_bytenr: int = 0
    disk_num_bytes: int = 0
    offset: int = 0
    num_bytes: int = 0
    #: inline: the bytes stored in the item (compressed or not)
    inline: bytes = b""

    @property
    def length(self) -> int:
        return self.ram_bytes if self.type is ExtentType.INLINE else self.num_bytes

    @property
    def is_hole(self) -> bool:
        return self.type is ExtentType.REGULAR and self.disk_bytenr == 0


def parse_extent(file_offset: int, data: bytes, sectorsize: int) -> FileExtent:
    if len(data) < _HEAD.size:
        raise FormatError("a btrfs file extent item is truncated")
    _generation, ram_bytes, compression, encryption, other, kind = _HEAD.unpack_from(data)
    if encryption or other:
        raise FormatError("an encrypted or encoded btrfs extent is not read")
    try:
        extent_type = ExtentType(kind)
        method = Compression(compression)
    except ValueError:
        raise FormatError(f"btrfs extent type {kind} / compression {compression} unknown") from None
    if extent_type is ExtentType.INLINE:
        inline = data[_HEAD.size :]
        if method is Compression.NONE:
            ram_bytes = len(inline)
        if ram_bytes > sectorsize or file_offset != 0:
            raise FormatError("a btrfs inline extent is larger than a sector or not at 0")
        return FileExtent(file_offset, extent_type, method, ram_bytes, inline=inline)
    if len(data) < _HEAD.size + _DISK.size:
        raise FormatError("a btrfs file extent item is truncated")
    disk_bytenr, disk_num_bytes, offset, num_bytes = _DISK.unpack_from(data, _HEAD.size)
    if method is not Compression.NONE and extent_type is ExtentType.REGULAR and disk_bytenr:
        if ram_bytes > MAX_COMPRESSED_EXTENT or disk_num_bytes > MAX_COMPRESSED_EXTENT:
            raise FormatError("a compressed btrfs extent is larger than 128 KiB")
        if offset + num_bytes > ram_bytes:
            raise FormatError("a btrfs extent uses more bytes than it decodes to")
    elif num_bytes > MAX_EXTENT or (disk_bytenr and offset + num_bytes > max(disk_num_bytes, 0)):
        raise FormatError("a btrfs extent is larger than it can be")
    return FileExtent(
        file_offset,
        extent_type,
        method,
        ram_bytes,
        disk_bytenr=disk_bytenr,
        disk_num_bytes=disk_num_bytes,
        offset=offset,
        num_bytes=num_bytes,
    )


def decompress(method: Compression, data: bytes, size: int, sectorsize: int) -> bytes:
    """An extent's ``size`` decoded bytes (the rest of a short result reads as zeros, as
    the kernel zeroes the rest of its pages)."""
    if method is Compression.ZLIB:
        out = _zlib(data, size)
    elif method is Compression.LZO:
        out = _btrfs_lzo(data, size, sectorsize)
    elif method is Compression.ZSTD:
        out = _zstd(data, size)
    else:
        return data[:size]
    return out + bytes(size - len(out)) if len(out) < size else out[:size]


def _zlib(data: bytes, size: int) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, size)
    except zlib.error as error:
        raise FormatError(f"a zlib-compressed btrfs extent does not decompress: {error}") from None


def _zstd(data: bytes, size: int) -> bytes:
    from ec2_import_image.zstdcodec import ZstdError, decompress_bounded

    try:
        # one frame: the extent's padding after it is not a frame
        return decompress_bounded(data, size, one_frame=True)
    except ZstdError as error:
        raise FormatError(f"a zstd-compressed btrfs extent does not decompress: {error}") from None


def _btrfs_lzo(data: bytes, size: int, sectorsize: int) -> bytes:
    if len(data) < 4:
        raise FormatError("an LZO-compressed btrfs extent is truncated")
    (total,) = struct.unpack_from("<I", data)
    if not 4 <= total <= len(data):
        raise FormatError("an LZO-compressed btrfs extent's length is out of bounds")
    out = bytearray()
    position = 4
    while position < total and len(out) < size:
        left_in_sector = sectorsize - position % sectorsize
        if left_in_sector < 4:  # padding: a segment header never crosses a sector
            position += left_in_sector
            continue
        if position + 4 > total:
            raise FormatError("an LZO-compressed btrfs extent's segment header is truncated")
        (length,) = struct.unpack_from("<I", data, position)
        position += 4
        if length == 0 or position + length > total:
            raise FormatError("an LZO-compressed btrfs extent's segment is out of bounds")
        out += lzo.decompress(data[position : position + length], min(sectorsize, size - len(out)))
        position += length
    return bytes(out)
