"""The trees behind tests/fixtures/os/ (run by scripts/make-os-fixtures.sh).

Subcommands (standard library only; the recipe runs them with the system's python3):

- ``ids``: the fixed UUIDs, labels and machine id the recipe gives mkfs and the trees
  (``NAME=value`` lines for the shell);
- ``tree KIND DIR``: write a tree: a distribution's root or /boot, or an initramfs's
  contents (``initrd-*``).  The trees mimic what the distributions install: os-release
  (a link to ``../usr/lib/os-release`` on merged-/usr systems), the release files,
  fstab, GRUB's grub.cfg as grub-mkconfig writes it (Debian's and Ubuntu's
  ``10_linux`` with its submenu, RHEL's and Fedora's with ``blscfg``, CentOS 7's
  without), BLS entries, network configurations (ifupdown, netplan, NetworkManager
  keyfiles, ifcfg), ``/lib/modules/KVER`` with ``modules.builtin``, ``modules.dep``
  and the modules (placeholder bytes), kernels and cloud-init (placeholders too);
- ``records NAME OUT FILE...``: the tools' own records of a fixture, gathered into
  ``NAME.records.json``: each ``KEY=FILE`` argument is a file a tool wrote (sfdisk
  --json, blkid -p -o export, cpio -it, grub-editenv list, lvs --reportformat json,
  btrfs subvolume list, a shell's view of os-release), stored as JSON or text.

Every file's content is fixed, so a rerun of the recipe writes the same trees.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

IDS = {
    "MACHINE_ID": "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99",
    # Debian 12: ext4 root, ESP
    "DEB_ROOT": "0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11",
    "DEB_ESP": "5C1A2B3D",
    # Rocky 9: ext4 /boot, XFS root on LVM
    "ROCKY_BOOT": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c51",
    "ROCKY_ROOT": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d62",
    # Fedora 39: ESP, ext4 /boot, Btrfs root and home
    "FED_ESP": "7A8B9C0D",
    "FED_BOOT": "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e73",
    "FED_BTRFS": "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f84",
    # Ubuntu 22.04: ext4 root on /dev/sda1
    "UBU_ROOT": "e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8095",
    # Debian 8
    "JES_ROOT": "f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f8091a6",
    # CentOS 7: XFS root
    "CEN_ROOT": "0a7b8c9d-e0f1-4a2b-8c5d-6e7f8091a2b7",
    # a data disk, and an encrypted root
    "DATA": "1b8c9d0e-f1a2-4b3c-9d6e-7f8091a2b3c8",
    "LUKS_BOOT": "2c9d0e1f-a2b3-4c4d-8e7f-8091a2b3c4d9",
}
MID = IDS["MACHINE_ID"]
#: the GRUB configurations as grub-mkconfig writes them, with @NAME@ to fill
TEMPLATES = Path(__file__).resolve().parent / "os-fixtures"


def write(root: Path, path: str, text: str, mode: int = 0o644) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def link(root: Path, path: str, target: str) -> None:
    where = root / path
    where.parent.mkdir(parents=True, exist_ok=True)
    if where.is_symlink() or where.exists():
        where.unlink()
    os.symlink(target, where)


def placeholder(root: Path, path: str, what: str = "") -> None:
    name = what or Path(path).name
    write(root, path, f"\x7fELF placeholder {name}\n")


def merged_usr(root: Path) -> None:
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        link(root, name, f"usr/{name}")
    for name in ("etc", "var/log", "tmp", "home", "root", "dev", "proc", "sys", "run", "srv"):
        (root / name).mkdir(parents=True, exist_ok=True)


def modules(
    root: Path, kernel: str, present: list[str], builtin: list[str], suffix: str = ".ko"
) -> None:
    """/lib/modules/KVER: the modules (placeholders), modules.dep and modules.builtin."""
    base = f"usr/lib/modules/{kernel}" if (root / "usr/lib").is_dir() else f"lib/modules/{kernel}"
    for module in present:
        placeholder(root, f"{base}/{module}{suffix}")
    dep = "".join(f"{module}{suffix}:\n" for module in present)
    write(root, f"{base}/modules.dep", dep)
    write(root, f"{base}/modules.builtin", "".join(f"{module}.ko\n" for module in builtin))
    write(root, f"{base}/modules.order", "".join(f"{module}.ko\n" for module in present))


NVME = "kernel/drivers/nvme/host/nvme"
NVME_CORE = "kernel/drivers/nvme/host/nvme-core"
ENA = "kernel/drivers/net/ethernet/amazon/ena/ena"
XEN_BLK = "kernel/drivers/block/xen-blkfront"
XEN_NET = "kernel/drivers/net/xen-netfront"
EXT4 = "kernel/fs/ext4/ext4"
XFS = "kernel/fs/xfs/xfs"
BTRFS = "kernel/fs/btrfs/btrfs"
VIRTIO = "kernel/drivers/block/virtio_blk"


# -- GRUB ------------------------------------------------------------------------------------

GRUB_HEADER = (TEMPLATES / "grub-header.cfg").read_text()


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key.upper()}@", value)
    return template


def _debian_entry(
    title: str, entry_id: str, kernel: str, *, root_arg: str, extra: str, part: str, uuid: str
) -> str:
    return _fill(
        (TEMPLATES / "debian-entry.cfg").read_text(),
        title=title,
        entry_id=entry_id,
        kernel=kernel,
        root_arg=root_arg,
        extra=extra,
        parttype=part.rstrip("0123456789"),
        part=part,
        uuid=uuid,
    )


def debian_grub_cfg(
    name: str, kernels: list[str], root_arg: str, *, uuid: str, part: str, default: str
) -> str:
    """grub.cfg as Debian's and Ubuntu's grub-mkconfig write it: a first entry for the
    newest kernel, then the 'Advanced options' submenu with each kernel and its recovery
    entry."""
    head = (
        GRUB_HEADER.replace("@DEFAULT@", default)
        .replace("@PART@", part.rstrip("0123456789"))
        .replace("@ROOTPART@", part)
        .replace("@UUID@", uuid)
    )
    body = '\n### BEGIN /etc/grub.d/10_linux ###\nfunction gfxmode {\n\tset gfxpayload="${1}"\n}\n'
    body += "set linux_gfx_mode=\nexport linux_gfx_mode\n"
    where = {"root_arg": root_arg, "part": part, "uuid": uuid}
    body += _debian_entry(name, f"gnulinux-simple-{uuid}", kernels[0], extra="quiet", **where)
    body += (
        f"submenu 'Advanced options for {name}' $menuentry_id_option "
        f"'gnulinux-advanced-{uuid}' {{\n"
    )
    for kernel in kernels:
        for recovery in (False, True):
            suffix = " (recovery mode)" if recovery else ""
            kind = "recovery" if recovery else "advanced"
            body += (
                _debian_entry(
                    f"{name}, with Linux {kernel}{suffix}",
                    f"gnulinux-{kernel}-{kind}-{uuid}",
                    kernel,
                    extra="single" if recovery else "quiet",
                    **where,
                )
                .replace("\n", "\n\t")
                .rstrip("\t")
            )
    body += "}\n\n### END /etc/grub.d/10_linux ###\n"
    body += (
        "\n### BEGIN /etc/grub.d/30_uefi-firmware ###\n### END /etc/grub.d/30_uefi-firmware ###\n"
    )
    return head + body


REDHAT_GRUB_CFG = (TEMPLATES / "redhat-grub.cfg").read_text()


def bls_entry(title: str, kernel: str, options: str) -> str:
    users = "grub_users $grub_users\ngrub_arg --unrestricted\ngrub_class rhel\n"
    return (
        f"title {title}\nversion {kernel}\nlinux /vmlinuz-{kernel}\n"
        f"initrd /initramfs-{kernel}.img $tuned_initrd\noptions {options}\n{users}"
    )


# -- the trees -------------------------------------------------------------------------------

DEBIAN12_OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""
DEBIAN12_KERNELS = ["6.1.0-15-amd64", "6.1.0-13-amd64"]
DEBIAN_MODULES = [NVME, NVME_CORE, ENA, XEN_BLK, XEN_NET, VIRTIO]


def debian12(root: Path) -> None:
    merged_usr(root)
    write(root, "usr/lib/os-release", DEBIAN12_OS_RELEASE)
    link(root, "etc/os-release", "../usr/lib/os-release")
    write(root, "etc/debian_version", "12.4\n")
    write(root, "etc/hostname", "debian12\n")
    write(root, "etc/machine-id", MID + "\n")
    esp = f"{IDS['DEB_ESP'][:4]}-{IDS['DEB_ESP'][4:]}"
    write(
        root,
        "etc/fstab",
        "# /etc/fstab: static file system information.\n#\n"
        "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
        f"UUID={IDS['DEB_ROOT']} /               ext4    errors=remount-ro 0       1\n"
        f"UUID={esp}  /boot/efi       vfat    umask=0077      0       1\n",
    )
    write(
        root,
        "etc/network/interfaces",
        "# interfaces(5) file used by ifup(8) and ifdown(8)\n"
        "source /etc/network/interfaces.d/*\n\n"
        "# The loopback network interface\nauto lo\niface lo inet loopback\n",
    )
    write(
        root,
        "etc/network/interfaces.d/50-cloud-init",
        "auto ens5\nallow-hotplug ens5\niface ens5 inet dhcp\n",
    )
    write(root, "etc/cloud/cloud.cfg", "datasource_list: [ Ec2, None ]\nusers:\n  - default\n")
    placeholder(root, "usr/bin/cloud-init")
    placeholder(root, "usr/lib/systemd/systemd")
    link(root, "sbin/init", "/lib/systemd/systemd")
    for kernel in DEBIAN12_KERNELS:
        placeholder(root, f"boot/vmlinuz-{kernel}")
        write(root, f"boot/config-{kernel}", "CONFIG_BLK_DEV_NVME=m\nCONFIG_ENA_ETHERNET=m\n")
        write(root, f"boot/System.map-{kernel}", "ffffffff81000000 T _text\n")
        modules(root, kernel, [*DEBIAN_MODULES, EXT4], [])
    link(root, "vmlinuz", "boot/vmlinuz-6.1.0-15-amd64")
    link(root, "vmlinuz.old", "boot/vmlinuz-6.1.0-13-amd64")
    link(root, "initrd.img", "boot/initrd.img-6.1.0-15-amd64")
    write(
        root,
        "boot/grub/grub.cfg",
        debian_grub_cfg(
            "Debian GNU/Linux",
            DEBIAN12_KERNELS,
            f"UUID={IDS['DEB_ROOT']}",
            uuid=IDS["DEB_ROOT"],
            part="gpt3",
            default="${saved_entry}",
        ),
    )
    write(root, "etc/default/grub", "GRUB_DEFAULT=saved\nGRUB_TIMEOUT=5\n")


def initrd_debian(root: Path, kernel: str, with_nvme: bool) -> None:
    """initramfs-tools' layout: modules under usr/lib/modules (merged /usr), .ko."""
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        link(root, name, f"usr/{name}")
    write(root, "init", '#!/bin/sh\nexec run-init ${rootmnt} ${init} "$@"\n', 0o755)
    write(root, "conf/initramfs.conf", "MODULES=most\nCOMPRESS=zstd\n")
    placeholder(root, "usr/bin/busybox")
    link(root, "usr/bin/sh", "busybox")
    wanted = [EXT4, XEN_BLK, VIRTIO] + ([NVME, NVME_CORE] if with_nvme else [])
    for module in wanted:
        placeholder(root, f"usr/lib/modules/{kernel}/{module}.ko")
    write(root, f"usr/lib/modules/{kernel}/modules.dep", "".join(f"{m}.ko:\n" for m in wanted))


