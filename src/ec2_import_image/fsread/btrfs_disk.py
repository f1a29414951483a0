"""Btrfs below the files: the superblock, the chunk map and checksummed B-tree nodes.

Written from the btrfs documentation's *On-disk Format* page
(https://btrfs.readthedocs.io/en/latest/dev/On-disk-format.html, the wiki's
"On-disk Format", "Btree Items" and "Data Structures" before it) and the
layouts of ``include/uapi/linux/btrfs_tree.h``:

- the **superblock** is at 64 KiB, with mirrors at 64 MiB and 256 GiB when the
  device is that large; each carries its own checksum and physical address; the
  valid copy with the highest generation is used;
- everything else is addressed by **logical** address; the superblock's
  ``sys_chunk_array`` (disk keys and CHUNK_ITEMs) maps the SYSTEM chunks, which
  hold the **chunk tree**, whose CHUNK_ITEMs map the rest.  Only single-device
  file systems are read: a chunk is SINGLE (one stripe) or DUP (two stripes on
  the one device: a node that fails its checks is read again from the other
  copy); striped and mirrored profiles span devices and are refused, as is a
  superblock that counts more than one device;
- a **node** starts with a 101-byte header (checksum, fsid, its own logical
  address, generation, owner, item count, level); a leaf's items are a key
  (objectid, type, offset) and an offset and size of data at the node's end,
  an internal node's are a key, a child's address and its generation.  Each node
  is checked as the kernel's tree checker does before using it: the checksum
  over bytes 32..nodesize (crc32c, xxhash64, sha256 or blake2b, as the
  superblock says), fsid, address, level and the generation its parent
  expects, item bounds, and keys in order.

Walks are bounded: a level must drop by one at each step (at most 8), keys must
rise strictly along a walk, so a damaged tree cannot loop; a node cache keeps
repeated lookups cheap.
"""

from __future__ import annotations

import hashlib
import struct
import uuid as uuidlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.crc32c import crc32c
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.xxh64 import xxh64

Key = tuple[int, int, int]

SUPERBLOCK_OFFSETS = (0x10000, 0x4000000, 0x4000000000)
SUPERBLOCK_SIZE = 0x1000
MAGIC = b"_BHRfS_M"
MAX_LEVEL = 8
MAX_KEY: Key = (2**64 - 1, 255, 2**64 - 1)
HEADER = struct.Struct("<32s16sQQ16sQQIB")
KEY = struct.Struct("<QBQ")
ITEM = struct.Struct("<QBQII")
KEY_POINTER = struct.Struct("<QBQQQ")
CHUNK = struct.Struct("<QQQQIIIHH")
STRIPE = struct.Struct("<QQ16s")

# item types (Btree Items)
INODE_ITEM = 1
INODE_REF = 12
DIR_ITEM = 84
DIR_INDEX = 96
EXTENT_DATA = 108
ROOT_ITEM = 132
ROOT_BACKREF = 144
ROOT_REF = 156
CHUNK_ITEM = 228

# tree ids
ROOT_TREE = 1
CHUNK_TREE = 3
FS_TREE = 5
FIRST_CHUNK_TREE_OBJECTID = 256

# chunk type bits: the profile
BLOCK_GROUP_DUP = 0x20
_PROFILES = {
    0x8: "RAID0",
    0x10: "RAID1",
    0x40: "RAID10",
    0x80: "RAID5",
    0x100: "RAID6",
    0x200: "RAID1C3",
    0x400: "RAID1C4",
}

# incompat features a reader must understand
INCOMPAT_METADATA_UUID = 0x400
_INCOMPAT_READ = (
    0x1  # mixed backref
    | 0x2  # default subvolume
    | 0x4  # mixed block groups
    | 0x8  # LZO
    | 0x10  # zstd
    | 0x20  # big metadata (nodes larger than a page)
    | 0x40  # extended inode refs
    | 0x80  # RAID5/6 (refused per chunk)
    | 0x100  # skinny metadata (extent tree only)
    | 0x200  # no holes
    | INCOMPAT_METADATA_UUID
    | 0x800  # RAID1C3/4 (refused per chunk)
    | 0x10000  # simple quotas
)
_INCOMPAT_NAMES = {0x1000: "zoned", 0x2000: "extent-tree-v2", 0x4000: "raid-stripe-tree"}

