"""ImportImage judges the operating system inside the disk as the service does (``oscheck``).

The disks are tests/fixtures/os/ (made by real tools: scripts/make-os-fixtures.sh), wrapped
in stream-optimized VMDKs.  Measured before: every one of them imported and completed, the
unsupported ones included, and a Windows disk imported without a Platform came out a Linux
AMI billed as Linux.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ec2_import_emulator import lifecycle, oscheck, samples
from ec2_import_emulator.oscheck import OsVerdict
from ec2_import_image.guestos.judge import SERVICE_MESSAGES, judge_os
from ec2_import_image.guestos.osreport import OsFamily, OsReport, OsStatus
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import Road
from tests.emulator.conftest import Lab
from tests.support.osfixtures import stream_vmdk

UNKNOWN_OS = "ClientError: Unknown OS / Missing OS files"

REFUSED = [
    # CentOS 7 with an ELRepo 5.4 kernel: the page lists 3.10 for CentOS 7
    ("centos7", "ClientError: Unsupported kernel version 5.4.265-1.el7.elrepo.x86_64"),
    # Debian 8 is not among the listed versions
    ("debian8", UNKNOWN_OS),
    # file systems read, none holding a system: what vmimport check calls os-not-found
    ("data", UNKNOWN_OS),
    # Fedora's BLS entries and no saved_entry in grubenv
    ("fedora39-btrfs", "ClientError: BLSC-style GRUB found, but unable to detect default kernel"),
]
TAKEN = [
    "debian12",
    "rocky9-lvm",
    # device names in fstab and static addresses: notes on the image road (it rewrites them)
    "ubuntu-static",
    # no ENA driver: a warning on the image road
    "windows-noaws",
    "windows2019",
    # a system that cannot be read: not judged
    "luks",
]


def _import(lab: Lab, name: str, **params: Any) -> str:
    return lab.start("VMDK", stream_vmdk(name), f"{name}.vmdk", **params)


def _completed(lab: Lab, name: str, **params: Any) -> dict[str, Any]:
    task_id = _import(lab, name, **params)
    lab.elapse(lifecycle.COMPLETED_AT)
    return lab.task(task_id)


def _billing(found: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(found[key] for key in keys)


def _amis(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_images(Owners=["self"])["Images"])


@pytest.mark.parametrize(("name", "message"), REFUSED)
def test_a_system_the_service_refuses_fails_the_task_when_converting_ends(
    lab: Lab, name: str, message: str
) -> None:
    task_id = _import(lab, name)
    lab.elapse(lifecycle.OS_CHECKED_AT - 1)
    converting = lab.task(task_id)
    assert (converting["Status"], converting["StatusMessage"]) == ("active", "converting")
    lab.elapse(1)
    task = lab.task(task_id)
    assert (task["Status"], task["StatusMessage"]) == ("deleted", message)
    assert "Progress" not in task and "ImageId" not in task
    (detail,) = task["SnapshotDetails"]
    assert (detail["Format"], detail["Status"]) == ("VMDK", "completed")
    assert "SnapshotId" not in detail
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(task_id)["StatusMessage"] == message
    assert _amis(lab) == []
    assert lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


@pytest.mark.parametrize("name", TAKEN)
def test_a_system_the_service_takes_completes(lab: Lab, name: str) -> None:
    task = _completed(lab, name)
    assert task["Status"] == "completed", task
    assert [image["ImageId"] for image in _amis(lab)] == [task["ImageId"]]


def test_the_system_inside_an_ova_is_judged(lab: Lab) -> None:
    """The OVA's disk is read through the archive (the demo's kind of upload)."""
    task_id = lab.start("OVA", samples.ova([stream_vmdk("debian8")]), "vm.ova")
    lab.elapse(lifecycle.OS_CHECKED_AT)
    assert lab.task(task_id)["StatusMessage"] == UNKNOWN_OS


def test_the_system_in_an_ebs_snapshot_is_judged(lab: Lab) -> None:
    """ImportImage of a snapshot (``SnapshotId``) reads the snapshot's volume."""
    bucket = lab.upload(stream_vmdk("debian8"), "jessie.vmdk")
    container = {"Format": "VMDK", "UserBucket": bucket}
    snapshot_task = lab.ec2.import_snapshot(DiskContainer=container)["ImportTaskId"]
    lab.elapse(lifecycle.SNAPSHOT_COMPLETED_AT)
    described = lab.ec2.describe_import_snapshot_tasks(ImportTaskIds=[snapshot_task])
    snapshot_id = described["ImportSnapshotTasks"][0]["SnapshotTaskDetail"]["SnapshotId"]
    reply = lab.ec2.import_image(DiskContainers=[{"SnapshotId": snapshot_id}])
    lab.elapse(lifecycle.OS_CHECKED_AT)
    assert lab.task(reply["ImportTaskId"])["StatusMessage"] == UNKNOWN_OS


