"""A small FAT12/16/32 reader: enough to list ``\\EFI\\BOOT`` on an EFI system partition.

Written from Microsoft's *FAT: General Overview of On-Disk Format*.  The BPB
gives the geometry; the FAT type follows from the count of clusters (below
4085: FAT12, below 65525: FAT16, else FAT32).  FAT12/16 keep the root
directory in a fixed region, FAT32 in a cluster chain.  Directory entries
are 32 bytes; long names are spread over preceding entries (attribute 0x0F)
in UTF-16.  Names compare case-insensitively, long or short.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import FormatError

ATTR_LONG_NAME = 0x0F
ATTR_DIRECTORY = 0x10
ATTR_VOLUME_ID = 0x08
_MAX_DIRECTORY_CLUSTERS = 1024
FALLBACK_LOADERS = ("BOOTX64.EFI", "BOOTAA64.EFI", "BOOTIA32.EFI")


@dataclass(frozen=True)
class Entry:
    name: str
    is_directory: bool
    cluster: int
    size: int


@dataclass(frozen=True)
class Volume:
    bits: int
    bytes_per_sector: int
    cluster_size: int
    fat_offset: int
    root_offset: int
    root_size: int
    root_cluster: int
    data_offset: int
    clusters: int


def read_volume(blob: Blob) -> Volume:
    boot = blob.read(0, 512)
    if len(boot) < 512 or boot[510:512] != b"\x55\xaa":
        raise FormatError("no FAT boot sector")
    bytes_per_sector, per_cluster, reserved, fats, root_entries, total16, _media, fat16 = (
        struct.unpack_from("<HBHBHHBH", boot, 11)
    )
    total32, fat32 = struct.unpack_from("<II", boot, 32)
    if bytes_per_sector not in (512, 1024, 2048, 4096) or per_cluster == 0 or fats == 0:
        raise FormatError("the FAT boot sector's geometry is invalid")
    if per_cluster & (per_cluster - 1):
        raise FormatError("the FAT cluster size is not a power of two")
    fat_sectors = fat16 or fat32
    total = total16 or total32
    root_sectors = -(-(root_entries * 32) // bytes_per_sector)
    data_start = reserved + fats * fat_sectors + root_sectors
    if fat_sectors == 0 or total <= data_start:
        raise FormatError("the FAT boot sector's sizes are invalid")
    clusters = (total - data_start) // per_cluster
    bits = 12 if clusters < 4085 else 16 if clusters < 65525 else 32
    root_cluster = struct.unpack_from("<I", boot, 44)[0] if bits == 32 else 0
    return Volume(
        bits,
        bytes_per_sector,
        per_cluster * bytes_per_sector,
        reserved * bytes_per_sector,
        (reserved + fats * fat_sectors) * bytes_per_sector,
        root_sectors * bytes_per_sector,
        root_cluster,
        data_start * bytes_per_sector,
        clusters,
    )


class FatReader:
    def __init__(self, blob: Blob) -> None:
        self._blob = blob
        self.volume = read_volume(blob)

    def _next(self, cluster: int) -> int | None:
        volume = self.volume
        value: int
        if volume.bits == 12:
            raw = self._blob.read(volume.fat_offset + cluster * 3 // 2, 2)
            if len(raw) < 2:
                return None
            value = struct.unpack("<H", raw)[0]
            value = value >> 4 if cluster & 1 else value & 0xFFF
            end = 0xFF8
        elif volume.bits == 16:
            raw = self._blob.read(volume.fat_offset + cluster * 2, 2)
            value, end = (struct.unpack("<H", raw)[0] if len(raw) == 2 else 0xFFFF), 0xFFF8
        else:
            raw = self._blob.read(volume.fat_offset + cluster * 4, 4)
            value = struct.unpack("<I", raw)[0] & 0x0FFFFFFF if len(raw) == 4 else 0x0FFFFFFF
            end = 0x0FFFFFF8
        if value < 2 or value >= end or value >= volume.clusters + 2:
            return None
        return value

    def _chain(self, cluster: int) -> bytes:
        volume = self.volume
        pieces: list[bytes] = []
        seen: set[int] = set()
        current: int | None = cluster
        while current is not None and current not in seen:
            if len(seen) >= _MAX_DIRECTORY_CLUSTERS or not 2 <= current < volume.clusters + 2:
                break
            seen.add(current)
            offset = volume.data_offset + (current - 2) * volume.cluster_size
            pieces.append(self._blob.read(offset, volume.cluster_size))
            current = self._next(current)
        return b"".join(pieces)

    def root(self) -> list[Entry]:
        volume = self.volume
        if volume.bits == 32:
            return parse_directory(self._chain(volume.root_cluster))
        return parse_directory(self._blob.read(volume.root_offset, volume.root_size))

    def listdir(self, entry: Entry) -> list[Entry]:
        if not entry.is_directory or entry.cluster < 2:
            return self.root() if entry.is_directory else []
        return parse_directory(self._chain(entry.cluster))

    def find(self, path: str) -> Entry | None:
        """The entry at a backslash-separated path, names compared case-insensitively."""
        entries = self.root()
        found: Entry | None = None
        for part in [piece for piece in path.split("\\") if piece]:
            found = next((e for e in entries if e.name.upper() == part.upper()), None)
            if found is None:
                return None
            entries = self.listdir(found) if found.is_directory else []
        return found


def _short_name(raw: bytes) -> str:
    base = raw[:8].decode("latin-1").rstrip()
    extension = raw[8:11].decode("latin-1").rstrip()
    if base.startswith("\x05"):
        base = "\xe5" + base[1:]
    return f"{base}.{extension}" if extension else base


def parse_directory(raw: bytes) -> list[Entry]:
    entries: list[Entry] = []
    long_parts: list[bytes] = []
    for offset in range(0, len(raw) - 31, 32):
        record = raw[offset : offset + 32]
        first, attributes = record[0], record[11]
        if first == 0x00:
            break
        if first == 0xE5:
            long_parts = []
            continue
        if attributes == ATTR_LONG_NAME:
            if first & 0x40:
                long_parts = []
            long_parts.insert(0, record[1:11] + record[14:26] + record[28:32])
            continue
        if attributes & ATTR_VOLUME_ID:
            long_parts = []
            continue
        name = _short_name(record[:11])
        if long_parts:
            text = b"".join(long_parts).decode("utf-16-le", "replace")
            name = text.split("\x00", 1)[0] or name
            long_parts = []
        if name in (".", ".."):
            continue
        high, low = struct.unpack_from("<H", record, 20)[0], struct.unpack_from("<H", record, 26)[0]
        size = struct.unpack_from("<I", record, 28)[0]
        entries.append(Entry(name, bool(attributes & ATTR_DIRECTORY), (high << 16) | low, size))
    return entries


def fallback_loaders(blob: Blob) -> tuple[str, ...]:
    """The removable-media loaders in ``\\EFI\\BOOT`` (upper case), in a fixed order."""
    reader = FatReader(blob)
    boot = reader.find("\\EFI\\BOOT")
    if boot is None or not boot.is_directory:
        return ()
    names = {entry.name.upper() for entry in reader.listdir(boot) if not entry.is_directory}
    return tuple(loader for loader in FALLBACK_LOADERS if loader in names)