CSUM_CRC32C, CSUM_XXHASH, CSUM_SHA256, CSUM_BLAKE2 = 0, 1, 2, 3
_CSUM_NAMES = {0: "crc32c", 1: "xxhash64", 2: "sha256", 3: "blake2b"}

#: nodes kept in memory (a 16 KiB node: 8 MiB at most)
NODE_CACHE = 512


def checksum(kind: int, data: bytes) -> bytes:
    """The checksum btrfs stores for ``data``, as stored (the start of a 32-byte field)."""
    if kind == CSUM_CRC32C:
        return struct.pack("<I", crc32c(data))
    if kind == CSUM_XXHASH:
        return struct.pack("<Q", xxh64(data))
    if kind == CSUM_SHA256:
        return hashlib.sha256(data).digest()
    if kind == CSUM_BLAKE2:
        return hashlib.blake2b(data, digest_size=32).digest()
    raise FormatError(f"btrfs checksum type {kind} is unknown")


def format_uuid(raw: bytes) -> str:
    return str(uuidlib.UUID(bytes=raw))


def unpack_key(data: bytes, offset: int) -> Key:
    objectid, kind, key_offset = KEY.unpack_from(data, offset)
    return (objectid, kind, key_offset)


@dataclass(frozen=True)
class Superblock:
    fsid: bytes
    metadata_uuid: bytes
    generation: int
    root: int
    root_level: int
    chunk_root: int
    chunk_root_level: int
    chunk_root_generation: int
    log_root: int
    total_bytes: int
    root_dir_objectid: int
    num_devices: int
    sectorsize: int
    nodesize: int
    sys_chunk_array: bytes
    incompat: int
    csum_type: int
    devid: int
    label: str


def _parse_superblock(raw: bytes, offset: int) -> Superblock | None:
    """The superblock copy at ``offset``, or None when it is not a valid one."""
    if len(raw) < SUPERBLOCK_SIZE or raw[0x40:0x48] != MAGIC:
        return None
    (csum_type,) = struct.unpack_from("<H", raw, 0xC4)
    if csum_type not in _CSUM_NAMES:
        return None
    stored = checksum(csum_type, raw[0x20:SUPERBLOCK_SIZE])
    if raw[: len(stored)] != stored:
        return None
    (bytenr,) = struct.unpack_from("<Q", raw, 0x30)
    if bytenr != offset:
        return None
    generation, root, chunk_root, log_root = struct.unpack_from("<QQQQ", raw, 0x48)
    total_bytes, _used, root_dir, devices = struct.unpack_from("<QQQQ", raw, 0x70)
    sectorsize, nodesize, _leafsize, _stripesize, array_size = struct.unpack_from(
        "<IIIII", raw, 0x90
    )
    (chunk_generation,) = struct.unpack_from("<Q", raw, 0xA4)
    (incompat,) = struct.unpack_from("<Q", raw, 0xBC)
    root_level, chunk_level = raw[0xC6], raw[0xC7]
    (devid,) = struct.unpack_from("<Q", raw, 0xC9)
    label = raw[0x12B:0x22B].split(b"\0", 1)[0].decode("utf-8", "replace")
    fsid = raw[0x20:0x30]
    metadata_uuid = raw[0x23B:0x24B] if incompat & INCOMPAT_METADATA_UUID else fsid
    if not 4096 <= sectorsize <= 65536 or sectorsize & (sectorsize - 1):
        raise FormatError(f"btrfs sector size {sectorsize} is invalid")
    if not sectorsize <= nodesize <= 65536 or nodesize & (nodesize - 1):
        raise FormatError(f"btrfs node size {nodesize} is invalid")
    if array_size > 2048:
        raise FormatError("the btrfs system chunk array is larger than its field")
    return Superblock(
        fsid=fsid,
        metadata_uuid=metadata_uuid,
        generation=generation,
        root=root,
        root_level=root_level,
        chunk_root=chunk_root,
        chunk_root_level=chunk_level,
        chunk_root_generation=chunk_generation,
        log_root=log_root,
        total_bytes=total_bytes,
        root_dir_objectid=root_dir,
        num_devices=devices,
        sectorsize=sectorsize,
        nodesize=nodesize,
        sys_chunk_array=raw[0x32B : 0x32B + array_size],
        incompat=incompat,
        csum_type=csum_type,
        devid=devid,
        label=label,
    )


