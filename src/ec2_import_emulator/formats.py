"""Whether VM Import takes a disk image as declared, judged on the shared readers.

``inspect`` reads the image with ``ec2_import_image.diskimage`` (through the
container: a stream-optimized VMDK's grains, a dynamic VHD's or a VHDX's
blocks), judges it with the shared disk checks, and turns the first problem
the service is known to fail on into the StatusMessage the task ends with.
The disks found carry the boot mode their contents support, so the AMI's
boot mode follows what is inside the container.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.cache import CachedBlob
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.judge import ImportRequest, disk_problems
from ec2_import_image.diskimage.records import (
    BootMode,
    ContainerFormat,
    DiskReport,
    PartitionTable,
)
from ec2_import_image.problems import ProblemCode

UNSUPPORTED_VMDK = "ClientError: Unsupported VMDK File Format"
FOOTERS_NOT_IDENTICAL = "ClientError: Footers not identical"
UNKNOWN_OS = "ClientError: Unknown OS / Missing OS files"
#: users meet it (the reference notes, vm-import-workflow.md; cloudnloud/weekly-cloud-engineer-
#: interview-program#3): the emulator gives it to a boot disk with no partition table
NO_VALID_PARTITIONS = "ClientError: No valid partitions. Not a valid volume."
CHUNKED_OVA = "ClientError: OVA with chunked disk files"
INVALID_LENGTH = "ClientError: Uncompressed data has invalid length"
MAX_DISK_SIZE = 8 * 1024**4

#: the problems the emulated service fails a task on (the others it lets through)
FAILING = frozenset(
    {
        ProblemCode.UNSUPPORTED_FORMAT,
        ProblemCode.FORMAT_MISMATCH,
        ProblemCode.VMDK_NOT_STREAM_OPTIMIZED,
        ProblemCode.VMDK_DESCRIPTOR_ONLY,
        ProblemCode.DIFFERENCING_DISK,
        ProblemCode.VHD_FOOTER_MISMATCH,
        ProblemCode.OVA_NO_DESCRIPTOR,
        ProblemCode.OVA_MISSING_DISK,
        ProblemCode.OVA_CHUNKED_DISK,
        ProblemCode.TRUNCATED,
        ProblemCode.TOO_LARGE,
        ProblemCode.NO_PARTITION_TABLE,
    }
)


def _validation_failed(reason: str) -> str:
    return f"ClientError: Disk validation failed [{reason}]"


@dataclass(frozen=True)
class DiskImage:
    """One disk VM Import will convert."""

    format: str
    size: int
    virtual_size: int
    boot_mode: BootMode = BootMode.UNKNOWN
    name: str = ""


@dataclass(frozen=True)
class Inspection:
    """The disks of one disk container, or the StatusMessage the task fails with."""

    disks: tuple[DiskImage, ...] = ()
    failure: str | None = None


def _found_name(report: DiskReport) -> str:
    """How the emulator names what it found, in a format-mismatch message."""
    if report.format is ContainerFormat.RAW:
        table = report.partition_table
        return (
            f"RAW ({table.value.upper()})"
            if table in (PartitionTable.MBR, PartitionTable.GPT)
            else "RAW"
        )
    if report.format is ContainerFormat.OVA:
        return "tar archive"
    if report.descriptor_only:
        return "VMDK descriptor"
    if report.format is ContainerFormat.UNKNOWN:
        return "no known format"
    return report.format.value.upper()


def status_message(problem: Diagnostic, report: DiskReport, declared: str) -> str:
    """The StatusMessage of a task that fails on ``problem`` (docs/emulator.md, Disk formats)."""
    code = problem.code
    if code is ProblemCode.UNSUPPORTED_FORMAT:
        if report.format is ContainerFormat.UNKNOWN:
            if declared == "RAW":
                # RAW has no signature: the service takes any bytes as a disk, here one
                # without a partition table
                return NO_VALID_PARTITIONS
            return _validation_failed(
                f"Unsupported specified file format: {declared} (no known format)"
            )
        return _validation_failed(f"Unsupported file format: {report.format.value.upper()}")
    if code is ProblemCode.FORMAT_MISMATCH:
        return _validation_failed(
            f"Unsupported specified file format: {declared} ({_found_name(report)})"
        )
    if code in (ProblemCode.VMDK_NOT_STREAM_OPTIMIZED, ProblemCode.VMDK_DESCRIPTOR_ONLY):
        return UNSUPPORTED_VMDK
    if code is ProblemCode.VHD_FOOTER_MISMATCH and report.vhd and not report.vhd.checksum_ok:
        return _validation_failed("Invalid VHD footer checksum")
    if code in (ProblemCode.DIFFERENCING_DISK, ProblemCode.VHD_FOOTER_MISMATCH):
        return FOOTERS_NOT_IDENTICAL
    if code is ProblemCode.OVA_CHUNKED_DISK:
        return CHUNKED_OVA
    if code is ProblemCode.OVA_NO_DESCRIPTOR:
        return _validation_failed(
            "Invalid OVA: the first file of the archive is not the OVF descriptor"
        )
    if code is ProblemCode.OVA_MISSING_DISK:
        if report.ova is not None and not report.ova.missing:
            return _validation_failed("Invalid OVA: the OVF descriptor references no disk")
        return _validation_failed("Invalid OVA: a file the OVF descriptor references is missing")
    if code is ProblemCode.TRUNCATED:
        if report.format is ContainerFormat.VMDK:
            return INVALID_LENGTH
        if report.format is ContainerFormat.VHD:
            return FOOTERS_NOT_IDENTICAL
        return _validation_failed("The disk image is truncated or damaged")
    if code is ProblemCode.TOO_LARGE:
        return _validation_failed("The disk is larger than 8 TiB")
    if code is ProblemCode.NO_PARTITION_TABLE:
        return NO_VALID_PARTITIONS
    return UNKNOWN_OS


def _disk(report: DiskReport, name: str = "") -> DiskImage:
    fmt = "VMDK" if report.format is ContainerFormat.VMDK else report.format.value.upper()
    return DiskImage(
        fmt, report.file_size, report.virtual_size or report.file_size, report.boot_mode, name
    )


def inspect(declared: str, blob: Blob, *, boot: bool = True, name: str = "disk") -> Inspection:
    """Check a disk image against its declared Format (OVA, VHD, VHDX, VMDK, RAW)."""
    declared = declared.upper()
    report = inspect_image(CachedBlob(blob), name)
    problems = disk_problems(report, ImportRequest(format=declared), boot=boot, declared=declared)
    for problem in problems:
        if problem.code in FAILING:
            failing = _failing_report(report, problem)
            as_declared = declared if failing is report else "VMDK"
            return Inspection(failure=status_message(problem, failing, as_declared))
    if report.format is ContainerFormat.OVA:
        return Inspection(
            tuple(_disk(disk, disk.source.rsplit("!", 1)[-1]) for disk in report.disks)
        )
    return Inspection((_disk(report),))


def _failing_report(report: DiskReport, problem: Diagnostic) -> DiskReport:
    """The report a problem is about (an OVA's disk, when the problem names one)."""
    for disk in report.disks:
        if disk.source == problem.subject:
            return disk
    return report
