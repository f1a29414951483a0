"""Which container a file is, from its first bytes (and a VHD's footer at the end).

Signatures: QCOW2 ``QFI\\xfb``; VDI's ``0xBEDA107F`` at 64; VMDK ``KDMV`` or a
text descriptor; VHDX ``vhdxfile``; a POSIX tar (``ustar`` at 257) is an OVA;
VHD ``conectix`` in the last 512 bytes (or at 0: a dynamic disk whose footer
is missing).

RAW has no signature: it is the disk's bytes as they are, and any bytes are a
disk (all zeros, a whole-disk file system, an encrypted volume with no header
are all RAW; an MBR or GPT is what the contents reader looks for next).  So a
file is RAW unless its first bytes positively say it is something else, which
:func:`foreign` names and the checks refuse as ``unknown``: an empty file; a
compressed stream or an archive (gzip, xz, bzip2, zstd, lz4, lzop, zip, 7z:
their magic numbers, from each format's specification, e.g. RFC 1952 for
gzip); another hypervisor's container qemu knows (QED ``QED\\0``, Parallels
``WithoutFreeSpace``, VMware's old ``COWD`` sparse disk); text (the first
kibibyte is UTF-8 of printable characters and white space: an OVF descriptor,
a ``.vmx``, a page of notes; no disk starts so: a boot sector, a partition
table and a file system's first sectors all hold binary fields or zeros).
"""

from __future__ import annotations

import struct

from ec2_import_image.diskimage import ova, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.records import ContainerFormat, ForeignFormat

QCOW2_MAGIC = b"QFI\xfb"
VDI_SIGNATURE = 0xBEDA107F
HEAD = 1024
_MAGIC: tuple[tuple[bytes, ForeignFormat], ...] = (
    (b"\x1f\x8b\x08", ForeignFormat.GZIP),
    (b"\xfd7zXZ\x00", ForeignFormat.XZ),
    (b"\x28\xb5\x2f\xfd", ForeignFormat.ZSTD),
    (b"\x04\x22\x4d\x18", ForeignFormat.LZ4),
    (b"\x89LZO\x00\r\n\x1a\n", ForeignFormat.LZOP),
    (b"PK\x03\x04", ForeignFormat.ZIP),
    (b"PK\x05\x06", ForeignFormat.ZIP),
    (b"7z\xbc\xaf\x27\x1c", ForeignFormat.SEVEN_ZIP),
    (b"QED\x00", ForeignFormat.QED),
    (b"WithoutFreeSpace", ForeignFormat.PARALLELS),
    (b"WithouFreSpacExt", ForeignFormat.PARALLELS),
    (b"COWD", ForeignFormat.VMDK3),
)
#: bzip2: ``BZh``, the block size digit, then the first block's magic (the digits of pi)
_BZIP2_BLOCK = b"\x31\x41\x59\x26\x53\x59"
_WHITE_SPACE = frozenset("\t\n\r\f\v")


def _is_text(head: bytes) -> bool:
    """UTF-8 of printable characters and white space only (a character cut at the end is
    allowed: the head is a prefix of the file)."""
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return bool(text) and all(ch.isprintable() or ch in _WHITE_SPACE for ch in text)
    return False


def foreign(head: bytes) -> ForeignFormat | None:
    """What the file is when its first bytes say it is no disk (None: it may be a disk)."""
    if not head:
        return ForeignFormat.EMPTY
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] == _BZIP2_BLOCK:
        return ForeignFormat.BZIP2
    if _is_text(head):
        return ForeignFormat.TEXT
    return None


def identify(blob: Blob) -> ContainerFormat:
    head = blob.read(0, HEAD)
    if head.startswith(QCOW2_MAGIC):
        return ContainerFormat.QCOW2
    if len(head) >= 68 and struct.unpack_from("<I", head, 64)[0] == VDI_SIGNATURE:
        return ContainerFormat.VDI
    if vmdk.is_sparse(head) or vmdk.is_descriptor(head):
        return ContainerFormat.VMDK
    if vhdx.is_vhdx(head):
        return ContainerFormat.VHDX
    if ova.is_tar(head):
        return ContainerFormat.OVA
    if vhd.read_footer(blob) is not None or head.startswith(vhd.COOKIE):
        return ContainerFormat.VHD
    if foreign(head) is not None:
        return ContainerFormat.UNKNOWN
    return ContainerFormat.RAW