def read_superblock(blob: Blob) -> Superblock:
    """The valid superblock copy with the highest generation; refused when none is valid."""
    copies: list[Superblock] = []
    for offset in SUPERBLOCK_OFFSETS:
        if offset + SUPERBLOCK_SIZE > blob.size:
            break
        found = _parse_superblock(blob.read(offset, SUPERBLOCK_SIZE), offset)
        if found is not None:
            copies.append(found)
    if not copies:
        raise FormatError("no valid btrfs superblock (magic, checksum and address checked)")
    best = max(copies, key=lambda copy: copy.generation)
    unknown = best.incompat & ~_INCOMPAT_READ
    if unknown:
        names = [
            _INCOMPAT_NAMES.get(1 << bit, hex(1 << bit)) for bit in range(64) if unknown >> bit & 1
        ]
        raise FormatError(f"btrfs features not read: {', '.join(names)}")
    if best.num_devices != 1:
        raise FormatError(f"this btrfs file system spans {best.num_devices} devices")
    return best


@dataclass(frozen=True)
class Chunk:
    """A logical range and where its copies are on the device (one, or two for DUP)."""

    logical: int
    length: int
    type: int
    copies: tuple[int, ...]


def _profile(kind: int) -> str:
    names = [name for bit, name in _PROFILES.items() if kind & bit]
    return names[0] if names else ("DUP" if kind & BLOCK_GROUP_DUP else "SINGLE")


def parse_chunk(data: bytes, offset: int, logical: int, devid: int) -> tuple[Chunk, int]:
    """A CHUNK_ITEM at ``offset`` and its size; profiles other than SINGLE or DUP refused."""
    if offset + CHUNK.size > len(data):
        raise FormatError("a btrfs chunk item is truncated")
    length, _owner, _stripe_len, kind, _align, _width, _sector, stripes, _sub = CHUNK.unpack_from(
        data, offset
    )
    size = CHUNK.size + stripes * STRIPE.size
    if stripes == 0 or offset + size > len(data):
        raise FormatError("a btrfs chunk item's stripes are missing or truncated")
    profile = _profile(kind)
    if profile not in ("SINGLE", "DUP"):
        raise FormatError(f"btrfs chunk profile {profile} is not read (it spans devices)")
    copies = []
    for index in range(stripes):
        stripe_devid, physical, _uuid = STRIPE.unpack_from(data, offset + CHUNK.size + index * 32)
        if stripe_devid != devid:
            raise FormatError(f"a btrfs chunk is on device {stripe_devid}, not this one")
        copies.append(physical)
    if length == 0 or (profile == "SINGLE" and stripes != 1) or (profile == "DUP" and stripes != 2):
        raise FormatError(f"a btrfs {profile} chunk has {stripes} stripes")
    return Chunk(logical, length, kind, tuple(copies)), size


