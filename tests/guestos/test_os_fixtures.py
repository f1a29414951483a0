"""The operating systems of whole disks made by real tools, read and checked against the
tools' own records (tests/fixtures/os/NAME.records.json, scripts/make-os-fixtures.sh).

What each fact is checked against:

- distribution, version, pretty name: os-release sourced by ``sh`` (the shell is the
  format's reference: os-release(5) is shell-compatible);
- fstab's entries: findmnt --fstab's reading of the same file;
- where the root is, the root's and /boot's devices: sfdisk --json, blkid of each
  partition, lvs, btrfs subvolume list;
- kernels: the /boot and /lib/modules entries of the trees given to mkfs (their manifests);
- the default kernel: grubenv as grub-editenv lists it and the entries the trees hold
  (each fixture's expectation is written below with the reason);
- drivers: cpio -it of the initramfs the default entry loads, and the modules the trees
  hold; a driver the fixture builds in is named so below and has no module file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos.osreport import (
    BootLoader,
    DeviceKind,
    DriverState,
    NetworkKind,
    OsFamily,
    OsReport,
    OsStatus,
    VolumeState,
)
from ec2_import_image.guestos.read import read_os
from tests.support.osfixtures import (
    OsImages,
    blkid,
    initramfs_names,
    manifest_paths,
    records,
)


@dataclass(frozen=True)
class Linux:
    """What a Linux fixture was made to hold (and where the records say it is)."""

    name: str
    release: str  # the os_release record's key
    root_tree: str  # the manifest of the root
    boot_tree: str | None  # the manifest of a separate /boot
    root_partition: str  # the blkid record of the root's file system
    root: str
    default_kernel: str | None
    booted_kernel: str
    loader: BootLoader
    root_device: str | None
    network: NetworkKind
    initrd: str  # the booted kernel's initramfs (its cpio -it record)
    builtin: tuple[str, ...]  # drivers the kernel builds in
    cloud_init: bool
    version_detail: str | None = None


LINUX = [
    # GRUB_DEFAULT=saved, grubenv's saved_entry names the submenu entry of 6.1.0-13 by ids;
    # the first menu entry is the newest kernel, 6.1.0-15, whose initramfs lacks nvme
    Linux(
        "debian12",
        "debian12",
        "debian12",
        None,
        "3",
        "disk 1 partition 3",
        "6.1.0-13-amd64",
        "6.1.0-13-amd64",
        BootLoader.GRUB2,
        "UUID=0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11",
        NetworkKind.DHCP,
        "initrd.img-6.1.0-13-amd64",
        (),
        True,
        "12.4",
    ),
    # BLS entries sort newest first (362 before 284); saved_entry names 284's entry
    Linux(
        "rocky9-lvm",
        "rocky9",
        "rocky9-root",
        "rocky9-boot",
        "rl/root",
        "lvm rl/root (/boot: disk 1 partition 1)",
        "5.14.0-284.11.1.el9_2.x86_64",
        "5.14.0-284.11.1.el9_2.x86_64",
        BootLoader.GRUB2_BLS,
        "/dev/mapper/rl-root",
        NetworkKind.DHCP,
        "initramfs-5.14.0-284.11.1.el9_2.x86_64.img",
        (),
        False,
    ),
    # BLS entries and no saved_entry: no default; GRUB boots the first (newest, 6.7.5)
    Linux(
        "fedora39-btrfs",
        "fedora39",
        "fedora-root",
        "fedora-boot",
        "3",
        "disk 1 partition 3, btrfs subvolume root (/boot: disk 1 partition 2)",
        None,
        "6.7.5-200.fc39.x86_64",
        BootLoader.GRUB2_BLS,
        "UUID=d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f84",
        NetworkKind.DHCP,
        "initramfs-6.7.5-200.fc39.x86_64.img",
        ("nvme", "xen-blkfront"),
        True,
    ),
    Linux(
        "ubuntu-static",
        "ubuntu",
        "ubuntu",
        None,
        "1",
        "disk 1 partition 1",
        "5.15.0-91-generic",
        "5.15.0-91-generic",
        BootLoader.GRUB2,
        "/dev/sda1",
        NetworkKind.STATIC,
        "initrd.img-5.15.0-91-generic",
        ("nvme", "xen-blkfront"),
        False,
    ),
    Linux(
        "debian8",
        "debian8",
        "debian8",
        None,
        "1",
        "disk 1 partition 1",
        "3.16.0-6-amd64",
        "3.16.0-6-amd64",
        BootLoader.GRUB2,
        "UUID=f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f8091a6",
        NetworkKind.DHCP,
        "initrd.img-3.16.0-6-amd64",
        (),
        False,
        "8.11",
    ),
    # GRUB 2 without BLS; grubenv's saved_entry is the elrepo kernel's title (grub2-mkconfig
    # also lists it first, newest first; matching by title is tested in test_grub)
    Linux(
        "centos7",
        "centos7",
        "centos7",
        None,
        "1",
        "disk 1 partition 1",
        "5.4.265-1.el7.elrepo.x86_64",
        "5.4.265-1.el7.elrepo.x86_64",
        BootLoader.GRUB2,
        "UUID=0a7b8c9d-e0f1-4a2b-8c5d-6e7f8091a2b7",
        NetworkKind.DHCP,
        "initramfs-5.4.265-1.el7.elrepo.x86_64.img",
        (),
        True,
    ),
]
MODULE_PATHS = {
    "nvme": "kernel/drivers/nvme/host/nvme.ko",
    "ena": "kernel/drivers/net/ethernet/amazon/ena/ena.ko",
    "xen-blkfront": "kernel/drivers/block/xen-blkfront.ko",
}

_READ: dict[tuple[str, bool], OsReport] = {}


def read(os_images: OsImages, name: str, *, initramfs: bool = True) -> OsReport:
    key = (name, initramfs)
    if key not in _READ:
        with FileBlob(os_images.path(name)) as blob:
            _READ[key] = read_os([blob], read_initramfs=initramfs)
    return _READ[key]


def tree_kernels(case: Linux) -> list[str]:
    """The kernels the trees given to mkfs hold: /boot's vmlinuz-* (the rescue copy is not a
    version) and the /lib/modules directories with a modules.dep."""
    boot = manifest_paths(case.name, case.boot_tree or case.root_tree)
    prefix = "" if case.boot_tree else "boot/"
    found = {
        path.removeprefix(f"{prefix}vmlinuz-")
        for path in boot
        if path.startswith(f"{prefix}vmlinuz-")
        and "rescue" not in path
        and "/" not in path[len(prefix) :]
    }
    for path in manifest_paths(case.name, case.root_tree):
        parts = path.split("/")
        if parts[-1] == "modules.dep" and "modules" in parts:
            found.add(parts[parts.index("modules") + 1])
    return sorted(found)


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_the_release_is_what_a_shell_sources(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    shell = records(case.name)[f"os_release:{case.release}"]
    assert report.status is OsStatus.FOUND and report.family is OsFamily.LINUX
    assert report.distribution == shell["ID"]
    assert report.version == shell["VERSION_ID"]
    assert report.pretty_name == shell["PRETTY_NAME"]
    assert report.version_detail == case.version_detail


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_fstab_is_what_findmnt_reads(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    findmnt = records(case.name)[f"fstab:{case.release}"]["filesystems"]
    assert [(e.spec, e.mount, e.type, e.options) for e in report.fstab] == [
        (f["source"], f["target"], f["fstype"], f["options"]) for f in findmnt
    ]
    assert [entry.to_json() for entry in report.fstab] == [
        {"spec": f["source"], "mount": f["target"], "type": f["fstype"], "options": f["options"]}
        for f in findmnt
    ]


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_the_root_is_the_file_system_fstab_mounts_on_slash(
    os_images: OsImages, case: Linux
) -> None:
    report = read(os_images, case.name)
    assert report.root == case.root
    slash = next(entry for entry in report.fstab if entry.mount == "/")
    root_fs = blkid(case.name, case.root_partition)
    if slash.kind is DeviceKind.UUID:
        assert slash.spec == f"UUID={root_fs['UUID']}"
    elif case.name == "rocky9-lvm":
        lvs = records(case.name)["lvs"]["report"][0]["seg"]
        assert {(lv["vg_name"], lv["lv_name"]) for lv in lvs} >= {("rl", "root"), ("rl", "swap")}
        assert slash.spec == "/dev/mapper/rl-root" and root_fs["TYPE"] == "xfs"
    read_volumes = [fact.where for fact in report.volumes if fact.state is VolumeState.READ]
    assert report.root.split(",")[0].split(" (")[0] in read_volumes


def test_btrfs_root_is_the_subvolume_the_tools_made(os_images: OsImages) -> None:
    report = read(os_images, "fedora39-btrfs")
    listed = records("fedora39-btrfs")["subvolumes"]
    default = records("fedora39-btrfs")["default-subvolume"]
    assert "path root" in listed and "path home" in listed
    assert "ID 5 (FS_TREE)" in default  # the top level: it holds no system itself
    assert report.root is not None and "btrfs subvolume root" in report.root


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_kernels_are_those_the_trees_hold(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    assert sorted(report.kernels) == tree_kernels(case)


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_the_default_kernel_and_boot_loader(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    assert report.boot_loader is case.loader
    assert report.default_kernel == case.default_kernel
    assert report.booted_kernel == case.booted_kernel
    assert (report.kernel_undetermined is None) == (case.default_kernel is not None)
    assert report.root_device == case.root_device


def test_grubenvs_are_what_grub_editenv_wrote() -> None:
    debian = records("debian12")["grubenv:grub/grubenv"]
    uuid = "0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11"
    assert f"saved_entry=gnulinux-advanced-{uuid}>gnulinux-6.1.0-13-amd64-advanced-{uuid}" in debian
    rocky = records("rocky9-lvm")["grubenv:grub2/grubenv"]
    assert "saved_entry=5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99-5.14.0-284.11.1.el9_2.x86_64" in rocky
    fedora = records("fedora39-btrfs")["grubenv:grub2/grubenv"]
    assert "saved_entry" not in fedora


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_drivers_are_where_the_trees_and_cpio_put_them(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    assert report.drivers is not None and report.initramfs is not None
    assert report.initramfs.read and report.initramfs.paths == (f"/boot/{case.initrd}",)
    assert report.drivers.nvme is expected_driver(case, "nvme")
    assert report.drivers.ena is expected_driver(case, "ena")
    assert report.drivers.xen is expected_driver(case, "xen-blkfront")


def expected_driver(case: Linux, driver: str) -> DriverState:
    """Where the booted kernel's ``driver`` is, from the tree's manifest and cpio -it's
    listing of its initramfs (a driver the fixture builds in has no module file)."""
    kernel = case.booted_kernel
    module = MODULE_PATHS[driver]
    tree = manifest_paths(case.name, case.root_tree)
    if driver in case.builtin:
        assert not any(module in path for path in tree)  # built in: no module file
        return DriverState.BUILTIN
    if any(
        f"modules/{kernel}/{module}" in line for line in initramfs_names(case.name, case.initrd)
    ):
        return DriverState.INITRAMFS
    if any(f"modules/{kernel}/{module}" in path for path in tree):
        return DriverState.MODULE
    return DriverState.MISSING


def test_the_drivers_the_fixtures_were_made_for(os_images: OsImages) -> None:
    """The cases each fixture exists for, as plain facts (the oracle test derives them)."""
    states = {case.name: read(os_images, case.name).drivers for case in LINUX}
    assert states["debian12"] is not None and states["debian12"].nvme is DriverState.INITRAMFS
    assert states["centos7"] is not None and states["centos7"].nvme is DriverState.MODULE
    assert states["fedora39-btrfs"] is not None
    assert states["fedora39-btrfs"].nvme is DriverState.BUILTIN
    assert states["debian8"] is not None and states["debian8"].ena is DriverState.MISSING


def test_skipping_the_initramfs_reads_none_and_says_so(os_images: OsImages) -> None:
    report = read(os_images, "centos7", initramfs=False)
    assert report.initramfs is not None and not report.initramfs.read
    assert report.initramfs.paths == ("/boot/initramfs-5.4.265-1.el7.elrepo.x86_64.img",)
    assert report.drivers is not None and report.drivers.nvme is DriverState.MODULE


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_network_and_cloud_init(os_images: OsImages, case: Linux) -> None:
    report = read(os_images, case.name)
    assert report.network is case.network
    assert report.cloud_init is case.cloud_init
    tree = manifest_paths(case.name, case.root_tree)
    assert case.cloud_init == ("etc/cloud/cloud.cfg" in tree)


def test_the_static_address_is_netplans(os_images: OsImages) -> None:
    report = read(os_images, "ubuntu-static")
    assert [(c.source, c.interface, c.kind) for c in report.interfaces] == [
        ("/etc/netplan/00-installer-config.yaml", "ens33", NetworkKind.STATIC)
    ]


@pytest.mark.parametrize(
    ("name", "system", "drivers"),
    [
        ("windows2019", "system-aws", (DriverState.INSTALLED,) * 3),
        (
            "windows-noaws",
            "system-noaws",
            (DriverState.INSTALLED, DriverState.MISSING, DriverState.MISSING),
        ),
    ],
)
def test_windows_from_its_hives(
    os_images: OsImages, name: str, system: str, drivers: tuple[DriverState, ...]
) -> None:
    from tests.guestos.test_windows import reg, text

    report = read(os_images, name)
    hives = records(name)["hives"]
    assert "software-2019.hive.xz" in hives and f"{system}.hive.xz" in hives
    version = reg("software-2019")["Microsoft\\Windows NT\\CurrentVersion"]
    assert report.family is OsFamily.WINDOWS and report.distribution == "windows"
    assert report.pretty_name == text(version["ProductName"])
    assert report.version == f"10.0.{text(version['CurrentBuild'])}.5458"
    assert report.root == "disk 1 partition 2"
    assert report.drivers is not None
    assert (report.drivers.nvme, report.drivers.ena, report.drivers.xen) == drivers
    assert report.windows is not None and report.windows.inbox_nvme


def test_a_disk_of_data_has_no_system_and_says_what_was_read(os_images: OsImages) -> None:
    report = read(os_images, "data")
    assert report.status is OsStatus.NOT_FOUND and report.family is None
    assert [(f.where, f.filesystem, f.state) for f in report.volumes] == [
        ("disk 1 partition 1", blkid("data", "1")["TYPE"], VolumeState.READ)
    ]


def test_an_encrypted_root_is_unreadable_not_absent(os_images: OsImages) -> None:
    report = read(os_images, "luks")
    assert report.status is OsStatus.UNREADABLE
    states = {fact.where: (fact.filesystem, fact.state) for fact in report.volumes}
    assert states["disk 1 partition 1"] == (blkid("luks", "1")["TYPE"], VolumeState.READ)
    assert blkid("luks", "2")["TYPE"] == "crypto_LUKS"
    assert states["disk 1 partition 2"] == ("luks", VolumeState.UNREADABLE)


def test_partitions_are_found_by_the_names_fstab_may_use(os_images: OsImages) -> None:
    from ec2_import_image.guestos.fstab import classify
    from ec2_import_image.guestos.locate import search

    table = records("fedora39-btrfs")["sfdisk"]["partitiontable"]["partitions"]
    with FileBlob(os_images.path("fedora39-btrfs")) as blob:
        found = search([blob])
        for number, partition in enumerate(table, 1):
            where = f"disk 1 partition {number}"
            names = [f"PARTUUID={partition['uuid']}", f"PARTLABEL={partition['name']}"]
            names += [f"/dev/sda{number}", f"/dev/xvda{number}", f"/dev/nvme0n1p{number}"]
            uuid = blkid("fedora39-btrfs", str(number)).get("UUID")
            if uuid:
                names.append(f"UUID={uuid}")
            label = blkid("fedora39-btrfs", str(number)).get("LABEL")
            if label:
                names += [f"LABEL={label}", f"/dev/disk/by-label/{label}"]
            for spec in names:
                volume = found.find(classify(spec))
                if blkid("fedora39-btrfs", str(number))["TYPE"] == "vfat":
                    assert volume is None, spec  # the ESP holds no system: not opened
                    continue
                assert volume is not None and volume.candidate.where == where, spec
        assert found.find(classify("/dev/sdb1")) is None
        assert found.find(classify("PARTUUID=00000000-0000-0000-0000-000000000000")) is None
