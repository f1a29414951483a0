"""What a snapshot holds: the one place the image package reads a snapshot's content.

``snapshot_content`` is the switch.  Today the content is what the emulator
attached to moto's snapshot object: an ImportImage task's snapshots carry the
virtual disk read through its container (``..aws_state``), a copy carries its
source's; a snapshot nothing was attached to (CreateSnapshot of a new volume)
reads as zeros of its size, which is what such a volume holds.  When the
emulator's EBS-direct and ImportSnapshot store lands (``snapshots.snapshot_blob``),
its snapshots are read through it here and nowhere else.

``virtual_disk`` opens an image file's virtual disk through its container with
the shared readers (RAW, stream-optimized and sparse VMDK, fixed and dynamic
VHD, VHDX, an OVA's disk).  It is the emulator's interim copy of the shared
``diskimage.virtual.open_virtual_disk`` that the qcow2/VDI work adds; it goes
when that lands.
"""

from __future__ import annotations

from ec2_import_emulator.images import moto_ec2
from ec2_import_image.diskimage import ova, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob, clamp_read
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.diskimage.identify import identify
from ec2_import_image.diskimage.records import ContainerFormat

GIB = 1024**3


class ZeroBlob:
    """``size`` bytes of zeros, never stored."""

    #: every byte from here on is zero (``bootcheck.holds_data`` stops there)
    data_end = 0

    def __init__(self, size: int) -> None:
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        return bytes(clamp_read(offset, length, self._size))


class PaddedBlob:
    """A disk's bytes, then zeros up to ``size`` (a volume is a whole number of GiB)."""

    def __init__(self, content: Blob, size: int) -> None:
        self._content = content
        self._size = max(size, content.size)
        self.data_end = min(content.size, int(getattr(content, "data_end", content.size)))

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        if not length:
            return b""
        head = self._content.read(offset, length) if offset < self._content.size else b""
        return head + bytes(length - len(head))


def virtual_disk(image: Blob, member: str | None = None) -> Blob | None:
    """The virtual disk inside an image file (an OVA's disk ``member``, else its first); None
    when the container cannot be opened."""
    try:
        fmt = identify(image)
        if fmt is ContainerFormat.RAW:
            return image
        if fmt is ContainerFormat.VMDK:
            header = vmdk.read_vmdk(image).header
            return None if header is None else vmdk.SparseDisk(image, header)
        if fmt is ContainerFormat.VHD:
            footer = vhd.read_footer(image) or vhd.read_copy(image)
            if footer is None or footer.variant is None:
                return None
            if footer.variant.value == "fixed":
                return vhd.fixed_disk(image, footer)
            return vhd.DynamicDisk(image, footer, vhd.read_dynamic_header(image, footer))
        if fmt is ContainerFormat.VHDX:
            return vhdx.VhdxDisk(image, vhdx.read_layout(image))
        if fmt is ContainerFormat.OVA:
            disks = ova.read_ova(image).disks
            chosen = [d for d in disks if member is None or d.name == member][:1]
            return virtual_disk(chosen[0].blob) if chosen else None
    except (DiskImageError, ValueError, IndexError, KeyError, OSError):
        return None
    return None


def snapshot_content(account: str, region: str, snapshot_id: str) -> Blob | None:
    """The bytes of the snapshot's volume (``volume size`` bytes); None when the account has no
    such snapshot in the Region."""
    snapshot = moto_ec2.find_snapshot(account, region, snapshot_id)
    if snapshot is None:
        return None
    size = moto_ec2.snapshot_size_gib(snapshot) * GIB
    content = moto_ec2.content_of(snapshot)
    if content is None:
        return ZeroBlob(size)
    return PaddedBlob(content, size)
