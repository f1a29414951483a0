"""The operating system judged per road: the fixtures' verdicts, and the rules one by one.

Each fixture was made for a verdict (scripts/make-os-fixtures.sh); the synthetic reports
below vary one fact at a time, so each rule is seen to decide.  Only an operating system
positively read is judged: what could not be read gives no problem on any road.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ec2_import_image.diagnostics import Severity
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos.judge import (
    ROAD_SEVERITY,
    SERVICE_MESSAGES,
    judge_os,
    roads,
    service_message,
)
from ec2_import_image.guestos.osreport import (
    BootLoader,
    DeviceKind,
    Drivers,
    DriverState,
    FstabEntry,
    InitramfsFacts,
    NetworkConfig,
    NetworkKind,
    OsFamily,
    OsReport,
    OsStatus,
    VolumeFact,
    VolumeState,
    WindowsFacts,
)
from ec2_import_image.guestos.read import read_os
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import ROADS, Road
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages

C = ProblemCode
#: (fixture, {road: blocking codes}, recommended road)
VERDICTS = [
    ("debian12", {}, Road.DIRECT),
    ("rocky9-lvm", {}, Road.DIRECT),
    ("fedora39-btrfs", {Road.IMAGE: [C.KERNEL_UNDETERMINED]}, Road.DIRECT),
    (
        "ubuntu-static",
        {
            Road.SNAPSHOT: [C.FSTAB_DEVICE_NAMES, C.STATIC_NETWORK],
            Road.DIRECT: [C.FSTAB_DEVICE_NAMES, C.STATIC_NETWORK],
        },
        Road.IMAGE,
    ),
    (
        "debian8",
        {
            Road.IMAGE: [C.OS_UNSUPPORTED],
            Road.SNAPSHOT: [C.NO_ENA_DRIVER],
            Road.DIRECT: [C.NO_ENA_DRIVER],
        },
        None,
    ),
    (
        "centos7",
        {
            Road.IMAGE: [C.KERNEL_UNSUPPORTED],
            Road.SNAPSHOT: [C.NO_NVME_DRIVER],
            Road.DIRECT: [C.NO_NVME_DRIVER],
        },
        None,
    ),
    # Windows takes no other road than the image road
    (
        "windows2019",
        {Road.SNAPSHOT: [C.PLATFORM_UNSUPPORTED], Road.DIRECT: [C.PLATFORM_UNSUPPORTED]},
        Road.IMAGE,
    ),
    # the drivers missing: the image road still imports it (a warning: Xen instance types)
    (
        "windows-noaws",
        {
            Road.SNAPSHOT: [C.PLATFORM_UNSUPPORTED, C.NO_ENA_DRIVER],
            Road.DIRECT: [C.PLATFORM_UNSUPPORTED, C.NO_ENA_DRIVER],
        },
        Road.IMAGE,
    ),
    ("data", {Road.IMAGE: [C.OS_NOT_FOUND]}, None),
    ("luks", {}, Road.IMAGE),
]


@pytest.mark.parametrize(
    ("name", "blocking", "recommended"), VERDICTS, ids=[v[0] for v in VERDICTS]
)
def test_each_fixture_gets_its_verdict(
    os_images: OsImages,
    name: str,
    blocking: dict[Road, list[ProblemCode]],
    recommended: Road | None,
) -> None:
    with FileBlob(os_images.path(name)) as blob:
        report = read_os([blob], read_initramfs=True)
    verdicts = roads(report)
    for road in ROADS:
        assert list(verdicts.blocking[road]) == blocking.get(road, []), road
        errors = [p.code for p in judge_os(report, road) if p.severity is Severity.ERROR]
        assert sorted(set(errors)) == sorted(blocking.get(road, []))
    assert verdicts.recommended is recommended, verdicts.reason
    as_json = verdicts.to_json()
    assert set(as_json["roads"]) == {"image", "snapshot", "direct"}
    assert as_json["recommended_road"] == (recommended.value if recommended else None)


def test_the_image_road_notes_what_it_will_change(os_images: OsImages) -> None:
    with FileBlob(os_images.path("ubuntu-static")) as blob:
        report = read_os([blob], read_initramfs=True)
    notes = judge_os(report, Road.IMAGE)
    assert [(p.code, p.severity) for p in notes] == [
        (C.FSTAB_DEVICE_NAMES, Severity.NOTE),
        (C.STATIC_NETWORK, Severity.NOTE),
    ]
    assert "/dev/sda1 on /" in notes[0].message and "root=/dev/sda1" in notes[0].message


def test_without_the_initramfs_the_nvme_verdict_is_not_given(os_images: OsImages) -> None:
    """centos7's NVMe driver is a module missing from its initramfs: only reading the
    initramfs can tell, so a read that skips it gives no verdict (and no other problem)."""
    with FileBlob(os_images.path("centos7")) as blob:
        report = read_os([blob], read_initramfs=False)
    verdicts = roads(report)
    assert verdicts.blocking[Road.DIRECT] == ()
    assert verdicts.blocking[Road.IMAGE] == (C.KERNEL_UNSUPPORTED,)
    assert verdicts.recommended is Road.DIRECT


def test_the_service_messages_the_emulator_will_give(os_images: OsImages) -> None:
    with FileBlob(os_images.path("centos7")) as blob:
        centos = read_os([blob], read_initramfs=True)
    kernel = next(p for p in judge_os(centos, Road.IMAGE) if p.code is C.KERNEL_UNSUPPORTED)
    assert (
        service_message(kernel, centos)
        == "ClientError: Unsupported kernel version 5.4.265-1.el7.elrepo.x86_64"
    )
    with FileBlob(os_images.path("fedora39-btrfs")) as blob:
        fedora = read_os([blob], read_initramfs=False)
    undetermined = judge_os(fedora, Road.IMAGE)[0]
    assert service_message(undetermined, fedora) == (
        "ClientError: BLSC-style GRUB found, but unable to detect default kernel"
    )
    legacy = replace(fedora, boot_loader=BootLoader.GRUB2)
    assert (
        service_message(undetermined, legacy) == "ClientError: Unable to determine kernel version"
    )
    assert set(SERVICE_MESSAGES) == set(ROAD_SEVERITY)


# -- synthetic reports: one fact at a time -------------------------------------------------


def linux(**changes: object) -> OsReport:
    """A Debian 12 ready for Nitro; each test changes one fact."""
    base = OsReport(
        status=OsStatus.FOUND,
        family=OsFamily.LINUX,
        distribution="debian",
        version="12",
        version_detail="12.4",
        pretty_name="Debian GNU/Linux 12 (bookworm)",
        root="disk 1 partition 1",
        kernels=("6.1.0-13-amd64",),
        default_kernel="6.1.0-13-amd64",
        booted_kernel="6.1.0-13-amd64",
        boot_loader=BootLoader.GRUB2,
        root_device="UUID=x",
        root_device_kind=DeviceKind.UUID,
        fstab=(FstabEntry("UUID=x", "/", "ext4", "defaults", DeviceKind.UUID),),
        network=NetworkKind.DHCP,
        interfaces=(NetworkConfig("/etc/network/interfaces", "ens5", NetworkKind.DHCP),),
        drivers=Drivers(DriverState.INITRAMFS, DriverState.MODULE, DriverState.MODULE),
        initramfs=InitramfsFacts(("/boot/initrd.img-6.1.0-13-amd64",), True, nvme=True),
        cloud_init=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def codes(report: OsReport, road: Road) -> list[tuple[str, Severity]]:
    return [(p.code, p.severity) for p in judge_os(report, road)]


def test_a_ready_linux_has_no_problem_and_takes_the_direct_road() -> None:
    report = linux()
    assert all(judge_os(report, road) == [] for road in ROADS)
    assert roads(report).recommended is Road.DIRECT


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        (
            {"fstab": (FstabEntry("/dev/xvda1", "/", "ext4", "defaults", DeviceKind.DEVICE_NAME),)},
            C.FSTAB_DEVICE_NAMES,
        ),
        (
            {"root_device": "/dev/vda1", "root_device_kind": DeviceKind.DEVICE_NAME},
            C.FSTAB_DEVICE_NAMES,
        ),
        ({"network": NetworkKind.STATIC}, C.STATIC_NETWORK),
    ],
)
def test_what_imageimport_rewrites_is_a_note_there_and_an_error_elsewhere(
    changes: dict[str, object], code: ProblemCode
) -> None:
    report = linux(**changes)
    assert codes(report, Road.IMAGE) == [(code, Severity.NOTE)]
    assert codes(report, Road.SNAPSHOT) == [(code, Severity.ERROR)]
    assert codes(report, Road.DIRECT) == [(code, Severity.ERROR)]
    verdicts = roads(report)
    assert verdicts.recommended is Road.IMAGE and code.value in verdicts.reason


def test_stable_device_names_are_not_flagged() -> None:
    entries = (
        FstabEntry("/dev/mapper/rl-root", "/", "xfs", "defaults", DeviceKind.MAPPER),
        FstabEntry("LABEL=boot", "/boot", "ext4", "defaults", DeviceKind.LABEL),
        FstabEntry("PARTUUID=ab-01", "/srv", "ext4", "defaults", DeviceKind.PARTUUID),
        FstabEntry("tmpfs", "/tmp", "tmpfs", "defaults", DeviceKind.OTHER),
    )
    assert all(judge_os(linux(fstab=entries), road) == [] for road in ROADS)


@pytest.mark.parametrize(
    ("drivers", "initramfs", "expected"),
    [
        # nvme missing altogether
        (
            Drivers(DriverState.MISSING, DriverState.MODULE, DriverState.MODULE),
            True,
            [C.NO_NVME_DRIVER],
        ),
        # a module, and the initramfs read without it
        (
            Drivers(DriverState.MODULE, DriverState.MODULE, DriverState.MODULE),
            True,
            [C.NO_NVME_DRIVER],
        ),
        # a module, the initramfs not read: no verdict
        (Drivers(DriverState.MODULE, DriverState.MODULE, DriverState.MODULE), False, []),
        (
            Drivers(DriverState.BUILTIN, DriverState.MISSING, DriverState.MODULE),
            True,
            [C.NO_ENA_DRIVER],
        ),
        (Drivers(DriverState.BUILTIN, DriverState.BUILTIN, DriverState.MISSING), True, []),
    ],
)
def test_the_drivers_matter_on_every_road(
    drivers: Drivers, initramfs: bool, expected: list[ProblemCode]
) -> None:
    """Errors where the road registers the system as it is (snapshot, direct); a warning on
    the image road, whose AMI still runs on Xen instance types."""
    facts = InitramfsFacts(("/boot/x",), initramfs, nvme=False if initramfs else None)
    report = linux(drivers=drivers, initramfs=facts)
    for road in ROADS:
        severity = Severity.WARNING if road is Road.IMAGE else Severity.ERROR
        assert codes(report, road) == [(code, severity) for code in expected]


def test_unknown_drivers_are_not_judged() -> None:
    assert all(judge_os(linux(drivers=None), road) == [] for road in ROADS)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"distribution": "debian", "version": "9", "version_detail": "9.13"}, C.OS_UNSUPPORTED),
        ({"distribution": "centos", "version": "4", "version_detail": None}, C.OS_UNSUPPORTED),
        ({"distribution": "fedora", "version": "30", "version_detail": None}, C.OS_UNSUPPORTED),
        ({"distribution": "amzn", "version": "2018.03", "version_detail": None}, C.OS_UNSUPPORTED),
        ({"distribution": "arch", "version": "rolling", "version_detail": None}, C.OS_UNSUPPORTED),
        ({"default_kernel": "6.6.13-amd64", "booted_kernel": "6.6.13-amd64"}, C.KERNEL_UNSUPPORTED),
        ({"default_kernel": None, "kernel_undetermined": "no default"}, C.KERNEL_UNDETERMINED),
    ],
)
def test_what_imageimport_refuses_blocks_the_image_road_only(
    changes: dict[str, object], code: ProblemCode
) -> None:
    report = linux(**changes)
    assert codes(report, Road.IMAGE) == [(code, Severity.ERROR)]
    assert judge_os(report, Road.SNAPSHOT) == [] and judge_os(report, Road.DIRECT) == []
    assert roads(report).recommended is Road.DIRECT


@pytest.mark.parametrize(
    ("distribution", "version", "kernel"),
    [
        ("debian", "12", "6.1.0-18-amd64"),  # 12 without a point release: rows 12.2, 12.4
        ("debian", "12.5", "6.1.0-18-amd64"),  # same major, kernel listed
        ("centos", "8.5", "4.18.0-348.7.1.el8_5.x86_64"),
        ("centos", "7", "3.10.0-1160.el7.x86_64"),
        ("amzn", "2", "5.10.220-209.869.amzn2.x86_64"),
        ("amzn", "2023", "6.1.102-111.182.amzn2023.x86_64"),
        ("rhel", "7.9", "3.10.0-1160.el7.x86_64"),
        # rows not read (newer Ubuntu, RHEL 9, Rocky, Oracle 8): not judged
        ("ubuntu", "22.04", "5.15.0-91-generic"),
        ("rhel", "9.3", "5.14.0-362.8.1.el9_3.x86_64"),
        ("rocky", "9.3", "5.14.0-362.8.1.el9_3.x86_64"),
        ("ol", "8.8", "5.15.0-101.103.2.1.el8uek.x86_64"),
        ("opensuse-leap", "15.5", "5.14.21-150500.53-default"),
    ],
)
def test_listed_or_unknown_systems_are_not_refused(
    distribution: str, version: str, kernel: str
) -> None:
    report = linux(
        distribution=distribution, version=version, version_detail=None, default_kernel=kernel
    )
    assert judge_os(report, Road.IMAGE) == []


def test_sles_kernels_are_judged_by_service_pack() -> None:
    sp5 = linux(distribution="sles", version="12.5", version_detail=None)
    assert codes(replace(sp5, default_kernel="4.12.14-122.37-default"), Road.IMAGE) == []
    refused = codes(replace(sp5, default_kernel="4.4.180-94.97-default"), Road.IMAGE)
    assert refused == [(C.KERNEL_UNSUPPORTED, Severity.ERROR)]  # 4.4 is SP2 and SP3's


def test_what_was_not_read_is_not_judged() -> None:
    for status in (OsStatus.UNREADABLE, OsStatus.NO_FILESYSTEM):
        report = OsReport(status=status)
        assert all(judge_os(report, road) == [] for road in ROADS)
        assert roads(report).recommended is Road.IMAGE
    partial = OsReport(status=OsStatus.FOUND, family=OsFamily.LINUX, root="disk 1")
    assert all(judge_os(partial, road) == [] for road in ROADS)


def test_a_linux_root_without_fstab_is_not_what_imageimport_finds() -> None:
    report = linux(has_fstab=False, fstab=())
    assert codes(report, Road.IMAGE) == [(C.OS_NOT_FOUND, Severity.ERROR)]
    assert codes(report, Road.DIRECT) == [(C.OS_NOT_FOUND, Severity.WARNING)]


def windows(**changes: object) -> OsReport:
    facts = WindowsFacts(
        product_name="Windows Server 2019 Datacenter",
        edition_id="ServerDatacenter",
        build=17763,
        installation_type="Server",
        display_version="1809",
        aws_nvme=True,
        inbox_nvme=True,
        ena=True,
        aws_pv=True,
        pv_driver_version="8.4.3",
    )
    base = OsReport(
        status=OsStatus.FOUND,
        family=OsFamily.WINDOWS,
        distribution="windows",
        version="10.0.17763.5458",
        pretty_name="Windows Server 2019 Datacenter",
        root="disk 1 partition 2",
        drivers=Drivers(DriverState.INSTALLED, DriverState.INSTALLED, DriverState.INSTALLED),
        windows=facts,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "build", "kind", "refused"),
    [
        ("10.0.17763.5458", 17763, "Server", False),  # 2019: listed
        ("10.0.20348.2340", 20348, "Server", False),  # 2022: newer than the rows read
        ("6.3.9600.20778", 9600, "Server", False),  # 2012 R2
        ("10.0.14393.0", 14393, "Nano Server", True),  # footnote 3
        ("5.1.2600.0", 2600, "Client", True),  # Windows XP
        ("6.0.6002.0", 6002, "Client", True),  # Windows Vista
        ("6.0.6002.0", 6002, "Server", False),  # Server 2008 shares Vista's 6.0
        ("10.0.22631.2861", 22631, "Client", False),  # Windows 11
    ],
)
def test_windows_versions(version: str, build: int, kind: str, refused: bool) -> None:
    report = windows(version=version)
    assert report.windows is not None
    report = replace(report, windows=replace(report.windows, build=build, installation_type=kind))
    expected = [(C.OS_UNSUPPORTED, Severity.ERROR)] if refused else []
    assert codes(report, Road.IMAGE) == expected


def test_windows_takes_the_image_road() -> None:
    verdicts = roads(windows())
    assert verdicts.recommended is Road.IMAGE and verdicts.ok(Road.IMAGE)
    for road in (Road.SNAPSHOT, Road.DIRECT):
        assert verdicts.blocking[road] == (C.PLATFORM_UNSUPPORTED,)


def test_no_system_read_on_readable_volumes_is_os_not_found() -> None:
    report = OsReport(
        status=OsStatus.NOT_FOUND,
        volumes=(VolumeFact("disk 1 partition 1", "ext4", VolumeState.READ),),
    )
    assert codes(report, Road.IMAGE) == [(C.OS_NOT_FOUND, Severity.ERROR)]
    assert codes(report, Road.SNAPSHOT) == [(C.OS_NOT_FOUND, Severity.WARNING)]
    assert roads(report).recommended is None


def test_the_emulators_sample_disks_keep_todays_verdicts() -> None:
    """The tiny sample disks (an MBR with an empty partition, a GPT disk with an ESP) hold no
    file system that could hold a system: nothing to judge, nothing refused."""
    from ec2_import_emulator import samples

    for disk in (samples.raw_mbr(), samples.raw_gpt(), samples.raw_without_table()):
        report = read_os([BytesBlob(disk)], read_initramfs=True)
        assert report.status is OsStatus.NO_FILESYSTEM
        assert all(judge_os(report, road) == [] for road in ROADS)
        assert roads(report).recommended is Road.IMAGE


@pytest.mark.parametrize("name", ["gpt-uefi.raw", "mbr-linux.raw", "big.raw"])
def test_a_stand_in_root_is_not_judged(disks: DiskFixtures, name: str) -> None:
    """The disk fixtures' roots hold /etc/fstab (by /dev/sda2) and an empty /boot, nothing
    that names a system: found, not identified, so no road gets a problem from it (before,
    kernel-undetermined stopped the image road and fstab-device-names the others)."""
    with FileBlob(disks.path(name)) as blob:
        report = read_os([blob], read_initramfs=True)
    assert (report.status, report.family, report.distribution) == (
        OsStatus.FOUND,
        OsFamily.LINUX,
        None,
    )
    assert [entry.spec for entry in report.fstab] == ["/dev/sda2"]
    assert report.kernel_undetermined is not None  # what the judge used to act on
    assert not report.identified
    assert all(judge_os(report, road) == [] for road in ROADS)
    verdicts = roads(report)
    assert verdicts.recommended is Road.IMAGE and all(verdicts.ok(road) for road in ROADS)
    named = replace(report, distribution="debian", version="12")
    assert named.identified and judge_os(named, Road.IMAGE) != []


def test_an_unread_initramfs_does_not_recommend_the_direct_road() -> None:
    """Over S3 the image road skips the initramfs: an NVMe module may or may not be in it,
    so the direct road, whose AMI must reach its root on Nitro, is not the one advised."""
    unread = linux(
        initramfs=InitramfsFacts(("/boot/initrd.img-6.1.0-13-amd64",), False),
        drivers=Drivers(DriverState.MODULE, DriverState.MODULE, DriverState.MODULE),
    )
    assert all(judge_os(unread, road) == [] for road in ROADS)
    verdicts = roads(unread)
    assert verdicts.recommended is Road.IMAGE
    assert "the initramfs was not read" in verdicts.reason
    built_in = replace(
        unread, drivers=Drivers(DriverState.BUILTIN, DriverState.MODULE, DriverState.MODULE)
    )
    assert roads(built_in).recommended is Road.DIRECT


def test_every_code_has_a_severity_on_every_road() -> None:
    os_codes = {
        C.OS_NOT_FOUND,
        C.OS_UNSUPPORTED,
        C.KERNEL_UNSUPPORTED,
        C.KERNEL_UNDETERMINED,
        C.FSTAB_DEVICE_NAMES,
        C.STATIC_NETWORK,
        C.NO_NVME_DRIVER,
        C.NO_ENA_DRIVER,
        C.PLATFORM_UNSUPPORTED,
    }
    assert set(ROAD_SEVERITY) == os_codes
    assert all(set(table) == set(ROADS) for table in ROAD_SEVERITY.values())
