"""A small read-only NTFS reader: the ``tree.Volume`` primitives over an NTFS volume.

Written from the Linux-NTFS project's *NTFS Documentation* (Richard Russon, Yuval Fledel;
https://flatcap.github.io/linux-ntfs/ntfs/: the boot sector, file records, the update
sequence (fix-ups), attributes, data runs, $ATTRIBUTE_LIST, $FILE_NAME, $INDEX_ROOT,
$INDEX_ALLOCATION, $UpCase, $Volume), Microsoft's [MS-FSCC] (2.1.2: the reparse data
buffers of symbolic links and junctions; 2.6: file attributes) and [MS-XCA] for LZNT1
(``lznt1.py``).  No permissive Python NTFS reader fits (dissect.ntfs is AGPL-3.0,
libfsntfs-python LGPL-3.0, pytsk3 binds The Sleuth Kit in C, ntfs-toolkit reads live
Windows disks, python-ntfs has had no release since 2014), so this is the small one the
checks need.

- The boot sector gives bytes per sector, sectors per cluster (a value above 0x80 is a
  power of two, 2^(256-v)), the MFT's first cluster, the size of a file record (clusters
  per record, or 2^-v bytes when negative), the volume serial (``uuid``, printed as blkid
  prints it).
- A file record ("FILE", 1024 bytes usually) is protected by an update sequence: the last
  two bytes of every 512-byte block hold the update sequence number, their real value sits
  in the update sequence array; a block whose number does not match is refused.  Index
  records ("INDX") have the same fix-ups.
- Attributes are resident (their value in the record) or non-resident (data runs: a header
  byte with the sizes of a length and of a signed LCN offset from the previous run; no
  offset is a sparse run).  A file whose attributes do not fit one record has an
  $ATTRIBUTE_LIST naming the extension records holding the rest; a non-resident attribute
  may then be cut in extents by VCN (a large fragmented file, a registry hive).
- Names: each hard link is a $FILE_NAME (parent, name, namespace).  A long name may have
  an 8.3 twin in the DOS namespace: listings show the Win32/POSIX names only, lookups find
  either, as Windows does.
- Directories are B+ trees of $FILE_NAME keys: $INDEX_ROOT (in the record) and index
  records of $INDEX_ALLOCATION, entries pointing to the node of smaller keys.  ``child``
  descends the tree comparing names upper-cased by the volume's $UpCase table (the
  collation NTFS sorts by), so a name in a directory of thousands is found by reading a
  few index records.  The reserved records 0-15 ($MFT, $Bitmap... and the root's ".") are
  not listed.
- $DATA is the unnamed stream (named streams are not read): resident, non-resident with
  sparse runs (zeros) and data past the initialized size (zeros), or compressed (LZNT1 in
  compression units of 16 clusters: a unit with all its clusters allocated is stored as
  is, one without any is zeros, otherwise its allocated clusters hold the compressed
  chunks).  Encrypted files (EFS) are refused (``NotReadable``): their key is not here.
- Reparse points: a symbolic link or a junction whose target is on this volume is a
  ``SYMLINK`` whose ``read_link`` gives the target as a path inside the volume
  (``\\??\\C:\\Windows`` is ``/Windows``; a relative link's target is relative).  The
  volume is taken to be drive ``C:`` (``drive_letter``): a target on another drive, a
  volume GUID or a UNC path, and every other kind of reparse point (deduplication, the
  Windows Overlay Filter's compressed system files, cloud files) are ``OTHER``.

Every structure is checked against the volume (clusters inside it, records inside the MFT,
attributes inside their record, runs inside the volume, index entries inside their
record); what does not fit is a ``FormatError``.  Parsed records and index nodes are
cached (at most ``CACHE_RECORDS`` and ``CACHE_NODES``); file data is not.
"""

from __future__ import annotations

import bisect
import struct
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import DiskImageError, FormatError
from ec2_import_image.fsread import lznt1
from ec2_import_image.fsread.tree import DirEntry, FileType, Handle, Stat

ROOT = 5
UPCASE = 10
VOLUME = 3
FIRST_USER_RECORD = 16
CACHE_RECORDS = 4096
CACHE_NODES = 1024
#: bounds: an $ATTRIBUTE_LIST, the depth and the nodes of a directory's B+ tree
MAX_ATTRIBUTE_LIST = 1 << 20
MAX_INDEX_DEPTH = 32
MAX_INDEX_NODES = 1 << 20
FIXUP_BLOCK = 512