def microcode(root: Path) -> None:
    write(root, "kernel/x86/microcode/GenuineIntel.bin", "i" * 3000)
    write(root, "kernel/x86/microcode/AuthenticAMD.bin", "a" * 1200)


ROCKY_OS_RELEASE = """NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
"""
ROCKY_KERNELS = ["5.14.0-362.8.1.el9_3.x86_64", "5.14.0-284.11.1.el9_2.x86_64"]
ROCKY_OPTIONS = (
    "root=/dev/mapper/rl-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M "
    "resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap"
)


def rocky9_root(root: Path) -> None:
    merged_usr(root)
    write(root, "usr/lib/os-release", ROCKY_OS_RELEASE)
    link(root, "etc/os-release", "../usr/lib/os-release")
    write(root, "etc/rocky-release", "Rocky Linux release 9.3 (Blue Onyx)\n")
    link(root, "etc/redhat-release", "rocky-release")
    link(root, "etc/system-release", "rocky-release")
    write(root, "etc/machine-id", MID + "\n")
    write(
        root,
        "etc/fstab",
        "\n#\n# /etc/fstab\n# Created by anaconda on Tue Nov 14 10:02:11 2023\n#\n"
        "/dev/mapper/rl-root     /                       xfs     defaults        0 0\n"
        f"UUID={IDS['ROCKY_BOOT']} /boot                   ext4    defaults        1 2\n"
        "/dev/mapper/rl-swap     none                    swap    defaults        0 0\n",
    )
    write(
        root,
        "etc/NetworkManager/system-connections/ens192.nmconnection",
        "[connection]\nid=ens192\nuuid=0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\ntype=ethernet\n"
        "autoconnect-priority=-999\ninterface-name=ens192\n\n[ethernet]\n\n"
        "[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=eui64\nmethod=auto\n\n[proxy]\n",
        0o600,
    )
    write(
        root,
        "etc/sysconfig/network-scripts/readme-ifcfg-rh.txt",
        "NetworkManager stores new network profiles in keyfile format\n",
    )
    write(root, "etc/default/grub", "GRUB_DEFAULT=saved\nGRUB_ENABLE_BLSCFG=true\n")
    for kernel in ROCKY_KERNELS:
        modules(root, kernel, [NVME, NVME_CORE, ENA, XEN_BLK, XEN_NET, XFS], [EXT4], ".ko.xz")


