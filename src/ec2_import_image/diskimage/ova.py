"""OVA: a POSIX tar whose first member is the OVF descriptor, then a manifest (optional), the disks.

The descriptor's ``References`` name the files (``ovf:size`` when known,
``ovf:chunkSize`` when a file is split into ``name.000000000``... members,
which VM Import refuses); its ``DiskSection`` says which files are disks.
The ``.mf`` manifest lists ``SHA1(name)= hex`` / ``SHA256(name)= hex``
digests: checking them reads every byte, so it is a separate step
(:func:`verify_manifest`) that the caller runs when it chooses, with progress.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from ec2_import_image.diskimage.blob import Blob, BlobReader, SliceBlob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.records import ManifestEntry, OvaFacts, OvfFile

USTAR_AT = 257
USTAR = b"ustar"
_CHUNK_NAME = re.compile(r"\.\d{9}$")
_DISK_SUFFIXES = (".vmdk", ".vhd", ".vhdx", ".img", ".raw")
_MAX_OVF = 4 * 1024 * 1024
_MAX_MANIFEST = 1024 * 1024
_MAX_MEMBERS = 4096
_MANIFEST_LINE = re.compile(r"^\s*(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9A-Fa-f]+)\s*$", re.M)
#: bytes per read while digesting (large enough to pass a block cache untouched)
DIGEST_CHUNK = 8 * 1024 * 1024

#: progress(bytes_done, bytes_total)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Member:
    name: str
    offset: int
    size: int


@dataclass(frozen=True)
class OvaDisk:
    name: str
    blob: Blob


@dataclass(frozen=True)
class OvaContents:
    facts: OvaFacts
    members: tuple[Member, ...]
    disks: tuple[OvaDisk, ...]

    def disk_members(self) -> tuple[Member, ...]:
        """Where each disk lies in the archive (its tar member), in the order of ``disks``."""
        by_name = {member.name: member for member in self.members}
        return tuple(by_name[disk.name] for disk in self.disks)


@dataclass(frozen=True)
class DigestCheck:
    """One manifest line checked: ``actual`` is None when the file is not in the archive."""

    name: str
    algorithm: str
    expected: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.actual is not None and self.actual == self.expected.lower()


def is_tar(head: bytes) -> bool:
    return head[USTAR_AT : USTAR_AT + 5] == USTAR


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(element: ElementTree.Element) -> dict[str, str]:
    return {_local(key): value for key, value in element.attrib.items()}


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def parse_ovf(ovf: bytes) -> tuple[tuple[OvfFile, ...], tuple[str, ...]]:
    """The files the descriptor references, and the hrefs of those that are disks."""
    try:
        root = ElementTree.fromstring(ovf)
    except (ElementTree.ParseError, ValueError) as exc:
        raise FormatError("the OVF descriptor is not valid XML") from exc
    files: list[OvfFile] = []
    by_id: dict[str, str] = {}
    disk_refs: list[str] = []
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        attributes = _attributes(element)
        if tag == "File" and "href" in attributes:
            href = attributes["href"]
            files.append(OvfFile(href, _int(attributes.get("size")), "chunkSize" in attributes))
            by_id[attributes.get("id", href)] = href
        elif tag == "Disk" and "fileRef" in attributes:
            disk_refs.append(attributes["fileRef"])
    disks = [by_id[ref] for ref in disk_refs if ref in by_id]
    if not disks:
        disks = [file.href for file in files if file.href.lower().endswith(_DISK_SUFFIXES)]
    return tuple(files), tuple(dict.fromkeys(disks))


def parse_manifest(text: bytes) -> tuple[ManifestEntry, ...]:
    decoded = text.decode("utf-8", "replace")
    return tuple(
        ManifestEntry(algorithm.upper(), name.strip(), digest.lower())
        for algorithm, name, digest in _MANIFEST_LINE.findall(decoded)
    )


def _members(blob: Blob) -> tuple[Member, ...]:
    if not is_tar(blob.read(0, 512)):
        raise FormatError("the file is not a POSIX tar archive")
    found: list[Member] = []
    try:
        with tarfile.open(fileobj=BlobReader(blob), mode="r:") as archive:
            for info in archive:
                if len(found) >= _MAX_MEMBERS:
                    raise FormatError("the archive has too many members")
                if info.isfile():
                    found.append(Member(info.name, info.offset_data, info.size))
    except (tarfile.TarError, ValueError, EOFError, UnicodeError, OverflowError) as exc:
        raise FormatError(f"the tar archive is damaged ({exc})") from exc
    return tuple(found)


def read_ova(blob: Blob) -> OvaContents:
    """The archive's members, the descriptor's references and manifest, and the disks."""
    members = _members(blob)
    by_name = {member.name: member for member in members}
    first = members[0] if members else None
    descriptor = first.name if first is not None and first.name.lower().endswith(".ovf") else None
    references: tuple[OvfFile, ...] = ()
    disk_names: tuple[str, ...] = ()
    if first is not None and descriptor is not None:
        if first.size > _MAX_OVF:
            raise FormatError("the OVF descriptor is too large")
        references, disk_names = parse_ovf(blob.read(first.offset, first.size))
    missing = tuple(
        file.href
        for file in references
        if not file.chunked
        and (
            file.href not in by_name
            or (file.size is not None and by_name[file.href].size != file.size)
        )
    )
    chunked = any(file.chunked for file in references) or any(
        _CHUNK_NAME.search(name) for name in by_name
    )
    manifest = next((m for m in members if m.name.lower().endswith(".mf")), None)
    entries: tuple[ManifestEntry, ...] = ()
    if manifest is not None:
        entries = parse_manifest(blob.read(manifest.offset, min(manifest.size, _MAX_MANIFEST)))
    facts = OvaFacts(
        descriptor=descriptor,
        members=tuple(member.name for member in members),
        references=references,
        missing=missing,
        chunked=chunked,
        manifest=manifest.name if manifest is not None else None,
        manifest_entries=entries,
    )
    disks = tuple(
        OvaDisk(name, SliceBlob(blob, by_name[name].offset, by_name[name].size))
        for name in disk_names
        if name in by_name
    )
    return OvaContents(facts, members, disks)


def verify_manifest(
    blob: Blob, contents: OvaContents, progress: Progress | None = None
) -> tuple[DigestCheck, ...]:
    """Digest every file the manifest names (every byte of it is read), reporting progress."""
    by_name = {member.name: member for member in contents.members}
    entries = contents.facts.manifest_entries
    total = sum(by_name[entry.name].size for entry in entries if entry.name in by_name)
    done = 0
    checks: list[DigestCheck] = []
    for entry in entries:
        member = by_name.get(entry.name)
        if member is None:
            checks.append(DigestCheck(entry.name, entry.algorithm, entry.digest, None))
            continue
        digest = hashlib.new(entry.algorithm.lower())
        position = 0
        while position < member.size:
            data = blob.read(member.offset + position, min(DIGEST_CHUNK, member.size - position))
            if not data:
                break
            digest.update(data)
            position += len(data)
            done += len(data)
            if progress is not None:
                progress(done, total)
        checks.append(DigestCheck(entry.name, entry.algorithm, entry.digest, digest.hexdigest()))
    return tuple(checks)