STANDARD_INFORMATION = 0x10
ATTRIBUTE_LIST = 0x20
FILE_NAME = 0x30
VOLUME_NAME = 0x60
DATA = 0x80
INDEX_ROOT = 0x90
INDEX_ALLOCATION = 0xA0
REPARSE_POINT = 0xC0
END = 0xFFFFFFFF

RECORD_IN_USE = 0x0001
RECORD_DIRECTORY = 0x0002
ATTR_COMPRESSED = 0x0001
ATTR_ENCRYPTED = 0x4000
FILE_ATTRIBUTE_REPARSE_POINT = 0x0400
FILE_ATTRIBUTE_ENCRYPTED = 0x4000
FILE_NAME_DIRECTORY = 0x10000000
NAMESPACE_DOS = 2
TAG_MOUNT_POINT = 0xA0000003
TAG_SYMLINK = 0xA000000C
SYMLINK_RELATIVE = 0x1
INDEX_ENTRY_SUBNODE = 0x1
INDEX_ENTRY_LAST = 0x2
_REFERENCE = (1 << 48) - 1


class NotReadable(DiskImageError):
    """A file whose data cannot be read from the image (encrypted with EFS)."""


@dataclass(frozen=True)
class Boot:
    bytes_per_sector: int
    cluster_size: int
    clusters: int
    mft_cluster: int
    record_size: int
    serial: int


def read_boot(blob: Blob) -> Boot:
    boot = blob.read(0, 512)
    if len(boot) < 512 or boot[3:11] != b"NTFS    " or boot[510:512] != b"\x55\xaa":
        raise FormatError("no NTFS boot sector")
    bytes_per_sector, per_cluster = struct.unpack_from("<HB", boot, 11)
    if bytes_per_sector not in (256, 512, 1024, 2048, 4096):
        raise FormatError(f"NTFS bytes per sector {bytes_per_sector} is invalid")
    sectors_per_cluster = 1 << (256 - per_cluster) if per_cluster > 0x80 else per_cluster
    cluster_size = bytes_per_sector * sectors_per_cluster
    if (
        not sectors_per_cluster
        or sectors_per_cluster & (sectors_per_cluster - 1)
        or cluster_size > 1 << 21
    ):
        raise FormatError("the NTFS cluster size is invalid")
    total_sectors, mft_cluster, _mirror = struct.unpack_from("<QQQ", boot, 0x28)
    per_record = struct.unpack_from("<b", boot, 0x40)[0]
    record_size = 1 << -per_record if per_record < 0 else per_record * cluster_size
    if record_size < 256 or record_size > 65536 or record_size & (record_size - 1):
        raise FormatError(f"the NTFS file record size {record_size} is invalid")
    clusters = total_sectors * bytes_per_sector // cluster_size
    if not 0 < mft_cluster < clusters:
        raise FormatError("the NTFS MFT is outside the volume")
    serial = struct.unpack_from("<Q", boot, 0x48)[0]
    return Boot(bytes_per_sector, cluster_size, clusters, mft_cluster, record_size, serial)


def apply_fixups(data: bytearray, what: str) -> None:
    """Check and undo the update sequence of a FILE or INDX record, in place."""
    offset, count = struct.unpack_from("<HH", data, 4)
    blocks = len(data) // FIXUP_BLOCK
    if count != blocks + 1 or offset < 8 or offset % 2 or offset + count * 2 > len(data):
        raise FormatError(f"{what}: its update sequence array is invalid")
    number = data[offset : offset + 2]
    for block in range(blocks):
        end = (block + 1) * FIXUP_BLOCK
        if data[end - 2 : end] != number:
            raise FormatError(f"{what}: a torn write (update sequence number mismatch)")
        at = offset + 2 + block * 2
        data[end - 2 : end] = data[at : at + 2]


Run = tuple[int, int | None, int]  # first VCN, LCN (None: sparse), clusters


def decode_runs(data: bytes, first_vcn: int, clusters: int) -> list[Run]:
    """Data runs (mapping pairs) from ``first_vcn``; every cluster inside the volume."""
    runs: list[Run] = []
    index, vcn, lcn = 0, first_vcn, 0
    while index < len(data) and data[index]:
        header = data[index]
        length_size, offset_size = header & 0x0F, header >> 4
        index += 1
        if (
            not 1 <= length_size <= 8
            or offset_size > 8
            or index + length_size + offset_size > len(data)
        ):
            raise FormatError("an NTFS data run is malformed")
        length = int.from_bytes(data[index : index + length_size], "little")
        index += length_size
        if length <= 0:
            raise FormatError("an NTFS data run of no cluster")
        if offset_size:
            lcn += int.from_bytes(data[index : index + offset_size], "little", signed=True)
            index += offset_size
            if lcn < 0 or lcn + length > clusters:
                raise FormatError("an NTFS data run points outside the volume")
            runs.append((vcn, lcn, length))
        else:
            runs.append((vcn, None, length))
        vcn += length
    return runs


