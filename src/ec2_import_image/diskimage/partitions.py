"""Partition tables: MBR (with the extended partition's chain of logical ones) and GPT.

MBR: four 16-byte entries at 446 and ``55 AA`` at 510; an extended entry
(05, 0F, 85) starts a chain of EBRs, each holding one logical partition
(numbered from 5) and a link to the next.  GPT (UEFI specification, ch. 5): a
protective MBR (type EE), the header ``EFI PART`` at LBA 1 (CRC-32 checked;
the backup at the disk's last LBA is used when the primary is damaged) and
its array of 128-byte entries.  Type GUIDs are stored in mixed-endian layout.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.records import PartitionTable, PartitionType

SECTOR = 512
MBR_SIGNATURE = b"\x55\xaa"
GPT_SIGNATURE = b"EFI PART"
PROTECTIVE = 0xEE
EXTENDED_TYPES = frozenset({0x05, 0x0F, 0x85})
_ENTRY = struct.Struct("<B3sB3sII")
_GPT_HEADER = struct.Struct("<8sIII4xQQQQ16sQIII")
_GPT_ENTRY = struct.Struct("<16s16sQQQ72s")
_MAX_LOGICAL = 128
_MAX_GPT_ENTRIES = 1024

MBR_TYPES = {
    0x01: PartitionType.MICROSOFT_BASIC_DATA,
    0x04: PartitionType.MICROSOFT_BASIC_DATA,
    0x06: PartitionType.MICROSOFT_BASIC_DATA,
    0x07: PartitionType.MICROSOFT_BASIC_DATA,
    0x0B: PartitionType.MICROSOFT_BASIC_DATA,
    0x0C: PartitionType.MICROSOFT_BASIC_DATA,
    0x0E: PartitionType.MICROSOFT_BASIC_DATA,
    0x27: PartitionType.WINDOWS_RECOVERY,
    0x82: PartitionType.LINUX_SWAP,
    0x83: PartitionType.LINUX,
    0x8E: PartitionType.LINUX_LVM,
    0xEF: PartitionType.EFI_SYSTEM,
    **dict.fromkeys(EXTENDED_TYPES, PartitionType.EXTENDED),
}

GPT_TYPES = {
    "C12A7328-F81F-11D2-BA4B-00A0C93EC93B": PartitionType.EFI_SYSTEM,
    "21686148-6449-6E6F-744E-656564454649": PartitionType.BIOS_BOOT,
    "0FC63DAF-8483-4772-8E79-3D69D8477DE4": PartitionType.LINUX,
    "44479540-F297-41B2-9AF7-D131D5F0458A": PartitionType.LINUX,  # root, x86
    "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709": PartitionType.LINUX,  # root, x86-64
    "B921B045-1DF0-41C3-AF44-4C6F280D3FAE": PartitionType.LINUX,  # root, arm64
    "BC13C2FF-59E6-4262-A352-B275FD6F7172": PartitionType.LINUX,  # /boot (XBOOTLDR)
    "933AC7E1-2EB4-4F13-B844-0E14E2AEF915": PartitionType.LINUX,  # /home
    "3B8F8425-20E0-4F3B-907F-1A25A76F98E8": PartitionType.LINUX,  # /srv
    "E6D6D379-F507-44C2-A23C-238F2A3DF928": PartitionType.LINUX_LVM,
    "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": PartitionType.LINUX_SWAP,
    "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": PartitionType.MICROSOFT_BASIC_DATA,
    "E3C9E316-0B5C-4DB8-817D-F92DF00215AE": PartitionType.MICROSOFT_RESERVED,
    "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC": PartitionType.WINDOWS_RECOVERY,
}
#: GPT attribute bit 2: legacy BIOS bootable
GPT_LEGACY_BOOTABLE = 1 << 2


@dataclass(frozen=True)
class Slot:
    """A partition as its table gives it (the file system is looked at later)."""

    number: int
    type: PartitionType
    type_id: str
    start: int
    size: int
    bootable: bool
    name: str = ""
    #: the partition's own id, as the kernel's PARTUUID gives it: the GPT entry's unique
    #: GUID (lower case), or for MBR the disk signature and the number ("0a1b2c3d-02")
    unique_id: str = ""


@dataclass(frozen=True)
class Layout:
    table: PartitionTable
    slots: tuple[Slot, ...]
    #: the MBR's first 440 bytes hold boot code (not all zeros)
    boot_code: bool


def _mbr_entries(sector: bytes) -> list[tuple[int, int, int, int]]:
    """(status, type, first LBA, sectors) of the four entries that are in use."""
    entries = []
    for index in range(4):
        status, _chs, kind, _end, first, count = _ENTRY.unpack_from(sector, 446 + 16 * index)
        if kind != 0 and count != 0:
            entries.append((status, kind, first, count))
    return entries


def _mbr_slot(
    number: int, status: int, kind: int, first: int, count: int, *, signature: int = 0
) -> Slot:
    return Slot(
        number,
        MBR_TYPES.get(kind, PartitionType.OTHER),
        f"0x{kind:02x}",
        first * SECTOR,
        count * SECTOR,
        status == 0x80,
        unique_id=f"{signature:08x}-{number:02x}",
    )


def _logical(disk: Blob, extended_first: int, signature: int) -> list[Slot]:
    slots: list[Slot] = []
    seen: set[int] = set()
    ebr = extended_first
    while len(slots) < _MAX_LOGICAL and ebr not in seen:
        seen.add(ebr)
        sector = disk.read(ebr * SECTOR, SECTOR)
        if len(sector) < SECTOR or sector[510:512] != MBR_SIGNATURE:
            break
        entries = _mbr_entries(sector)
        link = None
        for status, kind, first, count in entries:
            if kind in EXTENDED_TYPES:
                link = extended_first + first
            else:
                slots.append(
                    _mbr_slot(5 + len(slots), status, kind, ebr + first, count, signature=signature)
                )
        if link is None:
            break
        ebr = link
    return slots


def _mbr(disk: Blob, sector: bytes) -> list[Slot]:
    slots: list[Slot] = []
    (signature,) = struct.unpack_from("<I", sector, 440)
    for number, (status, kind, first, count) in enumerate(_mbr_entries(sector), 1):
        slots.append(_mbr_slot(number, status, kind, first, count, signature=signature))
    for slot in list(slots):
        if slot.type is PartitionType.EXTENDED:
            slots.extend(_logical(disk, slot.start // SECTOR, signature))
            break
    return slots


def _gpt_header(disk: Blob, lba: int) -> tuple[int, int, int] | None:
    """(entries LBA, entry count, entry size) of a valid GPT header at ``lba``."""
    raw = disk.read(lba * SECTOR, SECTOR)
    if len(raw) < _GPT_HEADER.size or raw[:8] != GPT_SIGNATURE:
        return None
    fields = _GPT_HEADER.unpack_from(raw)
    header_size, header_crc = fields[2], fields[3]
    entries_lba, count, entry_size = fields[9], fields[10], fields[11]
    if not 92 <= header_size <= SECTOR:
        return None
    zeroed = raw[:16] + b"\x00\x00\x00\x00" + raw[20:header_size]
    if zlib.crc32(zeroed) != header_crc:
        return None
    if entry_size < _GPT_ENTRY.size or entry_size > 4096 or count > _MAX_GPT_ENTRIES:
        return None
    return entries_lba, count, entry_size


def _gpt(disk: Blob) -> list[Slot]:
    header = _gpt_header(disk, 1)
    if header is None:
        header = _gpt_header(disk, disk.size // SECTOR - 1)
    if header is None:
        raise FormatError("the GPT header and its backup are both damaged")
    entries_lba, count, entry_size = header
    raw = disk.read(entries_lba * SECTOR, count * entry_size)
    slots: list[Slot] = []
    for index in range(min(count, len(raw) // entry_size)):
        kind, unique, first, last, attributes, name = _GPT_ENTRY.unpack_from(
            raw, index * entry_size
        )
        if kind == bytes(16) or last < first:
            continue
        type_id = str(uuid.UUID(bytes_le=kind)).upper()
        slots.append(
            Slot(
                index + 1,
                GPT_TYPES.get(type_id, PartitionType.OTHER),
                type_id,
                first * SECTOR,
                (last - first + 1) * SECTOR,
                bool(attributes & GPT_LEGACY_BOOTABLE),
                name.decode("utf-16-le", "replace").split("\x00", 1)[0],
                str(uuid.UUID(bytes_le=unique)),
            )
        )
    return slots


def read_partitions(disk: Blob) -> Layout:
    """The partition table of a virtual disk (``none`` when there is no MBR signature)."""
    sector = disk.read(0, SECTOR)
    if len(sector) < SECTOR or sector[510:512] != MBR_SIGNATURE:
        return Layout(PartitionTable.NONE, (), False)
    if _looks_like_boot_sector(sector):
        return Layout(PartitionTable.NONE, (), False)
    boot_code = any(sector[:440])
    entries = _mbr_entries(sector)
    if any(kind == PROTECTIVE for _status, kind, _first, _count in entries):
        return Layout(PartitionTable.GPT, tuple(_gpt(disk)), boot_code)
    if not entries and disk.read(SECTOR, 8) == GPT_SIGNATURE:
        return Layout(PartitionTable.GPT, tuple(_gpt(disk)), boot_code)
    return Layout(PartitionTable.MBR, tuple(_mbr(disk, sector)), boot_code)


def _looks_like_boot_sector(sector: bytes) -> bool:
    """A file system's boot sector at 0 (a whole-disk FAT or NTFS), not an empty MBR."""
    return (
        sector[3:11] in (b"NTFS    ", b"-FVE-FS-")
        or sector[54:59] == b"FAT12"
        or (sector[54:59] == b"FAT16" or sector[82:87] == b"FAT32")
    )
