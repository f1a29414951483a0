"""LVM2 physical volumes and the linear logical volumes on them (RHEL-family roots).

Written from the libvslvm project's *Logical Volume Manager (LVM) format*
(https://github.com/libyal/libvslvm/blob/main/documentation/Logical%20Volume%20Manager%20(LVM)%20format.asciidoc),
Red Hat's *LVM Administration*, appendix "LVM Volume Group Metadata", and
pvck(8) (which prints each structure named here):

- the **label** (``label_header``) is in one of the first four 512-byte
  sectors: ``LABELONE``, its own sector number, a CRC of the rest of the sector,
  the offset of the PV header, ``LVM2 001``;
- the **PV header**: the PV's UUID (32 characters, shown in 6-4-4-4-4-4-6
  groups), the device's size, then two lists of (offset, size) ended by zeros:
  the data areas and the metadata areas;
- a **metadata area** starts with an ``mda_header`` (CRC, magic
  `` LVM2 x[5A%r0N*>``, version 1, the area's start and size, then
  ``raw_locn`` entries: offset into the area, size, CRC and flags of the
  metadata text); the area after its first 512 bytes is a circular buffer, so
  the current text may run past the area's end and continue right after the
  header;
- the **metadata text** (LVM2's configuration syntax, ``lvm_config``) holds one
  volume group: its extent size (in 512-byte sectors), its PVs by UUID with
  ``pe_start`` (sectors) and ``pe_count``, its logical volumes with their
  segments (``start_extent``, ``extent_count``, ``type``; for ``striped``,
  ``stripe_count`` and ``stripes``: a PV name and its first extent).

The CRCs are LVM's: CRC-32 (the zlib polynomial) from 0xf597a6cf, not
inverted.  A metadata area whose header or text fails its CRC is not used;
the copy with the highest ``seqno`` is.

A linear logical volume (every segment ``striped`` with one stripe) becomes a
``Blob``: its segments, in order, each a slice of a PV at ``pe_start +
first extent × extent size``.  A VG may span several PVs (several disks of
one image): ``logical_volumes`` takes all of them; a logical volume needing a
PV that was not given, a striped one over several PVs, or a thin, RAID,
mirror, cache, snapshot or VDO one is listed with the reason it is not read,
and ``open()`` refuses it with that reason.  Only visible logical volumes
(those ``/dev/VG/`` shows) are listed.
"""

from __future__ import annotations

import bisect
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from ec2_import_image.diskimage.blob import Blob, SliceBlob, clamp_read
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.lvm_config import Section, Value, parse

SECTOR = 512
LABEL_SECTORS = 4
LABEL_ID = b"LABELONE"
LABEL_TYPE = b"LVM2 001"
MDA_MAGIC = b" LVM2 x[5A%r0N*>"
MDA_HEADER_SIZE = 512
INITIAL_CRC = 0xF597A6CF
RAW_LOCN_IGNORED = 0x1
#: the largest metadata text read (a VG of thousands of LVs stays well below)
MAX_METADATA = 16 * 1024 * 1024
_LABEL = struct.Struct("<8sQII8s")
_LOCN = struct.Struct("<QQ")
_MDA = struct.Struct("<I16sIQQ")
_RAW_LOCN = struct.Struct("<QQII")
_KINDS = {
    "thin": "a thin volume",
    "thin-pool": "a thin pool",
    "mirror": "a mirror",
    "snapshot": "a snapshot",
    "cache": "a cached volume",
    "cache-pool": "a cache pool",
    "writecache": "a cached volume",
    "vdo": "a VDO volume",
    "vdo-pool": "a VDO pool",
    "error": "an error volume",
    "zero": "a zero volume",
}


