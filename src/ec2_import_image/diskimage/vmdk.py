"""VMDK: the sparse extent header, its embedded descriptor, descriptor-only files.

A hosted sparse extent starts with a 512-byte little-endian header (magic
``KDMV``).  VM Import takes only the stream-optimized kind: compressed grains
and markers flagged, deflate as the compression algorithm, and
``createType="streamOptimized"`` in the descriptor embedded after the header.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob

MAGIC = b"KDMV"
SECTOR = 512
FLAG_COMPRESSED = 0x10000
FLAG_MARKERS = 0x20000
COMPRESS_DEFLATE = 1
DESCRIPTOR_SIGNATURE = b"# Disk DescriptorFile"
_HEADER = struct.Struct("<4sIIQQQQIQQQB4sH")
_CREATE_TYPE = re.compile(rb'createType\s*=\s*"([^"]*)"')
_MAX_DESCRIPTOR = 64 * 1024


@dataclass(frozen=True)
class SparseHeader:
    version: int
    flags: int
    capacity_sectors: int
    compress_algorithm: int
    create_type: str

    @property
    def capacity(self) -> int:
        """The virtual disk's size in bytes."""
        return self.capacity_sectors * SECTOR

    @property
    def stream_optimized(self) -> bool:
        flagged = self.flags & FLAG_COMPRESSED and self.flags & FLAG_MARKERS
        return bool(flagged) and (
            self.compress_algorithm == COMPRESS_DEFLATE and self.create_type == "streamOptimized"
        )


def is_sparse(head: bytes) -> bool:
    return head[:4] == MAGIC


def is_descriptor(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(DESCRIPTOR_SIGNATURE)


def read_sparse_header(blob: Blob) -> SparseHeader | None:
    """The header and the embedded descriptor's createType; None if not a sparse extent."""
    raw = blob.read(0, SECTOR)
    if len(raw) < _HEADER.size or not is_sparse(raw):
        return None
    fields = _HEADER.unpack_from(raw)
    _, version, flags, capacity, _grain, desc_offset, desc_size, *_rest, compress = fields
    create_type = ""
    if desc_offset and desc_size:
        length = min(desc_size * SECTOR, _MAX_DESCRIPTOR)
        descriptor = blob.read(desc_offset * SECTOR, length)
        match = _CREATE_TYPE.search(descriptor)
        if match:
            create_type = match.group(1).decode("ascii", "replace")
    return SparseHeader(version, flags, capacity, compress, create_type)
