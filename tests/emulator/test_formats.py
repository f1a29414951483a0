"""Format detection from a disk image's bytes, and the task outcome it leads to."""

from __future__ import annotations

import gzip

import pytest

from ec2_import_emulator import formats, lifecycle
from ec2_import_emulator import samples as images
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.identify import identify
from ec2_import_image.diskimage.records import BootMode, ContainerFormat
from tests.emulator.conftest import Lab

UNSUPPORTED_VMDK = "ClientError: Unsupported VMDK File Format"

IDENTIFIED = [
    (images.vmdk_stream_optimized(), ContainerFormat.VMDK),
    (images.vmdk_monolithic_sparse(), ContainerFormat.VMDK),
    (images.vmdk_descriptor_only(), ContainerFormat.VMDK),
    (images.vhd_fixed(), ContainerFormat.VHD),
    (images.vhd_dynamic(), ContainerFormat.VHD),
    (images.vhdx(), ContainerFormat.VHDX),
    (images.ova(), ContainerFormat.OVA),
    (images.raw_mbr(), ContainerFormat.RAW),
    (images.raw_gpt(), ContainerFormat.RAW),
    (images.qcow2(), ContainerFormat.QCOW2),
    (images.raw_without_table(), ContainerFormat.RAW),
    (bytes(64 * 1024), ContainerFormat.RAW),
    (gzip.compress(images.raw_mbr(), mtime=0), ContainerFormat.UNKNOWN),
    (b"<?xml version='1.0'?>\n<Envelope/>\n", ContainerFormat.UNKNOWN),
    (b"", ContainerFormat.UNKNOWN),
]


@pytest.mark.parametrize(("data", "kind"), IDENTIFIED)
def test_identify(data: bytes, kind: ContainerFormat) -> None:
    assert identify(BytesBlob(data)) is kind


def test_images_are_small() -> None:
    # VHDX aligns its regions and blocks to MiB: its sample is a few MiB of mostly zeros
    for data, kind in IDENTIFIED:
        assert len(data) <= (4 * 1024 * 1024 if kind is ContainerFormat.VHDX else 64 * 1024)


# declared Format, bytes, (detected Format, virtual size) or the failure message
ACCEPTED = [
    ("VMDK", images.vmdk_stream_optimized(4096), "VMDK", 4096 * 512),
    ("VHD", images.vhd_fixed(images.raw_mbr(8192)), "VHD", 8192),
    ("VHD", images.vhd_dynamic(64 * 1024 * 1024), "VHD", 64 * 1024 * 1024),
    ("VHDX", images.vhdx(), "VHDX", 8 * 1024 * 1024),
    ("RAW", images.raw_mbr(), "RAW", len(images.raw_mbr())),
    ("RAW", images.raw_gpt(), "RAW", len(images.raw_gpt())),
    ("OVA", images.ova(), "VMDK", 2048 * 512),
]

REFUSED = [
    ("VMDK", images.vmdk_monolithic_sparse(), UNSUPPORTED_VMDK),
    ("VMDK", images.vmdk_stream_optimized(create_type="monolithicSparse"), UNSUPPORTED_VMDK),
    ("VMDK", images.vmdk_descriptor_only(), UNSUPPORTED_VMDK),
    ("VHD", images.vhd_dynamic_footers_differ(), "ClientError: Footers not identical"),
    ("VHD", images.vhd_fixed()[:-512], "ClientError: Disk validation failed"),
    (
        "VHD",
        images.vhd_dynamic(disk_type=images.VHD_DIFFERENCING),
        "ClientError: Footers not identical",
    ),
    (
        "VMDK",
        images.qcow2(),
        "ClientError: Disk validation failed [Unsupported file format: QCOW2]",
    ),
    ("RAW", images.qcow2(), "ClientError: Disk validation failed [Unsupported file format: QCOW2]"),
    ("RAW", images.raw_without_table(), formats.NO_VALID_PARTITIONS),
    ("RAW", bytes(64 * 1024), formats.NO_VALID_PARTITIONS),
    ("RAW", gzip.compress(images.raw_mbr(), mtime=0), formats.NO_VALID_PARTITIONS),
    (
        "VMDK",
        gzip.compress(images.raw_mbr(), mtime=0),
        "ClientError: Disk validation failed [Unsupported specified file format: VMDK (no known",
    ),
    (
        "VMDK",
        images.vhd_fixed(),
        "ClientError: Disk validation failed [Unsupported specified file format: VMDK (VHD)]",
    ),
    ("VHDX", images.raw_mbr(), "ClientError: Disk validation failed [Unsupported specified"),
    ("RAW", images.vhdx(), "ClientError: Disk validation failed [Unsupported specified"),
    ("OVA", images.vmdk_stream_optimized(), "ClientError: Disk validation failed [Unsupported"),
    ("OVA", images.ova(ovf_first=False), "ClientError: Disk validation failed [Invalid OVA: "),
    ("OVA", images.ova_chunked(), "ClientError: OVA with chunked disk files"),
    ("OVA", images.ova([images.vmdk_monolithic_sparse()]), UNSUPPORTED_VMDK),
    ("OVA", images.ova([]), "ClientError: Disk validation failed [Invalid OVA: the OVF"),
]


