"""What was read of the operating system inside a disk: the typed records and their JSON.

``read.read_os`` fills an :class:`OsReport`; ``judge`` turns it into problems per road.
The JSON names of the fields that scripts rely on are fixed by issue 20 (``family``,
``distribution``, ``version``, ``pretty_name``, ``root``, ``kernels``, ``default_kernel``,
``boot_loader``, ``fstab``, ``network``, ``drivers``, ``cloud_init``); the other keys of
:meth:`OsReport.to_json` say how the facts were found (the volumes read, the initramfs,
the default entry's ``root=``) and what stopped the read where it stopped.

Whether an OS was found at all is :class:`OsStatus`: only ``found`` is an OS positively
read, and only one whose distribution or Windows version was read is judged
(:attr:`OsReport.identified`).  ``not-found`` is a conclusion (every volume that could
hold a system was read, and none holds one); ``unreadable`` and ``no-file-system`` are
not (a volume could not be read, or the disk has no file system that could hold a
system): the checks say nothing of an OS they could not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OsFamily(StrEnum):
    LINUX = "linux"
    WINDOWS = "windows"


class OsStatus(StrEnum):
    #: an operating system was read
    FOUND = "found"
    #: every file system that could hold a system was read, and none holds one
    NOT_FOUND = "not-found"
    #: no system found, and some volume could not be read (encrypted, unknown, damaged)
    UNREADABLE = "unreadable"
    #: no file system that could hold a system (no partitions, an empty one, an ESP only)
    NO_FILESYSTEM = "no-file-system"


class DriverState(StrEnum):
    """Where a driver is for the default kernel (Linux) or whether it is installed (Windows)."""

    BUILTIN = "builtin"
    INITRAMFS = "initramfs"
    MODULE = "module"
    INSTALLED = "installed"
    MISSING = "missing"


class NetworkKind(StrEnum):
    DHCP = "dhcp"
    STATIC = "static"
    UNKNOWN = "unknown"


class BootLoader(StrEnum):
    GRUB2 = "grub2"
    #: GRUB 2 with ``blscfg``: the menu comes from /boot/loader/entries
    GRUB2_BLS = "grub2-bls"
    GRUB_LEGACY = "grub-legacy"


class DeviceKind(StrEnum):
    """How fstab or ``root=`` names a device."""

    UUID = "uuid"
    LABEL = "label"
    PARTUUID = "partuuid"
    PARTLABEL = "partlabel"
    #: /dev/sdX, /dev/hdX, /dev/xvdX, /dev/vdX (and their partitions): names Nitro does not give
    DEVICE_NAME = "device-name"
    #: /dev/nvme0n1p1: Nitro's own names, which depend on the order devices answer in
    NVME = "nvme"
    #: /dev/mapper/VG-LV, /dev/VG/LV: LVM's names, stable wherever the disks are
    MAPPER = "mapper"
    #: /dev/disk/by-id/..., /dev/disk/by-path/...: names of the hardware
    BY_HARDWARE = "by-hardware"
    #: anything else: tmpfs, proc, a network share, a bind mount
    OTHER = "other"


class VolumeState(StrEnum):
    #: opened with its reader and looked at
    READ = "read"
    #: could hold a system but could not be read (encrypted, no reader, damaged, refused)
    UNREADABLE = "unreadable"
    #: holds nothing a system lives on (swap, an ESP, an LVM PV, free space)
    SKIPPED = "skipped"


@dataclass(frozen=True)
class VolumeFact:
    """One volume looked at: where, its file system, and what became of it."""

    where: str
    filesystem: str | None
    state: VolumeState
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "filesystem": self.filesystem,
            "state": self.state.value,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class FstabEntry:
    spec: str
    mount: str
    type: str
    options: str
    kind: DeviceKind

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "mount": self.mount, "type": self.type, "options": self.options}


@dataclass(frozen=True)
class Drivers:
    """The drivers a Nitro or Xen instance needs, for the default kernel."""

    nvme: DriverState
    ena: DriverState
    #: the Xen block front end (the root disk on a Xen instance)
    xen: DriverState
    #: the Xen network front end
    xen_net: DriverState = DriverState.MISSING

    def to_json(self) -> dict[str, Any]:
        return {"nvme": self.nvme.value, "ena": self.ena.value, "xen": self.xen.value}


@dataclass(frozen=True)
class InitramfsFacts:
    """The default kernel's initramfs: where, whether it was read, and what it holds."""

    paths: tuple[str, ...]
    #: it was read (listed); False when the caller skipped it or it could not be read
    read: bool
    #: why it could not be read (None when it was, or was skipped)
    error: str | None = None
    compressions: tuple[str, ...] = ()
    #: the NVMe driver is in it (None: not read)
    nvme: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "paths": list(self.paths),
            "read": self.read,
            "error": self.error,
            "compressions": list(self.compressions),
        }


