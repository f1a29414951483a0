"""``vmimport check`` reads the operating system: the ``os`` object of its report against
what the tools that made each disk wrote (tests/fixtures/os/, scripts/make-os-fixtures.sh),
the ``roads`` each disk meets, the OS problems of the road asked for, the text for people.

The facts themselves are checked one by one in tests/guestos/test_os_fixtures.py; here
they are checked as the report gives them, under the names issue 20 fixed for scripts.
"""

from __future__ import annotations

import pytest

from ec2_import_image.guestos.judge import ROAD_SEVERITY
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import ROADS, Road
from ec2_import_image.vmimport.errors import ExitStatus
from tests.guestos.test_judge import VERDICTS
from tests.guestos.test_os_fixtures import LINUX, Linux, expected_driver, tree_kernels
from tests.guestos.test_windows import reg, text
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages, records
from tests.support.vmimport_run import environment, session_factory
from tests.vmimport.test_check import report, vmimport

#: the keys issue 20 names, which scripts may rely on
ISSUE_KEYS = {
    "family",
    "distribution",
    "version",
    "pretty_name",
    "root",
    "kernels",
    "default_kernel",
    "boot_loader",
    "fstab",
    "network",
    "drivers",
    "cloud_init",
}


@pytest.mark.parametrize("case", LINUX, ids=lambda case: case.name)
def test_a_linux_os_object_is_what_the_tools_wrote(os_images: OsImages, case: Linux) -> None:
    _, document = report(str(os_images.path(case.name)))
    (disk,) = document["disks"]
    found = disk["os"]
    assert set(found) >= ISSUE_KEYS
    shell = records(case.name)[f"os_release:{case.release}"]
    findmnt = records(case.name)[f"fstab:{case.release}"]["filesystems"]
    assert (found["status"], found["family"]) == ("found", "linux")
    assert (found["distribution"], found["version"], found["pretty_name"]) == (
        shell["ID"],
        shell["VERSION_ID"],
        shell["PRETTY_NAME"],
    )
    assert found["root"] == case.root
    assert sorted(found["kernels"]) == tree_kernels(case)
    assert found["default_kernel"] == case.default_kernel
    assert found["boot_loader"] == case.loader.value
    assert [(e["spec"], e["mount"], e["type"]) for e in found["fstab"]] == [
        (f["source"], f["target"], f["fstype"]) for f in findmnt
    ]
    assert found["network"] == case.network.value
    assert found["drivers"] == {
        "nvme": expected_driver(case, "nvme").value,
        "ena": expected_driver(case, "ena").value,
        "xen": expected_driver(case, "xen-blkfront").value,
    }
    assert found["cloud_init"] is case.cloud_init
    assert found["initramfs"]["read"]  # a local disk: always read


@pytest.mark.parametrize(
    ("name", "system", "drivers"),
    [("windows2019", "system-aws", ["installed"] * 3), ("windows-noaws", "system-noaws", None)],
)
def test_a_windows_os_object_is_what_the_hives_hold(
    os_images: OsImages, name: str, system: str, drivers: list[str] | None
) -> None:
    _, document = report(str(os_images.path(name)))
    found = document["disks"][0]["os"]
    version = reg("software-2019")["Microsoft\\Windows NT\\CurrentVersion"]
    assert f"{system}.hive.xz" in records(name)["hives"]
    assert (found["family"], found["distribution"]) == ("windows", "windows")
    assert found["pretty_name"] == text(version["ProductName"])
    assert found["version"] == f"10.0.{text(version['CurrentBuild'])}.5458"
    assert found["root"] == "disk 1 partition 2"
    assert (found["kernels"], found["default_kernel"], found["fstab"]) == ([], None, [])
    if drivers is not None:
        assert list(found["drivers"].values()) == drivers
    else:
        assert found["drivers"]["ena"] == "missing"


Verdict = tuple[str, dict[Road, list[ProblemCode]], Road | None]


