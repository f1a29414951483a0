"""Issue 17, section 2: verdicts that were wrong on images made by real tools.

Each case is a fixture of scripts/make-disk-fixtures.sh (or bytes cut from one), judged
as ``vmimport check`` judges it; where an independent tool has a verdict (qemu reading
the disk back from a cut stream), the readers must agree with it.
"""

from __future__ import annotations

import gzip
import tarfile

import pytest

from ec2_import_emulator import samples
from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage import vmdk
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.judge import ImportRequest, image_problems
from ec2_import_image.diskimage.records import (
    BootMode,
    ContainerFormat,
    DiskReport,
    EspFault,
    Filesystem,
    ForeignFormat,
    PartitionTable,
)
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.problems import ProblemCode
from tests.support.diskfixtures import DiskFixtures
from tests.support.oracles import oracle

Code = ProblemCode
ISSUE_DISK = "gpt-uefi-128m.stream.vmdk"


def inspect(disks: DiskFixtures, name: str) -> DiskReport:
    with FileBlob(disks.path(name)) as blob:
        return inspect_image(blob, name)


def judged(*reports: DiskReport, **request: str) -> list[Diagnostic]:
    return image_problems(list(reports), ImportRequest(**request))


def codes(problems: list[Diagnostic]) -> list[str]:
    return [problem.code for problem in problems]


# -- a stream-optimized VMDK cut short ------------------------------------------------------


@pytest.mark.parametrize("name", [ISSUE_DISK, "mbr-noise.stream.vmdk"])
def test_a_cut_stream_is_complete_exactly_when_qemu_reads_its_whole_disk(
    disks: DiskFixtures, name: str
) -> None:
    """The recipe cut copies of the stream to ~300 lengths and asked qemu-img compare
    whether each still holds the RAW disk it was made from; the readers must say
    "complete" for exactly those (and "truncated" for the rest)."""
    data = disks.path(name).read_bytes()
    cuts = oracle(name)["cuts"]
    assert len(cuts) > 250 and any(cuts.values()) and not all(cuts.values())
    wrong = []
    for length, identical in cuts.items():
        report = inspect_image(BytesBlob(data[: int(length)]), name)
        usable = report.complete and report.damage is None
        if usable != identical:
            wrong.append((int(length), identical, report.truncation or report.damage))
    assert wrong == []


def test_issue_17s_cut_holds_the_whole_disk(disks: DiskFixtures) -> None:
    """The issue's reproduction: the stream cut to 60 % of its size, rounded down to 512.

    qemu writes the grain directory and tables first, then the grains, and reserves a
    whole grain for the last one: the file ends in up to 64 KiB of zeros, with no footer
    and no end-of-stream marker (block/vmdk.c writes neither).  The cut falls in those
    zeros: every grain is still there, qemu reads the same disk from it, and so do the
    readers: nothing is truncated.
    """
    data = disks.path(ISSUE_DISK).read_bytes()
    length = len(data) * 60 // 100 // 512 * 512
    assert oracle(ISSUE_DISK)["cuts"][str(length)] is True
    blob = BytesBlob(data[:length])
    report = inspect_image(blob, "cut.vmdk")
    assert report.complete and report.damage is None
    assert report.boot_mode is BootMode.UEFI and report.esp_loaders == ("BOOTX64.EFI",)
    info = vmdk.read_vmdk(blob)
    assert info.header is not None
    disk = vmdk.SparseDisk(blob, info.header)
    raw = disks.path("gpt-uefi-128m.raw").read_bytes()
    step = 8 * 1024 * 1024
    assert all(disk.read(at, step) == raw[at : at + step] for at in range(0, len(raw), step))


def _last_grain(data: bytes) -> tuple[int, int]:
    """(start, end) of the grain furthest into a qemu-made stream (its tables come first)."""
    blob = BytesBlob(data)
    info = vmdk.read_vmdk(blob)
    assert info.header is not None
    disk = vmdk.SparseDisk(blob, info.header)
    sector = max(max(disk.table(i)) for i, entry in enumerate(disk.directory) if entry)
    length = int.from_bytes(data[sector * 512 + 8 : sector * 512 + 12], "little")
    return sector * 512, sector * 512 + 12 + length