def rocky9_boot(root: Path) -> None:
    for kernel in ROCKY_KERNELS:
        placeholder(root, f"vmlinuz-{kernel}")
        write(root, f"config-{kernel}", "CONFIG_BLK_DEV_NVME=m\n")
        write(root, f"System.map-{kernel}", "ffffffff81000000 T _text\n")
        write(
            root,
            f"loader/entries/{MID}-{kernel}.conf",
            bls_entry(f"Rocky Linux ({kernel}) 9.3 (Blue Onyx)", kernel, ROCKY_OPTIONS),
        )
    rescue = f"0-rescue-{MID}"
    placeholder(root, f"vmlinuz-{rescue}")
    write(
        root,
        f"loader/entries/{MID}-0-rescue.conf",
        bls_entry("Rocky Linux (0-rescue-" + MID + ") 9.3 (Blue Onyx)", rescue, ROCKY_OPTIONS),
    )
    write(
        root,
        "grub2/grub.cfg",
        REDHAT_GRUB_CFG.replace("@PART@", "msdos")
        .replace("@BOOTPART@", "msdos1")
        .replace("@BOOTUUID@", IDS["ROCKY_BOOT"]),
    )
    (root / "efi").mkdir(parents=True, exist_ok=True)


def initrd_dracut(root: Path, kernel: str, with_nvme: bool, suffix: str, merged: bool) -> None:
    """dracut's layout: systemd as init, modules with the distribution's suffix."""
    base = "usr/lib" if merged else "lib"
    if merged:
        for name in ("bin", "sbin", "lib", "lib64"):
            (root / "usr" / name).mkdir(parents=True, exist_ok=True)
            link(root, name, f"usr/{name}")
    placeholder(root, "usr/lib/systemd/systemd")
    link(root, "init", "usr/lib/systemd/systemd")
    write(root, "etc/initrd-release", 'NAME="dracut"\n')
    write(root, "usr/lib/dracut/build-parameter.txt", " --kver " + kernel + "\n")
    wanted = [XFS, EXT4, XEN_BLK, VIRTIO] + ([NVME, NVME_CORE] if with_nvme else [])
    for module in wanted:
        placeholder(root, f"{base}/modules/{kernel}/{module}{suffix}")
    write(root, f"{base}/modules/{kernel}/modules.dep", "".join(f"{m}{suffix}:\n" for m in wanted))