@pytest.mark.parametrize("verdict", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_each_road_meets_the_disks_errors_and_the_systems(
    os_images: OsImages, verdict: Verdict
) -> None:
    """The OS's verdicts per road (tests/guestos/test_judge.py), with the disk's errors."""
    name, blocking, recommended = verdict
    status, document = report(str(os_images.path(name)))
    disk_errors = [
        p["code"]
        for p in document["problems"]
        if p["severity"] == "error" and ProblemCode(p["code"]) not in ROAD_SEVERITY
    ]
    for road in ROADS:
        codes = disk_errors + [code.value for code in blocking.get(road, [])]
        assert document["roads"][road.value] == (codes or "ok"), road
    if disk_errors:  # luks: the encrypted volume stops every road
        assert document["recommended_road"] is None
        assert "stopped by encrypted-volume" in document["road_reason"]
    else:
        assert document["recommended_road"] == (recommended.value if recommended else None)
    # the problems are the image road's: its errors, the others' warnings and notes
    os_problems = [
        (p["code"], p["severity"])
        for p in document["problems"]
        if ProblemCode(p["code"]) in ROAD_SEVERITY
    ]
    for code, severity in os_problems:
        road_severity = ROAD_SEVERITY[ProblemCode(code)][Road.IMAGE]
        assert road_severity is not None and severity == road_severity.value
    image_errors = [code for code, severity in os_problems if severity == "error"]
    assert image_errors == [code.value for code in blocking.get(Road.IMAGE, [])]
    assert status == (ExitStatus.PROBLEMS if image_errors or disk_errors else ExitStatus.OK)


@pytest.mark.parametrize("name", ["gpt-uefi.stream.vmdk", "mbr-linux.sparse.vmdk", "vm.ova"])
def test_stand_in_roots_keep_todays_verdicts(disks: DiskFixtures, name: str) -> None:
    """The disk fixtures' roots hold only /etc/fstab: found, not identified, not judged."""
    status, document = report(str(disks.path(name)))
    found = document["disks"][0]["os"]
    assert (found["status"], found["family"], found["distribution"]) == ("found", "linux", None)
    assert not any(ProblemCode(p["code"]) in ROAD_SEVERITY for p in document["problems"])
    # the image road when nothing stops it, else the first road nothing stops (a
    # monolithicSparse VMDK: only the direct road reads it as it is)
    open_roads = [road for road, verdict in document["roads"].items() if verdict == "ok"]
    assert document["recommended_road"] == (open_roads[0] if open_roads else None)
    assert document["problems"] or document["recommended_road"] == "image"
    if name == "vm.ova":
        assert status == ExitStatus.OK
        (inner,) = document["disks"][0]["disks"]
        ext4 = [p["number"] for p in inner["partitions"] if p["filesystem"] == "ext4"]
        assert [found["root"]] == [f"disk 1 partition {number}" for number in ext4]
        assert inner["os"] is None


def test_several_disks_are_read_as_one_system(os_images: OsImages) -> None:
    """The boot disk first: the system is on it, the data disk's file system is read too;
    the os object is the boot disk's, the other disk's is null."""
    boot, data = os_images.path("debian12"), os_images.path("data")
    _, document = report(str(boot), str(data))
    first, second = document["disks"]
    assert first["os"]["root"] == "disk 1 partition 3" and second["os"] is None
    assert "disk 2 partition 1" in [v["where"] for v in first["os"]["volumes"]]
    assert document["recommended_road"] == "direct"


def test_the_summary_shows_the_system_and_the_roads(os_images: OsImages) -> None:
    outcome = vmimport("check", str(os_images.path("debian8")))
    assert outcome.status == ExitStatus.PROBLEMS
    lines = outcome.stdout.splitlines()
    assert (
        "  operating system: Debian GNU/Linux 8 (jessie) (debian 8.11) on disk 1 partition 1"
        in (lines)
    )
    assert "    default kernel: 3.16.0-6-amd64 (grub2; 1 installed)" in lines
    assert "    drivers: nvme initramfs, ena missing, xen initramfs" in lines
    assert (
        "Roads: image os-unsupported; snapshot no-ena-driver; direct no-ena-driver. "
        "Recommended: none" in outcome.stdout
    )
    assert "error os-unsupported" in outcome.stdout
    assert "warning no-ena-driver" in outcome.stdout


def test_a_road_given_in_the_request_judges_the_system_for_it(os_images: OsImages) -> None:
    """``CheckRequest.via`` (the command line's --via comes with the roads): ubuntu-static's
    device names and static addresses are notes for the image road, errors for direct."""
    from ec2_import_image.vmimport.context import GlobalOptions, Run
    from ec2_import_image.vmimport.preflight import CheckRequest, check_image

    source = str(os_images.path("ubuntu-static"))
    run = Run(environment(), GlobalOptions(), session_factory)
    for via, severity in ((Road.IMAGE, "note"), (Road.DIRECT, "error")):
        checked = check_image(run, CheckRequest(disks=(source,), via=via))
        problems = [(p.code, p.severity.value) for p in checked.problems]
        assert problems == [("fstab-device-names", severity), ("static-network", severity)]
        assert checked.ok is (via is Road.IMAGE)
