"""What a disk image is, from its bytes, and whether VM Import takes it as declared.

``identify`` names the container a blob is in; ``inspect`` checks it against
the declared Format as the service's validation does and returns the disks
found (an OVA holds several) or the failure the task ends with.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec2_import_image.diskimage import ova, vhd, vmdk
from ec2_import_image.diskimage.blob import Blob

QCOW2 = "qcow2"
VMDK_SPARSE = "vmdk-sparse"
VMDK_DESCRIPTOR = "vmdk-descriptor"
VHD = "vhd"
VHDX = "vhdx"
TAR = "tar"
RAW_GPT = "raw-gpt"
RAW_MBR = "raw-mbr"
UNKNOWN = "unknown"

KIND_NAMES = {
    QCOW2: "QCOW2",
    VMDK_SPARSE: "VMDK",
    VMDK_DESCRIPTOR: "VMDK descriptor",
    VHD: "VHD",
    VHDX: "VHDX",
    TAR: "tar archive",
    RAW_GPT: "RAW (GPT)",
    RAW_MBR: "RAW (MBR)",
    UNKNOWN: "no known format",
}

QCOW2_MAGIC = b"QFI\xfb"
VHDX_MAGIC = b"vhdxfile"
GPT_SIGNATURE = b"EFI PART"
MBR_SIGNATURE = b"\x55\xaa"
MAX_DISK_SIZE = 8 * 1024**4

UNSUPPORTED_VMDK = "ClientError: Unsupported VMDK File Format"
FOOTERS_NOT_IDENTICAL = "ClientError: Footers not identical"
UNKNOWN_OS = "ClientError: Unknown OS / Missing OS files"
CHUNKED_OVA = "ClientError: OVA with chunked disk files"


def _validation_failed(reason: str) -> str:
    return f"ClientError: Disk validation failed [{reason}]"


@dataclass(frozen=True)
class DiskImage:
    """One disk VM Import will convert."""

    format: str
    size: int
    virtual_size: int
    uefi: bool = False
    name: str = ""


@dataclass(frozen=True)
class Inspection:
    """The disks of one disk container, or the StatusMessage the task fails with."""

    disks: tuple[DiskImage, ...] = ()
    failure: str | None = None


def _failed(message: str) -> Inspection:
    return Inspection(failure=message)


def _partition_hint(head: bytes) -> str | None:
    if head[512:520] == GPT_SIGNATURE:
        return RAW_GPT
    if head[510:512] == MBR_SIGNATURE:
        return RAW_MBR
    return None


def identify(blob: Blob) -> str:
    """The container the bytes are in (one of the kinds above)."""
    head = blob.read(0, 1024)
    if head.startswith(QCOW2_MAGIC):
        return QCOW2
    if vmdk.is_sparse(head):
        return VMDK_SPARSE
    if head.startswith(VHDX_MAGIC):
        return VHDX
    if ova.is_tar(head):
        return TAR
    if vhd.read_footer(blob) is not None or head.startswith(vhd.COOKIE):
        return VHD
    if vmdk.is_descriptor(head):
        return VMDK_DESCRIPTOR
    return _partition_hint(head) or UNKNOWN


def _mismatch(declared: str, kind: str) -> Inspection:
    found = KIND_NAMES[kind]
    return _failed(_validation_failed(f"Unsupported specified file format: {declared} ({found})"))


def _inspect_vmdk(blob: Blob, kind: str, name: str = "") -> Inspection:
    if kind == VMDK_DESCRIPTOR:
        return _failed(UNSUPPORTED_VMDK)
    if kind != VMDK_SPARSE:
        return _mismatch("VMDK", kind)
    header = vmdk.read_sparse_header(blob)
    if header is None or not header.stream_optimized:
        return _failed(UNSUPPORTED_VMDK)
    return Inspection((DiskImage("VMDK", blob.size, header.capacity, name=name),))


def _inspect_vhd(blob: Blob) -> Inspection:
    footer = vhd.read_footer(blob)
    if footer is None:
        return _failed(FOOTERS_NOT_IDENTICAL)
    if not footer.checksum_ok:
        return _failed(_validation_failed("Invalid VHD footer checksum"))
    if footer.disk_type == vhd.DIFFERENCING:
        return _failed(_validation_failed("Differencing VHD disks are not supported"))
    if footer.disk_type == vhd.DYNAMIC:
        if not vhd.footer_copy_matches(blob, footer):
            return _failed(FOOTERS_NOT_IDENTICAL)
        if not vhd.has_dynamic_header(blob, footer):
            return _failed(_validation_failed("Invalid VHD dynamic disk header"))
        uefi = False
    elif footer.disk_type == vhd.FIXED:
        uefi = _partition_hint(blob.read(0, 1024)) == RAW_GPT
    else:
        return _failed(_validation_failed(f"Unknown VHD disk type {footer.disk_type}"))
    return Inspection((DiskImage("VHD", blob.size, footer.current_size, uefi=uefi),))


def _inspect_ova(blob: Blob) -> Inspection:
    try:
        contents = ova.read_ova(blob)
    except ova.OvaError as exc:
        return _failed(_validation_failed(f"Invalid OVA: {exc}"))
    if contents.chunked:
        return _failed(CHUNKED_OVA)
    if not contents.disks:
        return _failed(_validation_failed("Invalid OVA: the OVF descriptor references no disk"))
    disks: list[DiskImage] = []
    for disk in contents.disks:
        found = _inspect_vmdk(disk.blob, identify(disk.blob), disk.name)
        if found.failure is not None:
            return found
        disks.extend(found.disks)
    return Inspection(tuple(disks))


def inspect(declared: str, blob: Blob) -> Inspection:
    """Check a disk image against its declared Format (OVA, VHD, VHDX, VMDK, RAW)."""
    declared = declared.upper()
    kind = identify(blob)
    if kind == QCOW2:
        return _failed(_validation_failed("Unsupported file format: QCOW2"))
    if declared == "OVA":
        result = _inspect_ova(blob) if kind == TAR else _mismatch(declared, kind)
    elif declared == "VMDK":
        result = _inspect_vmdk(blob, kind)
    elif declared == "VHD":
        result = _inspect_vhd(blob) if kind == VHD else _mismatch(declared, kind)
    elif declared == "VHDX":
        result = (
            Inspection((DiskImage("VHDX", blob.size, blob.size),))
            if kind == VHDX
            else _mismatch(declared, kind)
        )
    elif kind in (RAW_GPT, RAW_MBR):
        result = Inspection((DiskImage("RAW", blob.size, blob.size, uefi=kind == RAW_GPT),))
    else:
        result = _failed(UNKNOWN_OS) if kind == UNKNOWN else _mismatch(declared, kind)
    if any(disk.virtual_size > MAX_DISK_SIZE for disk in result.disks):
        return _failed(_validation_failed("The disk is larger than 8 TiB"))
    return result