FEDORA_OS_RELEASE = """NAME="Fedora Linux"
VERSION="39 (Cloud Edition)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Cloud Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:39"
DEFAULT_HOSTNAME="fedora"
HOME_URL="https://fedoraproject.org/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=39
SUPPORT_END=2024-11-12
VARIANT="Cloud Edition"
VARIANT_ID=cloud
"""
FEDORA_KERNELS = ["6.5.6-300.fc39.x86_64", "6.7.5-200.fc39.x86_64"]


def fedora_root(root: Path) -> None:
    merged_usr(root)
    write(root, "usr/lib/os-release", FEDORA_OS_RELEASE)
    link(root, "etc/os-release", "../usr/lib/os-release")
    write(root, "usr/lib/fedora-release", "Fedora release 39 (Thirty Nine)\n")
    link(root, "etc/fedora-release", "../usr/lib/fedora-release")
    link(root, "etc/redhat-release", "fedora-release")
    write(root, "etc/machine-id", MID + "\n")
    esp = f"{IDS['FED_ESP'][:4]}-{IDS['FED_ESP'][4:]}"
    btrfs = IDS["FED_BTRFS"]
    write(
        root,
        "etc/fstab",
        "\n#\n# /etc/fstab\n# Created by anaconda on Sat Feb 17 12:30:01 2024\n#\n"
        f"UUID={btrfs} /                       btrfs   subvol=root,compress=zstd:1 0 0\n"
        f"UUID={IDS['FED_BOOT']} /boot                   ext4    defaults        1 2\n"
        f"UUID={esp}          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n"
        f"UUID={btrfs} /home                   btrfs   subvol=home,compress=zstd:1 0 0\n",
    )
    write(
        root,
        "etc/NetworkManager/system-connections/cloud-init-eth0.nmconnection",
        "[connection]\nid=cloud-init eth0\nuuid=1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7\n"
        "type=ethernet\ninterface-name=eth0\n\n[user]\norg.freedesktop.NetworkManager.origin=cloud-init\n\n"
        "[ethernet]\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n",
        0o600,
    )
    write(root, "etc/cloud/cloud.cfg", "users:\n - default\ndisable_root: true\n")
    placeholder(root, "usr/bin/cloud-init")
    for kernel in FEDORA_KERNELS:
        placeholder(root, f"usr/lib/modules/{kernel}/vmlinuz")
        modules(root, kernel, [ENA, XEN_NET, BTRFS], [NVME, NVME_CORE, XEN_BLK, EXT4], ".ko.xz")


