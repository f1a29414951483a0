"""Images made by real tools (qemu-img, sgdisk, mkfs.*): the facts read through every container."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2_import_image.diskimage.cache import CachedBlob
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import (
    BootMode,
    ContainerFormat,
    DiskReport,
    Filesystem,
    PartitionTable,
    PartitionType,
    Variant,
)
from ec2_import_image.diskimage.sources import FileBlob
from tests.support.diskfixtures import DiskFixtures
from tests.support.oracles import QEMU_FORMATS, oracle


def inspect(disks: DiskFixtures, name: str) -> DiskReport:
    with FileBlob(disks.path(name)) as blob:
        return inspect_image(CachedBlob(blob), name)


def contents(report: DiskReport) -> tuple[object, ...]:
    partitions = tuple(
        (p.number, p.type, p.type_id, p.start, p.size, p.bootable, p.filesystem)
        for p in report.partitions
    )
    return (report.partition_table, partitions, report.boot_mode, report.esp_loaders)


CONTAINERS: dict[str, list[tuple[str, ContainerFormat, Variant | None]]] = {
    "gpt-uefi": [
        ("stream.vmdk", ContainerFormat.VMDK, Variant.STREAM_OPTIMIZED),
        ("sparse.vmdk", ContainerFormat.VMDK, Variant.MONOLITHIC_SPARSE),
        ("split-s001.vmdk", ContainerFormat.VMDK, Variant.SPARSE_EXTENT),
        ("flat-flat.vmdk", ContainerFormat.RAW, None),
        ("fixed.vhd", ContainerFormat.VHD, Variant.FIXED),
        ("dynamic.vhd", ContainerFormat.VHD, Variant.DYNAMIC),
        ("fixed.vhdx", ContainerFormat.VHDX, Variant.FIXED),
        ("dynamic.vhdx", ContainerFormat.VHDX, Variant.DYNAMIC),
        ("qcow2", ContainerFormat.QCOW2, None),
        ("v2.qcow2", ContainerFormat.QCOW2, None),
        ("v3.qcow2", ContainerFormat.QCOW2, None),
        ("zlib.qcow2", ContainerFormat.QCOW2, None),
        ("zstd.qcow2", ContainerFormat.QCOW2, None),
        ("l2ext.qcow2", ContainerFormat.QCOW2, None),
        ("vdi", ContainerFormat.VDI, Variant.DYNAMIC),
        ("dynamic.vdi", ContainerFormat.VDI, Variant.DYNAMIC),
        ("static.vdi", ContainerFormat.VDI, Variant.FIXED),
    ],
    "mbr-linux": [
        ("stream.vmdk", ContainerFormat.VMDK, Variant.STREAM_OPTIMIZED),
        ("sparse.vmdk", ContainerFormat.VMDK, Variant.MONOLITHIC_SPARSE),
        ("dynamic.vhd", ContainerFormat.VHD, Variant.DYNAMIC),
        ("dynamic.vhdx", ContainerFormat.VHDX, Variant.DYNAMIC),
    ],
}
#: containers scripts/make-container-fixtures.sh wrote over with qemu-io after the copy, and
#: the lowest offset written (60 MiB and 62,500 KiB: inside the ext4 partition)
WRITTEN_OVER = {"gpt-uefi.v3.qcow2": 60 * 2**20, "gpt-uefi.l2ext.qcow2": 62500 * 1024}
CASES = [(base, *case) for base, cases in CONTAINERS.items() for case in cases]


@pytest.mark.parametrize(("base", "suffix", "fmt", "variant"), CASES)
def test_the_same_facts_through_every_container(
    disks: DiskFixtures, base: str, suffix: str, fmt: ContainerFormat, variant: Variant | None
) -> None:
    raw = inspect(disks, f"{base}.raw")
    report = inspect(disks, f"{base}.{suffix}")
    assert (report.format, report.variant) == (fmt, variant)
    assert report.complete and report.damage is None
    # qemu reads the RAW disk back from the container (zeros past its end: a VHD made
    # without force_size is rounded up to its CHS geometry), so the facts must be the same
    record = oracle(f"{base}.{suffix}")
    if variant is Variant.SPARSE_EXTENT:
        # qemu opens a piece of a split disk only through its descriptor (test_oracles.py)
        assert record["qemu_img_info"] is None
        assert contents(report) == contents(raw)
        return
    compared = record["qemu_img_compare"]
    if f"{base}.{suffix}" in WRITTEN_OVER:
        # the recipe wrote test patterns into the ext4 partition with qemu-io (zero clusters,
        # subclusters): qemu finds the first difference there, the partitions stay the same
        assert (compared["with"], compared["status"]) == (f"{base}.raw", 1)
        mismatch = int(compared["stdout"].rsplit(" ", 1)[1].rstrip("!"))
        assert mismatch >= WRITTEN_OVER[f"{base}.{suffix}"]
    else:
        assert (compared["with"], compared["status"]) == (f"{base}.raw", 0)
    assert contents(report) == contents(raw)
    # the size qemu gives (test_oracles.py explains the VHD's, and checks the relation)
    assert report.virtual_size == record["qemu_img_info"]["virtual-size"]
    assert QEMU_FORMATS[report.format] == record["qemu_img_info"]["format"]


def test_gpt_uefi_disk(disks: DiskFixtures) -> None:
    report = inspect(disks, "gpt-uefi.raw")
    assert report.partition_table is PartitionTable.GPT
    esp, root = report.partitions
    assert (esp.type, esp.filesystem, esp.size) == (
        PartitionType.EFI_SYSTEM,
        Filesystem.VFAT,
        16 * 1024 * 1024,
    )
    assert esp.type_id == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    assert (root.type, root.filesystem, root.name) == (PartitionType.LINUX, Filesystem.EXT4, "root")
    assert report.boot_mode is BootMode.UEFI
    assert report.esp_loaders == ("BOOTX64.EFI",)  # written as efi/boot/bootx64.efi


def test_mbr_linux_disk_with_logical_partitions(disks: DiskFixtures) -> None:
    report = inspect(disks, "mbr-linux.raw")
    assert report.partition_table is PartitionTable.MBR
    found = [(p.number, p.type, p.type_id, p.bootable, p.filesystem) for p in report.partitions]
    assert found == [
        (1, PartitionType.LINUX, "0x83", True, Filesystem.EXT4),
        (2, PartitionType.LINUX_SWAP, "0x82", False, Filesystem.SWAP),
        (3, PartitionType.EXTENDED, "0x05", False, None),
        (5, PartitionType.LINUX, "0x83", False, Filesystem.XFS),
        (6, PartitionType.LINUX_LVM, "0x8e", False, Filesystem.LVM),
    ]
    assert report.boot_mode is BootMode.LEGACY_BIOS


@pytest.mark.parametrize(
    ("name", "mode", "loaders"),
    [
        ("gpt-both.raw", BootMode.BOTH, ("BOOTX64.EFI",)),
        ("gpt-esp-noloader.raw", BootMode.UNKNOWN, ()),
        ("gpt-arm64.raw", BootMode.UEFI, ("BOOTAA64.EFI",)),
        ("gpt-windows.raw", BootMode.UEFI, ("BOOTX64.EFI",)),
        ("mbr-windows.raw", BootMode.LEGACY_BIOS, ()),
        ("nopart.raw", BootMode.UNKNOWN, ()),
    ],
)
def test_boot_modes(
    disks: DiskFixtures, name: str, mode: BootMode, loaders: tuple[str, ...]
) -> None:
    report = inspect(disks, name)
    assert (report.boot_mode, report.esp_loaders) == (mode, loaders)


def test_file_systems(disks: DiskFixtures) -> None:
    misc = inspect(disks, "mbr-misc.raw")
    assert [p.filesystem for p in misc.partitions] == [
        Filesystem.BTRFS,
        Filesystem.JFS,
        Filesystem.VFAT,
        Filesystem.LUKS,
    ]
    windows = inspect(disks, "gpt-windows.raw")
    assert [(p.type, p.filesystem) for p in windows.partitions] == [
        (PartitionType.EFI_SYSTEM, Filesystem.VFAT),
        (PartitionType.MICROSOFT_RESERVED, None),
        (PartitionType.MICROSOFT_BASIC_DATA, Filesystem.NTFS),
        (PartitionType.WINDOWS_RECOVERY, None),
    ]
    assert inspect(disks, "mbr-windows.raw").partitions[0].filesystem is Filesystem.NTFS
    nopart = inspect(disks, "nopart.raw")
    assert (nopart.format, nopart.partition_table) == (ContainerFormat.RAW, PartitionTable.NONE)


@pytest.mark.parametrize(
    ("name", "fmt", "variant", "files"),
    [
        ("gpt-uefi.flat.vmdk", ContainerFormat.VMDK, Variant.MONOLITHIC_FLAT,
         ("gpt-uefi.flat-flat.vmdk",)),
        ("gpt-uefi.split.vmdk", ContainerFormat.VMDK, Variant.TWO_GB_SPARSE,
         ("gpt-uefi.split-s001.vmdk",)),
    ],
)  # fmt: skip
def test_descriptors_without_data(
    disks: DiskFixtures, name: str, fmt: ContainerFormat, variant: Variant, files: tuple[str, ...]
) -> None:
    report = inspect(disks, name)
    assert (report.format, report.variant, report.extent_files) == (fmt, variant, files)
    assert report.descriptor_only
    assert report.virtual_size == 64 * 1024 * 1024
    assert report.partition_table is None


def test_an_overlay_is_inspected_as_its_own_layer(disks: DiskFixtures) -> None:
    """A qcow2 on a backing file is differencing: its own clusters are read, the rest as
    zeros (the backing file is not followed), so no partition table shows here."""
    report = inspect(disks, "gpt-uefi.overlay.qcow2")
    assert (report.format, report.variant) == (ContainerFormat.QCOW2, Variant.DIFFERENCING)
    assert report.virtual_size == 64 * 1024 * 1024 and report.complete
    assert report.partition_table is PartitionTable.NONE


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("gpt-uefi.stream-cut.vmdk", "past the end of the file"),
        ("gpt-uefi.dynamic-cut.vhd", "footer"),
    ],
)
def test_truncated_files(disks: DiskFixtures, name: str, why: str) -> None:
    report = inspect(disks, name)
    assert not report.complete
    assert report.truncation is not None and why in report.truncation


def test_raw_shorter_than_its_partition_table(disks: DiskFixtures, tmp_path: Path) -> None:
    whole = disks.path("gpt-uefi.raw").read_bytes()
    cut = tmp_path / "cut.raw"
    cut.write_bytes(whole[: 40 * 1024 * 1024])
    with FileBlob(cut) as blob:
        report = inspect_image(blob, "cut.raw")
    assert report.format is ContainerFormat.RAW
    assert not report.complete
    assert report.truncation is not None and "partition table describes" in report.truncation


def test_ova(disks: DiskFixtures) -> None:
    report = inspect(disks, "vm.ova")
    assert report.format is ContainerFormat.OVA
    assert report.ova is not None
    assert (report.ova.descriptor, report.ova.manifest) == ("vm.ovf", "vm.mf")
    assert report.ova.missing == () and not report.ova.chunked
    (disk,) = report.disks
    assert disk.source == "vm.ova!vm-disk1.vmdk"
    assert (disk.variant, disk.boot_mode) == (Variant.STREAM_OPTIMIZED, BootMode.UEFI)
    assert contents(disk) == contents(inspect(disks, "gpt-uefi.raw"))


@pytest.mark.parametrize(
    ("name", "keep", "why"),
    [
        ("gpt-uefi.dynamic.vhdx", 4 * 1024 * 1024, "VHDX BAT points past the end"),
        ("gpt-uefi.sparse.vmdk", 128 * 1024, "past the end of the file"),
        ("mbr-linux.stream.vmdk", 40 * 1024, "past the end of the file"),
    ],
)
def test_tables_pointing_past_the_end(
    disks: DiskFixtures, tmp_path: Path, name: str, keep: int, why: str
) -> None:
    cut = tmp_path / name
    cut.write_bytes(disks.path(name).read_bytes()[:keep])
    with FileBlob(cut) as blob:
        report = inspect_image(blob, name)
    assert not report.complete
    assert report.truncation is not None and why in report.truncation