@pytest.mark.parametrize(
    ("where", "why"),
    [
        (lambda start, end: start, "points to grain"),
        (lambda start, end: end - 1, "runs past the end of the file"),
    ],
)
def test_a_cut_through_the_grains_is_truncated(
    disks: DiskFixtures, where: object, why: str
) -> None:
    data = disks.path(ISSUE_DISK).read_bytes()
    start, end = _last_grain(data)
    length = where(start, end)  # type: ignore[operator]
    report = inspect_image(BytesBlob(data[:length]), "cut.vmdk")
    assert not report.complete
    assert report.truncation is not None and why in report.truncation
    assert codes(judged(report))[:1] == [Code.TRUNCATED]


def test_a_stream_whose_last_grain_does_not_compress_is_complete(disks: DiskFixtures) -> None:
    """qemu leaves no zero sector after a grain that does not compress: such a stream ends
    in deflate data, and was called cut short ("no end-of-stream marker")."""
    data = disks.path("mbr-noise.stream.vmdk").read_bytes()
    assert any(data[-512:])
    report = inspect(disks, "mbr-noise.stream.vmdk")
    assert report.complete and report.truncation is None
    assert Code.TRUNCATED not in codes(judged(report))


def test_a_stream_that_defers_to_its_footer_needs_footer_and_end_marker() -> None:
    """VMware's layout (the tables last, the header's directory at GD_AT_END)."""
    stream = samples.vmdk_stream_optimized()
    assert inspect_image(BytesBlob(stream), "s.vmdk").complete
    for cut in (512, 1024, 1536, 2048):
        report = inspect_image(BytesBlob(stream[:-cut]), "s.vmdk")
        assert report.truncation is not None and "cut short" in report.truncation, cut
    # the end-of-stream marker there, the footer marker not
    damaged = bytearray(stream)
    damaged[-1536 + 12] = 0
    report = inspect_image(BytesBlob(bytes(damaged)), "s.vmdk")
    assert report.truncation is not None and "no footer" in report.truncation