@pytest.mark.parametrize(("declared", "data", "detected", "virtual"), ACCEPTED)
def test_inspect_accepts(declared: str, data: bytes, detected: str, virtual: int) -> None:
    result = formats.inspect(declared, BytesBlob(data))
    assert result.failure is None
    (disk,) = result.disks
    assert (disk.format, disk.virtual_size) == (detected, virtual)


@pytest.mark.parametrize(("declared", "data", "failure"), REFUSED)
def test_inspect_refuses(declared: str, data: bytes, failure: str) -> None:
    result = formats.inspect(declared, BytesBlob(data))
    assert result.failure is not None
    assert result.failure.startswith(failure)
    assert result.disks == ()


def test_boot_mode_follows_the_disk() -> None:
    (disk,) = formats.inspect("RAW", BytesBlob(images.raw_gpt())).disks
    assert disk.boot_mode is BootMode.UEFI
    (disk,) = formats.inspect("RAW", BytesBlob(images.raw_mbr())).disks
    assert disk.boot_mode is BootMode.LEGACY_BIOS


def test_vhd_checksum_is_checked() -> None:
    image = bytearray(images.vhd_fixed())
    image[-512 + 40] ^= 0xFF  # original size, covered by the checksum
    result = formats.inspect("VHD", BytesBlob(bytes(image)))
    assert result.failure == "ClientError: Disk validation failed [Invalid VHD footer checksum]"


def test_disks_over_8_tib_fail() -> None:
    huge = images.vmdk_stream_optimized(capacity=(8 * 1024**4) // 512 + 1)
    result = formats.inspect("VMDK", BytesBlob(huge))
    assert result.failure == "ClientError: Disk validation failed [The disk is larger than 8 TiB]"


# Over HTTP: the bytes in the emulator's S3, the outcome on the task.


@pytest.mark.parametrize(
    ("declared", "data", "detected"),
    [(declared, data, detected) for declared, data, detected, _ in ACCEPTED],
    ids=["vmdk-stream", "vhd-fixed", "vhd-dynamic", "vhdx", "raw-mbr", "raw-gpt", "ova"],
)
def test_accepted_image_completes(lab: Lab, declared: str, data: bytes, detected: str) -> None:
    task_id = lab.start(declared.lower(), data)
    lab.elapse(lifecycle.start_of(lifecycle.CONVERTING))
    (detail,) = lab.task(task_id)["SnapshotDetails"]
    assert detail["Format"] == detected
    inner = len(images.vmdk_stream_optimized())
    assert detail["DiskImageSize"] == float(len(data) if declared != "OVA" else inner)
    lab.elapse(lifecycle.COMPLETED_AT)
    task = lab.task(task_id)
    assert task["Status"] == "completed"
    assert task["ImageId"].startswith("ami-")


@pytest.mark.parametrize(
    ("declared", "data", "failure"),
    [
        ("VMDK", images.vmdk_monolithic_sparse(), UNSUPPORTED_VMDK),
        ("VMDK", images.vmdk_descriptor_only(), UNSUPPORTED_VMDK),
        ("RAW", images.qcow2(), "ClientError: Disk validation failed [Unsupported file format"),
        ("VHD", images.raw_mbr(), "ClientError: Disk validation failed [Unsupported specified"),
        ("VHD", images.vhd_dynamic_footers_differ(), "ClientError: Footers not identical"),
        ("OVA", images.ova_chunked(), "ClientError: OVA with chunked disk files"),
    ],
    ids=["vmdk-sparse", "vmdk-descriptor", "qcow2", "mismatch", "vhd-footers", "ova-chunked"],
)
def test_refused_image_fails_the_task_after_validating(
    lab: Lab, declared: str, data: bytes, failure: str
) -> None:
    task_id = lab.start(declared, data)
    lab.elapse(lifecycle.FAILED_AT - 1)
    task = lab.task(task_id)
    assert (task["Status"], task["StatusMessage"]) == ("active", "validating")
    lab.elapse(1)
    task = lab.task(task_id)
    assert task["Status"] == "deleted"
    assert task["StatusMessage"].startswith(failure)
    assert "Progress" not in task and "ImageId" not in task
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(task_id)["Status"] == "deleted"
    assert lab.ec2.describe_images(Owners=["self"])["Images"] == []


def test_one_bad_disk_fails_the_whole_task(lab: Lab) -> None:
    good = lab.upload(images.raw_mbr(), "good.raw")
    bad = lab.upload(images.qcow2(), "bad.raw")
    reply = lab.ec2.import_image(
        DiskContainers=[
            {"Format": "RAW", "UserBucket": good},
            {"Format": "RAW", "UserBucket": bad},
        ]
    )
    lab.elapse(lifecycle.COMPLETED_AT)
    assert lab.task(reply["ImportTaskId"])["Status"] == "deleted"