class ChunkMap:
    """Logical addresses to physical ones, chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[Chunk] = []

    def add(self, chunk: Chunk) -> None:
        for known in self._chunks:
            if known.logical == chunk.logical and known.length == chunk.length:
                return
            if (
                known.logical < chunk.logical + chunk.length
                and chunk.logical < known.logical + known.length
            ):
                raise FormatError("two btrfs chunks overlap")
        self._chunks.append(chunk)
        self._chunks.sort(key=lambda known: known.logical)

    def find(self, logical: int) -> Chunk:
        low, high = 0, len(self._chunks)
        while low < high:
            middle = (low + high) // 2
            if self._chunks[middle].logical <= logical:
                low = middle + 1
            else:
                high = middle
        if low:
            chunk = self._chunks[low - 1]
            if logical < chunk.logical + chunk.length:
                return chunk
        raise FormatError(f"btrfs logical address {logical:#x} is in no chunk")

    def read(self, blob: Blob, logical: int, length: int, copy: int = 0) -> bytes:
        """``length`` bytes from ``logical`` (from the given copy of a DUP chunk)."""
        pieces: list[bytes] = []
        while length > 0:
            chunk = self.find(logical)
            within = logical - chunk.logical
            take = min(length, chunk.length - within)
            physical = chunk.copies[min(copy, len(chunk.copies) - 1)] + within
            data = blob.read(physical, take)
            if len(data) != take:
                raise FormatError(f"btrfs data at {physical:#x} is past the end of the device")
            pieces.append(data)
            logical += take
            length -= take
        return b"".join(pieces)

    def copies(self, logical: int) -> int:
        return len(self.find(logical).copies)


@dataclass(frozen=True)
class Node:
    """One checked tree node: its keys and, per key, (offset, size) of a leaf item's data
    or (child address, child generation) of an internal node's pointer."""

    logical: int
    level: int
    owner: int
    keys: tuple[Key, ...]
    refs: tuple[tuple[int, int], ...]
    data: bytes

    def item(self, index: int) -> bytes:
        offset, size = self.refs[index]
        return self.data[offset : offset + size]


def parse_node(raw: bytes, superblock: Superblock, logical: int) -> Node:
    """A node's header and items, checked; FormatError names the first fault."""
    nodesize = superblock.nodesize
    if len(raw) != nodesize:
        raise FormatError(f"btrfs node {logical:#x} is truncated")
    stored = checksum(superblock.csum_type, raw[0x20:])
    if raw[: len(stored)] != stored:
        raise FormatError(f"btrfs node {logical:#x} fails its checksum")
    _csum, fsid, bytenr, _flags, _chunk_uuid, _generation, owner, count, level = HEADER.unpack_from(
        raw
    )
    if fsid != superblock.metadata_uuid:
        raise FormatError(f"btrfs node {logical:#x} belongs to another file system")
    if bytenr != logical:
        raise FormatError(f"btrfs node {logical:#x} says it is at {bytenr:#x}")
    if level >= MAX_LEVEL:
        raise FormatError(f"btrfs node {logical:#x} has level {level}")
    keys: list[Key] = []
    refs: list[tuple[int, int]] = []
    if level == 0:
        if HEADER.size + count * ITEM.size > nodesize:
            raise FormatError(f"btrfs leaf {logical:#x} counts more items than fit")
        for index in range(count):
            objectid, kind, offset, data_offset, size = ITEM.unpack_from(
                raw, HEADER.size + index * ITEM.size
            )
            start = HEADER.size + data_offset
            if (
                data_offset + size > nodesize - HEADER.size
                or start < HEADER.size + count * ITEM.size
            ):
                raise FormatError(f"btrfs leaf {logical:#x}: item {index} is out of bounds")
            keys.append((objectid, kind, offset))
            refs.append((start, size))
    else:
        if count == 0 or HEADER.size + count * KEY_POINTER.size > nodesize:
            raise FormatError(f"btrfs node {logical:#x} has an invalid pointer count")
        for index in range(count):
            objectid, kind, offset, child, generation = KEY_POINTER.unpack_from(
                raw, HEADER.size + index * KEY_POINTER.size
            )
            keys.append((objectid, kind, offset))
            refs.append((child, generation))
    if any(keys[index] >= keys[index + 1] for index in range(len(keys) - 1)):
        raise FormatError(f"btrfs node {logical:#x}: keys out of order")
    return Node(logical, level, owner, tuple(keys), tuple(refs), raw)


@dataclass(frozen=True)
class TreeRoot:
    """Where a tree starts: its root node's address, level and generation."""

    logical: int
    level: int
    generation: int


