"""OVA: a POSIX tar whose first member is the OVF descriptor, then the disks.

The disks are the files the descriptor's ``References`` name; a descriptor
that splits a file (``ovf:chunkSize``, members ``disk.vmdk.000000000``...)
makes a chunked OVA, which VM Import refuses.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from xml.etree import ElementTree

from ec2_import_image.diskimage.blob import Blob, BlobReader, SliceBlob

USTAR_AT = 257
USTAR = b"ustar"
_CHUNK_NAME = re.compile(r"\.\d{9}$")
_DISK_SUFFIXES = (".vmdk", ".vhd", ".vhdx", ".img", ".raw")
_MAX_OVF = 4 * 1024 * 1024
_MAX_MEMBERS = 4096


class OvaError(Exception):
    """Why the bytes are not an OVA VM Import can read."""


@dataclass(frozen=True)
class OvaDisk:
    name: str
    blob: Blob


@dataclass(frozen=True)
class OvaContents:
    descriptor: str
    disks: tuple[OvaDisk, ...]
    chunked: bool


def is_tar(head: bytes) -> bool:
    return head[USTAR_AT : USTAR_AT + 5] == USTAR


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _references(ovf: bytes) -> tuple[list[str], bool]:
    """The file names the descriptor references, and whether any is chunked."""
    try:
        root = ElementTree.fromstring(ovf)
    except ElementTree.ParseError as exc:
        raise OvaError("the OVF descriptor is not valid XML") from exc
    names: list[str] = []
    chunked = False
    for element in root.iter():
        if _local(element.tag) != "File":
            continue
        attributes = {_local(key): value for key, value in element.attrib.items()}
        if "href" in attributes:
            names.append(attributes["href"])
        if "chunkSize" in attributes:
            chunked = True
    return names, chunked


def read_ova(blob: Blob) -> OvaContents:
    if not is_tar(blob.read(0, 512)):
        raise OvaError("the file is not a POSIX tar archive")
    try:
        with tarfile.open(fileobj=BlobReader(blob), mode="r:") as archive:
            members = []
            for member in archive:
                members.append(member)
                if len(members) > _MAX_MEMBERS:
                    raise OvaError("the archive has too many members")
    except tarfile.TarError as exc:
        raise OvaError(f"the tar archive is damaged ({exc})") from exc
    files = [member for member in members if member.isfile()]
    if not files or not files[0].name.lower().endswith(".ovf"):
        raise OvaError("the first file of the archive is not the OVF descriptor")
    descriptor = files[0]
    if descriptor.size > _MAX_OVF:
        raise OvaError("the OVF descriptor is too large")
    ovf = blob.read(descriptor.offset_data, descriptor.size)
    referenced, chunked = _references(ovf)
    by_name = {member.name: member for member in files[1:]}
    if any(_CHUNK_NAME.search(name) for name in by_name):
        chunked = True
    candidates = referenced if referenced else list(by_name)
    names = [n for n in candidates if n in by_name and n.lower().endswith(_DISK_SUFFIXES)]
    disks = tuple(
        OvaDisk(name, SliceBlob(blob, by_name[name].offset_data, by_name[name].size))
        for name in names
    )
    return OvaContents(descriptor.name, disks, chunked)
