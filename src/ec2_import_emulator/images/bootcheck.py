"""Whether an AMI could boot: its root snapshot read with the shared disk readers.

The service registers whatever it is given; an instance launched from an AMI
whose root volume holds zeros, or whose boot mode the disk does not support,
never comes up.  The emulator reads the root snapshot (``content.snapshot_content``)
with ``ec2_import_image.diskimage.inspect.read_contents`` (partition table, EFI
system partition, its fallback loaders, the boot-mode rule of
``diskimage.bootmode``) and says whether the boot mode the AMI asks for is one
the disk boots:

- ``uefi``: the EFI system partition holds the removable-media loader of the
  AMI's architecture (``BOOTX64.EFI`` for x86_64, ``BOOTAA64.EFI`` for arm64,
  ``BOOTIA32.EFI`` for i386): the firmware of an imported disk boots that path.
- ``legacy-bios``: boot code or an active partition (MBR), a BIOS boot
  partition or the legacy-bootable attribute (GPT).
- ``uefi-preferred``: either (UEFI where the instance type has it).
- no boot mode: the instance type's default, UEFI on Graviton (arm64) and
  legacy BIOS on Intel and AMD (the EC2 user guide, "Boot modes").

A disk without a partition table is scanned for any byte that is not zero,
so a road that registered an empty snapshot is told apart from one whose
disk the readers cannot make sense of.  This is the emulator's own judgement,
shown by its ``/emulator/images/{id}`` view; the service says nothing of the kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob, allocated
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.diskimage.inspect import read_contents
from ec2_import_image.diskimage.records import BootMode, PartitionTable

SCAN_CHUNK = 4 * 1024 * 1024
#: the removable-media loader the firmware looks for, per architecture (UEFI spec 2.10, 3.5.1.1)
LOADERS = {
    "x86_64": "BOOTX64.EFI",
    "x86_64_mac": "BOOTX64.EFI",
    "arm64": "BOOTAA64.EFI",
    "arm64_mac": "BOOTAA64.EFI",
    "i386": "BOOTIA32.EFI",
}


@dataclass(frozen=True)
class BootCheck:
    """The emulator's judgement of an AMI's root volume."""

    root_snapshot_id: str | None
    #: the AMI's BootMode (None: the instance type's default)
    boot_mode: str | None
    #: the mode an instance would boot in: the AMI's, else the architecture's default
    effective_boot_mode: str
    partition_table: str | None
    #: what the disk supports, as ``vmimport check`` says it: uefi, legacy-bios, both, unknown
    disk_boot_mode: str
    esp_loaders: tuple[str, ...]
    holds_data: bool
    boots: bool
    reason: str


def effective_boot_mode(boot_mode: str | None, architecture: str) -> str:
    if boot_mode:
        return boot_mode
    return "uefi" if architecture.startswith("arm64") else "legacy-bios"


def holds_data(disk: Blob) -> bool:
    """Whether any byte of the disk is not zero (read in large chunks, stopping at the first;
    only the extents a blob says may hold data, ``allocated()``, are read)."""
    for start, length in allocated(disk):
        offset, end = start, start + length
        while offset < end:
            chunk = disk.read(offset, min(SCAN_CHUNK, end - offset))
            if not chunk:
                break
            if chunk.count(0) != len(chunk):
                return True
            offset += len(chunk)
    return False


def check(
    root_snapshot_id: str | None, disk: Blob | None, boot_mode: str | None, architecture: str
) -> BootCheck:
    mode = effective_boot_mode(boot_mode, architecture)
    loader = LOADERS.get(architecture, "BOOTX64.EFI")

    def verdict(
        boots: bool,
        reason: str,
        *,
        table: str | None = None,
        disk_mode: str = BootMode.UNKNOWN.value,
        loaders: tuple[str, ...] = (),
        data: bool = False,
    ) -> BootCheck:
        return BootCheck(
            root_snapshot_id, boot_mode, mode, table, disk_mode, loaders, data, boots, reason
        )

    if disk is None:
        return verdict(False, "the AMI has no root snapshot the emulator can read")
    try:
        contents = read_contents(disk)
    except DiskImageError as exc:
        data = holds_data(disk)
        return verdict(False, f"the root volume cannot be read: {exc}", data=data)
    table = contents.partition_table
    if table is PartitionTable.NONE:
        if not holds_data(disk):
            return verdict(False, "the root snapshot holds only zeros", table="none")
        return verdict(False, "the root volume has no partition table", table="none", data=True)
    disk_mode = contents.boot_mode
    loaders = contents.esp_loaders
    legacy = disk_mode in (BootMode.LEGACY_BIOS, BootMode.BOTH)
    uefi = loader in loaders
    if mode == "uefi":
        boots = uefi
        reason = (
            f"UEFI boots \\EFI\\BOOT\\{loader} from the EFI system partition"
            if uefi
            else f"UEFI finds no \\EFI\\BOOT\\{loader} on an EFI system partition"
        )
    elif mode == "legacy-bios":
        boots = legacy
        reason = (
            "legacy BIOS finds boot code or a bootable partition"
            if legacy
            else "legacy BIOS finds no boot code, active partition or BIOS boot partition"
        )
    else:
        boots = uefi or legacy
        reason = (
            "boots with UEFI" + (" and legacy BIOS" if legacy else "")
            if uefi
            else ("boots with legacy BIOS only" if legacy else "boots with neither UEFI nor BIOS")
        )
    return verdict(
        boots, reason, table=table.value, disk_mode=disk_mode.value, loaders=loaders, data=True
    )