@dataclass(frozen=True)
class Attribute:
    type: int
    name: str
    flags: int
    instance: int
    value: bytes | None  # resident value; None when non-resident
    runs: tuple[Run, ...] = ()
    lowest_vcn: int = 0
    highest_vcn: int = -1
    data_size: int = 0
    initialized_size: int = 0
    compression_unit: int = 0

    @property
    def size(self) -> int:
        return len(self.value) if self.value is not None else self.data_size


def parse_attributes(record: bytes, boot: Boot, what: str) -> list[Attribute]:
    first, _flags, in_use = struct.unpack_from("<HHI", record, 20)
    limit = min(in_use, len(record))
    attributes: list[Attribute] = []
    offset = first
    while True:
        if offset + 8 > limit:
            raise FormatError(f"{what}: its attributes run past the record")
        kind, length = struct.unpack_from("<II", record, offset)
        if kind == END:
            return attributes
        if length < 24 or length % 8 or offset + length > limit:
            raise FormatError(f"{what}: an attribute of invalid length")
        raw = record[offset : offset + length]
        non_resident, name_length, name_offset, attr_flags, instance = struct.unpack_from(
            "<BBHHH", raw, 8
        )
        if name_length and name_offset + name_length * 2 > length:
            raise FormatError(f"{what}: an attribute's name runs past it")
        name = raw[name_offset : name_offset + name_length * 2].decode("utf-16-le", "replace")
        if not non_resident:
            value_length, value_offset = struct.unpack_from("<IH", raw, 16)
            if value_offset + value_length > length:
                raise FormatError(f"{what}: a resident value runs past its attribute")
            value = raw[value_offset : value_offset + value_length]
            attributes.append(Attribute(kind, name, attr_flags, instance, value))
        else:
            if length < 64:
                raise FormatError(f"{what}: a non-resident attribute is cut short")
            lowest, highest, pairs, unit = struct.unpack_from("<qqHB", raw, 16)
            _allocated, data_size, initialized = struct.unpack_from("<qqq", raw, 40)
            if (
                not 0 <= lowest <= highest + 1
                or data_size < 0
                or not 0 <= initialized <= max(data_size, 0) + boot.cluster_size
            ):
                raise FormatError(f"{what}: a non-resident attribute's sizes are invalid")
            if pairs >= length:
                raise FormatError(f"{what}: an attribute's data runs are outside it")
            runs = decode_runs(raw[pairs:], lowest, boot.clusters)
            attributes.append(
                Attribute(
                    kind,
                    name,
                    attr_flags,
                    instance,
                    None,
                    tuple(runs),
                    lowest,
                    highest,
                    data_size,
                    initialized,
                    unit,
                )
            )
        offset += length


@dataclass(frozen=True)
class FileName:
    parent: int
    name: str
    namespace: int
    flags: int


def parse_file_name(value: bytes) -> FileName:
    if len(value) < 66:
        raise FormatError("an NTFS file name is cut short")
    parent = struct.unpack_from("<Q", value)[0] & _REFERENCE
    flags = struct.unpack_from("<I", value, 56)[0]
    length, namespace = value[64], value[65]
    raw = value[66 : 66 + length * 2]
    if len(raw) != length * 2:
        raise FormatError("an NTFS file name runs past its key")
    return FileName(parent, raw.decode("utf-16-le", "surrogatepass"), namespace, flags)


@dataclass(frozen=True)
class FileInfo:
    """What the reader found in a file's records (for reports and tests)."""

    record: int
    names: tuple[FileName, ...]
    directory: bool
    attribute_list: bool
    extension_records: tuple[int, ...]
    data_runs: int
    compressed: bool
    encrypted: bool
    reparse_tag: int | None


