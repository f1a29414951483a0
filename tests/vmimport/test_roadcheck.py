"""The disk checks of each road (``vmimport.roadcheck``) on fixtures made by real tools."""

from __future__ import annotations

import pytest

from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.judge import ImportRequest
from ec2_import_image.diskimage.records import DiskReport
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.problems import ProblemCode as C
from ec2_import_image.problems import problem
from ec2_import_image.roads import Road
from ec2_import_image.vmimport.roadcheck import account_problems, disk_problems
from tests.support.diskfixtures import DiskFixtures


def report(disks: DiskFixtures, name: str) -> DiskReport:
    path = disks.path(name)
    with FileBlob(path) as blob:
        return inspect_image(blob, str(path))


def codes(disks: DiskFixtures, name: str, road: Road, **request: str | None) -> set[str]:
    asked = ImportRequest(
        request.get("format"), None, request.get("architecture"), request.get("platform")
    )
    found = disk_problems(road, [report(disks, name)], asked)
    return {item.code for item in found if item.severity.value == "error"}


def test_a_qcow2_is_refused_on_image_and_snapshot_with_the_road_that_takes_it(
    disks: DiskFixtures,
) -> None:
    assert codes(disks, "gpt-uefi.qcow2", Road.DIRECT) == set()
    for road in (Road.IMAGE, Road.SNAPSHOT):
        assert codes(disks, "gpt-uefi.qcow2", road) == {C.UNSUPPORTED_FORMAT}
    (refused,) = disk_problems(Road.SNAPSHOT, [report(disks, "gpt-uefi.qcow2")], ImportRequest())
    assert "the snapshot road" in refused.message and refused.hint == "import it with --via direct"


@pytest.mark.parametrize("name", ["gpt-uefi.vdi", "gpt-uefi.dynamic.vhdx", "gpt-uefi.raw"])
def test_the_direct_road_takes_every_container_the_readers_read(
    disks: DiskFixtures, name: str
) -> None:
    assert codes(disks, name, Road.DIRECT) == set()


def test_a_vhdx_is_not_taken_by_import_snapshot(disks: DiskFixtures) -> None:
    assert codes(disks, "gpt-uefi.dynamic.vhdx", Road.SNAPSHOT) == {C.UNSUPPORTED_FORMAT}
    assert codes(disks, "gpt-uefi.dynamic.vhdx", Road.IMAGE) == set()


def test_a_sparse_vmdk_is_taken_as_it_is_by_the_direct_road_only(disks: DiskFixtures) -> None:
    assert codes(disks, "gpt-uefi.sparse.vmdk", Road.DIRECT) == set()
    for road in (Road.IMAGE, Road.SNAPSHOT):
        assert codes(disks, "gpt-uefi.sparse.vmdk", road) == {C.VMDK_NOT_STREAM_OPTIMIZED}


def test_arm64_is_refused_on_the_image_road_only(disks: DiskFixtures) -> None:
    assert codes(disks, "gpt-arm64.raw", Road.IMAGE) == {C.ARM64_UNSUPPORTED}
    for road in (Road.SNAPSHOT, Road.DIRECT):
        assert codes(disks, "gpt-arm64.raw", road, architecture="arm64") == set()


def test_an_arm64_disk_registered_with_legacy_bios_is_refused(disks: DiskFixtures) -> None:
    both = [report(disks, "gpt-both.raw")]  # boots with a BIOS too: the disk allows it
    assert disk_problems(Road.DIRECT, both, ImportRequest(boot_mode="legacy-bios")) == []
    asked = ImportRequest(boot_mode="legacy-bios", architecture="arm64")
    (refused,) = disk_problems(Road.DIRECT, both, asked)
    assert refused.code == C.BOOT_MODE_MISMATCH and "arm64 AMI boots with UEFI" in refused.message


def test_windows_takes_the_image_road_only(disks: DiskFixtures) -> None:
    assert C.PLATFORM_UNSUPPORTED not in codes(
        disks, "gpt-uefi.raw", Road.IMAGE, platform="Windows"
    )
    for road in (Road.SNAPSHOT, Road.DIRECT):
        found = disk_problems(
            road, [report(disks, "gpt-uefi.raw")], ImportRequest(platform="Windows")
        )
        (refused,) = [item for item in found if item.code == C.PLATFORM_UNSUPPORTED]
        assert (
            "license activation" in refused.message and refused.hint == "import it with --via image"
        )


def test_check_via_judges_the_disk_for_that_road(disks: DiskFixtures) -> None:
    from tests.vmimport.test_check import report as checked

    qcow2 = str(disks.path("gpt-uefi.qcow2"))
    status, document = checked(qcow2)
    assert (status, [p["code"] for p in document["problems"]]) == (1, ["unsupported-format"])
    status, document = checked("--via", "direct", qcow2)
    assert (status, document["ok"]) == (0, True)
    status, document = checked("--via", "direct", "--platform", "Windows", qcow2)
    assert "platform-unsupported" in [p["code"] for p in document["problems"]]


def test_the_account_problems_each_road_meets() -> None:
    """The role's problems only where a role is used, the bucket's Region only where a disk is
    uploaded to a bucket: the direct road uses neither."""
    found = [
        problem(C.ROLE_MISSING, "role:vmimport", "no role named vmimport", "vmimport setup-role"),
        problem(C.BUCKET_REGION, "s3://b", "the bucket is in eu-west-1", "use a bucket here"),
        problem(C.OBJECT_MISSING, "s3://b/k", "no such object", "upload it"),
    ]
    for road in (Road.IMAGE, Road.SNAPSHOT):
        assert [item.code for item in account_problems(road, found)] == [
            C.ROLE_MISSING,
            C.BUCKET_REGION,
            C.OBJECT_MISSING,
        ]
    assert [item.code for item in account_problems(Road.DIRECT, found)] == [C.OBJECT_MISSING]
