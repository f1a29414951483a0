"""The emulator judges disks through their containers, on images made by real tools.

Measured before: a GPT+ESP disk in a stream-optimized VMDK or a dynamic VHD made by
qemu-img imported as legacy-bios (the partition table was read only in RAW files).
"""

from __future__ import annotations

import pytest

from ec2_import_emulator import lifecycle
from tests.emulator.conftest import Lab
from tests.support.diskfixtures import DiskFixtures


def _completed(lab: Lab, fmt: str, data: bytes, **params: str) -> dict[str, object]:
    task_id = lab.start(fmt, data, **params)
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(task_id)
    assert task["Status"] == "completed", task
    return task


@pytest.mark.parametrize(
    ("fmt", "name", "mode"),
    [
        ("VMDK", "gpt-uefi.stream.vmdk", "uefi"),
        ("VHD", "gpt-uefi.dynamic.vhd", "uefi"),
        ("VHDX", "gpt-uefi.dynamic.vhdx", "uefi"),
        ("OVA", "vm.ova", "uefi"),
        ("VMDK", "mbr-linux.stream.vmdk", "legacy-bios"),
        ("VHD", "mbr-linux.dynamic.vhd", "legacy-bios"),
        ("RAW", "gpt-both.raw", "legacy-bios"),
    ],
)
def test_the_ami_boots_as_the_disk_inside_the_container(
    lab: Lab, disks: DiskFixtures, fmt: str, name: str, mode: str
) -> None:
    task = _completed(lab, fmt, disks.path(name).read_bytes())
    assert task["BootMode"] == mode
    (image,) = lab.ec2.describe_images(ImageIds=[task["ImageId"]])["Images"]
    assert image["BootMode"] == mode


@pytest.mark.parametrize(
    ("fmt", "name", "message"),
    [
        ("VMDK", "gpt-uefi.sparse.vmdk", "ClientError: Unsupported VMDK File Format"),
        ("VMDK", "gpt-uefi.flat.vmdk", "ClientError: Unsupported VMDK File Format"),
        ("VMDK", "gpt-uefi.stream-cut.vmdk", "ClientError: Uncompressed data has invalid length"),
        ("VHD", "gpt-uefi.dynamic-cut.vhd", "ClientError: Footers not identical"),
        ("RAW", "nopart.raw", "ClientError: No valid partitions. Not a valid volume."),
        # RAW is any bytes: all zeros is a disk with no partition table (it was "unknown")
        ("RAW", "zero.raw", "ClientError: No valid partitions. Not a valid volume."),
        ("RAW", "luks.raw", "ClientError: No valid partitions. Not a valid volume."),
        (
            "VMDK",
            "zero.raw",
            "ClientError: Disk validation failed [Unsupported specified file format: VMDK (RAW)]",
        ),
        (
            "VMDK",
            "gpt-uefi.qcow2",
            "ClientError: Disk validation failed [Unsupported file format: QCOW2]",
        ),
        (
            "RAW",
            "gpt-uefi.vdi",
            "ClientError: Disk validation failed [Unsupported file format: VDI]",
        ),
        (
            "VHDX",
            "gpt-uefi.dynamic.vhd",
            "ClientError: Disk validation failed [Unsupported specified file format: VHDX (VHD)]",
        ),
    ],
)
def test_refused_disks_fail_as_the_service_fails_them(
    lab: Lab, disks: DiskFixtures, fmt: str, name: str, message: str
) -> None:
    task_id = lab.start(fmt, disks.path(name).read_bytes())
    lab.elapse(lifecycle.FAILED_AT)
    task = lab.task(task_id)
    assert (task["Status"], task["StatusMessage"]) == ("deleted", message)


@pytest.mark.parametrize("name", ["nopart.raw", "zero.raw"])
def test_a_data_disk_needs_no_partition_table(lab: Lab, disks: DiskFixtures, name: str) -> None:
    boot = lab.upload(disks.path("mbr-linux.stream.vmdk").read_bytes(), "boot.vmdk")
    data = lab.upload(disks.path(name).read_bytes(), "data.raw")
    reply = lab.ec2.import_image(
        DiskContainers=[
            {"Format": "VMDK", "UserBucket": boot},
            {"Format": "RAW", "UserBucket": data},
        ]
    )
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(reply["ImportTaskId"])
    assert task["Status"] == "completed"
    assert len(task["SnapshotDetails"]) == 2
