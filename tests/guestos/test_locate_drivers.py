"""Finding the system across disks and volumes; the drivers of a kernel from its files."""

from __future__ import annotations

import lzma
from pathlib import Path

from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos.drivers import read_drivers
from ec2_import_image.guestos.osreport import DriverState, OsStatus, VolumeState
from ec2_import_image.guestos.read import read_os
from ec2_import_image.guestos.system import LinuxSystem
from tests.guestos.test_release import tree
from tests.support.diskfixtures import FSREAD_FIXTURES, unpack
from tests.support.fsmutation import PatchedBlob
from tests.support.osfixtures import OsImages, records


def test_the_system_is_found_on_a_later_disk(os_images: OsImages) -> None:
    with FileBlob(os_images.path("data")) as data, FileBlob(os_images.path("debian12")) as disk:
        report = read_os([data, disk], read_initramfs=False)
    assert report.status is OsStatus.FOUND and report.root == "disk 2 partition 3"
    states = {fact.where: fact.state for fact in report.volumes}
    assert states["disk 1 partition 1"] is VolumeState.READ


def test_two_systems_are_a_dual_boot_image(os_images: OsImages) -> None:
    with FileBlob(os_images.path("debian12")) as a, FileBlob(os_images.path("ubuntu-static")) as b:
        report = read_os([a, b], read_initramfs=False)
    assert report.distribution == "debian" and report.other_roots == ("disk 2 partition 1",)
    assert any("dual-boot" in finding for finding in report.findings)


def test_a_whole_disk_file_system(tmp_path: Path) -> None:
    image = tmp_path / "ext4.img"
    unpack(FSREAD_FIXTURES / "ext4.img.xz", image)
    with FileBlob(image) as blob:
        report = read_os([blob], read_initramfs=False)
    assert report.root == "disk 1" and report.distribution == "debian"


def test_a_damaged_volume_is_reported_and_the_others_still_read(os_images: OsImages) -> None:
    """The data disk's ext4 superblock says its group descriptors are elsewhere than they
    are: that volume is unreadable; the system on the second disk is still found."""
    table = records("data")["sfdisk"]["partitiontable"]["partitions"]
    start = table[0]["start"] * 512
    # s_first_data_block (offset 0x14 of the superblock at 1024): a value past the volume
    patches = {start + 1024 + 0x14: b"\xff\xff\xff\x00"}
    with FileBlob(os_images.path("data")) as data, FileBlob(os_images.path("debian12")) as disk:
        report = read_os([PatchedBlob(data, patches), disk], read_initramfs=False)
    states = {fact.where: fact for fact in report.volumes}
    assert states["disk 1 partition 1"].state is VolumeState.UNREADABLE
    assert states["disk 1 partition 1"].detail
    assert report.status is OsStatus.FOUND and report.root == "disk 2 partition 3"


def test_a_damaged_disk_alone_is_unreadable_not_absent(os_images: OsImages) -> None:
    table = records("data")["sfdisk"]["partitiontable"]["partitions"]
    patches = {table[0]["start"] * 512 + 1024 + 0x14: b"\xff\xff\xff\x00"}
    with FileBlob(os_images.path("data")) as data:
        report = read_os([PatchedBlob(data, patches)], read_initramfs=True)
    assert report.status is OsStatus.UNREADABLE


def _system(files: dict[str, object]) -> LinuxSystem:
    return LinuxSystem(tree(files), "disk 1")


KERNEL = "6.1.0-13-amd64"
MODULES = f"lib/modules/{KERNEL}"


def test_a_dkms_module_is_found_through_modules_dep() -> None:
    system = _system(
        {
            f"{MODULES}/modules.dep": b"updates/dkms/ena.ko.xz:\nkernel/fs/ext4/ext4.ko:\n",
            f"{MODULES}/modules.builtin": b"kernel/drivers/nvme/host/nvme.ko\n",
            f"{MODULES}/updates/dkms/ena.ko.xz": b"m",
        }
    )
    drivers, initramfs, findings = read_drivers(system, KERNEL, (), read_initramfs=True)
    assert drivers is not None
    assert (drivers.nvme, drivers.ena, drivers.xen) == (
        DriverState.BUILTIN,
        DriverState.MODULE,
        DriverState.MISSING,
    )
    assert initramfs.paths == () and not initramfs.read and findings == []


def test_without_the_kernels_modules_nothing_is_told() -> None:
    drivers, _initramfs, findings = read_drivers(
        _system({"etc": {}}), KERNEL, (), read_initramfs=True
    )
    assert drivers is None and any(f"/lib/modules/{KERNEL}" in f for f in findings)


def test_an_initramfs_that_cannot_be_read_gives_no_verdict() -> None:
    system = _system(
        {
            f"boot/initrd.img-{KERNEL}": b"\x89LZO an lzop initramfs",
            f"{MODULES}/modules.dep": b"kernel/drivers/nvme/host/nvme.ko:\n",
            f"{MODULES}/kernel/drivers/nvme/host/nvme.ko": b"m",
        }
    )
    drivers, initramfs, findings = read_drivers(system, KERNEL, (), read_initramfs=True)
    assert drivers is not None and drivers.nvme is DriverState.MODULE
    assert not initramfs.read and initramfs.error is not None and "LZO" in initramfs.error
    assert findings and "could not be read" in findings[0]


def test_the_entrys_initrd_lines_are_read_in_order(tmp_path: Path) -> None:
    """An initrd line naming the microcode and the main image: both are listed."""
    import subprocess

    tree_dir = tmp_path / "t"
    module = tree_dir / MODULES / "kernel/drivers/nvme/host/nvme.ko"
    module.parent.mkdir(parents=True)
    module.write_bytes(b"m")
    listing = subprocess.run(
        ["cpio", "--quiet", "-o", "-H", "newc"],
        input=b"\n".join(
            str(path.relative_to(tree_dir)).encode() for path in sorted(tree_dir.rglob("*"))
        ),
        cwd=tree_dir,
        capture_output=True,
        check=True,
    ).stdout
    system = _system(
        {
            "boot/intel-ucode.img": b"\0" * 512,
            "boot/initramfs-linux.img": lzma.compress(listing),
            f"{MODULES}/modules.dep": b"kernel/drivers/nvme/host/nvme.ko:\n",
        }
    )
    drivers, initramfs, _ = read_drivers(
        system, KERNEL, ("/intel-ucode.img", "/initramfs-linux.img"), read_initramfs=True
    )
    assert initramfs.paths == ("/boot/intel-ucode.img", "/boot/initramfs-linux.img")
    assert initramfs.read and initramfs.compressions == ("xz",)  # the zeros are padding
    assert drivers is not None and drivers.nvme is DriverState.INITRAMFS