class Disk:
    """The device's chunks and checked nodes; walks over any tree."""

    def __init__(self, blob: Blob) -> None:
        self.blob = blob
        self.superblock = superblock = read_superblock(blob)
        self.chunks = ChunkMap()
        self._nodes: OrderedDict[int, Node] = OrderedDict()
        array = superblock.sys_chunk_array
        position = 0
        while position < len(array):
            if position + KEY.size > len(array):
                raise FormatError("the btrfs system chunk array is truncated")
            _objectid, kind, logical = KEY.unpack_from(array, position)
            if kind != CHUNK_ITEM:
                raise FormatError("the btrfs system chunk array holds something else")
            chunk, size = parse_chunk(array, position + KEY.size, logical, superblock.devid)
            self.chunks.add(chunk)
            position += KEY.size + size
        chunk_root = TreeRoot(
            superblock.chunk_root, superblock.chunk_root_level, superblock.chunk_root_generation
        )
        start: Key = (FIRST_CHUNK_TREE_OBJECTID, CHUNK_ITEM, 0)
        for key, data in self.items(chunk_root, start):
            if key[:2] != (FIRST_CHUNK_TREE_OBJECTID, CHUNK_ITEM):
                if key > start:
                    break
                continue
            chunk, _size = parse_chunk(data, 0, key[2], superblock.devid)
            self.chunks.add(chunk)
        self.root_tree = TreeRoot(superblock.root, superblock.root_level, superblock.generation)

    def read(self, logical: int, length: int) -> bytes:
        return self.chunks.read(self.blob, logical, length)

    def node(self, logical: int, level: int, generation: int) -> Node:
        """The node at ``logical``, checked against what its parent expects (each copy tried)."""
        cached = self._nodes.get(logical)
        if cached is not None:
            self._nodes.move_to_end(logical)
            if cached.level != level:
                raise FormatError(f"btrfs node {logical:#x} has level {cached.level}, not {level}")
            return cached
        superblock = self.superblock
        failure: FormatError | None = None
        for copy in range(self.chunks.copies(logical)):
            try:
                raw = self.chunks.read(self.blob, logical, superblock.nodesize, copy)
                node = parse_node(raw, superblock, logical)
                found = HEADER.unpack_from(raw)[5]
                if found != generation:
                    raise FormatError(
                        f"btrfs node {logical:#x} has generation {found}, not {generation}"
                    )
                if node.level != level:
                    raise FormatError(
                        f"btrfs node {logical:#x} has level {node.level}, not {level}"
                    )
            except FormatError as error:
                failure = failure or error
                continue
            self._nodes[logical] = node
            if len(self._nodes) > NODE_CACHE:
                self._nodes.popitem(last=False)
            return node
        assert failure is not None
        raise failure

    def items(self, root: TreeRoot, start: Key) -> Iterator[tuple[Key, bytes]]:
        """The items of a tree from the last one at or before ``start`` (or the first), in
        key order, until the caller stops; keys must rise strictly."""
        if root.level >= MAX_LEVEL:
            raise FormatError(f"a btrfs tree root has level {root.level}")
        last: Key | None = None
        for key, data in self._walk(
            self.node(root.logical, root.level, root.generation), start, None
        ):
            if last is not None and key <= last:
                raise FormatError("btrfs tree keys do not rise along a walk")
            last = key
            yield key, data

    def _walk(self, node: Node, start: Key, expected: Key | None) -> Iterator[tuple[Key, bytes]]:
        keys = node.keys
        if expected is not None and keys and keys[0] != expected:
            raise FormatError(f"btrfs node {node.logical:#x} does not start at its parent's key")
        first = _floor(keys, start)
        if node.level == 0:
            for index in range(first, len(keys)):
                yield keys[index], node.item(index)
            return
        for index in range(first, len(keys)):
            child, generation = node.refs[index]
            yield from self._walk(self.node(child, node.level - 1, generation), start, keys[index])

    def lookup(self, root: TreeRoot, key: Key) -> bytes | None:
        """The data of the item with exactly ``key``, or None."""
        for found, data in self.items(root, key):
            if found == key:
                return data
            if found > key:
                return None
        return None


def _floor(keys: tuple[Key, ...], start: Key) -> int:
    """The index of the last key at or before ``start`` (0 when all are after it)."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if keys[middle] <= start:
            low = middle + 1
        else:
            high = middle
    return max(low - 1, 0)