def lvm_crc(data: bytes, crc: int = INITIAL_CRC) -> int:
    """LVM's CRC: the zlib CRC-32 polynomial, from ``crc``, without the final inversion."""
    return zlib.crc32(data, crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def format_uuid(raw: str) -> str:
    """A PV header's 32-character UUID as LVM shows it (6-4-4-4-4-4-6)."""
    cuts = (0, 6, 10, 14, 18, 22, 26, 32)
    return "-".join(raw[cuts[index] : cuts[index + 1]] for index in range(7))


def _bare(uuid: str) -> str:
    return uuid.replace("-", "")


@dataclass(frozen=True)
class Area:
    """A data or metadata area: offset and size in bytes from the PV's start (size 0: to
    the end of the device)."""

    offset: int
    size: int


@dataclass(frozen=True)
class Metadata:
    """One copy of a VG's metadata text, as found in a metadata area."""

    area: Area
    #: where the text is: offset into the area and size (``wrapped``: it runs past the
    #: area's end and continues after the area's header)
    offset: int
    size: int
    wrapped: bool
    text: str
    vg_name: str
    vg_uuid: str
    seqno: int
    config: Section = field(compare=False, repr=False)


@dataclass(frozen=True)
class PhysicalVolume:
    uuid: str
    device_size: int
    label_sector: int
    data_areas: tuple[Area, ...]
    metadata_areas: tuple[Area, ...]
    #: the newest valid metadata on this PV (None: a PV without metadata, or in no VG)
    metadata: Metadata | None
    blob: Blob = field(compare=False, repr=False)


def _areas(sector: bytes, position: int) -> tuple[tuple[Area, ...], int]:
    """A zero-ended list of (offset, size) from ``position``, and where it ends."""
    found: list[Area] = []
    while True:
        if position + _LOCN.size > len(sector):
            raise FormatError("the LVM PV header's area lists run past its sector")
        offset, size = _LOCN.unpack_from(sector, position)
        position += _LOCN.size
        if offset == 0:
            return tuple(found), position
        found.append(Area(offset, size))


def _label(blob: Blob) -> tuple[int, bytes, int]:
    """The sector number of the PV's label, the sector and the PV header's offset in it."""
    for number in range(LABEL_SECTORS):
        sector = blob.read(number * SECTOR, SECTOR)
        if len(sector) < SECTOR or sector[:8] != LABEL_ID:
            continue
        _id, recorded, crc, offset, kind = _LABEL.unpack_from(sector)
        if recorded != number:
            raise FormatError(f"the LVM label in sector {number} says it is in sector {recorded}")
        if lvm_crc(sector[20:]) != crc:
            raise FormatError("the LVM label fails its CRC")
        if kind != LABEL_TYPE:
            raise FormatError(f"LVM label type {kind!r} is not read (only LVM2 001)")
        if not _LABEL.size <= offset <= SECTOR - 40 - 2 * _LOCN.size:
            raise FormatError("the LVM label's PV header offset is out of bounds")
        return number, sector, offset
    raise FormatError("no LVM2 label (LABELONE) in the first four sectors")


def _metadata(blob: Blob, area: Area) -> Metadata | None:
    """The current metadata of one area: None when the area holds none (or is ignored);
    FormatError when its header or text is damaged."""
    header = blob.read(area.offset, MDA_HEADER_SIZE)
    if len(header) < MDA_HEADER_SIZE:
        raise FormatError("an LVM metadata area is past the end of the device")
    crc, magic, version, start, size = _MDA.unpack_from(header)
    if magic != MDA_MAGIC or version != 1:
        raise FormatError("an LVM metadata area's header has no magic")
    if lvm_crc(header[4:]) != crc:
        raise FormatError("an LVM metadata area's header fails its CRC")
    if start != area.offset or size <= MDA_HEADER_SIZE or (area.size and size > area.size):
        raise FormatError("an LVM metadata area's header disagrees with the PV header")
    offset, length, text_crc, flags = _RAW_LOCN.unpack_from(header, _MDA.size)
    if flags & RAW_LOCN_IGNORED or offset == 0 or length == 0:
        return None
    if not MDA_HEADER_SIZE <= offset < size or length > min(size - MDA_HEADER_SIZE, MAX_METADATA):
        raise FormatError("an LVM metadata text is out of its area's bounds")
    wrapped = offset + length > size
    if wrapped:
        first = size - offset
        raw = blob.read(start + offset, first) + blob.read(start + MDA_HEADER_SIZE, length - first)
    else:
        raw = blob.read(start + offset, length)
    if len(raw) != length:
        raise FormatError("an LVM metadata text is past the end of the device")
    if lvm_crc(raw) != text_crc:
        raise FormatError("an LVM metadata text fails its CRC")
    text = raw.rstrip(b"\0").decode("utf-8", "replace")
    config = parse(text)
    groups = [(name, value) for name, value in config.items() if isinstance(value, dict)]
    if len(groups) != 1:
        raise FormatError(f"LVM metadata holds {len(groups)} volume groups, not one")
    name, group = groups[0]
    return Metadata(
        area,
        offset,
        length,
        wrapped,
        text,
        name,
        _text(group, "id", name),
        _number(group, "seqno", name),
        config,
    )


def read_pv(blob: Blob) -> PhysicalVolume:
    """A physical volume's label, header and newest valid metadata."""
    number, sector, offset = _label(blob)
    raw_uuid = sector[offset : offset + 32]
    try:
        uuid = raw_uuid.decode("ascii")
    except UnicodeDecodeError:
        raise FormatError("the LVM PV's UUID is not text") from None
    (device_size,) = struct.unpack_from("<Q", sector, offset + 32)
    data_areas, position = _areas(sector, offset + 40)
    metadata_areas, _ = _areas(sector, position)
    copies: list[Metadata] = []
    damaged: list[str] = []
    for area in metadata_areas:
        try:
            found = _metadata(blob, area)
        except FormatError as error:
            damaged.append(str(error))
            continue
        if found is not None:
            copies.append(found)
    if damaged and not copies:
        raise FormatError(f"no usable LVM metadata on PV {format_uuid(uuid)}: {damaged[0]}")
    return PhysicalVolume(
        format_uuid(uuid),
        device_size,
        number,
        data_areas,
        metadata_areas,
        max(copies, key=lambda copy: copy.seqno) if copies else None,
        blob,
    )


class _Concatenation:
    """Blobs one after another (a logical volume's segments)."""

    def __init__(self, parts: Sequence[Blob]) -> None:
        self._parts = list(parts)
        self._starts: list[int] = []
        total = 0
        for part in self._parts:
            self._starts.append(total)
            total += part.size
        self._size = total

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        pieces: list[bytes] = []
        index = bisect.bisect_right(self._starts, offset) - 1
        while length > 0:
            part = self._parts[index]
            within = offset - self._starts[index]
            piece = part.read(within, min(length, part.size - within))
            if not piece:
                break
            pieces.append(piece)
            offset += len(piece)
            length -= len(piece)
            index += 1
        return b"".join(pieces)


@dataclass(frozen=True)
class Segment:
    """A run of a logical volume's extents and where it is: (PV UUID, first extent) per
    stripe (one for a linear segment)."""

    start_extent: int
    extent_count: int
    type: str
    stripes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class LogicalVolume:
    name: str
    vg_name: str
    uuid: str
    size: int
    segments: tuple[Segment, ...]
    status: tuple[str, ...]
    #: why it is not read (None: it is)
    problem: str | None
    blob: Blob | None = field(default=None, compare=False, repr=False)

    @property
    def path(self) -> str:
        return f"{self.vg_name}/{self.name}"

    def open(self) -> Blob:
        """The logical volume's bytes; refused (FormatError) with ``problem`` when set."""
        if self.problem is not None or self.blob is None:
            raise FormatError(self.problem or f"logical volume {self.path} is not read")
        return self.blob


@dataclass(frozen=True)
class PvRef:
    """A PV as the VG's metadata names it."""

    name: str
    uuid: str
    device: str
    pe_start: int
    pe_count: int


@dataclass(frozen=True)
class VolumeGroup:
    name: str
    uuid: str
    seqno: int
    extent_size: int
    physical_volumes: tuple[PvRef, ...]
    logical_volumes: tuple[LogicalVolume, ...]
    #: the UUIDs of the VG's PVs that were not given
    missing: tuple[str, ...]


def _get(section: Section, key: str, where: str) -> Value:
    if key not in section:
        raise FormatError(f"LVM metadata: {where} has no {key}")
    return section[key]


def _number(section: Section, key: str, where: str) -> int:
    value = _get(section, key, where)
    if not isinstance(value, int) or value < 0:
        raise FormatError(f"LVM metadata: {where}'s {key} is not a count")
    return value


def _text(section: Section, key: str, where: str) -> str:
    value = _get(section, key, where)
    if not isinstance(value, str):
        raise FormatError(f"LVM metadata: {where}'s {key} is not a string")
    return value


def _sections(section: Section, key: str) -> dict[str, Section]:
    value = section.get(key, {})
    if not isinstance(value, dict):
        raise FormatError(f"LVM metadata: {key} is not a section")
    return {name: item for name, item in value.items() if isinstance(item, dict)}


def _segment(section: Section, where: str, pvs: dict[str, PvRef]) -> Segment:
    kind = _text(section, "type", where)
    stripes: list[tuple[str, int]] = []
    if kind == "striped":
        raw = _get(section, "stripes", where)
        if not isinstance(raw, list) or not raw or len(raw) % 2:
            raise FormatError(f"LVM metadata: {where}'s stripes are not (PV, extent) pairs")
        for name, extent in zip(raw[::2], raw[1::2], strict=True):
            if not isinstance(name, str) or not isinstance(extent, int) or extent < 0:
                raise FormatError(f"LVM metadata: {where}'s stripes are not (PV, extent) pairs")
            if name not in pvs:
                raise FormatError(f"LVM metadata: {where} is on {name}, which the VG does not list")
            stripes.append((pvs[name].uuid, extent))
        if _number(section, "stripe_count", where) != len(stripes):
            raise FormatError(f"LVM metadata: {where}'s stripe count disagrees with its stripes")
    return Segment(
        _number(section, "start_extent", where),
        _number(section, "extent_count", where),
        kind,
        tuple(stripes),
    )


def _logical_volume(
    name: str,
    section: Section,
    group: tuple[str, int, dict[str, PvRef]],
    given: dict[str, PhysicalVolume],
) -> LogicalVolume:
    vg_name, extent_size, pvs = group
    path = f"{vg_name}/{name}"
    status_value = section.get("status", [])
    status = tuple(str(item) for item in status_value) if isinstance(status_value, list) else ()
    segments = sorted(
        (
            _segment(value, f"{path} {key}", pvs)
            for key, value in section.items()
            if key.startswith("segment") and isinstance(value, dict)
        ),
        key=lambda segment: segment.start_extent,
    )
    expected = 0
    for segment in segments:
        if segment.start_extent != expected or segment.extent_count == 0:
            raise FormatError(f"LVM metadata: the segments of {path} do not follow one another")
        expected += segment.extent_count
    size = expected * extent_size
    problem = _problem(path, segments, pvs, given)
    blob: Blob | None = None
    if problem is None:
        parts: list[Blob] = []
        by_uuid = {ref.uuid: ref for ref in pvs.values()}
        for segment in segments:
            uuid, first = segment.stripes[0]
            ref = by_uuid[uuid]
            pv = given[_bare(uuid)]
            start = ref.pe_start + first * extent_size
            length = segment.extent_count * extent_size
            if first + segment.extent_count > ref.pe_count or start + length > pv.blob.size:
                problem = f"logical volume {path} reaches past the end of PV {uuid}"
                break
            parts.append(SliceBlob(pv.blob, start, length))
        else:
            blob = _Concatenation(parts)
    return LogicalVolume(
        name,
        vg_name,
        _text(section, "id", path),
        size,
        tuple(segments),
        status,
        problem,
        blob,
    )


def _problem(
    path: str, segments: list[Segment], pvs: dict[str, PvRef], given: dict[str, PhysicalVolume]
) -> str | None:
    """Why a logical volume is not read, or None."""
    for segment in segments:
        if segment.type != "striped":
            kind = _KINDS.get(segment.type)
            if kind is None:
                name = segment.type.upper() if segment.type.startswith("raid") else segment.type
                kind = f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} volume"
            return f"logical volume {path} is {kind}: not read"
        if len(segment.stripes) > 1:
            return (
                f"logical volume {path} is striped over {len(segment.stripes)} physical "
                "volumes: not read"
            )
    by_uuid = {ref.uuid: ref for ref in pvs.values()}
    for segment in segments:
        uuid = segment.stripes[0][0]
        if _bare(uuid) not in given:
            ref = by_uuid[uuid]
            return (
                f"logical volume {path} needs physical volume {uuid} (last seen as "
                f"{ref.device or ref.name}), which was not given"
            )
    return None


