"""The operating system's facts judged for each road to an AMI, and the road to take.

Three roads: ``image`` (ImportImage: S3, the service role, the service reads and changes
the guest), ``snapshot`` (ImportSnapshot then RegisterImage: the disk goes in as it is),
``direct`` (the EBS direct APIs then RegisterImage: as it is, without S3 or role).  Only
the image road looks at the operating system and changes it (the user guide's
"programmatic modifications": fstab's device names to UUIDs, static addresses to DHCP,
PV drivers, GRUB's default); the other two take the disk as it boots.

``ROAD_SEVERITY`` is the one table of what each code weighs on each road (None: not a
problem there), and why:

- ``os-not-found`` (every volume that could hold a system was read, none holds one):
  ImportImage fails ("ClientError: Unknown OS / Missing OS files"): error; the other
  roads take a disk that boots by itself (a system laid out as these readers do not
  know, such as an OSTree deployment): warning;
- ``os-unsupported``, ``kernel-unsupported``, ``kernel-undetermined``: ImportImage's
  checks ("Unsupported kernel version", "BLSC-style GRUB found, but unable to detect
  default kernel"): errors on the image road, nothing on the others (GRUB boots its first
  entry whatever ImportImage can tell);
- ``fstab-device-names``, ``static-network``: ImportImage rewrites them on the systems it
  takes: a note on the image road; the other roads keep them, and on the instance the
  names resolve to nothing (Nitro's disks are ``/dev/nvme*``) and the old addresses do
  not hold in a VPC: errors;
- ``platform-unsupported`` (a Windows read on the disk): the snapshot and direct roads copy
  the disk unchanged and register it as Linux/UNIX, without the licence activation and
  drivers ImportImage gives Windows (``roads.WINDOWS_REASON``): errors there; nothing on the
  image road;
- ``no-nvme-driver``, ``no-ena-driver``: every road's AMI is launched on the instance
  types the user picks, and every current-generation type is built on Nitro, where the
  root volume is an NVMe device ("Amazon EBS volumes are exposed as NVMe block devices on
  Amazon EC2 instances built on the AWS Nitro System", EBS user guide, nvme-ebs-volumes)
  and the network interface an ENA ("All Nitro-based instances use ENA for enhanced
  networking", EC2 user guide, enhanced-networking); ImportImage adds neither (its
  modifications page names Citrix PV drivers only, and its limitations say it installs
  no SR-IOV driver except on Windows Server 2012 R2).  On the image road the import
  itself succeeds and the AMI runs on the Xen instance types of earlier generations (t2,
  m4, c4...): a warning, said loudly with its fix, since refusing it would refuse most
  Windows VMs exported from VMware or Hyper-V, which users import and run on those types;
  the snapshot and direct roads exist to register a system that is ready for Nitro as it
  is (they register it with ENA support on): errors there.

Only an operating system positively read is judged (``OsReport.identified``: its
distribution or Windows version was read): an OS that could not be read, a root that
holds an fstab and nothing that names a system, or a fact that was not read (the
initramfs skipped, no ``/lib/modules`` of the kernel), gives no problem; and the direct
road is recommended only for a Linux known to reach its root through NVMe at boot.
``SERVICE_MESSAGES`` holds the status message the service gives for each
code, for the emulator's ImportImage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.guestos import rules
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
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import ROADS, WINDOWS_REASON, Road

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

#: what each code weighs on each road (None: not a problem there); see the docstring
ROAD_SEVERITY: dict[ProblemCode, dict[Road, Severity | None]] = {
    ProblemCode.OS_NOT_FOUND: {Road.IMAGE: E, Road.SNAPSHOT: W, Road.DIRECT: W},
    ProblemCode.OS_UNSUPPORTED: {Road.IMAGE: E, Road.SNAPSHOT: None, Road.DIRECT: None},
    ProblemCode.KERNEL_UNSUPPORTED: {Road.IMAGE: E, Road.SNAPSHOT: None, Road.DIRECT: None},
    ProblemCode.KERNEL_UNDETERMINED: {Road.IMAGE: E, Road.SNAPSHOT: None, Road.DIRECT: None},
    ProblemCode.FSTAB_DEVICE_NAMES: {Road.IMAGE: N, Road.SNAPSHOT: E, Road.DIRECT: E},
    ProblemCode.STATIC_NETWORK: {Road.IMAGE: N, Road.SNAPSHOT: E, Road.DIRECT: E},
    ProblemCode.NO_NVME_DRIVER: {Road.IMAGE: W, Road.SNAPSHOT: E, Road.DIRECT: E},
    ProblemCode.NO_ENA_DRIVER: {Road.IMAGE: W, Road.SNAPSHOT: E, Road.DIRECT: E},
    ProblemCode.PLATFORM_UNSUPPORTED: {Road.IMAGE: None, Road.SNAPSHOT: E, Road.DIRECT: E},
}


def needs_initramfs(road: Road) -> bool:
    """Whether judging ``road`` needs the default kernel's initramfs read (tens of MB over
    S3): where a missing NVMe driver stops the road, only the initramfs can tell."""
    return ROAD_SEVERITY[ProblemCode.NO_NVME_DRIVER][road] is Severity.ERROR


@dataclass(frozen=True)
class ServiceMessage:
    """What ImportImage's task says when it fails on a code (None: the import succeeds and
    the AMI fails later), and whether a source shows the service saying it."""

    message: str | None
    evidence: str


SERVICE_MESSAGES: dict[ProblemCode, ServiceMessage] = {
    ProblemCode.OS_NOT_FOUND: ServiceMessage(
        "ClientError: Unknown OS / Missing OS files",
        "confirmed: user guide, vmimport-troubleshooting; hashicorp/packer-plugin-amazon#103",
    ),
    ProblemCode.OS_UNSUPPORTED: ServiceMessage(
        "ClientError: Unknown OS / Missing OS files",
        "modelled: no source shows the message for a listed distribution's unlisted version",
    ),
    ProblemCode.KERNEL_UNSUPPORTED: ServiceMessage(
        "ClientError: Unsupported kernel version {kernel}",
        "confirmed: teamdfir/sift#465 ('Unsupported kernel version 4.18.0-15-generic'), "
        "vmware/photon#1351",
    ),
    ProblemCode.KERNEL_UNDETERMINED: ServiceMessage(
        "ClientError: BLSC-style GRUB found, but unable to detect default kernel",
        "confirmed: wazuh/wazuh-packages#2985; without BLS entries 'ClientError: Unable to "
        "determine kernel version' (hashicorp/packer#8302)",
    ),
    ProblemCode.FSTAB_DEVICE_NAMES: ServiceMessage(None, "the image road rewrites fstab"),
    ProblemCode.STATIC_NETWORK: ServiceMessage(None, "the image road sets DHCP"),
    ProblemCode.NO_NVME_DRIVER: ServiceMessage(None, "the AMI does not boot on Nitro"),
    ProblemCode.NO_ENA_DRIVER: ServiceMessage(None, "the AMI has no network on Nitro"),
    ProblemCode.PLATFORM_UNSUPPORTED: ServiceMessage(None, "the image road takes Windows"),
}
UNDETERMINED_WITHOUT_BLS = "ClientError: Unable to determine kernel version"


def service_message(problem: Diagnostic, report: OsReport) -> str | None:
    """The status message ImportImage would end with for this problem (image road)."""
    message = SERVICE_MESSAGES[ProblemCode(problem.code)].message
    if message is None:
        return None
    if (
        problem.code is ProblemCode.KERNEL_UNDETERMINED
        and report.boot_loader is not BootLoader.GRUB2_BLS
    ):
        return UNDETERMINED_WITHOUT_BLS
    return message.format(kernel=report.default_kernel or "")


# -- facts to findings ------------------------------------------------------------------------


def _finding(code: ProblemCode, message: str, remedy: str) -> Diagnostic:
    """A code, what it says and its fix, before a road gives it a severity (``judge_os``)
    and the disk its subject."""
    return Diagnostic(code, message, hint=remedy)


_SNAPSHOT_OR_DIRECT = (
    "take the snapshot or direct road (vmimport import --via snapshot|direct), which "
    "registers the disk as it boots"
)


def _os_findings(report: OsReport) -> list[Diagnostic]:
    if report.status is OsStatus.NOT_FOUND:
        read = [fact.where for fact in report.volumes if fact.state is VolumeState.READ]
        return [
            _finding(
                ProblemCode.OS_NOT_FOUND,
                "no operating system was found: every file system that could hold one was "
                f"read ({', '.join(read)}) and none holds a Linux root (/etc with fstab or "
                "os-release) or Windows (Windows/System32/config)",
                "put the system disk first; a disk that boots by itself can " + _SNAPSHOT_OR_DIRECT,
            )
        ]
    if not report.identified:
        return []
    found: list[Diagnostic] = []
    if report.family is OsFamily.LINUX and not report.has_fstab:
        found.append(
            _finding(
                ProblemCode.OS_NOT_FOUND,
                f"the Linux root ({report.root}) has no /etc/fstab: ImportImage looks for an "
                "etc directory with fstab",
                "add /etc/fstab to the system (at least its root file system), or "
                + _SNAPSHOT_OR_DIRECT,
            )
        )
    if report.family is OsFamily.LINUX:
        found.extend(_linux_support(report))
    elif report.family is OsFamily.WINDOWS:
        found.extend(_windows_support(report))
    return found


def _service_pack(report: OsReport) -> int | None:
    if report.distribution not in ("sles", "sles_sap"):
        return None
    version = report.version_detail or report.version or ""
    parts = version.split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _linux_support(report: OsReport) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    name = report.pretty_name or f"{report.distribution} {report.version}"
    version = report.version_detail or report.version
    verdict = rules.linux_support(report.distribution, version)
    page = f"{rules.PREREQUISITES} (read {rules.READ})"
    if verdict.support is rules.Support.NOT_TAKEN:
        found.append(
            _finding(
                ProblemCode.OS_UNSUPPORTED,
                f"{name}: {verdict.detail}: ImportImage does not take it ({page})",
                "upgrade the system to a version the page lists, or " + _SNAPSHOT_OR_DIRECT,
            )
        )
        return found
    if report.default_kernel is None:
        if report.kernel_undetermined is not None:
            found.append(
                _finding(
                    ProblemCode.KERNEL_UNDETERMINED,
                    f"ImportImage cannot tell the default kernel: {report.kernel_undetermined}",
                    _undetermined_remedy(report),
                )
            )
        return found
    if verdict.support is rules.Support.TAKEN:
        kernel = rules.kernel_support(verdict, report.default_kernel, _service_pack(report))
        if kernel.support is rules.Support.NOT_TAKEN:
            found.append(
                _finding(
                    ProblemCode.KERNEL_UNSUPPORTED,
                    f"{name}: the default {kernel.detail} for this version ({page})",
                    "make a kernel of the listed series the default (or install it) before "
                    "exporting the VM, or " + _SNAPSHOT_OR_DIRECT,
                )
            )
    return found


def _undetermined_remedy(report: OsReport) -> str:
    if report.boot_loader is BootLoader.GRUB2_BLS:
        return (
            "set the default entry in grubenv (grub2-set-default ENTRY, or grubby "
            "--set-default /boot/vmlinuz-VERSION) before exporting the VM, or "
            + _SNAPSHOT_OR_DIRECT
        )
    return "give GRUB a default entry for an installed kernel, or " + _SNAPSHOT_OR_DIRECT


def _windows_support(report: OsReport) -> list[Diagnostic]:
    facts = report.windows
    if facts is None or report.version is None:
        return []
    parts = [int(part) for part in report.version.split(".") if part.isdigit()]
    major, minor = (parts[0], parts[1]) if len(parts) >= 2 else (None, None)
    server = (facts.installation_type or facts.edition_id or "").lower().startswith("server")
    support, detail, _row = rules.windows_support(
        server, major, minor, facts.build, facts.installation_type
    )
    if support is not rules.Support.NOT_TAKEN:
        return []
    return [
        _finding(
            ProblemCode.OS_UNSUPPORTED,
            f"{report.pretty_name or 'Windows'}: {detail} ({rules.PREREQUISITES}, read "
            f"{rules.READ})",
            "import a Windows the requirements page lists (no other road takes Windows)",
        )
    ]


def _linux_nitro_findings(report: OsReport) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    named = [entry for entry in report.fstab if entry.kind is DeviceKind.DEVICE_NAME]
    root_named = report.root_device_kind is DeviceKind.DEVICE_NAME
    if named or root_named:
        what = [f"{entry.spec} on {entry.mount}" for entry in named]
        if root_named:
            what.append(f"root={report.root_device} on the kernel's command line")
        found.append(
            _finding(
                ProblemCode.FSTAB_DEVICE_NAMES,
                "devices named by kernel names that Nitro instances do not give (their "
                f"EBS volumes are /dev/nvme*): {'; '.join(what)}",
                "name them by UUID= or LABEL= (blkid shows both) in /etc/fstab and GRUB's "
                "root= (regenerate grub.cfg); the image road rewrites fstab to UUIDs",
            )
        )
    if report.network is NetworkKind.STATIC:
        static = [
            f"{config.interface} ({config.source})"
            for config in report.interfaces
            if config.kind is NetworkKind.STATIC
        ]
        found.append(
            _finding(
                ProblemCode.STATIC_NETWORK,
                f"static addresses, which do not hold in a VPC: {', '.join(static)}",
                "configure the interfaces for DHCP before exporting the VM; the image road "
                "replaces static addresses with DHCP",
            )
        )
    drivers = report.drivers
    kernel = report.booted_kernel
    if drivers is not None and kernel is not None:
        initramfs = report.initramfs
        if drivers.nvme is DriverState.MISSING:
            found.append(
                _finding(
                    ProblemCode.NO_NVME_DRIVER,
                    f"kernel {kernel} has no NVMe driver: on a Nitro instance it cannot reach "
                    "its root volume",
                    _nvme_remedy(report),
                )
            )
        elif drivers.nvme is DriverState.MODULE and initramfs is not None and initramfs.read:
            found.append(
                _finding(
                    ProblemCode.NO_NVME_DRIVER,
                    f"kernel {kernel} has the NVMe driver as a module, but its initramfs "
                    f"({', '.join(initramfs.paths)}) does not hold it: on a Nitro instance the "
                    "root volume cannot be mounted",
                    _nvme_remedy(report),
                )
            )
        if drivers.ena is DriverState.MISSING:
            found.append(
                _finding(
                    ProblemCode.NO_ENA_DRIVER,
                    f"kernel {kernel} has no ENA driver (ena): a Nitro instance has no network",
                    "install the ENA driver for the kernel (kernels from 4.9 on carry ena; "
                    "older ones take AWS's amzn-drivers through DKMS), then export the VM again",
                )
            )
    return found


def _nvme_remedy(report: OsReport) -> str:
    if report.distribution in ("debian", "ubuntu"):
        how = "add nvme to /etc/initramfs-tools/modules and run update-initramfs -u"
    else:
        how = "run dracut --add-drivers nvme -f for the kernel (or mkinitrd on older systems)"
    return f"put the NVMe driver in the initramfs: {how}, then export the VM again"


def _windows_nitro_findings(report: OsReport) -> list[Diagnostic]:
    drivers = report.drivers
    if drivers is None:
        return []
    found: list[Diagnostic] = []
    if drivers.nvme is DriverState.MISSING:
        found.append(
            _finding(
                ProblemCode.NO_NVME_DRIVER,
                "neither the AWS NVMe driver (AWSNVMe) nor Windows' own (stornvme) is "
                "installed: on a Nitro instance Windows cannot reach its boot volume",
                "install the AWS NVMe driver (EC2 user guide, 'AWS NVMe drivers') before "
                "exporting the VM",
            )
        )
    if drivers.ena is DriverState.MISSING:
        found.append(
            _finding(
                ProblemCode.NO_ENA_DRIVER,
                "the ENA driver (ena) is not installed: a Nitro instance has no network",
                "install the ENA driver (EC2 user guide, 'Install the ENA driver on EC2 "
                "Windows instances') before exporting the VM",
            )
        )
    return found


def findings(report: OsReport) -> list[Diagnostic]:
    """Every finding of the report, before roads weigh them."""
    found = _os_findings(report)
    if report.identified and report.family is OsFamily.LINUX:
        found.extend(_linux_nitro_findings(report))
    elif report.identified and report.family is OsFamily.WINDOWS:
        found.append(
            _finding(
                ProblemCode.PLATFORM_UNSUPPORTED,
                f"{report.pretty_name or 'Windows'} is Windows, which only the image road "
                f"takes: {WINDOWS_REASON}",
                "import it with --via image (or --via auto)",
            )
        )
        found.extend(_windows_nitro_findings(report))
    return found


def judge_os(report: OsReport, road: Road, *, source: str = "disk") -> list[Diagnostic]:
    """The problems the operating system gives on ``road`` (``source`` names the disk)."""
    problems: list[Diagnostic] = []
    for finding in findings(report):
        severity = ROAD_SEVERITY[ProblemCode(finding.code)][road]
        if severity is not None:
            problems.append(replace(finding, severity=severity, subject=source))
    return problems


# -- the roads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadVerdicts:
    """Each road's blocking codes (empty: ``ok``), the road to take and why."""

    blocking: dict[Road, tuple[ProblemCode, ...]]
    recommended: Road | None
    reason: str

    def ok(self, road: Road) -> bool:
        return not self.blocking[road]

    def to_json(self) -> dict[str, Any]:
        return {
            "roads": {
                road.value: "ok" if not codes else [code.value for code in codes]
                for road, codes in self.blocking.items()
            },
            "recommended_road": self.recommended.value if self.recommended else None,
            "reason": self.reason,
        }


