"""What independent tools said of each disk fixture: IMAGE.oracle.json beside IMAGE.xz.

scripts/make-disk-fixtures.sh records them with scripts/record_oracles.py when it
makes the images: ``qemu-img info``, ``check`` and ``compare``, ``sfdisk --json``,
``blkid -p`` (whole disk and each partition), ``mdir`` of each ESP's
``\\EFI\\BOOT``, and for cut copies of some streams whether qemu still reads their
disk.  Tests compare the readers' reports with these, never with the readers (or
the emulator, which uses them) again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ec2_import_image.diskimage.records import ContainerFormat, Filesystem, PartitionTable
from tests.support.diskfixtures import CONTAINERS, FIXTURES

#: qemu's driver for each container format (a VHD is qemu's ``vpc``)
QEMU_FORMATS = {
    ContainerFormat.RAW: "raw",
    ContainerFormat.VMDK: "vmdk",
    ContainerFormat.VHD: "vpc",
    ContainerFormat.VHDX: "vhdx",
    ContainerFormat.QCOW2: "qcow2",
    ContainerFormat.VDI: "vdi",
}
#: blkid's TYPE for each file system the readers name
BLKID_TYPES = {
    "ext2": Filesystem.EXT2,
    "ext3": Filesystem.EXT3,
    "ext4": Filesystem.EXT4,
    "xfs": Filesystem.XFS,
    "btrfs": Filesystem.BTRFS,
    "jfs": Filesystem.JFS,
    "vfat": Filesystem.VFAT,
    "ntfs": Filesystem.NTFS,
    "swap": Filesystem.SWAP,
    "LVM2_member": Filesystem.LVM,
    "crypto_LUKS": Filesystem.LUKS,
    "BitLocker": Filesystem.BITLOCKER,
}
SFDISK_LABELS = {"dos": PartitionTable.MBR, "gpt": PartitionTable.GPT}


def _record(name: str) -> Path:
    """IMAGE.oracle.json beside the packed fixture (disks/, or containers/ for qcow2 and VDI)."""
    path = FIXTURES / f"{name}.oracle.json"
    return path if path.exists() else CONTAINERS / f"{name}.oracle.json"


def oracle(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_record(name).read_text(encoding="utf-8"))
    return loaded


def recorded() -> list[str]:
    """The fixtures that have a record (every one the recipe makes)."""
    records = [*FIXTURES.glob("*.oracle.json"), *CONTAINERS.glob("*.oracle.json")]
    return sorted(path.name.removesuffix(".oracle.json") for path in records)


def blkid_filesystem(tags: dict[str, str]) -> Filesystem | None:
    """The file system blkid found (None: none, or a nested partition table)."""
    kind = tags.get("TYPE")
    if kind is None:
        return None
    return BLKID_TYPES[kind]


def sfdisk_partitions(record: dict[str, Any]) -> list[dict[str, Any]]:
    """sfdisk's partitions, each with its number (from the node name)."""
    table = record.get("sfdisk") or {}
    partitions = table.get("partitiontable", {}).get("partitions", [])
    image = record["image"]
    return [{**p, "number": int(p["node"].removeprefix(image))} for p in partitions]