def _volume_group(metadata: Metadata, given: dict[str, PhysicalVolume]) -> VolumeGroup:
    name = metadata.vg_name
    group = metadata.config[name]
    assert isinstance(group, dict)
    extent_size = _number(group, "extent_size", name) * SECTOR
    if extent_size == 0:
        raise FormatError(f"LVM metadata: {name}'s extent size is 0")
    pvs: dict[str, PvRef] = {}
    for pv_name, section in _sections(group, "physical_volumes").items():
        where = f"{name} {pv_name}"
        device = section.get("device", "")
        pvs[pv_name] = PvRef(
            pv_name,
            _text(section, "id", where),
            device if isinstance(device, str) else "",
            _number(section, "pe_start", where) * SECTOR,
            _number(section, "pe_count", where),
        )
    volumes = []
    for lv_name, section in _sections(group, "logical_volumes").items():
        volume = _logical_volume(lv_name, section, (name, extent_size, pvs), given)
        if "VISIBLE" in volume.status:
            volumes.append(volume)
    missing = tuple(ref.uuid for ref in pvs.values() if _bare(ref.uuid) not in given)
    return VolumeGroup(
        name,
        metadata.vg_uuid,
        metadata.seqno,
        extent_size,
        tuple(pvs.values()),
        tuple(volumes),
        missing,
    )


def volume_groups(pvs: Sequence[PhysicalVolume]) -> list[VolumeGroup]:
    """The volume groups the given PVs' metadata describes (the newest copy of each)."""
    given = {_bare(pv.uuid): pv for pv in pvs}
    newest: dict[str, Metadata] = {}
    for pv in pvs:
        copy = pv.metadata
        if copy is None:
            continue
        known = newest.get(copy.vg_uuid)
        if known is None or copy.seqno > known.seqno:
            newest[copy.vg_uuid] = copy
    return [_volume_group(copy, given) for copy in newest.values()]


def logical_volumes(pvs: Sequence[PhysicalVolume]) -> list[LogicalVolume]:
    """Every visible logical volume of the given PVs' volume groups (see ``problem``)."""
    return [volume for group in volume_groups(pvs) for volume in group.logical_volumes]
