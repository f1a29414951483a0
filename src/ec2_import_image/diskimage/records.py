"""The typed facts an inspection finds, enough to build a report without re-reading.

``DiskReport`` is one disk (or one OVA, whose disks nest in ``disks``); the
names and values are those of ``vmimport check --json``.  Each record also
keeps the raw facts the problems are judged from (``VhdFacts``, ``OvaFacts``,
``truncation``, ``damage``), so judging never touches the bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ContainerFormat(StrEnum):
    OVA = "ova"
    VMDK = "vmdk"
    VHD = "vhd"
    VHDX = "vhdx"
    RAW = "raw"
    QCOW2 = "qcow2"
    VDI = "vdi"
    UNKNOWN = "unknown"


class ForeignFormat(StrEnum):
    """What a file of no disk-image format is, when its first bytes say (identify.py)."""

    EMPTY = "empty"
    TEXT = "text"
    GZIP = "gzip"
    XZ = "xz"
    BZIP2 = "bzip2"
    ZSTD = "zstd"
    LZ4 = "lz4"
    LZOP = "lzop"
    ZIP = "zip"
    SEVEN_ZIP = "7z"
    QED = "qed"
    PARALLELS = "parallels"
    VMDK3 = "vmdk3"


#: the formats VM Import takes (the rest are refused)
ACCEPTED_FORMATS = frozenset(
    {
        ContainerFormat.OVA,
        ContainerFormat.VMDK,
        ContainerFormat.VHD,
        ContainerFormat.VHDX,
        ContainerFormat.RAW,
    }
)


class Variant(StrEnum):
    """The kind of VMDK (its ``createType``), VHD, VHDX or VDI (fixed, dynamic, differencing:
    a VDI's undo and diff images), or a qcow2 overlay on a backing file (differencing)."""

    STREAM_OPTIMIZED = "streamOptimized"
    MONOLITHIC_SPARSE = "monolithicSparse"
    MONOLITHIC_FLAT = "monolithicFlat"
    TWO_GB_SPARSE = "twoGbMaxExtentSparse"
    TWO_GB_FLAT = "twoGbMaxExtentFlat"
    #: a VMDK ``createType`` this reader does not know (vmfs, vmfsSparse, ...)
    OTHER_VMDK = "otherVmdk"
    #: a hosted sparse extent without an embedded descriptor (one piece of a split disk)
    SPARSE_EXTENT = "sparseExtent"
    FIXED = "fixed"
    DYNAMIC = "dynamic"
    DIFFERENCING = "differencing"


class PartitionTable(StrEnum):
    MBR = "mbr"
    GPT = "gpt"
    NONE = "none"


class PartitionType(StrEnum):
    EFI_SYSTEM = "efi-system"
    BIOS_BOOT = "bios-boot"
    LINUX = "linux"
    LINUX_LVM = "linux-lvm"
    LINUX_SWAP = "linux-swap"
    MICROSOFT_BASIC_DATA = "microsoft-basic-data"
    MICROSOFT_RESERVED = "microsoft-reserved"
    WINDOWS_RECOVERY = "windows-recovery"
    EXTENDED = "extended"
    OTHER = "other"


class Filesystem(StrEnum):
    NTFS = "ntfs"
    EXT2 = "ext2"
    EXT3 = "ext3"
    EXT4 = "ext4"
    XFS = "xfs"
    BTRFS = "btrfs"
    JFS = "jfs"
    VFAT = "vfat"
    SWAP = "swap"
    LVM = "lvm"
    LUKS = "luks"
    BITLOCKER = "bitlocker"


ENCRYPTED_FILESYSTEMS = frozenset({Filesystem.LUKS, Filesystem.BITLOCKER})


class BootMode(StrEnum):
    LEGACY_BIOS = "legacy-bios"
    UEFI = "uefi"
    BOTH = "both"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Partition:
    number: int
    type: PartitionType
    #: the MBR type byte (``0x83``) or the GPT type GUID (upper case)
    type_id: str
    #: offset of the partition's first byte in the virtual disk
    start: int
    size: int
    bootable: bool
    filesystem: Filesystem | None
    #: the GPT partition name (empty for MBR)
    name: str = ""


@dataclass(frozen=True)
class EspFault:
    """An EFI system partition UEFI firmware cannot read: no FAT file system on it."""

    number: int
    #: the file system found instead (None: none the readers recognise)
    found: Filesystem | None
    #: why a FAT file system found there cannot be read (None: there is none)
    damage: str | None = None


@dataclass(frozen=True)
class VhdFacts:
    """A VHD's footer and, for dynamic disks, its copy at offset 0."""

    footer_present: bool
    checksum_ok: bool
    #: None for fixed disks (no copy)
    copy_matches: bool | None


@dataclass(frozen=True)
class OvfFile:
    """A file the OVF descriptor's ``References`` names."""

    href: str
    size: int | None
    chunked: bool


@dataclass(frozen=True)
class ManifestEntry:
    algorithm: str
    name: str
    digest: str


@dataclass(frozen=True)
class OvaFacts:
    #: the first member's name when it is the .ovf, None when the descriptor is missing or later
    descriptor: str | None
    members: tuple[str, ...]
    references: tuple[OvfFile, ...]
    #: referenced files that are absent, or whose size differs from ``ovf:size``
    missing: tuple[str, ...]
    chunked: bool
    manifest: str | None
    manifest_entries: tuple[ManifestEntry, ...]


@dataclass(frozen=True)
class DiskReport:
    """One disk image (or an OVA and the disks inside it), as read from its bytes."""

    source: str
    format: ContainerFormat
    variant: Variant | None
    #: None when the container could not tell (a refused format, a damaged header)
    virtual_size: int | None
    file_size: int
    complete: bool
    #: None when the disk's contents could not be read (refused format, damage, an OVA)
    partition_table: PartitionTable | None
    partitions: tuple[Partition, ...]
    boot_mode: BootMode
    #: the fallback loaders found on the EFI system partition(s): ``BOOTX64.EFI``...
    esp_loaders: tuple[str, ...]
    #: an EFI system partition exists (whether or not a loader was found on it)
    has_esp: bool
    disks: tuple[DiskReport, ...] = ()
    #: why the file is incomplete, when it is
    truncation: str | None = None
    #: a structure that could not be read, and why
    damage: str | None = None
    #: why the readers refuse the disk's contents (a feature they do not read: an encrypted
    #: qcow2, an external data file), with what to do instead
    refused: str | None = None
    #: the extent files a VMDK descriptor names (a descriptor without data)
    extent_files: tuple[str, ...] = ()
    vhd: VhdFacts | None = None
    ova: OvaFacts | None = None
    #: the file system (or encrypted volume) that fills a disk without a partition table
    filesystem: Filesystem | None = None
    #: EFI system partitions without a readable FAT file system
    esp_faults: tuple[EspFault, ...] = ()
    #: what a file of no disk-image format (``unknown``) is, when its first bytes say
    foreign: ForeignFormat | None = None

    @property
    def descriptor_only(self) -> bool:
        """A VMDK descriptor file: the data is in other files."""
        return self.format is ContainerFormat.VMDK and bool(self.extent_files)

    def all_disks(self) -> tuple[DiskReport, ...]:
        """The disks an import converts: an OVA's disks, or this disk itself."""
        if self.format is ContainerFormat.OVA:
            return self.disks
        return (self,)
