"""Judge inspected disks against an ImportImage request: the disk-side problems.

``image_problems(reports, request)`` takes the reports of one image's disks
(the first is the boot disk; an OVA counts as its disks) and returns the
problems in disk order.  ``manifest_problems`` judges an OVA's digests once
the caller has had them computed (:func:`~.ova.verify_manifest`).  Nothing
here reads bytes.  docs/checks.md has the table of codes and their sources.

A remedy that is a command works when pasted (``shellcommand``): its words
quoted, and a disk inside an OVA extracted first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.ova import DigestCheck
from ec2_import_image.diskimage.records import (
    ACCEPTED_FORMATS,
    ENCRYPTED_FILESYSTEMS,
    BootMode,
    ContainerFormat,
    DiskReport,
    EspFault,
    Filesystem,
    ForeignFormat,
    PartitionTable,
    PartitionType,
    Variant,
)
from ec2_import_image.problems import ProblemCode, problem
from ec2_import_image.shellcommand import DiskFile, command

MAX_DISK_SIZE = 8 * 1024**4
MAX_VOLUMES = 21
TO_STREAM_VMDK = ("qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized")
#: ``qemu-img convert -O``, then the target format
QEMU_CONVERT = ("qemu-img", "convert", "-O")
LINUX_FILESYSTEMS = frozenset(
    {
        Filesystem.EXT2,
        Filesystem.EXT3,
        Filesystem.EXT4,
        Filesystem.XFS,
        Filesystem.BTRFS,
        Filesystem.JFS,
        Filesystem.LVM,
    }
)
WINDOWS_FILESYSTEMS = frozenset({Filesystem.NTFS})
#: partition types that should hold a file system of their own
_DATA_TYPES = frozenset(
    {PartitionType.LINUX, PartitionType.MICROSOFT_BASIC_DATA, PartitionType.OTHER}
)
_FORMAT_NAMES = {
    ContainerFormat.QCOW2: "QCOW2",
    ContainerFormat.VDI: "VDI",
    ContainerFormat.UNKNOWN: "no known disk image format",
}
_EXPORT_AGAIN = "export the disk again as a stream-optimized VMDK, a VHD, a VHDX or a RAW image"
#: the path of the disk in a remedy's command words (``DiskFile.then`` quotes it)
_DISK = "\0disk"
#: what a file of no disk-image format is, and what to do with it: a sentence, or a sentence
#: and the command's words (None: convert it to a stream-optimized VMDK)
_FOREIGN: dict[ForeignFormat, tuple[str, str, tuple[str, ...] | None]] = {
    ForeignFormat.EMPTY: (
        "an empty file",
        "copy or upload the disk image again: this file holds no bytes",
        (),
    ),
    ForeignFormat.TEXT: (
        "a text file, not a disk image",
        "give the disk image itself (a descriptor's disks are in other files: import the .ova, "
        "or the disk file the descriptor names)",
        (),
    ),
    ForeignFormat.GZIP: ("gzip-compressed", "decompress it first", ("gunzip", "--keep", _DISK)),
    ForeignFormat.XZ: (
        "xz-compressed",
        "decompress it first",
        ("xz", "--decompress", "--keep", _DISK),
    ),
    ForeignFormat.BZIP2: ("bzip2-compressed", "decompress it first", ("bunzip2", "--keep", _DISK)),
    ForeignFormat.ZSTD: ("zstd-compressed", "decompress it first", ("zstd", "--decompress", _DISK)),
    ForeignFormat.LZ4: ("lz4-compressed", "decompress it first", ("lz4", "--decompress", _DISK)),
    ForeignFormat.LZOP: ("lzop-compressed", "decompress it first", ("lzop", "--decompress", _DISK)),
    ForeignFormat.ZIP: ("a zip archive", "extract the disk image first", ("unzip", _DISK)),
    ForeignFormat.SEVEN_ZIP: ("a 7z archive", "extract the disk image first", ("7z", "x", _DISK)),
    ForeignFormat.QED: ("a QED disk image", "convert it", None),
    ForeignFormat.PARALLELS: ("a Parallels disk image", "convert it", None),
    ForeignFormat.VMDK3: ("a VMDK of the old COWD format (ESX 2)", "convert it", None),
}


def _foreign_remedy(foreign: ForeignFormat, file: DiskFile) -> tuple[str, str]:
    """The name of what a file of no disk-image format is, and a remedy that works pasted."""
    name, sentence, words = _FOREIGN[foreign]
    if words is None:
        return name, f"{sentence}: {_to_stream_vmdk(file)}"
    if not words:
        return name, sentence
    return name, f"{sentence}: " + file.then(*(file.path if w == _DISK else w for w in words))


@dataclass(frozen=True)
class ImportRequest:
    """What the import will ask for (None: not given)."""

    format: str | None = None
    boot_mode: str | None = None
    architecture: str | None = None
    platform: str | None = None


def _size(value: int) -> str:
    return f"{value} bytes ({value / 1024**3:.1f} GiB)"


def _to_stream_vmdk(file: DiskFile) -> str:
    return file.then(*TO_STREAM_VMDK, file.path, "out.vmdk")


def _format_problems(
    report: DiskReport, declared: str | None, file: DiskFile, accepted: frozenset[ContainerFormat]
) -> Iterator[Diagnostic]:
    source = report.source
    if report.format not in accepted:
        name = _FORMAT_NAMES[report.format]
        if report.format is not ContainerFormat.UNKNOWN:
            remedy = f"convert it: {_to_stream_vmdk(file)}"
        elif report.foreign is not None:
            name, remedy = _foreign_remedy(report.foreign, file)
        else:
            remedy = _EXPORT_AGAIN
        yield problem(
            ProblemCode.UNSUPPORTED_FORMAT,
            source,
            f"{source} is {name}: VM Import takes OVA, VMDK, VHD, VHDX and RAW disk images",
            remedy,
        )
        return
    if declared is not None and declared.lower() != report.format.value:
        found = report.format.value.upper()
        yield problem(
            ProblemCode.FORMAT_MISMATCH,
            source,
            f"the import declares Format {declared.upper()} but {source} is {found}",
            f"declare Format={found} in the disk container",
        )


def _vmdk_problems(report: DiskReport, file: DiskFile) -> Iterator[Diagnostic]:
    source = report.source
    if report.descriptor_only:
        files = ", ".join(report.extent_files)
        yield problem(
            ProblemCode.VMDK_DESCRIPTOR_ONLY,
            source,
            f"{source} is a VMDK descriptor ({report.variant}) without data: the data is in "
            f"{files}",
            "convert the descriptor (qemu-img reads its extents beside it) into one file: "
            + _to_stream_vmdk(file),
        )
    elif report.variant is not Variant.STREAM_OPTIMIZED:
        yield problem(
            ProblemCode.VMDK_NOT_STREAM_OPTIMIZED,
            source,
            f"{source} is a {report.variant} VMDK: VM Import takes only stream-optimized VMDKs",
            _to_stream_vmdk(file),
        )


def _container_problems(report: DiskReport, file: DiskFile) -> Iterator[Diagnostic]:
    source = report.source
    if report.format is ContainerFormat.VMDK:
        yield from _vmdk_problems(report, file)
    if report.variant is Variant.DIFFERENCING:
        kind = report.format.value.upper()
        target = "vpc" if kind == "VHD" else "vhdx"
        merged = f"merged.{kind.lower()}"
        merge = file.then(*QEMU_CONVERT, target, "-o", "subformat=dynamic", file.path, merged)
        yield problem(
            ProblemCode.DIFFERENCING_DISK,
            source,
            f"{source} is a differencing {kind}: its data depends on a parent disk",
            f"merge it with its parent (beside it) into one disk: {merge} (or Merge-VHD)",
        )
    vhd = report.vhd
    if (
        vhd is not None
        and vhd.footer_present
        and (vhd.copy_matches is False or not vhd.checksum_ok)
    ):
        why = (
            "its footer checksum is wrong"
            if not vhd.checksum_ok
            else ("the copy of the footer at offset 0 differs from the footer at the end")
        )
        yield problem(
            ProblemCode.VHD_FOOTER_MISMATCH,
            source,
            f"{source}: {why}",
            "export the VHD again, or rewrite it: "
            + file.then(*QEMU_CONVERT, "vpc", "-o", "subformat=dynamic", file.path, "out.vhd"),
        )
    if not report.complete or report.damage is not None:
        why = report.truncation or f"the image is damaged ({report.damage})"
        yield problem(
            ProblemCode.TRUNCATED,
            source,
            f"{source} is incomplete: {why}",
            "copy or upload the whole file again and compare its size with the original",
        )
    if report.virtual_size is not None and report.virtual_size > MAX_DISK_SIZE:
        yield problem(
            ProblemCode.TOO_LARGE,
            source,
            f"the virtual disk of {source} is {_size(report.virtual_size)}: more than 8 TiB",
            "shrink the file systems and partitions below 8 TiB, or split the data over volumes",
        )


def _ova_problems(report: DiskReport) -> Iterator[Diagnostic]:
    facts = report.ova
    if facts is None:
        return
    source = report.source
    if facts.descriptor is None:
        yield problem(
            ProblemCode.OVA_NO_DESCRIPTOR,
            source,
            f"the first file of {source} is not the OVF descriptor (.ovf)",
            _descriptor_first(source, facts.members),
        )
    for name in facts.missing:
        yield problem(
            ProblemCode.OVA_MISSING_DISK,
            source,
            f"the OVF descriptor of {source} references {name}, which the archive lacks "
            "(or holds with another size)",
            "export the OVA again with every file the descriptor references",
        )
    if (
        facts.descriptor is not None
        and not facts.missing
        and not facts.chunked
        and not report.disks
    ):
        yield problem(
            ProblemCode.OVA_MISSING_DISK,
            source,
            f"the OVF descriptor of {source} references no disk",
            "export the OVA again with its disks",
        )
    if facts.chunked:
        yield problem(
            ProblemCode.OVA_CHUNKED_DISK,
            source,
            f"{source} splits a disk into chunks (ovf:chunkSize)",
            "export the OVA without chunking (ovftool: no --chunkSize), or import the "
            "reassembled disk as a VMDK",
        )


def _descriptor_first(source: str, members: Sequence[str]) -> str:
    """The archive rebuilt with its members in the order OVF wants: descriptor, manifest,
    the rest (the archive's own order kept among them)."""
    order = {".ovf": 0, ".mf": 1}
    ranked = sorted(members, key=lambda name: order.get(name[name.rfind(".") :].lower(), 2))
    if not ranked or not ranked[0].lower().endswith(".ovf"):
        return "export the OVA again: it holds no OVF descriptor (.ovf)"
    rebuilt = source.removesuffix(".ova") + "-fixed.ova"
    return "rebuild the archive with the descriptor first: " + " && ".join(
        (command("tar", "-xf", source, *ranked), command("tar", "-cf", rebuilt, *ranked))
    )


def manifest_problems(source: str, checks: Sequence[DigestCheck]) -> list[Diagnostic]:
    """``ova-manifest-mismatch`` for each digest that does not match (or names no file)."""
    return [
        problem(
            ProblemCode.OVA_MANIFEST_MISMATCH,
            source,
            f"{check.name} in {source}: "
            + (
                "the manifest names a file the archive lacks"
                if check.actual is None
                else f"its {check.algorithm} is {check.actual}, the manifest says {check.expected}"
            ),
            "the file changed after the manifest was written: export or upload the OVA again",
        )
        for check in checks
        if not check.ok
    ]


_DECRYPT = (
    "decrypt it before the import (VM Import cannot read encrypted volumes): "
    "cryptsetup open {source} plain, then dd if=/dev/mapper/plain of=decrypted.raw bs=4M; "
    "import what it holds, and encrypt the AMI's snapshots with --encrypted instead"
)
_WHOLE_DISK = (
    "import the whole disk it came from, with its partition table and boot loader (for a "
    "device: qemu-img convert -O vmdk -o subformat=streamOptimized /dev/sda disk.vmdk, not "
    "/dev/sda1); its files alone can be imported as a data disk: give it after the boot disk, "
    "or import it with aws ec2 import-snapshot"
)


def _whole_disk_problems(report: DiskReport, boot: bool) -> Iterator[Diagnostic]:
    """A disk without a partition table: name what fills it, and say what works."""
    source = report.source
    filesystem = report.filesystem
    if filesystem in ENCRYPTED_FILESYSTEMS:
        yield problem(
            ProblemCode.ENCRYPTED_VOLUME,
            source,
            f"the whole of {source} is an encrypted volume ({filesystem}), with no partition table",
            (
                _DECRYPT.format(source=source)
                if filesystem is Filesystem.LUKS
                else "decrypt it before the import (manage-bde -off on the volume, in Windows): "
                "VM Import cannot read encrypted volumes; encrypt the AMI's snapshots with "
                "--encrypted instead"
            ),
        )
    if not boot:
        return
    if filesystem in ENCRYPTED_FILESYSTEMS:
        what = f"the whole disk is an encrypted volume ({filesystem})"
        remedy = "decrypt it first (encrypted-volume); a boot disk must be a whole disk, " + (
            "with a partition table and an unencrypted boot partition"
        )
    elif filesystem is not None:
        what = (
            f"the whole disk is one {filesystem} file system (an image of a partition or a "
            "file system, not of a disk)"
        )
        remedy = _WHOLE_DISK
    else:
        what = "nothing the readers recognise starts it (all zeros, or no known file system)"
        remedy = (
            "import the disk the VM boots from, with its partition table: export it again from "
            "the hypervisor, or copy the whole device (qemu-img convert -O vmdk -o "
            "subformat=streamOptimized /dev/sda disk.vmdk)"
        )
    yield problem(
        ProblemCode.NO_PARTITION_TABLE,
        source,
        f"the boot disk {source} has no partition table (MBR or GPT): {what}",
        remedy,
    )


def _contents_problems(
    report: DiskReport, request: ImportRequest, boot: bool
) -> Iterator[Diagnostic]:
    source = report.source
    if report.partition_table is None:
        return
    if report.partition_table is PartitionTable.NONE:
        yield from _whole_disk_problems(report, boot)
    for partition in report.partitions:
        if partition.filesystem in ENCRYPTED_FILESYSTEMS:
            yield problem(
                ProblemCode.ENCRYPTED_VOLUME,
                source,
                f"partition {partition.number} of {source} is encrypted ({partition.filesystem})",
                "decrypt the volume before exporting (VM Import cannot read encrypted volumes); "
                "encrypt the imported AMI's snapshots with --encrypted instead",
            )
    yield from _filesystem_problems(report, request, boot)
    if boot:
        yield from _boot_problems(report, request)


def _filesystem_problems(
    report: DiskReport, request: ImportRequest, boot: bool
) -> Iterator[Diagnostic]:
    source = report.source
    for partition in report.partitions:
        if partition.filesystem is None and partition.type in _DATA_TYPES:
            yield problem(
                ProblemCode.UNSUPPORTED_FILESYSTEM,
                source,
                f"partition {partition.number} of {source} ({partition.type}) holds no file "
                "system VM Import recognises",
                "VM Import reads ext2/3/4, XFS, Btrfs, JFS (Linux) and NTFS (Windows)",
            )
    platform = (request.platform or "").lower()
    found = {p.filesystem for p in report.partitions if p.filesystem is not None}
    wanted = {"windows": WINDOWS_FILESYSTEMS, "linux": LINUX_FILESYSTEMS}.get(
        platform, WINDOWS_FILESYSTEMS | LINUX_FILESYSTEMS
    )
    if boot and report.partitions and not found & (wanted | ENCRYPTED_FILESYSTEMS):
        names = ", ".join(sorted(found)) or "none"
        yield problem(
            ProblemCode.UNSUPPORTED_FILESYSTEM,
            source,
            f"no partition of the boot disk {source} holds a root file system VM Import "
            f"supports{' for ' + request.platform if request.platform else ''} (found: {names})",
            "Linux: ext2/3/4, XFS, Btrfs or JFS; Windows: NTFS",
        )


def _boot_problems(report: DiskReport, request: ImportRequest) -> Iterator[Diagnostic]:
    source = report.source
    mode = report.boot_mode
    wanted = request.boot_mode
    if wanted == "legacy-bios" and mode is BootMode.UEFI:
        yield problem(
            ProblemCode.BOOT_MODE_MISMATCH,
            source,
            f"the import asks for legacy-bios but {source} boots only with UEFI "
            f"({', '.join(report.esp_loaders)} on its EFI system partition)",
            "import with --boot-mode uefi",
        )
    elif wanted == "uefi" and mode is BootMode.LEGACY_BIOS:
        yield problem(
            ProblemCode.BOOT_MODE_MISMATCH,
            source,
            f"the import asks for uefi but {source} boots only with a legacy BIOS "
            f"({report.partition_table}, no EFI system partition with a loader)",
            "import with --boot-mode legacy-bios",
        )
    needs_uefi = wanted == "uefi" or mode is BootMode.UNKNOWN
    if report.esp_faults and not report.esp_loaders and needs_uefi:
        for fault in report.esp_faults:
            yield _esp_problem(report, fault, legacy=mode is BootMode.LEGACY_BIOS)
        return
    if report.has_esp and not report.esp_loaders and needs_uefi:
        yield problem(
            ProblemCode.UEFI_NO_FALLBACK_LOADER,
            source,
            f"the EFI system partition of {source} has no \\EFI\\BOOT\\BOOTX64.EFI",
            "install the removable-media loader before exporting: grub-install --removable "
            "(or copy \\EFI\\<distribution>\\shimx64.efi to \\EFI\\BOOT\\BOOTX64.EFI)",
        )


def _esp_problem(report: DiskReport, fault: EspFault, *, legacy: bool) -> Diagnostic:
    source = report.source
    if fault.damage is not None:
        what = f"a FAT file system that cannot be read ({fault.damage})"
    elif fault.found is not None:
        what = f"{fault.found}, not a FAT file system"
    else:
        what = "no file system"
    remedy = (
        "format it as FAT32 (mkfs.vfat -F 32 on the partition) and install the removable-media "
        "loader (grub-install --removable), then export the disk again"
    )
    if legacy:
        remedy += "; or import with --boot-mode legacy-bios (the disk also boots with a BIOS)"
    return problem(
        ProblemCode.ESP_NOT_FAT,
        source,
        f"the EFI system partition (partition {fault.number}) of {source} holds {what}: "
        "UEFI firmware reads only FAT there, so it cannot boot the disk",
        remedy,
    )


def _request_problems(
    source: str, request: ImportRequest, boot: DiskReport | None
) -> Iterator[Diagnostic]:
    if request.boot_mode == "uefi-preferred":
        yield problem(
            ProblemCode.BOOT_MODE_UNSUPPORTED,
            source,
            "the boot mode uefi-preferred is not supported for importing images",
            "import with --boot-mode uefi or --boot-mode legacy-bios",
        )
    arm_disk = boot is not None and boot.esp_loaders == ("BOOTAA64.EFI",)
    if request.architecture == "arm64" or arm_disk:
        why = (
            "the import asks for arm64"
            if request.architecture == "arm64"
            else (f"{source} holds only an arm64 loader (BOOTAA64.EFI)")
        )
        yield problem(
            ProblemCode.ARM64_UNSUPPORTED,
            source,
            f"{why}: ImportImage takes i386 and x86_64 images only",
            "import the disk with aws ec2 import-snapshot, then aws ec2 register-image "
            "--architecture arm64 --boot-mode uefi --root-device-name /dev/sda1",
        )


def disk_problems(
    report: DiskReport,
    request: ImportRequest,
    *,
    boot: bool,
    declared: str | None = None,
    inside: str | None = None,
    formats: frozenset[ContainerFormat] = ACCEPTED_FORMATS,
) -> list[Diagnostic]:
    """The problems of one disk image (an OVA and its disks included; ``inside``: the OVA
    this disk is a member of; ``formats``: the containers the road takes, ImportImage's by
    default, the others judged by the caller, ``vmimport.roadcheck``)."""
    file = DiskFile(report.source) if inside is None else DiskFile.inside(inside, report.source)
    found = list(_format_problems(report, declared, file, formats))
    if any(p.code is ProblemCode.UNSUPPORTED_FORMAT for p in found):
        return found
    found.extend(_container_problems(report, file))
    found.extend(_ova_problems(report))
    if report.format is ContainerFormat.OVA:
        for index, disk in enumerate(report.disks):
            first = boot and index == 0
            found.extend(
                disk_problems(disk, request, boot=first, declared="vmdk", inside=report.source)
            )
        return found
    found.extend(_contents_problems(report, request, boot))
    return found


def image_problems(
    reports: Sequence[DiskReport],
    request: ImportRequest,
    *,
    formats: frozenset[ContainerFormat] = ACCEPTED_FORMATS,
) -> list[Diagnostic]:
    """Every disk-side problem of one import (its disks in order, the first the boot disk;
    ``formats`` as ``disk_problems`` takes them)."""
    found: list[Diagnostic] = []
    for index, report in enumerate(reports):
        found.extend(
            disk_problems(
                report, request, boot=index == 0, declared=request.format, formats=formats
            )
        )
    disks = [disk for report in reports for disk in report.all_disks()]
    source = reports[0].source if reports else ""
    found.extend(_request_problems(source, request, disks[0] if disks else None))
    if len(disks) > MAX_VOLUMES:
        found.append(
            problem(
                ProblemCode.TOO_MANY_VOLUMES,
                source,
                f"the image has {len(disks)} volumes: VM Import takes at most {MAX_VOLUMES}",
                "import the boot disk and at most 20 data disks; import the rest with "
                "aws ec2 import-snapshot",
            )
        )
    return found