def fedora_boot(root: Path) -> None:
    options = (
        "root=UUID=" + IDS["FED_BTRFS"] + " ro rootflags=subvol=root no_timer_check "
        "console=tty1 console=ttyS0,115200n8 systemd.firstboot=off"
    )
    for kernel in FEDORA_KERNELS:
        placeholder(root, f"vmlinuz-{kernel}")
        write(root, f"System.map-{kernel}", "ffffffff81000000 T _text\n")
        write(
            root,
            f"loader/entries/{MID}-{kernel}.conf",
            bls_entry(f"Fedora Linux ({kernel}) 39 (Cloud Edition)", kernel, options),
        )
    write(
        root,
        "grub2/grub.cfg",
        REDHAT_GRUB_CFG.replace("@PART@", "gpt")
        .replace("@BOOTPART@", "gpt2")
        .replace("@BOOTUUID@", IDS["FED_BOOT"]),
    )
    (root / "efi").mkdir(parents=True, exist_ok=True)


def fedora_home(root: Path) -> None:
    write(root, "fedora/.bashrc", "# .bashrc\n")


UBUNTU_OS_RELEASE = """PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
"""
UBUNTU_KERNEL = "5.15.0-91-generic"


def ubuntu_static(root: Path) -> None:
    merged_usr(root)
    write(root, "usr/lib/os-release", UBUNTU_OS_RELEASE)
    link(root, "etc/os-release", "../usr/lib/os-release")
    write(root, "etc/debian_version", "bookworm/sid\n")
    write(
        root,
        "etc/lsb-release",
        "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n"
        'DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n',
    )
    write(
        root,
        "etc/fstab",
        "# /etc/fstab: static file system information.\n"
        "/dev/sda1\t/\text4\terrors=remount-ro\t0\t1\n"
        "/swap.img\tnone\tswap\tsw\t0\t0\n",
    )
    write(
        root,
        "etc/netplan/00-installer-config.yaml",
        "# This is the network config written by 'subiquity'\nnetwork:\n  ethernets:\n"
        "    ens33:\n      addresses:\n      - 192.168.10.50/24\n      nameservers:\n"
        "        addresses:\n        - 192.168.10.1\n        search: []\n      routes:\n"
        "      - to: default\n        via: 192.168.10.1\n  version: 2\n",
        0o600,
    )
    placeholder(root, f"boot/vmlinuz-{UBUNTU_KERNEL}")
    link(root, "boot/vmlinuz", f"vmlinuz-{UBUNTU_KERNEL}")
    link(root, "boot/initrd.img", f"initrd.img-{UBUNTU_KERNEL}")
    modules(root, UBUNTU_KERNEL, [ENA, XEN_NET, VIRTIO], [NVME, NVME_CORE, XEN_BLK, EXT4])
    cfg = debian_grub_cfg(
        "Ubuntu", [UBUNTU_KERNEL], "/dev/sda1", uuid=IDS["UBU_ROOT"], part="msdos1", default="0"
    ).replace("--class debian", "--class ubuntu")
    write(root, "boot/grub/grub.cfg", cfg)


