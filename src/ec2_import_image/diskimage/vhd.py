"""VHD: the 512-byte big-endian footer (cookie ``conectix``) at the end of the file.

Fixed disks are raw data followed by the footer.  Dynamic and differencing
disks also keep a copy of the footer at offset 0 and a dynamic header
(cookie ``cxsparse``) where the footer's data offset points, usually 512.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob

COOKIE = b"conectix"
DYNAMIC_COOKIE = b"cxsparse"
FOOTER_SIZE = 512
FIXED, DYNAMIC, DIFFERENCING = 2, 3, 4
TYPE_NAMES = {FIXED: "fixed", DYNAMIC: "dynamic", DIFFERENCING: "differencing"}
_FOOTER = struct.Struct(">8sIIQI4sI4sQQIII16sB")
_CHECKSUM_AT = 64


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


def footer_copy_matches(blob: Blob, footer: Footer) -> bool:
    """Whether a dynamic disk's copy at offset 0 equals its footer."""
    return blob.read(0, FOOTER_SIZE) == footer.raw


def has_dynamic_header(blob: Blob, footer: Footer) -> bool:
    offset = footer.data_offset if 0 < footer.data_offset < blob.size else FOOTER_SIZE
    return blob.read(offset, 8) == DYNAMIC_COOKIE