def test_windows_is_reported_and_billed_as_windows_without_a_platform(lab: Lab) -> None:
    task = _completed(lab, "windows2019")
    billing = ("Windows", "AWS", "RunInstances:0002")
    assert _billing(task, "Platform", "LicenseType", "UsageOperation") == billing
    (image,) = _amis(lab)
    billing = ("windows", "Windows", "RunInstances:0002")
    assert _billing(image, "Platform", "PlatformDetails", "UsageOperation") == billing
    assert image["Description"] == "AWS-VMImport service: Windows"


def test_windows_with_its_own_licence_is_billed_byol(lab: Lab) -> None:
    task = _completed(lab, "windows2019", LicenseType="BYOL")
    assert _billing(task, "Platform", "UsageOperation") == ("Windows", "RunInstances:0800")


def test_a_linux_disk_stays_linux(lab: Lab) -> None:
    task = _completed(lab, "debian12")
    billing = ("Linux", "BYOL", "RunInstances")
    assert _billing(task, "Platform", "LicenseType", "UsageOperation") == billing


def test_the_request_platform_is_kept(lab: Lab) -> None:
    """What the request says is what the task reports (the service's word on a Platform
    that contradicts the disk is not known: modelled)."""
    assert _completed(lab, "debian12", Platform="Windows")["Platform"] == "Windows"


def test_the_reply_does_not_wait_for_the_read_and_the_task_waits_for_its_verdict(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    real = oscheck.read_verdict

    def slow(*args: Any) -> OsVerdict:
        assert gate.wait(30)
        return real(*args)

    monkeypatch.setattr(oscheck, "read_verdict", slow)
    monkeypatch.setattr(lab.clock, "before_advance", None)
    task_id = _import(lab, "debian8")
    assert lab.task(task_id)["StatusMessage"] == "pending"
    lab.elapse(lifecycle.COMPLETED_AT)
    waiting = lab.task(task_id)
    assert (waiting["Status"], waiting["StatusMessage"], waiting["Progress"]) == (
        "active",
        "converting",
        "28",
    )
    assert _amis(lab) == []
    gate.set()
    lab.emulator.store.settle()
    assert lab.task(task_id)["StatusMessage"] == UNKNOWN_OS


def test_a_read_that_fails_is_a_system_not_read(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> OsReport:
        raise RuntimeError("a reader's bug")

    monkeypatch.setattr(oscheck, "read_os", broken)
    assert _completed(lab, "debian8")["Status"] == "completed"


def test_the_sample_disks_have_no_system_to_judge(lab: Lab) -> None:
    task_id = lab.start("OVA", samples.ova(), "vm.ova")
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(task_id)["Status"] == "completed"


# -- the verdict (pure) ----------------------------------------------------------------------


def test_a_root_with_only_fstab_is_not_judged() -> None:
    """A Linux root found by its /etc/fstab alone (no release file, no /boot: the disk
    fixtures' and the demo's stand-in roots) names no distribution: nothing to judge (the
    shared judge's rule), though it is Linux and its kernel cannot be determined."""
    stand_in = OsReport(
        status=OsStatus.FOUND,
        family=OsFamily.LINUX,
        root="disk 1 partition 2",
        kernel_undetermined="no GRUB configuration in /boot and no kernel",
    )
    assert judge_os(stand_in, Road.IMAGE) == []
    assert oscheck.verdict(stand_in) == OsVerdict(platform="Linux")


@pytest.mark.parametrize("status", [OsStatus.UNREADABLE, OsStatus.NO_FILESYSTEM])
def test_no_system_read_is_no_verdict(status: OsStatus) -> None:
    assert oscheck.verdict(OsReport(status=status)) == oscheck.NOT_READ


def test_file_systems_read_without_a_system_fail_as_the_service_does() -> None:
    """The confirmed "Unknown OS / Missing OS files" (user guide, vmimport-troubleshooting):
    what vmimport check reports as os-not-found, an error on the image road."""
    assert oscheck.verdict(OsReport(status=OsStatus.NOT_FOUND)) == OsVerdict(UNKNOWN_OS)


def test_the_failures_met_are_the_table_s_messages() -> None:
    """Every message of the table that fails a task is met by a fixture above."""
    kernel = "5.4.265-1.el7.elrepo.x86_64"
    failing = {
        entry.message.format(kernel=kernel)
        for entry in SERVICE_MESSAGES.values()
        if entry.message is not None
    }
    assert failing == {message for _, message in REFUSED}
    assert SERVICE_MESSAGES[ProblemCode.OS_UNSUPPORTED].message == UNKNOWN_OS
