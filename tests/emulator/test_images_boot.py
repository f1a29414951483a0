"""Whether an AMI could boot: the emulator's view reads the root snapshot with the readers.

The disks were made by real tools (scripts/make-disk-fixtures.sh): what each holds is what its
recipe put there (sgdisk partition types, the loaders mtools copied to the ESP), which is what
these tests expect, not what the readers say.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.conftest import REGION, Lab
from tests.emulator.imagelab import (
    blank_snapshot,
    ec2_as,
    image,
    imported,
    imported_snapshot,
    register,
    view,
)
from tests.support.diskfixtures import DiskFixtures


def _disk(disks: DiskFixtures, name: str) -> bytes:
    return disks.path(name).read_bytes()


def _verdict(found: dict[str, Any]) -> tuple[bool, str, str | None, str, list[str], bool]:
    disk = found["Disk"]
    return (
        found["Boots"],
        found["EffectiveBootMode"],
        disk["PartitionTable"],
        disk["BootModes"],
        disk["EspLoaders"],
        disk["HoldsData"],
    )


def test_an_imported_uefi_disk_boots(lab: Lab, disks: DiskFixtures) -> None:
    task = imported(lab, _disk(disks, "gpt-uefi.stream.vmdk"), "VMDK", "web.vmdk")
    image_id = task["ImageId"]
    assert image(lab.ec2, image_id)["BootMode"] == "uefi"
    status, found = view(lab, image_id)
    assert status == 200
    assert found["ImageId"] == image_id
    assert found["RootSnapshotId"] == task["SnapshotDetails"][0]["SnapshotId"]
    assert found["Region"] == REGION and found["State"] == "available"
    assert _verdict(found) == (True, "uefi", "gpt", "uefi", ["BOOTX64.EFI"], True)
    assert found["Reason"] == "UEFI boots \\EFI\\BOOT\\BOOTX64.EFI from the EFI system partition"


def test_an_imported_bios_disk_boots_with_legacy_bios_only(lab: Lab, disks: DiskFixtures) -> None:
    task = imported(lab, _disk(disks, "mbr-linux.stream.vmdk"), "VMDK", "db.vmdk")
    _, found = view(lab, task["ImageId"])
    assert _verdict(found) == (True, "legacy-bios", "mbr", "legacy-bios", [], True)
    snapshot = task["SnapshotDetails"][0]["SnapshotId"]
    uefi = register(lab.ec2, snapshot, "db-uefi", BootMode="uefi")
    _, found = view(lab, uefi)
    assert _verdict(found) == (False, "uefi", "mbr", "legacy-bios", [], True)
    assert found["Reason"] == "UEFI finds no \\EFI\\BOOT\\BOOTX64.EFI on an EFI system partition"
    default = register(lab.ec2, snapshot, "db-default")
    assert view(lab, default)[1]["Boots"] is True
    assert view(lab, default)[1]["BootMode"] is None


def test_a_uefi_only_disk_registered_for_legacy_bios(lab: Lab, disks: DiskFixtures) -> None:
    snapshot = imported_snapshot(lab, _disk(disks, "gpt-uefi.stream.vmdk"), "VMDK")
    legacy = register(lab.ec2, snapshot, "web-bios", BootMode="legacy-bios")
    _, found = view(lab, legacy)
    assert _verdict(found) == (False, "legacy-bios", "gpt", "uefi", ["BOOTX64.EFI"], True)
    preferred = register(lab.ec2, snapshot, "web-pref", BootMode="uefi-preferred")
    assert view(lab, preferred)[1]["Boots"] is True


def test_a_disk_both_ways(lab: Lab, disks: DiskFixtures) -> None:
    snapshot = imported_snapshot(lab, _disk(disks, "gpt-both.raw"), "RAW", "both.raw")
    for name, mode in (("b-uefi", "uefi"), ("b-bios", "legacy-bios"), ("b-pref", "uefi-preferred")):
        found = view(lab, register(lab.ec2, snapshot, name, BootMode=mode))[1]
        assert _verdict(found) == (True, mode, "gpt", "both", ["BOOTX64.EFI"], True)


def test_an_esp_without_the_fallback_loader(lab: Lab, disks: DiskFixtures) -> None:
    snapshot = imported_snapshot(lab, _disk(disks, "gpt-esp-noloader.raw"), "RAW", "e.raw")
    found = view(lab, register(lab.ec2, snapshot, "noloader", BootMode="uefi"))[1]
    assert _verdict(found) == (False, "uefi", "gpt", "unknown", [], True)


def test_arm64_needs_its_own_loader(lab: Lab, disks: DiskFixtures) -> None:
    snapshot = imported_snapshot(lab, _disk(disks, "gpt-arm64.raw"), "RAW", "arm.raw")
    arm = register(lab.ec2, snapshot, "arm", Architecture="arm64", BootMode="uefi")
    assert _verdict(view(lab, arm)[1]) == (True, "uefi", "gpt", "uefi", ["BOOTAA64.EFI"], True)
    default = register(lab.ec2, snapshot, "arm-default", Architecture="arm64")
    assert view(lab, default)[1]["EffectiveBootMode"] == "uefi"
    assert view(lab, default)[1]["Boots"] is True
    x86 = register(lab.ec2, snapshot, "x86", Architecture="x86_64", BootMode="uefi")
    found = view(lab, x86)[1]
    assert found["Boots"] is False
    assert found["Reason"] == "UEFI finds no \\EFI\\BOOT\\BOOTX64.EFI on an EFI system partition"


def test_a_road_that_registered_zeros(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2, 1), "zeros", BootMode="uefi")
    status, found = view(lab, image_id)
    assert status == 200
    assert _verdict(found) == (False, "uefi", "none", "unknown", [], False)
    assert found["Reason"] == "the root snapshot holds only zeros"


def test_a_disk_without_a_partition_table_holds_data(lab: Lab, disks: DiskFixtures) -> None:
    """A data disk needs no partition table (ImportImage takes it as a second disk); registered as
    the root volume it holds data but boots nothing."""
    boot = lab.upload(_disk(disks, "gpt-uefi.stream.vmdk"), "boot.vmdk")
    data = lab.upload(_disk(disks, "nopart.raw"), "data.raw")
    task_id = lab.ec2.import_image(
        DiskContainers=[
            {"Format": "VMDK", "UserBucket": boot},
            {"Format": "RAW", "UserBucket": data},
        ]
    )["ImportTaskId"]
    lab.elapse(1800)
    details = lab.task(task_id)["SnapshotDetails"]
    image_id = register(lab.ec2, details[1]["SnapshotId"], "data-as-root", BootMode="uefi")
    found = view(lab, image_id)[1]
    assert _verdict(found) == (False, "uefi", "none", "unknown", [], True)
    assert found["Reason"] == "the root volume has no partition table"


def test_unknown_images_and_regions(lab: Lab) -> None:
    assert view(lab, "ami-0123456789abcdef0") == (
        404,
        {"Error": "No image ami-0123456789abcdef0 in the emulator."},
    )
    west = ec2_as(lab, region="us-west-2")
    image_id = register(west, blank_snapshot(west), "west")
    assert view(lab, image_id, "us-west-2")[0] == 200
    assert view(lab, image_id, REGION)[0] == 404
    assert view(lab, image_id)[1]["Region"] == "us-west-2"


def test_an_imported_image_is_described_with_its_mappings(lab: Lab, disks: DiskFixtures) -> None:
    task = imported(
        lab,
        disks.path("mbr-linux.stream.vmdk").read_bytes(),
        "VMDK",
        "win.vmdk",
        Platform="Windows",
        LicenseType="BYOL",
        Encrypted=True,
    )
    found = image(lab.ec2, task["ImageId"])
    snapshot = task["SnapshotDetails"][0]["SnapshotId"]
    size = lab.ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]["VolumeSize"]
    assert found["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {
                "DeleteOnTermination": True,
                "SnapshotId": snapshot,
                "VolumeSize": size,
                "VolumeType": "gp2",
                "Encrypted": True,
            },
        }
    ]
    assert found["Platform"] == "windows"
    assert found["PlatformDetails"] == "Windows BYOL"
    assert found["UsageOperation"] == "RunInstances:0800"
    assert found["BootMode"] == "legacy-bios"
    assert found["Name"] == task["ImportTaskId"]
    assert found["VirtualizationType"] == "hvm"
    assert found["RootDeviceName"] == "/dev/sda1"