def test_past_the_table_budget_a_stream_must_end_in_a_zero_sector(
    disks: DiskFixtures, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented limit: tables beyond the budget are not read; then a qemu-layout
    stream is held to the old rule (a zero sector at the end)."""
    monkeypatch.setattr(vmdk, "TABLE_SCAN_BYTES", 0)
    noise = inspect(disks, "mbr-noise.stream.vmdk")
    assert noise.truncation is not None and "too large to read whole" in noise.truncation
    assert inspect(disks, ISSUE_DISK).complete


# -- RAW is any bytes -----------------------------------------------------------------------


def test_an_all_zero_file_is_a_raw_disk_without_a_partition_table(disks: DiskFixtures) -> None:
    report = inspect(disks, "zero.raw")
    assert (report.format, report.virtual_size, report.partition_table) == (
        ContainerFormat.RAW,
        64 * 1024 * 1024,
        PartitionTable.NONE,
    )
    assert (report.filesystem, report.foreign) == (None, None)
    (found,) = judged(report)
    assert found.code is Code.NO_PARTITION_TABLE
    assert "nothing the readers recognise" in found.message
    # a blank data disk is fine
    assert judged(inspect(disks, "gpt-uefi.raw"), report) == []


def _ovf(disks: DiskFixtures) -> bytes:
    with tarfile.open(disks.path("vm.ova")) as archive:
        member = archive.extractfile("vm.ovf")
        assert member is not None
        return member.read()


@pytest.mark.parametrize(
    ("make", "kind", "said"),
    [
        (lambda d: gzip.compress(d.path("nopart.raw").read_bytes(), mtime=0), ForeignFormat.GZIP,
         "gzip-compressed"),
        (_ovf, ForeignFormat.TEXT, "a text file"),
        (lambda d: b"", ForeignFormat.EMPTY, "an empty file"),
        (lambda d: b"\xfd7zXZ\x00" + bytes(100), ForeignFormat.XZ, "xz-compressed"),
        (lambda d: b"QED\x00" + bytes(1020), ForeignFormat.QED, "a QED disk image"),
    ],
)  # fmt: skip
def test_files_that_say_what_else_they_are_keep_their_verdict(
    disks: DiskFixtures, make: object, kind: ForeignFormat, said: str
) -> None:
    data: bytes = make(disks)  # type: ignore[operator]
    report = inspect_image(BytesBlob(data), "file")
    assert (report.format, report.foreign) == (ContainerFormat.UNKNOWN, kind)
    (found,) = judged(report)
    assert found.code is Code.UNSUPPORTED_FORMAT and said in found.message


def test_refused_containers_keep_their_verdict(disks: DiskFixtures) -> None:
    for name, fmt in (
        ("gpt-uefi.qcow2", ContainerFormat.QCOW2),
        ("gpt-uefi.vdi", ContainerFormat.VDI),
    ):
        report = inspect(disks, name)
        assert report.format is fmt
        assert codes(judged(report)) == [Code.UNSUPPORTED_FORMAT]


# -- an EFI system partition without a FAT file system --------------------------------------


@pytest.mark.parametrize(
    ("name", "found", "said"),
    [
        ("gpt-esp-nofs.raw", None, "holds no file system"),
        ("gpt-esp-ext4.raw", Filesystem.EXT4, "holds ext4, not a FAT file system"),
    ],
)
def test_an_esp_without_fat_is_said_so_not_truncated(
    disks: DiskFixtures, name: str, found: Filesystem | None, said: str
) -> None:
    report = inspect(disks, name)
    assert report.complete and report.damage is None
    assert report.esp_faults == (EspFault(1, found),)
    problems = judged(report)
    assert codes(problems) == [Code.ESP_NOT_FAT]
    assert said in problems[0].message and "UEFI firmware" in problems[0].message
    assert "mkfs.vfat" in str(problems[0].hint)


def test_an_esp_whose_fat_cannot_be_read(disks: DiskFixtures) -> None:
    image = bytearray(disks.path("gpt-uefi.raw").read_bytes())
    esp = 1024 * 1024
    image[esp + 13] = 3  # sectors per cluster: not a power of two
    report = inspect_image(BytesBlob(bytes(image)), "bad-fat.raw")
    assert report.complete and report.damage is None
    (fault,) = report.esp_faults
    assert (fault.found, fault.damage) == (
        Filesystem.VFAT,
        "the FAT cluster size is not a power of two",
    )
    assert codes(judged(report)) == [Code.ESP_NOT_FAT]


# -- a whole-disk encrypted volume or file system -------------------------------------------


def test_a_whole_disk_luks_volume_is_named_with_a_fix_that_works(disks: DiskFixtures) -> None:
    report = inspect(disks, "luks.raw")
    assert (report.partition_table, report.filesystem) == (PartitionTable.NONE, Filesystem.LUKS)
    encrypted, table = judged(report)
    assert (encrypted.code, table.code) == (Code.ENCRYPTED_VOLUME, Code.NO_PARTITION_TABLE)
    assert "encrypted volume (luks)" in encrypted.message
    assert "cryptsetup open luks.raw" in str(encrypted.hint)
    assert "import-snapshot" not in str(encrypted.hint) + str(table.hint)
    assert "encrypted volume (luks)" in table.message and "decrypt it first" in str(table.hint)
    # as a data disk: still encrypted, but a data disk needs no partition table
    assert codes(judged(inspect(disks, "gpt-uefi.raw"), report)) == [Code.ENCRYPTED_VOLUME]


def test_a_whole_disk_file_system_is_named_with_a_fix_that_works(disks: DiskFixtures) -> None:
    report = inspect(disks, "nopart.raw")
    assert (report.partition_table, report.filesystem) == (PartitionTable.NONE, Filesystem.EXT4)
    (found,) = judged(report)
    assert found.code is Code.NO_PARTITION_TABLE
    assert "the whole disk is one ext4 file system" in found.message
    assert "/dev/sda1" in str(found.hint) and "data disk" in str(found.hint)
    assert judged(inspect(disks, "gpt-uefi.raw"), report) == []
