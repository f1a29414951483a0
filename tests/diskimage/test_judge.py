"""Every disk-side problem code, triggered by an image made by real tools or built by hand."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ec2_import_emulator import samples
from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.judge import ImportRequest, image_problems, manifest_problems
from ec2_import_image.diskimage.ova import read_ova, verify_manifest
from ec2_import_image.diskimage.records import DiskReport
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.problems import SEVERITY, ProblemCode
from tests.support.diskfixtures import DiskFixtures

Code = ProblemCode


def from_fixture(disks: DiskFixtures, name: str) -> DiskReport:
    with FileBlob(disks.path(name)) as blob:
        return inspect_image(blob, name)


def from_bytes(data: bytes, name: str = "disk") -> DiskReport:
    return inspect_image(BytesBlob(data), name)


def codes(problems: list[Diagnostic]) -> list[str]:
    return [problem.code for problem in problems]


def judge(report: DiskReport, **request: str) -> list[str]:
    return codes(image_problems([report], ImportRequest(**request)))


def bitlocker_disk() -> bytes:
    """An MBR disk whose partition starts with a BitLocker volume header (OEM id ``-FVE-FS-``).

    No Linux tool makes BitLocker volumes: the boot sector is laid out by hand from the
    published layout (jump, OEM id at 3, boot signature); only the signature is read.
    """
    disk = bytearray(samples.raw_mbr(64 * 512))
    disk[446 + 4] = 0x07
    disk[446 + 12 : 446 + 16] = (56).to_bytes(4, "little")
    volume = bytearray(512)
    volume[:11] = b"\xeb\x58\x90-FVE-FS-"
    volume[510:512] = b"\x55\xaa"
    disk[512:1024] = volume
    return bytes(disk)


CLEAN = ["gpt-uefi.stream.vmdk", "mbr-linux.stream.vmdk", "gpt-uefi.dynamic.vhd", "vm.ova"]


@pytest.mark.parametrize("name", CLEAN)
def test_good_images_have_no_errors(disks: DiskFixtures, name: str) -> None:
    report = from_fixture(disks, name)
    declared = name.rsplit(".", 1)[-1]
    problems = image_problems([report], ImportRequest(format=declared, platform="Linux"))
    assert [p for p in problems if p.severity is Severity.ERROR] == []


@pytest.mark.parametrize(
    ("name", "request_", "code"),
    [
        ("gpt-uefi.qcow2", {}, Code.UNSUPPORTED_FORMAT),
        ("gpt-uefi.vdi", {}, Code.UNSUPPORTED_FORMAT),
        ("gpt-uefi.dynamic.vhd", {"format": "vmdk"}, Code.FORMAT_MISMATCH),
        ("gpt-uefi.sparse.vmdk", {"format": "vmdk"}, Code.VMDK_NOT_STREAM_OPTIMIZED),
        ("gpt-uefi.split-s001.vmdk", {}, Code.VMDK_NOT_STREAM_OPTIMIZED),
        ("gpt-uefi.flat.vmdk", {}, Code.VMDK_DESCRIPTOR_ONLY),
        ("gpt-uefi.split.vmdk", {}, Code.VMDK_DESCRIPTOR_ONLY),
        ("gpt-uefi.stream-cut.vmdk", {}, Code.TRUNCATED),
        ("gpt-uefi.dynamic-cut.vhd", {}, Code.TRUNCATED),
        ("nopart.raw", {}, Code.NO_PARTITION_TABLE),
        ("gpt-uefi.raw", {"boot_mode": "legacy-bios"}, Code.BOOT_MODE_MISMATCH),
        ("mbr-linux.raw", {"boot_mode": "uefi"}, Code.BOOT_MODE_MISMATCH),
        ("gpt-uefi.raw", {"boot_mode": "uefi-preferred"}, Code.BOOT_MODE_UNSUPPORTED),
        ("gpt-esp-noloader.raw", {}, Code.UEFI_NO_FALLBACK_LOADER),
        ("mbr-misc.raw", {}, Code.ENCRYPTED_VOLUME),
        ("gpt-windows.raw", {"platform": "Linux"}, Code.UNSUPPORTED_FILESYSTEM),
        ("gpt-arm64.raw", {}, Code.ARM64_UNSUPPORTED),
        ("gpt-uefi.raw", {"architecture": "arm64"}, Code.ARM64_UNSUPPORTED),
    ],
)
def test_fixture_problems(
    disks: DiskFixtures, name: str, request_: dict[str, str], code: ProblemCode
) -> None:
    report = from_fixture(disks, name)
    problems = image_problems([report], ImportRequest(**request_))
    found = [problem for problem in problems if problem.code is code]
    assert found, codes(problems)
    assert all(p.severity is SEVERITY[code] and p.subject == name for p in found)
    assert all(p.message and p.hint for p in found)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (gzip.compress(samples.raw_mbr(), mtime=0), Code.UNSUPPORTED_FORMAT),
        (samples.raw_without_table(), Code.NO_PARTITION_TABLE),
        (samples.vhd_dynamic(disk_type=samples.VHD_DIFFERENCING), Code.DIFFERENCING_DISK),
        (samples.vhdx(has_parent=True), Code.DIFFERENCING_DISK),
        (samples.vhd_dynamic_footers_differ(), Code.VHD_FOOTER_MISMATCH),
        (samples.ova(ovf_first=False), Code.OVA_NO_DESCRIPTOR),
        (samples.ova([]), Code.OVA_MISSING_DISK),
        (samples.ova_chunked(), Code.OVA_CHUNKED_DISK),
        (samples.vmdk_stream_optimized(capacity=(8 * 1024**4) // 512 + 1), Code.TOO_LARGE),
        (bitlocker_disk(), Code.ENCRYPTED_VOLUME),
        (samples.raw_mbr(), Code.UNSUPPORTED_FILESYSTEM),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_handmade_problems(data: bytes, code: ProblemCode) -> None:
    assert code in judge(from_bytes(data))


def test_an_ova_reference_that_is_absent() -> None:
    disk = samples.vmdk_stream_optimized()
    ovf = samples.ovf(["vm-disk1.vmdk", "vm-disk2.vmdk"])
    report = from_bytes(samples.tar([("vm.ovf", ovf), ("vm-disk1.vmdk", disk)]), "vm.ova")
    assert report.ova is not None and report.ova.missing == ("vm-disk2.vmdk",)
    assert Code.OVA_MISSING_DISK in judge(report)


def test_vhd_footer_checksum(disks: DiskFixtures) -> None:
    image = bytearray(disks.path("gpt-uefi.fixed.vhd").read_bytes())
    image[-512 + 40] ^= 0xFF
    report = from_bytes(bytes(image))
    assert report.vhd is not None and not report.vhd.checksum_ok
    assert Code.VHD_FOOTER_MISMATCH in judge(report)


def test_vhd_copy_differs_from_footer(disks: DiskFixtures) -> None:
    image = bytearray(disks.path("gpt-uefi.dynamic.vhd").read_bytes())
    image[70] ^= 0xFF  # the copy's unique id
    report = from_bytes(bytes(image))
    assert report.vhd is not None and report.vhd.copy_matches is False
    assert Code.VHD_FOOTER_MISMATCH in judge(report)


def test_too_many_volumes(disks: DiskFixtures) -> None:
    report = from_fixture(disks, "mbr-linux.stream.vmdk")
    assert Code.TOO_MANY_VOLUMES not in codes(image_problems([report] * 21, ImportRequest()))
    assert Code.TOO_MANY_VOLUMES in codes(image_problems([report] * 22, ImportRequest()))


def test_only_the_boot_disk_needs_a_partition_table(disks: DiskFixtures) -> None:
    boot = from_fixture(disks, "mbr-linux.raw")
    data = from_fixture(disks, "nopart.raw")
    assert Code.NO_PARTITION_TABLE not in codes(image_problems([boot, data], ImportRequest()))
    assert Code.NO_PARTITION_TABLE in codes(image_problems([data, boot], ImportRequest()))


def test_manifest_digests(disks: DiskFixtures, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    with FileBlob(disks.path("vm.ova")) as blob:
        contents = read_ova(blob)
        checks = verify_manifest(blob, contents, lambda done, total: seen.append((done, total)))
    assert [(c.name, c.algorithm, c.ok) for c in checks] == [
        ("vm.ovf", "SHA256", True),
        ("vm-disk1.vmdk", "SHA256", True),
    ]
    assert seen and seen[-1][0] == seen[-1][1]
    assert manifest_problems("vm.ova", checks) == []

    damaged = bytearray(disks.path("vm.ova").read_bytes())
    member = next(m for m in contents.members if m.name == "vm-disk1.vmdk")
    damaged[member.offset + member.size - 700] ^= 0x01
    path = tmp_path / "damaged.ova"
    path.write_bytes(bytes(damaged))
    with FileBlob(path) as blob:
        checks = verify_manifest(blob, read_ova(blob))
    problems = manifest_problems("damaged.ova", checks)
    assert codes(problems) == [Code.OVA_MANIFEST_MISMATCH]
    assert "vm-disk1.vmdk" in problems[0].message


def test_every_code_has_a_fixed_severity() -> None:
    assert set(SEVERITY) == set(ProblemCode)
    assert SEVERITY[Code.UNSUPPORTED_FILESYSTEM] is Severity.WARNING
