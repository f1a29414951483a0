"""A task's way from pending to completed, and the AMI and snapshots it leaves in EC2."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from tests.emulator.conftest import Lab

PHASES = [
    # age, StatusMessage, Progress range
    (0, "pending", (2, 2)),
    (60, "validating", (3, 9)),
    (240, "validated", (19, 19)),
    (300, "converting", (28, 28)),
    (900, "updating", (34, 41)),
    (1200, "booting", (58, 59)),
    (1500, "preparing ami", (76, 85)),
]


def test_import_image_reply_is_pending(lab: Lab) -> None:
    bucket = lab.upload(images.ova(), "vms/web.ova")
    reply = lab.ec2.import_image(
        Description="web server",
        DiskContainers=[{"Format": "ova", "UserBucket": bucket, "Description": "system"}],
        TagSpecifications=[
            {"ResourceType": "import-image-task", "Tags": [{"Key": "Name", "Value": "web 01"}]}
        ],
        LicenseSpecifications=[{"LicenseConfigurationArn": "arn:aws:license-manager:lic-1"}],
    )
    reply.pop("ResponseMetadata")
    assert reply["ImportTaskId"].startswith("import-ami-")
    assert len(reply["ImportTaskId"]) == len("import-ami-") + 17
    assert reply == {
        "Description": "web server",
        "ImportTaskId": reply["ImportTaskId"],
        "LicenseSpecifications": [{"LicenseConfigurationArn": "arn:aws:license-manager:lic-1"}],
        "Progress": "2",
        "SnapshotDetails": [
            {
                "Description": "system",
                "DiskImageSize": 0.0,
                "Format": "ova",
                "UserBucket": {"S3Bucket": "import-bucket", "S3Key": "vms/web.ova"},
            }
        ],
        "Status": "active",
        "StatusMessage": "pending",
        "Tags": [{"Key": "Name", "Value": "web 01"}],
    }


def test_phases_in_order_with_their_progress(lab: Lab) -> None:
    task_id = lab.start("VMDK", images.vmdk_stream_optimized())
    age = 0.0
    for start, message, (low, high) in PHASES:
        lab.elapse(start - age)
        age = start
        task = lab.task(task_id)
        assert (task["Status"], task["StatusMessage"]) == ("active", message)
        assert low <= int(task["Progress"]) <= high
    lab.elapse(lifecycle.COMPLETED_AT - age - 1)
    assert lab.task(task_id)["Progress"] == "85"
    lab.elapse(1)
    task = lab.task(task_id)
    assert task["Status"] == "completed"
    assert "StatusMessage" not in task and "Progress" not in task


def test_progress_moves_within_a_phase(lab: Lab) -> None:
    task_id = lab.start("VMDK", images.vmdk_stream_optimized())
    lab.elapse(900)
    seen = []
    for _ in range(6):
        seen.append(int(lab.task(task_id)["Progress"]))
        lab.elapse(50)
    assert seen == sorted(seen)
    assert seen[0] == 34 and seen[-1] > 34


def test_details_fill_in_as_the_real_service_does(lab: Lab) -> None:
    disk = images.vmdk_stream_optimized(capacity=4096)
    task_id = lab.start("vmdk", disk, key="disk.vmdk")
    lab.elapse(299)
    (detail,) = lab.task(task_id)["SnapshotDetails"]
    assert detail["DiskImageSize"] == 0.0 and detail["Format"] == "vmdk"
    assert "Status" not in detail
    lab.elapse(1)
    (detail,) = lab.task(task_id)["SnapshotDetails"]
    assert detail["DiskImageSize"] == float(len(disk))
    assert (detail["Format"], detail["Status"]) == ("VMDK", "active")
    lab.elapse(600)
    task = lab.task(task_id)
    assert task["SnapshotDetails"][0]["Status"] == "completed"
    assert "DeviceName" not in task["SnapshotDetails"][0] and "Platform" not in task
    lab.elapse(300)
    task = lab.task(task_id)
    assert task["SnapshotDetails"][0]["DeviceName"] == "/dev/sda1"
    assert (task["Platform"], task["Architecture"], task["LicenseType"]) == (
        "Linux",
        "x86_64",
        "BYOL",
    )
    assert "SnapshotId" not in task["SnapshotDetails"][0]
    lab.elapse(300)
    assert lab.task(task_id)["SnapshotDetails"][0]["SnapshotId"].startswith("snap-")
    assert "ImageId" not in lab.task(task_id)


def _completed(lab: Lab, fmt: str, data: bytes, **params: Any) -> dict[str, Any]:
    task_id = lab.start(fmt, data, **params)
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(task_id)
    assert task["Status"] == "completed", task
    return task


def test_completed_task_registers_an_ami_describe_images_sees(lab: Lab) -> None:
    task = _completed(lab, "RAW", images.raw_mbr(), Description="db server")
    image_id = task["ImageId"]
    assert image_id.startswith("ami-")
    assert task["UsageOperation"] == "RunInstances"
    assert task["BootMode"] == "legacy-bios"
    (image,) = lab.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert image["State"] == "available"
    assert image["Name"] == task["ImportTaskId"]
    assert image["Description"] == "db server"
    assert (image["Architecture"], image["RootDeviceType"]) == ("x86_64", "ebs")
    owned = lab.ec2.describe_images(Owners=["self"])["Images"]
    assert [i["ImageId"] for i in owned] == [image_id]
    root = image["BlockDeviceMappings"][0]
    assert root["DeviceName"] == "/dev/sda1"
    assert root["Ebs"]["SnapshotId"] == task["SnapshotDetails"][0]["SnapshotId"]


def test_the_ami_appears_without_describing_the_task(lab: Lab) -> None:
    task_id = lab.start("RAW", images.raw_gpt())
    lab.elapse(lifecycle.COMPLETED_AT)
    (image,) = lab.ec2.describe_images(Owners=["self"])["Images"]
    assert image["State"] == "available"
    assert image["BootMode"] == "uefi"
    assert lab.task(task_id)["ImageId"] == image["ImageId"]


def test_the_ami_is_pending_while_preparing(lab: Lab) -> None:
    lab.start("RAW", images.raw_mbr())
    lab.elapse(lifecycle.start_of(lifecycle.PREPARING_AMI))
    (image,) = lab.ec2.describe_images(Owners=["self"])["Images"]
    assert image["State"] == "pending"


def test_snapshots_are_registered_one_per_disk(lab: Lab) -> None:
    first = lab.upload(images.raw_mbr(), "a.raw")
    second = lab.upload(images.vhd_fixed(), "b.vhd")
    reply = lab.ec2.import_image(
        DiskContainers=[
            {"Format": "raw", "UserBucket": first},
            {"Format": "vhd", "UserBucket": second},
        ]
    )
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(reply["ImportTaskId"])
    details = task["SnapshotDetails"]
    assert [d["DeviceName"] for d in details] == ["/dev/sda1", "/dev/sdb"]
    assert [d["Format"] for d in details] == ["RAW", "VHD"]
    ids = {d["SnapshotId"] for d in details}
    snapshots = lab.ec2.describe_snapshots(SnapshotIds=sorted(ids))["Snapshots"]
    assert {s["SnapshotId"] for s in snapshots} == ids
    assert all(task["ImportTaskId"] in s["Description"] for s in snapshots)
    assert all(s["VolumeSize"] == 1 for s in snapshots)


def test_an_ova_gives_one_detail_per_disk_as_vmdk(lab: Lab) -> None:
    disks = [images.vmdk_stream_optimized(2048), images.vmdk_stream_optimized(8192)]
    task = _completed(lab, "OVA", images.ova(disks), key="vm.ova")
    details = task["SnapshotDetails"]
    assert [d["Format"] for d in details] == ["VMDK", "VMDK"]
    assert [d["DiskImageSize"] for d in details] == [float(len(d)) for d in disks]
    assert all(d["UserBucket"]["S3Key"] == "vm.ova" for d in details)


@pytest.mark.parametrize(
    ("platform", "license_type", "usage"),
    [
        ("Windows", None, "RunInstances:0002"),
        ("Windows", "BYOL", "RunInstances:0800"),
        ("Linux", None, "RunInstances"),
    ],
)
def test_platform_decides_license_and_usage_operation(
    lab: Lab, platform: str, license_type: str | None, usage: str
) -> None:
    params: dict[str, Any] = {"Platform": platform}
    if license_type:
        params["LicenseType"] = license_type
    task = _completed(lab, "VHDX", images.vhdx(), **params)
    assert task["Platform"] == platform
    assert task["UsageOperation"] == usage
    assert task["LicenseType"] == (license_type or ("AWS" if platform == "Windows" else "BYOL"))
    (image,) = lab.ec2.describe_images(ImageIds=[task["ImageId"]])["Images"]
    assert image.get("Platform") == ("windows" if platform == "Windows" else None)


def test_requested_values_are_echoed(lab: Lab) -> None:
    task = _completed(
        lab,
        "RAW",
        images.raw_mbr(),
        Architecture="i386",
        BootMode="uefi",
        Encrypted=True,
        KmsKeyId="alias/import",
        Hypervisor="xen",
        UsageOperation="RunInstances:0010",
    )
    assert task["Architecture"] == "i386"
    assert task["BootMode"] == "uefi"
    assert (task["Encrypted"], task["KmsKeyId"]) == (True, "alias/import")
    assert task["UsageOperation"] == "RunInstances:0010"
    assert "LicenseType" not in task


def test_import_from_an_ebs_snapshot(lab: Lab) -> None:
    volume = lab.ec2.create_volume(Size=2, AvailabilityZone="us-east-1a")
    snapshot = lab.ec2.create_snapshot(VolumeId=volume["VolumeId"])
    reply = lab.ec2.import_image(
        DiskContainers=[{"SnapshotId": snapshot["SnapshotId"]}], Platform="Linux"
    )
    assert reply["SnapshotDetails"][0]["SnapshotId"] == snapshot["SnapshotId"]
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(reply["ImportTaskId"])
    assert task["SnapshotDetails"][0]["DiskImageSize"] == float(2 * 1024**3)
    assert task["SnapshotDetails"][0]["SnapshotId"] != snapshot["SnapshotId"]


def test_disk_from_an_s3_url(lab: Lab) -> None:
    lab.upload(images.raw_mbr(), "url/disk.raw")
    reply = lab.ec2.import_image(
        DiskContainers=[{"Format": "RAW", "Url": "s3://import-bucket/url/disk.raw"}]
    )
    assert reply["SnapshotDetails"][0]["Url"] == "s3://import-bucket/url/disk.raw"
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(reply["ImportTaskId"])["Status"] == "completed"


def test_real_clock_and_speed(make_lab: Callable[..., Lab]) -> None:
    """At speed 18000 the 30 minutes of an import take a tenth of a second."""
    lab = make_lab(speed=18000.0, clock=time.monotonic)
    lab.role()
    task_id = lab.start("RAW", images.raw_mbr())
    deadline = time.monotonic() + 10
    while lab.task(task_id)["Status"] == "active" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lab.task(task_id)["Status"] == "completed"
