"""A Linux root read into an ``OsReport``: release, fstab, /boot, kernels, boot loader,
``root=``, network, drivers, cloud-init.

The order matters: fstab says where /boot is (a separate volume is found among the
image's volumes by fstab's device: ``locate.Search.find``, mounted with fstab's options,
``subvol=`` for Btrfs); /boot holds the kernels and the boot loader's configuration; the
boot loader's default entry names the kernel whose drivers and initramfs are read, and
gives the command line whose ``root=`` is judged.

Installed kernels are the versions of ``/boot/vmlinuz-*`` (and ``vmlinux-*``) and of the
directories of ``/lib/modules`` that hold a kernel's modules (``modules.dep`` or
``kernel/``), sorted with rpm's version order.  cloud-init is present when its
configuration (``/etc/cloud/cloud.cfg``) or its program (``/usr/bin/cloud-init``) is.
"""

from __future__ import annotations

import functools

from ec2_import_image.fsread.tree import LinkLoop, NotADirectory, NotFound, TooLarge, Tree
from ec2_import_image.guestos import bootloader, drivers, network
from ec2_import_image.guestos.bls import rpmvercmp
from ec2_import_image.guestos.fstab import classify, kernel_parameter, mount_entry, parse_fstab
from ec2_import_image.guestos.locate import Root, Search, Unreadable
from ec2_import_image.guestos.osreport import (
    FstabEntry,
    InitramfsFacts,
    OsFamily,
    OsReport,
    OsStatus,
)
from ec2_import_image.guestos.release import read_release
from ec2_import_image.guestos.system import LinuxSystem

FSTAB = "/etc/fstab"
FSTAB_LIMIT = 1024 * 1024
CLOUD_INIT = ("/etc/cloud/cloud.cfg", "/usr/bin/cloud-init")
MAX_KERNELS = 256
_MISSING = (NotFound, NotADirectory, LinkLoop)


def _fstab(tree: Tree) -> tuple[list[FstabEntry], bool]:
    try:
        text = tree.read_text(FSTAB, limit=FSTAB_LIMIT)
    except (*_MISSING, TooLarge):
        return [], False
    return parse_fstab(text), True


def _boot_volume(
    root: Root, search: Search, entries: list[FstabEntry], findings: list[str]
) -> LinuxSystem:
    system = LinuxSystem(root.tree, root.where)
    entry = mount_entry(entries, "/boot")
    if entry is None:
        return system
    ref = classify(entry.spec)
    volume = search.find(ref)
    if volume is None:
        findings.append(
            f"fstab mounts /boot from {entry.spec}, which is not on the image's disks: "
            "/boot is read from the root"
        )
        return system
    if volume is root.volume and volume.btrfs is None:
        return system
    try:
        system.boot = volume.mount(entry.options)
    except Unreadable as error:
        findings.append(f"/boot ({entry.spec}) cannot be mounted: {error}")
        return system
    system.boot_where = volume.candidate.where
    return system


def _kernels(system: LinuxSystem) -> list[str]:
    found: set[str] = set()
    for name in system.boot_names():
        version = bootloader.kernel_version(name)
        # vmlinuz-0-rescue-MACHINEID is dracut's rescue copy of a kernel, not a version
        rescue = version is not None and version.startswith("0-rescue-")
        if version is not None and name.startswith(("vmlinuz-", "vmlinux-")) and not rescue:
            found.add(version)
    for root in drivers.MODULE_ROOTS:
        try:
            names = system.root.names(root)
        except _MISSING:
            continue
        for name in names[:MAX_KERNELS]:
            directory = f"{root}/{name}"
            if system.root.exists(f"{directory}/modules.dep") or system.root.is_dir(
                f"{directory}/kernel"
            ):
                found.add(name)
        break
    return sorted(found, key=functools.cmp_to_key(rpmvercmp))[:MAX_KERNELS]


def read_linux(root: Root, search: Search, *, read_initramfs: bool) -> OsReport:
    """The report of a Linux root (see the module's docstring)."""
    tree = root.tree
    findings: list[str] = []
    release = read_release(tree)
    entries, has_fstab = _fstab(tree)
    if not has_fstab:
        findings.append("the root has no /etc/fstab")
    system = _boot_volume(root, search, entries, findings)
    kernels = _kernels(system)
    esp = mount_entry(entries, "/boot/efi") is not None
    choice = bootloader.read_boot_choice(system, kernels, esp=esp)
    findings.extend(choice.findings)
    # the command line of the entry GRUB boots (the default, else its fall-back)
    booted_entry = choice.entry or choice.fallback_entry
    options = booted_entry.options if booted_entry is not None else ""
    root_device = kernel_parameter(options, "root")
    kind = network.read_network(tree)
    booted = choice.kernel or choice.fallback_kernel
    driver_state = None
    initramfs: InitramfsFacts | None = None
    if booted is not None:
        initrd = booted_entry.initrd if booted_entry is not None else ()
        driver_state, initramfs, noted = drivers.read_drivers(
            system, booted, initrd, read_initramfs=read_initramfs
        )
        findings.extend(noted)
    where = root.where
    if system.boot_where is not None:
        where = f"{where} (/boot: {system.boot_where})"
    return OsReport(
        status=OsStatus.FOUND,
        family=OsFamily.LINUX,
        distribution=release.id if release else None,
        version=release.version if release else None,
        version_detail=release.version_detail if release else None,
        pretty_name=release.pretty_name if release else None,
        root=where,
        kernels=tuple(kernels),
        default_kernel=choice.kernel,
        booted_kernel=booted,
        kernel_undetermined=choice.undetermined,
        boot_loader=choice.loader,
        root_device=root_device,
        root_device_kind=classify(root_device).kind if root_device else None,
        fstab=tuple(entries),
        has_fstab=has_fstab,
        network=kind[0],
        interfaces=kind[1],
        drivers=driver_state,
        initramfs=initramfs,
        cloud_init=any(tree.exists(path) for path in CLOUD_INIT),
        findings=tuple(findings),
    )
