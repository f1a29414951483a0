"""The operating system of an image, read from its disks' bytes: the one entry point.

``read_os(disks, read_initramfs=...)`` finds the volumes and the system among them
(``locate``), reads a Linux root (``linux``) or a Windows system volume (its SOFTWARE and
SYSTEM hives, read where they lie through ``fsread.fileblob``: ``windows``), and returns an
``OsReport``.  It never raises for what is in the bytes: a volume that cannot be read is a
fact of the report, a system whose files are damaged half-way is reported with what was
read and the damage among its findings.  Only ``SourceError`` (the bytes could not be had:
a failed ranged GET) comes out, as from every reader.

``read_initramfs`` says whether the default kernel's initramfs is read (tens of MB; the
NVMe driver's place at boot depends on it): a caller reading over S3 that does not need
the driver verdicts skips it, and the report says the initramfs was not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.fsread.fileblob import file_blob
from ec2_import_image.guestos.linux import read_linux
from ec2_import_image.guestos.locate import Root, Search, Unreadable, guarded, search
from ec2_import_image.guestos.osreport import (
    Drivers,
    DriverState,
    OsFamily,
    OsReport,
    OsStatus,
    VolumeState,
    WindowsFacts,
)

SOFTWARE = "Windows/System32/config/SOFTWARE"
SYSTEM = "Windows/System32/config/SYSTEM"


def _windows(root: Root) -> OsReport:
    from ec2_import_image.guestos import windows
    from ec2_import_image.guestos.registry import open_hive

    software = open_hive(file_blob(root.tree, SOFTWARE))
    version = windows.read_version(software)
    findings: list[str] = []
    installed: windows.WindowsDrivers | None = None
    try:
        installed = windows.read_drivers(open_hive(file_blob(root.tree, SYSTEM)))
    except LookupError:
        findings.append(f"no {SYSTEM}: the drivers cannot be told")
    pretty = version.product_name if version else None
    if version is not None and version.is_windows_11 and pretty:
        pretty = pretty.replace("Windows 10", "Windows 11")
    facts = WindowsFacts(
        product_name=version.product_name if version else None,
        edition_id=version.edition_id if version else None,
        build=version.build if version else None,
        installation_type=version.installation_type if version else None,
        display_version=version.display_version if version else None,
        aws_nvme=installed.aws_nvme if installed else False,
        inbox_nvme=installed.inbox_nvme if installed else False,
        ena=installed.ena if installed else False,
        aws_pv=installed.aws_pv if installed else False,
        pv_driver_version=windows.pv_driver_version(software),
    )
    drivers = None
    if installed is not None:

        def state(present: bool) -> DriverState:
            return DriverState.INSTALLED if present else DriverState.MISSING

        nvme = installed.aws_nvme or (
            installed.inbox_nvme and installed.services[windows.INBOX_NVME].enabled
        )
        drivers = Drivers(
            nvme=state(nvme),
            ena=state(installed.ena),
            xen=state(installed.aws_pv),
            xen_net=state(installed.installed("xennet")),
        )
    if version is None:
        findings.append("the SOFTWARE hive has no Microsoft\\Windows NT\\CurrentVersion")
    return OsReport(
        status=OsStatus.FOUND,
        family=OsFamily.WINDOWS,
        distribution="windows",
        version=version.version if version else None,
        version_detail=version.display_version if version else None,
        pretty_name=pretty,
        root=root.where,
        drivers=drivers,
        windows=facts,
        findings=tuple(findings),
    )


def _not_found(found: Search) -> OsReport:
    states = {fact.state for fact in found.facts}
    if VolumeState.UNREADABLE in states:
        status = OsStatus.UNREADABLE
    elif VolumeState.READ in states:
        status = OsStatus.NOT_FOUND
    else:
        status = OsStatus.NO_FILESYSTEM
    return OsReport(status=status)


def read_os(disks: Sequence[Blob], *, read_initramfs: bool) -> OsReport:
    """The operating system on an image's disks (the boot disk first); see the module."""
    found = search(disks)
    if not found.roots:
        return replace(_not_found(found), volumes=tuple(found.facts))
    root = found.roots[0]
    family = OsFamily.LINUX if root.kind == "linux" else OsFamily.WINDOWS
    try:
        if family is OsFamily.LINUX:
            report = guarded(lambda: read_linux(root, found, read_initramfs=read_initramfs))
        else:
            report = guarded(lambda: _windows(root))
    except Unreadable as error:
        report = OsReport(
            status=OsStatus.FOUND,
            family=family,
            root=root.where,
            findings=(f"the system's files could not be read: {error}",),
        )
    others = tuple(other.where for other in found.roots[1:])
    findings = report.findings
    if others:
        findings += (
            f"{len(others) + 1} systems on the image ({root.where}, {', '.join(others)}): "
            "ImportImage does not take dual-boot images",
        )
    return replace(report, volumes=tuple(found.facts), other_roots=others, findings=findings)