class _File:
    """A file's attributes gathered from its base record and its extension records."""

    def __init__(
        self,
        number: int,
        flags: int,
        attributes: list[Attribute],
        extensions: tuple[int, ...],
        listed: bool,
    ) -> None:
        self.number = number
        self.directory = bool(flags & RECORD_DIRECTORY)
        self.attributes = attributes
        self.extensions = extensions
        self.listed = listed

    def find(self, kind: int, name: str = "") -> Attribute | None:
        """The attribute (its first extent for a non-resident one cut in several)."""
        found = [attr for attr in self.attributes if attr.type == kind and attr.name == name]
        if not found:
            return None
        return min(found, key=lambda attr: attr.lowest_vcn)

    def runs(self, kind: int, name: str = "") -> list[Run]:
        """All data runs of a non-resident attribute, its extents joined in VCN order."""
        extents = sorted(
            (
                attr
                for attr in self.attributes
                if attr.type == kind and attr.name == name and attr.value is None
            ),
            key=lambda attr: attr.lowest_vcn,
        )
        runs: list[Run] = []
        expected = 0
        for extent in extents:
            if extent.lowest_vcn != expected:
                raise FormatError(
                    f"file record {self.number}: the extents of an attribute do not join"
                )
            runs.extend(extent.runs)
            expected = (
                extent.runs[-1][0] + extent.runs[-1][2] if extent.runs else extent.highest_vcn + 1
            )
        return runs

    def file_attributes(self) -> int:
        info = self.find(STANDARD_INFORMATION)
        if info is None or info.value is None or len(info.value) < 36:
            return 0
        return int(struct.unpack_from("<I", info.value, 32)[0])

    def names(self) -> list[FileName]:
        return [
            parse_file_name(attr.value)
            for attr in self.attributes
            if attr.type == FILE_NAME and attr.value is not None
        ]


@dataclass(frozen=True)
class _Entry:
    reference: int
    subnode: int | None
    name: FileName | None  # the key; None for the last entry of a node

    @property
    def record(self) -> int:
        return self.reference & _REFERENCE

    @property
    def sequence(self) -> int:
        return self.reference >> 48


def _index_entries(data: bytes, start: int, end: int, what: str) -> list[_Entry]:
    entries: list[_Entry] = []
    offset = start
    while True:
        if offset + 16 > end:
            raise FormatError(f"{what}: its entries run past it")
        reference, length, key_length, flags = struct.unpack_from("<QHHH", data, offset)
        if length < 16 or length % 8 or offset + length > end:
            raise FormatError(f"{what}: an index entry of invalid length")
        subnode = None
        if flags & INDEX_ENTRY_SUBNODE:
            if length < 24:
                raise FormatError(f"{what}: an index entry without room for its subnode")
            subnode = struct.unpack_from("<q", data, offset + length - 8)[0]
            if subnode < 0:
                raise FormatError(f"{what}: an index entry's subnode is invalid")
        if flags & INDEX_ENTRY_LAST:
            entries.append(_Entry(0, subnode, None))
            return entries
        if 16 + key_length > length:
            raise FormatError(f"{what}: an index key runs past its entry")
        key = parse_file_name(data[offset + 16 : offset + 16 + key_length])
        entries.append(_Entry(reference, subnode, key))
        offset += length


@dataclass(frozen=True)
class _Directory:
    number: int
    root: list[_Entry]
    block_size: int
    runs: list[Run]
    starts: list[int]
    size: int