JESSIE_OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 8 (jessie)"
NAME="Debian GNU/Linux"
VERSION_ID="8"
VERSION="8 (jessie)"
ID=debian
HOME_URL="http://www.debian.org/"
SUPPORT_URL="http://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""
JESSIE_KERNEL = "3.16.0-6-amd64"


def debian8(root: Path) -> None:
    for name in ("bin", "sbin", "lib", "etc", "usr/bin", "usr/lib", "var", "tmp", "home"):
        (root / name).mkdir(parents=True, exist_ok=True)
    write(root, "etc/os-release", JESSIE_OS_RELEASE)
    write(root, "etc/debian_version", "8.11\n")
    write(
        root,
        "etc/fstab",
        f"UUID={IDS['JES_ROOT']} /               ext4    errors=remount-ro 0       1\n",
    )
    write(
        root,
        "etc/network/interfaces",
        "source-directory /etc/network/interfaces.d\n\nauto lo\niface lo inet loopback\n\n"
        "allow-hotplug eth0\niface eth0 inet dhcp\n",
    )
    (root / "etc/network/interfaces.d").mkdir(parents=True, exist_ok=True)
    placeholder(root, f"boot/vmlinuz-{JESSIE_KERNEL}")
    modules(root, JESSIE_KERNEL, [NVME, XEN_BLK, XEN_NET, EXT4, VIRTIO], [])
    write(
        root,
        "boot/grub/grub.cfg",
        debian_grub_cfg(
            "Debian GNU/Linux",
            [JESSIE_KERNEL],
            f"UUID={IDS['JES_ROOT']}",
            uuid=IDS["JES_ROOT"],
            part="msdos1",
            default="0",
        ),
    )


CENTOS7_OS_RELEASE = """NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

"""
CENTOS7_KERNELS = ["5.4.265-1.el7.elrepo.x86_64", "3.10.0-1160.el7.x86_64"]


def _centos_entry(title: str, kernel: str, uuid: str) -> str:
    return _fill(
        (TEMPLATES / "centos-entry.cfg").read_text(), title=title, kernel=kernel, uuid=uuid
    )


def centos7(root: Path) -> None:
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        link(root, name, f"usr/{name}")
    (root / "etc").mkdir(parents=True, exist_ok=True)
    write(root, "etc/os-release", CENTOS7_OS_RELEASE)
    write(root, "etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n")
    link(root, "etc/redhat-release", "centos-release")
    uuid = IDS["CEN_ROOT"]
    write(
        root,
        "etc/fstab",
        "\n#\n# /etc/fstab\n# Created by anaconda on Tue Nov 10 13:53:45 2020\n#\n"
        f"UUID={uuid} /                       xfs     defaults        0 0\n",
    )
    write(
        root,
        "etc/sysconfig/network-scripts/ifcfg-eth0",
        'DEVICE="eth0"\nBOOTPROTO="dhcp"\nONBOOT="yes"\nTYPE="Ethernet"\n'
        'PERSISTENT_DHCLIENT="yes"\n',
    )
    write(
        root,
        "etc/sysconfig/network-scripts/ifcfg-lo",
        "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nONBOOT=yes\nNAME=loopback\n",
    )
    write(root, "etc/cloud/cloud.cfg", "users:\n - default\n")
    for kernel in CENTOS7_KERNELS:
        placeholder(root, f"boot/vmlinuz-{kernel}")
        suffix = ".ko" if "elrepo" in kernel else ".ko.xz"
        modules(root, kernel, [NVME, NVME_CORE, ENA, XEN_BLK, XEN_NET, XFS], [EXT4], suffix)
    cfg = GRUB_HEADER.replace("@DEFAULT@", "${saved_entry}").replace("@PART@", "msdos")
    cfg = cfg.replace("@ROOTPART@", "msdos1").replace("@UUID@", uuid)
    cfg += "\n### BEGIN /etc/grub.d/10_linux ###\n"
    for kernel in CENTOS7_KERNELS:
        cfg += _centos_entry(f"CentOS Linux ({kernel}) 7 (Core)", kernel, uuid)
    cfg += "### END /etc/grub.d/10_linux ###\n"
    write(root, "boot/grub2/grub.cfg", cfg)
    link(root, "etc/grub2.cfg", "../boot/grub2/grub.cfg")


