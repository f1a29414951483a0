"""Which container a file is, from its first bytes (and a VHD's footer at the end).

Signatures: QCOW2 ``QFI\\xfb``; VDI's ``0xBEDA107F`` at 64; VMDK ``KDMV`` or a
text descriptor; VHDX ``vhdxfile``; a POSIX tar (``ustar`` at 257) is an OVA;
VHD ``conectix`` in the last 512 bytes (or at 0: a dynamic disk whose footer
is missing); RAW when a partition table or a file system starts the file.
Anything else is ``unknown``.
"""

from __future__ import annotations

import struct

from ec2_import_image.diskimage import filesystems, ova, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.records import ContainerFormat

QCOW2_MAGIC = b"QFI\xfb"
VDI_SIGNATURE = 0xBEDA107F
HEAD = 1024


def identify(blob: Blob) -> ContainerFormat:
    head = blob.read(0, HEAD)
    if head.startswith(QCOW2_MAGIC):
        return ContainerFormat.QCOW2
    if len(head) >= 68 and struct.unpack_from("<I", head, 64)[0] == VDI_SIGNATURE:
        return ContainerFormat.VDI
    if vmdk.is_sparse(head) or vmdk.is_descriptor(head):
        return ContainerFormat.VMDK
    if vhdx.is_vhdx(head):
        return ContainerFormat.VHDX
    if ova.is_tar(head):
        return ContainerFormat.OVA
    if vhd.read_footer(blob) is not None or head.startswith(vhd.COOKIE):
        return ContainerFormat.VHD
    if head[510:512] == b"\x55\xaa" or head[512:520] == b"EFI PART":
        return ContainerFormat.RAW
    if filesystems.detect(blob) is not None:
        return ContainerFormat.RAW
    return ContainerFormat.UNKNOWN