class NtfsVolume:
    """An NTFS volume over a ``Blob`` (a partition); implements ``tree.Volume``."""

    def __init__(self, blob: Blob, *, drive_letter: str = "C") -> None:
        self._blob = blob
        self.boot = read_boot(blob)
        self.drive_letter = drive_letter.upper()
        self._cache: OrderedDict[int, _File] = OrderedDict()
        self._upcase_map: dict[int, int] | None = None
        self._directories: OrderedDict[int, _Directory] = OrderedDict()
        self._nodes: OrderedDict[tuple[int, int], list[_Entry]] = OrderedDict()
        self._mft_runs: list[Run] = []
        self._mft_starts: list[int] = []
        self._mft_size = 0
        self._load_mft()

    # -- properties ------------------------------------------------------------------------

    @property
    def uuid(self) -> str:
        """The volume serial as blkid prints it (16 upper-case hexadecimal digits)."""
        return f"{self.boot.serial:016X}"

    @property
    def label(self) -> str:
        """The volume's name ($Volume's $VOLUME_NAME), "" when it has none."""
        attr = self._file(VOLUME).find(VOLUME_NAME)
        if attr is None or attr.value is None:
            return ""
        return attr.value.decode("utf-16-le", "replace")

    # -- records ---------------------------------------------------------------------------

    def _load_mft(self) -> None:
        boot = self.boot
        size = boot.record_size
        raw = bytearray(self._blob.read(boot.mft_cluster * boot.cluster_size, size))
        if len(raw) != size:
            raise FormatError("the NTFS MFT is cut short")
        # the first extent of $MFT's data (in record 0 itself) maps the records that hold
        # the others, if its run list needed an attribute list
        first = self._parse(0, bytearray(raw), extensions=False).find(DATA)
        if first is None or first.value is not None or not first.runs:
            raise FormatError("the NTFS MFT has no data runs")
        self._set_mft(list(first.runs), first.data_size)
        mft = self._parse(0, raw)
        runs = mft.runs(DATA)
        data = mft.find(DATA)
        if not runs or data is None:
            raise FormatError("the NTFS MFT has no data runs")
        self._set_mft(runs, data.data_size)
        self._cache.clear()

    def _set_mft(self, runs: list[Run], size: int) -> None:
        if any(lcn is None for _, lcn, _ in runs):
            raise FormatError("the NTFS MFT has a sparse run")
        self._mft_runs = runs
        self._mft_starts = [vcn for vcn, _, _ in runs]
        self._mft_size = size

    def _read_stream(
        self, runs: list[Run], starts: list[int], offset: int, length: int, size: int
    ) -> bytes:
        """Bytes of a non-resident stream (sparse runs read as zeros), up to ``size``."""
        cluster = self.boot.cluster_size
        end = min(offset + length, size)
        pieces: list[bytes] = []
        while offset < end:
            vcn, within = divmod(offset, cluster)
            at = bisect.bisect_right(starts, vcn) - 1
            if at < 0 or vcn >= runs[at][0] + runs[at][2]:
                raise FormatError(f"an NTFS stream has no data run for its cluster {vcn}")
            first, lcn, count = runs[at]
            take = min(end - offset, (first + count - vcn) * cluster - within)
            if lcn is None:
                pieces.append(bytes(take))
            else:
                data = self._blob.read((lcn + vcn - first) * cluster + within, take)
                if len(data) != take:
                    raise FormatError("an NTFS stream points past the end of the image")
                pieces.append(data)
            offset += take
        return b"".join(pieces)

    def _record_bytes(self, number: int) -> bytearray:
        size = self.boot.record_size
        if number < 0 or (number + 1) * size > self._mft_size:
            raise FormatError(f"NTFS file record {number} is outside the MFT")
        raw = bytearray(
            self._read_stream(self._mft_runs, self._mft_starts, number * size, size, self._mft_size)
        )
        if raw[:4] != b"FILE":
            raise FormatError(f"NTFS file record {number} has no FILE signature")
        return raw

    def _parse(self, number: int, raw: bytearray, *, extensions: bool = True) -> _File:
        what = f"NTFS file record {number}"
        apply_fixups(raw, what)
        flags = struct.unpack_from("<H", raw, 22)[0]
        if not flags & RECORD_IN_USE:
            raise FormatError(f"{what} is not in use")
        if struct.unpack_from("<Q", raw, 32)[0] & _REFERENCE:
            raise FormatError(f"{what} is an extension record, not a file")
        attributes = parse_attributes(bytes(raw), self.boot, what)
        listing = next((attr for attr in attributes if attr.type == ATTRIBUTE_LIST), None)
        records: tuple[int, ...] = ()
        if listing is not None and extensions:
            records = self._extensions(number, listing)
            for extension in records:
                attributes.extend(self._extension(number, extension))
        return _File(number, flags, attributes, records, listing is not None)

    def _extensions(self, number: int, listing: Attribute) -> tuple[int, ...]:
        if listing.value is not None:
            value = listing.value
        else:
            if listing.data_size > MAX_ATTRIBUTE_LIST:
                raise FormatError(f"NTFS file record {number}: its attribute list is too long")
            runs = list(listing.runs)
            value = self._read_stream(
                runs, [vcn for vcn, _, _ in runs], 0, listing.data_size, listing.data_size
            )
        records: list[int] = []
        offset = 0
        while offset + 26 <= len(value):
            length = struct.unpack_from("<H", value, offset + 4)[0]
            if length < 26 or offset + length > len(value):
                raise FormatError(f"NTFS file record {number}: a malformed attribute list entry")
            record = struct.unpack_from("<Q", value, offset + 16)[0] & _REFERENCE
            if record != number and record not in records:
                records.append(record)
            offset += length
        return tuple(records)

    def _extension(self, base: int, number: int) -> list[Attribute]:
        what = f"NTFS file record {number} (extension of {base})"
        raw = self._record_bytes(number)
        apply_fixups(raw, what)
        flags = struct.unpack_from("<H", raw, 22)[0]
        owner = struct.unpack_from("<Q", raw, 32)[0] & _REFERENCE
        if not flags & RECORD_IN_USE or owner != base:
            raise FormatError(f"{what} does not belong to its file")
        return [
            attr
            for attr in parse_attributes(bytes(raw), self.boot, what)
            if attr.type != ATTRIBUTE_LIST
        ]

    def _file(self, number: int) -> _File:
        found = self._cache.get(number)
        if found is not None:
            self._cache.move_to_end(number)
            return found
        found = self._parse(number, self._record_bytes(number))
        self._cache[number] = found
        if len(self._cache) > CACHE_RECORDS:
            self._cache.popitem(last=False)
        return found

    def _handle(self, handle: Handle) -> _File:
        if not isinstance(handle, int):
            raise FormatError(f"not an NTFS handle: {handle!r}")
        return self._file(handle)

    # -- reparse points ----------------------------------------------------------------------

    def _reparse(self, file: _File) -> tuple[int, str | None] | None:
        """(tag, the target as a path inside the volume or None), or None if not a reparse point."""
        attr = file.find(REPARSE_POINT)
        if attr is None:
            return None
        if attr.value is None:
            raise FormatError(f"NTFS file record {file.number}: a non-resident reparse point")
        value = attr.value
        if len(value) < 8:
            raise FormatError(f"NTFS file record {file.number}: a reparse point is cut short")
        tag, length = struct.unpack_from("<IH", value)
        body = value[8 : 8 + length]
        if tag not in (TAG_MOUNT_POINT, TAG_SYMLINK):
            return tag, None
        header = 12 if tag == TAG_SYMLINK else 8
        if len(body) < header:
            raise FormatError(f"NTFS file record {file.number}: a reparse buffer is cut short")
        offset, size = struct.unpack_from("<HH", body)
        relative = tag == TAG_SYMLINK and struct.unpack_from("<I", body, 8)[0] & SYMLINK_RELATIVE
        names = body[header:]
        if offset + size > len(names) or size % 2:
            raise FormatError(f"NTFS file record {file.number}: a reparse target runs past it")
        target = names[offset : offset + size].decode("utf-16-le", "replace")
        return tag, self._inside(target, bool(relative))

    def _inside(self, target: str, relative: bool) -> str | None:
        """A link target as a path of this volume (None when it points elsewhere)."""
        if relative:
            return target.replace("\\", "/") if not target.startswith("\\") else None
        for prefix in ("\\??\\", "\\\\?\\"):
            if target.startswith(prefix):
                target = target[len(prefix) :]
                break
        else:
            return None
        if len(target) >= 2 and target[1] == ":" and target[0].upper() == self.drive_letter:
            rest = target[2:].replace("\\", "/")
            return "/" + rest.lstrip("/")
        return None

    # -- tree.Volume -----------------------------------------------------------------------

    def root(self) -> Handle:
        return ROOT

    def stat(self, handle: Handle) -> Stat:
        file = self._handle(handle)
        reparse = self._reparse(file)
        if reparse is not None:
            target = reparse[1]
            if target is None:
                return Stat(handle, FileType.OTHER, 0)
            return Stat(handle, FileType.SYMLINK, len(target.encode("utf-8", "surrogatepass")))
        if file.directory:
            return Stat(handle, FileType.DIRECTORY, 0)
        data = file.find(DATA)
        return Stat(handle, FileType.FILE, data.size if data is not None else 0)

    def info(self, handle: Handle) -> FileInfo:
        file = self._handle(handle)
        data = file.find(DATA)
        reparse = file.find(REPARSE_POINT)
        tag = None
        if reparse is not None and reparse.value is not None and len(reparse.value) >= 4:
            tag = struct.unpack_from("<I", reparse.value)[0]
        return FileInfo(
            record=file.number,
            names=tuple(file.names()),
            directory=file.directory,
            attribute_list=file.listed,
            extension_records=file.extensions,
            data_runs=len(file.runs(DATA)) if data is not None and data.value is None else 0,
            compressed=bool(data is not None and data.flags & ATTR_COMPRESSED),
            encrypted=self._encrypted(file),
            reparse_tag=tag,
        )

    def read_link(self, handle: Handle) -> bytes:
        reparse = self._reparse(self._handle(handle))
        if reparse is None or reparse[1] is None:
            raise FormatError(f"NTFS file record {handle} is not a link inside the volume")
        return reparse[1].encode("utf-8", "surrogatepass")

    # -- directories ---------------------------------------------------------------------------

    def _directory(self, file: _File) -> _Directory:
        found = self._directories.get(file.number)
        if found is not None:
            return found
        what = f"the index of NTFS file record {file.number}"
        root = file.find(INDEX_ROOT, "$I30")
        if root is None or root.value is None or len(root.value) < 32:
            raise FormatError(f"{what}: no $INDEX_ROOT")
        block_size = struct.unpack_from("<I", root.value, 8)[0]
        if block_size < FIXUP_BLOCK or block_size > 65536 or block_size & (block_size - 1):
            raise FormatError(f"{what}: index block size {block_size} is invalid")
        first, used = struct.unpack_from("<II", root.value, 16)
        entries = _index_entries(root.value, 16 + first, min(16 + used, len(root.value)), what)
        allocation = file.find(INDEX_ALLOCATION, "$I30")
        runs = file.runs(INDEX_ALLOCATION, "$I30") if allocation is not None else []
        found = _Directory(
            file.number,
            entries,
            block_size,
            runs,
            [vcn for vcn, _, _ in runs],
            allocation.data_size if allocation is not None else 0,
        )
        self._directories[file.number] = found
        if len(self._directories) > CACHE_NODES:
            self._directories.popitem(last=False)
        return found

    def _node(self, directory: _Directory, vcn: int) -> list[_Entry]:
        """The entries of index record ``vcn`` of a directory (parsed once, then cached)."""
        found = self._nodes.get((directory.number, vcn))
        if found is not None:
            self._nodes.move_to_end((directory.number, vcn))
            return found
        what = f"index record {vcn} of NTFS file record {directory.number}"
        size = directory.block_size
        # index VCNs count clusters, or 512-byte blocks when a block is smaller than a cluster
        unit = self.boot.cluster_size if size >= self.boot.cluster_size else FIXUP_BLOCK
        offset = vcn * unit
        if not directory.runs or offset + size > directory.size:
            raise FormatError(f"{what} is outside the index allocation")
        raw = bytearray(
            self._read_stream(directory.runs, directory.starts, offset, size, directory.size)
        )
        if raw[:4] != b"INDX":
            raise FormatError(f"{what} has no INDX signature")
        apply_fixups(raw, what)
        if struct.unpack_from("<q", raw, 16)[0] != vcn:
            raise FormatError(f"{what} says it is another one")
        first, used = struct.unpack_from("<II", raw, 24)
        found = _index_entries(bytes(raw), 24 + first, min(24 + used, size), what)
        self._nodes[(directory.number, vcn)] = found
        if len(self._nodes) > CACHE_NODES:
            self._nodes.popitem(last=False)
        return found

    def _walk(self, directory: _Directory) -> Iterator[_Entry]:
        """Every entry of a directory's B+ tree (bounded, loops refused)."""
        seen: set[int] = set()
        stack: list[tuple[list[_Entry], int]] = [(directory.root, 0)]
        while stack:
            node, depth = stack.pop()
            for entry in node:
                if entry.subnode is not None:
                    self._visit(directory, entry.subnode, seen, depth)
                    stack.append((self._node(directory, entry.subnode), depth + 1))
                if entry.name is not None:
                    yield entry

    def _visit(self, directory: _Directory, vcn: int, seen: set[int], depth: int) -> None:
        if vcn in seen or depth >= MAX_INDEX_DEPTH or len(seen) >= MAX_INDEX_NODES:
            raise FormatError(
                f"the index of NTFS file record {directory.number} loops or is too deep"
            )
        seen.add(vcn)

    def entries(self, directory: Handle) -> Iterator[DirEntry]:
        file = self._handle(directory)
        if not file.directory:
            return
        for entry in self._walk(self._directory(file)):
            name = entry.name
            assert name is not None
            if name.namespace == NAMESPACE_DOS or entry.record < FIRST_USER_RECORD:
                continue
            kind = None
            if not name.flags & FILE_ATTRIBUTE_REPARSE_POINT:
                kind = FileType.DIRECTORY if name.flags & FILE_NAME_DIRECTORY else FileType.FILE
            yield DirEntry(name.name, entry.record, kind)

    def _upcase(self) -> dict[int, int]:
        """$UpCase as a ``str.translate`` table of the characters it changes.

        The table maps UTF-16 code units; a character outside the Basic Multilingual Plane
        (two surrogate units, which the table leaves as they are) is left as it is.
        """
        if self._upcase_map is None:
            data = self._file(UPCASE)
            attr = data.find(DATA)
            if attr is None or attr.size < 131072:
                raise FormatError("the NTFS $UpCase table is missing or short")
            raw = attr.value
            if raw is None:
                runs = data.runs(DATA)
                raw = self._read_stream(runs, [vcn for vcn, _, _ in runs], 0, 131072, attr.size)
            table = struct.unpack("<65536H", raw[:131072])
            self._upcase_map = {unit: upper for unit, upper in enumerate(table) if unit != upper}
        return self._upcase_map

    def _key(self, name: str) -> bytes:
        """A name's collation key: upper-cased by $UpCase, as big-endian UTF-16 units (so
        that byte order is NTFS's order: unit by unit, a prefix first)."""
        return name.translate(self._upcase()).encode("utf-16-be", "surrogatepass")

    def child(self, directory: Handle, name: str) -> Handle | None:
        file = self._handle(directory)
        if not file.directory or not name:
            return None
        tree = self._directory(file)
        wanted = self._key(name)
        found: list[_Entry] = []
        seen: set[int] = set()

        def search(node: list[_Entry], depth: int) -> None:
            """Keys at or after ``wanted``: descend before each, stop at the first greater."""
            for entry in node:
                key = self._key(entry.name.name) if entry.name is not None else None
                if key is not None and key < wanted:
                    continue
                if entry.subnode is not None:
                    self._visit(tree, entry.subnode, seen, depth)
                    search(self._node(tree, entry.subnode), depth + 1)
                if key != wanted:
                    return
                found.append(entry)

        search(tree.root, 0)
        matches = [entry for entry in found if entry.record >= FIRST_USER_RECORD]
        for entry in matches:
            if entry.name is not None and entry.name.name == name:
                return entry.record
        return matches[0].record if matches else None

    # -- data ----------------------------------------------------------------------------------

    def _encrypted(self, file: _File) -> bool:
        data = file.find(DATA)
        return bool(
            (data is not None and data.flags & ATTR_ENCRYPTED)
            or file.file_attributes() & FILE_ATTRIBUTE_ENCRYPTED
        )

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        file = self._handle(handle)
        if file.directory:
            raise FormatError(f"NTFS file record {handle} is a directory")
        data = file.find(DATA)
        if data is None or length <= 0 or offset < 0:
            return b""
        if self._encrypted(file):
            raise NotReadable(
                f"NTFS file record {handle} is encrypted (EFS): its data cannot be read"
            )
        if data.value is not None:
            return data.value[offset : offset + length]
        end = min(offset + length, data.data_size)
        if offset >= end:
            return b""
        runs = file.runs(DATA)
        if data.flags & ATTR_COMPRESSED:
            return self._read_compressed(file.number, data, runs, offset, end)
        starts = [vcn for vcn, _, _ in runs]
        initialized = min(data.initialized_size, end)
        head = (
            self._read_stream(runs, starts, offset, max(0, initialized - offset), data.data_size)
            if offset < initialized
            else b""
        )
        return head + bytes(end - offset - len(head))

    def _read_compressed(
        self, number: int, data: Attribute, runs: list[Run], offset: int, end: int
    ) -> bytes:
        if not data.compression_unit or data.compression_unit > 16:
            raise FormatError(
                f"NTFS file record {number}: compressed without a valid compression unit"
            )
        cluster = self.boot.cluster_size
        per_unit = 1 << data.compression_unit
        unit_size = per_unit * cluster
        starts = [vcn for vcn, _, _ in runs]
        pieces: list[bytes] = []
        unit = offset // unit_size
        while unit * unit_size < end:
            first = unit * per_unit
            allocated = 0
            for vcn in range(first, first + per_unit):
                at = bisect.bisect_right(starts, vcn) - 1
                if at >= 0 and vcn < runs[at][0] + runs[at][2] and runs[at][1] is not None:
                    allocated += 1
            if allocated == per_unit:
                plain = self._read_stream(
                    runs, starts, unit * unit_size, unit_size, unit * unit_size + unit_size
                )
            elif allocated == 0:
                plain = bytes(unit_size)
            else:
                packed = self._read_stream(
                    runs,
                    starts,
                    unit * unit_size,
                    allocated * cluster,
                    unit * unit_size + unit_size,
                )
                plain = lznt1.decompress(packed, unit_size).ljust(unit_size, b"\0")
            start = unit * unit_size
            pieces.append(plain[max(0, offset - start) : min(unit_size, end - start)])
            unit += 1
        return b"".join(pieces)


def open_volume(blob: Blob, *, drive_letter: str = "C") -> NtfsVolume:
    return NtfsVolume(blob, drive_letter=drive_letter)
