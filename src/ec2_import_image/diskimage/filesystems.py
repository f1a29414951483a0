"""Which file system a partition holds, from its signature (superblock magic).

The layouts are the file systems' own: NTFS and BitLocker boot sectors (OEM
id at 3), FAT's BPB, the ext2/3/4 superblock at 1024 (magic ``EF53``; ext4
and ext3 told apart by their feature flags), XFS ``XFSB`` at 0, btrfs
``_BHRfS_M`` at 64 KiB + 64, JFS ``JFS1`` at 32 KiB, Linux swap's signature
at the end of its first 4 KiB page, the LVM2 physical volume label
(``LABELONE`` in one of the first four sectors, ``LVM2 001``), LUKS 1 and 2.
"""

from __future__ import annotations

import struct

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.records import Filesystem

_EXT_MAGIC = 0xEF53
_EXT_COMPAT_HAS_JOURNAL = 0x4
#: incompat: extents, 64bit, flex_bg, mmp, inline_data...; ro_compat: huge_file, gdt_csum,
#: dir_nlink, extra_isize, metadata_csum: any of them is ext4
_EXT4_INCOMPAT = 0x40 | 0x80 | 0x200 | 0x100 | 0x8000
_EXT4_RO_COMPAT = 0x8 | 0x10 | 0x20 | 0x40 | 0x400
_HEAD = 8192


def _ext(head: bytes) -> Filesystem | None:
    superblock = head[1024:2048]
    if len(superblock) < 0x68 or struct.unpack_from("<H", superblock, 0x38)[0] != _EXT_MAGIC:
        return None
    compat, incompat, ro_compat = struct.unpack_from("<III", superblock, 0x5C)
    if incompat & _EXT4_INCOMPAT or ro_compat & _EXT4_RO_COMPAT:
        return Filesystem.EXT4
    if compat & _EXT_COMPAT_HAS_JOURNAL:
        return Filesystem.EXT3
    return Filesystem.EXT2


def _fat(head: bytes) -> bool:
    if head[510:512] != b"\x55\xaa" or len(head) < 512:
        return False
    if head[54:59] in (b"FAT12", b"FAT16") or head[82:87] == b"FAT32":
        return True
    bytes_per_sector, per_cluster = struct.unpack_from("<HB", head, 11)
    fats = head[16]
    return (
        bytes_per_sector in (512, 1024, 2048, 4096)
        and per_cluster in (1, 2, 4, 8, 16, 32, 64, 128)
        and fats in (1, 2)
        and head[0] in (0xEB, 0xE9)
    )


def _lvm(head: bytes) -> bool:
    return any(
        head[offset : offset + 8] == b"LABELONE" and head[offset + 24 : offset + 32] == b"LVM2 001"
        for offset in range(0, 2048, 512)
    )


def detect(partition: Blob) -> Filesystem | None:
    """The file system at the start of ``partition``, or None when no signature matches."""
    head = partition.read(0, _HEAD)
    if head[:6] == b"LUKS\xba\xbe":
        return Filesystem.LUKS
    oem = head[3:11]
    if oem == b"-FVE-FS-":
        return Filesystem.BITLOCKER
    if oem == b"NTFS    ":
        return Filesystem.NTFS
    if head[:4] == b"XFSB":
        return Filesystem.XFS
    if _lvm(head):
        return Filesystem.LVM
    ext = _ext(head)
    if ext is not None:
        return ext
    if head[4086:4096] in (b"SWAPSPACE2", b"SWAP-SPACE"):
        return Filesystem.SWAP
    if _fat(head):
        return Filesystem.VFAT
    if partition.read(32768, 4) == b"JFS1":
        return Filesystem.JFS
    if partition.read(65536 + 64, 8) == b"_BHRfS_M":
        return Filesystem.BTRFS
    return None