def data(root: Path) -> None:
    for index in range(5):
        write(root, f"srv/data/part-{index:03d}.csv", f"id,value\n{index},{index * 7}\n")
    write(root, "README", "a data disk, no operating system\n")


def luks_boot(root: Path) -> None:
    placeholder(root, "vmlinuz-6.1.0-13-amd64")
    write(
        root,
        "grub/grub.cfg",
        "set default=0\nmenuentry 'Debian' {\n"
        "\tlinux /vmlinuz-6.1.0-13-amd64 root=/dev/mapper/root\n}\n",
    )


TREES = {
    "debian12": debian12,
    "rocky9-root": rocky9_root,
    "rocky9-boot": rocky9_boot,
    "fedora-root": fedora_root,
    "fedora-home": fedora_home,
    "fedora-boot": fedora_boot,
    "ubuntu-static": ubuntu_static,
    "debian8": debian8,
    "centos7": centos7,
    "data": data,
    "luks-boot": luks_boot,
}


def _dracut(kernel: str, with_nvme: bool, suffix: str) -> Callable[[Path], None]:
    return lambda root: initrd_dracut(root, kernel, with_nvme, suffix, True)


INITRDS: dict[str, Callable[[Path], None]] = {
    # initramfs-tools (Debian 12): nvme in the default kernel's, not in the newest one's
    "initrd-debian-6.1.0-13": lambda root: initrd_debian(root, "6.1.0-13-amd64", True),
    "initrd-debian-6.1.0-15": lambda root: initrd_debian(root, "6.1.0-15-amd64", False),
    # dracut on Rocky 9 (.ko.xz): nvme in the saved entry's, not in the newest one's
    "initrd-rocky-284": _dracut(ROCKY_KERNELS[1], True, ".ko.xz"),
    "initrd-rocky-362": _dracut(ROCKY_KERNELS[0], False, ".ko.xz"),
    # dracut on Fedora: nvme is built in, the initramfs holds none
    "initrd-fedora-6.7.5": _dracut(FEDORA_KERNELS[1], False, ".ko.xz"),
    "initrd-fedora-6.5.6": _dracut(FEDORA_KERNELS[0], False, ".ko.xz"),
    "initrd-ubuntu": lambda root: initrd_debian(root, UBUNTU_KERNEL, False),
    "initrd-jessie": lambda root: initrd_dracut(root, JESSIE_KERNEL, True, ".ko", False),
    # CentOS 7: a host-only dracut image of the elrepo kernel, without nvme
    "initrd-centos-elrepo": _dracut(CENTOS7_KERNELS[0], False, ".ko"),
    "initrd-centos-3.10": _dracut(CENTOS7_KERNELS[1], True, ".ko.xz"),
    "microcode": microcode,
}


def records(name: str, out: Path, pairs: list[str]) -> None:
    gathered: dict[str, object] = {}
    for pair in pairs:
        key, _, path = pair.partition("=")
        text = Path(path).read_text()
        try:
            gathered[key] = json.loads(text)
        except json.JSONDecodeError:
            gathered[key] = text
    (out / f"{name}.records.json").write_text(json.dumps(gathered, indent=1, sort_keys=True) + "\n")


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "ids":
        for key, value in IDS.items():
            print(f"{key}={value}")
    elif command == "tree":
        kind, directory = argv[1], Path(argv[2])
        directory.mkdir(parents=True, exist_ok=True)
        (TREES.get(kind) or INITRDS[kind])(directory)
    elif command == "records":
        records(argv[1], Path(argv[2]), argv[3:])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