def _blocking(report: OsReport) -> dict[Road, tuple[ProblemCode, ...]]:
    every = findings(report)
    blocking: dict[Road, tuple[ProblemCode, ...]] = {}
    for road in ROADS:
        codes = [ProblemCode(f.code) for f in every]
        codes = [code for code in codes if ROAD_SEVERITY[code][road] is Severity.ERROR]
        blocking[road] = tuple(dict.fromkeys(codes))
    return blocking


def _nvme_untold(report: OsReport) -> str | None:
    """Why a Linux's NVMe driver at boot is not known (None: it is known, either way): the
    direct road is recommended only for a system known to reach its root on Nitro."""
    drivers = report.drivers
    if drivers is None:
        return "its drivers could not be told (no modules of the kernel GRUB boots)"
    if drivers.nvme is DriverState.MODULE and not (report.initramfs and report.initramfs.read):
        return (
            "whether the NVMe driver is in the initramfs is not known (the initramfs was not read)"
        )
    return None


def roads(report: OsReport) -> RoadVerdicts:
    """Which road each can take and the one to take (pure: the report alone)."""
    blocking = _blocking(report)

    def ok(road: Road) -> bool:
        return not blocking[road]

    if report.status is OsStatus.NOT_FOUND:
        return RoadVerdicts(
            blocking,
            None,
            "no operating system on the disk: ImportImage refuses it, and the snapshot or "
            "direct road would register an AMI that boots only if the disk boots by itself "
            "(choose one with --via if it does)",
        )
    if not report.identified:
        return RoadVerdicts(
            blocking,
            Road.IMAGE,
            "the operating system could not be read or identified: the image road, as "
            "without the check",
        )
    if report.family is OsFamily.WINDOWS and ok(Road.IMAGE):
        return RoadVerdicts(
            blocking,
            Road.IMAGE,
            "Windows: the image road, where ImportImage prepares Windows (registry, licence)",
        )
    if report.family is OsFamily.LINUX:
        network_ready = report.network is NetworkKind.DHCP or (
            report.network is NetworkKind.UNKNOWN and bool(report.cloud_init)
        )
        untold = _nvme_untold(report)
        if ok(Road.DIRECT) and network_ready and untold is None:
            return RoadVerdicts(
                blocking,
                Road.DIRECT,
                "ready for Nitro as it is: NVMe reachable at boot, ENA present, devices named "
                "stably, addresses from DHCP",
            )
        if ok(Road.IMAGE):
            needs = [
                code.value
                for code in blocking[Road.DIRECT]
                if code in (ProblemCode.FSTAB_DEVICE_NAMES, ProblemCode.STATIC_NETWORK)
            ]
            why = (
                f"ImportImage takes it and changes what it needs ({', '.join(needs)})"
                if needs
                else "ImportImage takes it"
                + ("" if network_ready else " and sets DHCP (no network configuration found)")
            )
            if untold is not None and ok(Road.DIRECT):
                why += f"; the direct road may do as well, but {untold}"
            return RoadVerdicts(blocking, Road.IMAGE, why)
    for road in (Road.DIRECT, Road.SNAPSHOT):
        if ok(road):
            stopped = ", ".join(code.value for code in blocking[Road.IMAGE])
            untold = _nvme_untold(report) if report.family is OsFamily.LINUX else None
            return RoadVerdicts(
                blocking,
                road,
                f"ImportImage refuses it ({stopped}); the disk goes in as it boots"
                + (f" ({untold})" if untold else ""),
            )
    lacks = "; ".join(
        f"{road.value}: {', '.join(code.value for code in codes)}"
        for road, codes in blocking.items()
    )
    return RoadVerdicts(blocking, None, f"no road takes it as it is ({lacks})")
