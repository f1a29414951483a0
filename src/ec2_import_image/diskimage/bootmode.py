"""The boot mode a disk supports, from its partition table and EFI system partition.

The rule (documented in docs/checks.md):

- UEFI: an EFI system partition (GPT type ``C12A7328-...``, MBR type ``EF``)
  holds a removable-media loader, ``\\EFI\\BOOT\\BOOTX64.EFI`` or
  ``BOOTAA64.EFI`` (EC2's firmware boots only that fallback path of an
  imported disk; a distribution's own ``\\EFI\\<vendor>\\*.efi`` is not enough).
- legacy BIOS: on an MBR disk, an active partition or boot code in the MBR;
  on a GPT disk, a BIOS boot partition (GRUB's core image on GPT) or a
  partition with the *legacy BIOS bootable* attribute.
- ``both`` when both hold, ``unknown`` when neither does (or there is no
  partition table).
"""

from __future__ import annotations

from collections.abc import Sequence

from ec2_import_image.diskimage.partitions import Slot
from ec2_import_image.diskimage.records import BootMode, PartitionTable, PartitionType


def legacy_bootable(table: PartitionTable, slots: Sequence[Slot], boot_code: bool) -> bool:
    if table is PartitionTable.MBR:
        return boot_code or any(slot.bootable for slot in slots)
    if table is PartitionTable.GPT:
        return any(slot.type is PartitionType.BIOS_BOOT or slot.bootable for slot in slots)
    return False


def boot_mode(legacy: bool, loaders: Sequence[str]) -> BootMode:
    uefi = any(loader in ("BOOTX64.EFI", "BOOTAA64.EFI") for loader in loaders)
    if legacy and uefi:
        return BootMode.BOTH
    if uefi:
        return BootMode.UEFI
    if legacy:
        return BootMode.LEGACY_BIOS
    return BootMode.UNKNOWN