@dataclass(frozen=True)
class NetworkConfig:
    """One interface's configuration as a file gives it."""

    source: str
    interface: str
    kind: NetworkKind

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "interface": self.interface, "kind": self.kind.value}


@dataclass(frozen=True)
class WindowsFacts:
    product_name: str | None
    edition_id: str | None
    build: int | None
    installation_type: str | None
    display_version: str | None
    aws_nvme: bool
    inbox_nvme: bool
    ena: bool
    aws_pv: bool
    pv_driver_version: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "product_name": self.product_name,
            "edition_id": self.edition_id,
            "build": self.build,
            "installation_type": self.installation_type,
            "display_version": self.display_version,
            "aws_nvme": self.aws_nvme,
            "inbox_nvme": self.inbox_nvme,
            "ena": self.ena,
            "aws_pv": self.aws_pv,
            "pv_driver_version": self.pv_driver_version,
        }


@dataclass(frozen=True)
class OsReport:
    status: OsStatus
    family: OsFamily | None = None
    #: os-release's ID, lower case (``windows`` for Windows)
    distribution: str | None = None
    #: os-release's VERSION_ID, else the release file's number
    version: str | None = None
    #: the finer release when a file gives one (Debian's /etc/debian_version "12.4")
    version_detail: str | None = None
    pretty_name: str | None = None
    #: where the system was found ("disk 1 partition 2", "lvm rhel/root", ...)
    root: str | None = None
    kernels: tuple[str, ...] = ()
    default_kernel: str | None = None
    #: the kernel GRUB boots: the default one, or when ImportImage cannot tell which that
    #: is (BLS entries, no default), the first entry's; its drivers are the ones reported
    booted_kernel: str | None = None
    #: why no default kernel could be determined (None when one was, or for Windows)
    kernel_undetermined: str | None = None
    boot_loader: BootLoader | None = None
    #: the default entry's ``root=`` and how it names the device
    root_device: str | None = None
    root_device_kind: DeviceKind | None = None
    fstab: tuple[FstabEntry, ...] = ()
    #: /etc/fstab was found (a Linux root without one is not what ImportImage takes)
    has_fstab: bool = True
    network: NetworkKind = NetworkKind.UNKNOWN
    interfaces: tuple[NetworkConfig, ...] = ()
    drivers: Drivers | None = None
    initramfs: InitramfsFacts | None = None
    cloud_init: bool | None = None
    windows: WindowsFacts | None = None
    volumes: tuple[VolumeFact, ...] = ()
    #: what the read met on the way: damage, what was not read, oddities ImportImage minds
    findings: tuple[str, ...] = ()
    #: other systems found beside the one reported (a dual-boot disk)
    other_roots: tuple[str, ...] = field(default=())

    @property
    def found(self) -> bool:
        return self.status is OsStatus.FOUND

    @property
    def identified(self) -> bool:
        """The system was found and named: a Linux distribution (os-release or a release
        file) or a Windows version (the SOFTWARE hive) was read.  Only an identified system
        is judged: a root holding little more than /etc/fstab (a stand-in, as in the test
        disks and the emulator's samples) says nothing of what ImportImage will meet."""
        if not self.found:
            return False
        if self.family is OsFamily.WINDOWS:
            return self.version is not None
        return self.distribution is not None

    def to_json(self) -> dict[str, Any]:
        """The ``os`` object of a disk in ``vmimport check --json``."""
        return {
            "status": self.status.value,
            "family": self.family.value if self.family else None,
            "distribution": self.distribution,
            "version": self.version,
            "version_detail": self.version_detail,
            "pretty_name": self.pretty_name,
            "root": self.root,
            "kernels": list(self.kernels),
            "default_kernel": self.default_kernel,
            "booted_kernel": self.booted_kernel,
            "kernel_undetermined": self.kernel_undetermined,
            "boot_loader": self.boot_loader.value if self.boot_loader else None,
            "root_device": self.root_device,
            "fstab": [entry.to_json() for entry in self.fstab],
            "network": self.network.value,
            "interfaces": [config.to_json() for config in self.interfaces],
            "drivers": self.drivers.to_json() if self.drivers else None,
            "initramfs": self.initramfs.to_json() if self.initramfs else None,
            "cloud_init": self.cloud_init,
            "windows": self.windows.to_json() if self.windows else None,
            "volumes": [volume.to_json() for volume in self.volumes],
            "findings": list(self.findings),
            "other_roots": list(self.other_roots),
        }
