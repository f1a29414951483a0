"""ext2, ext3 and ext4, read-only: enough to walk a Linux root and read its files.

Written from the kernel's description of the on-disk format,
Documentation/filesystems/ext4/ (the "ondisk" chapters: super.rst,
group_descr.rst, blockgroup.rst, inodes.rst, ifork.rst, blockmap.rst,
directory.rst, inlinedata.rst, attributes.rst).  The superblock, 1024 bytes at
byte 1024, gives the geometry: block size, blocks and inodes per group, inode
size, the group descriptors' size (32 bytes, or ``s_desc_size`` with 64bit)
and where they are (after the superblock, or with meta_bg in the first block
of each meta group).  Inode ``n`` is entry ``(n - 1) % inodes_per_group`` of
its group's inode table.  A file's blocks are found through its extent tree
(ext4: a header and up to four entries in ``i_block``, index nodes down to
leaves, at most five levels; an extent longer than 32768 is uninitialized and
reads as zeros) or its block map (ext2/3: twelve direct blocks, then single,
double and triple indirect blocks); what neither maps is a hole, read as zeros.
With inline_data, a small file or directory lives in ``i_block`` (60 bytes)
and the ``system.data`` extended attribute in the inode's body.

Directories are read linearly, block by block: an htree directory's index
hides in blocks that look empty to that scan (the dx_root's ``..`` entry spans
the block; a dx_node is one unused entry as long as the block), and its leaves
are ordinary entry blocks; the 12-byte checksum tail of metadata_csum is an
unused entry too.  A symbolic link's target is in ``i_block`` when the inode
has no blocks (a fast symlink), else in its data.

Feature flags are honoured: an incompatible feature this reader does not know,
compression, dirdata or an external journal device are refused
(``Unsupported``); an encrypted file or directory is refused when read.  A
journal that needs recovery is not replayed: ``needs_recovery`` says so.
Checksums: the superblock's (crc32c, metadata_csum) and each group descriptor's
(crc16 with gdt_csum, crc32c with metadata_csum) are verified; inode, extent
and directory block checksums are not (their structure is checked instead).
Every count read from the disk is checked against what contains it before it
is used, trees are walked only where a read needs them and never deeper than
their format allows: malformed structures raise ``FormatError``.
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.crc32c import crc32c_update
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.errors import Unsupported
from ec2_import_image.fsread.extents import (
    Lru,
    MapWalk,
    Run,
    check_disjoint,
    merge,
    read_runs,
    written_blocks,
)
from ec2_import_image.fsread.tree import DirEntry, FileType, Handle, TooLarge
from ec2_import_image.fsread.unix import InodeVolume, entry_name, entry_type, file_type

SUPERBLOCK_OFFSET = 1024
MAGIC = 0xEF53
ROOT_INODE = 2

COMPAT_SPARSE_SUPER2 = 0x200
INCOMPAT_COMPRESSION = 0x1
INCOMPAT_FILETYPE = 0x2
INCOMPAT_RECOVER = 0x4
INCOMPAT_JOURNAL_DEV = 0x8
INCOMPAT_META_BG = 0x10
INCOMPAT_EXTENTS = 0x40
INCOMPAT_64BIT = 0x80
INCOMPAT_MMP = 0x100
INCOMPAT_FLEX_BG = 0x200
INCOMPAT_EA_INODE = 0x400
INCOMPAT_DIRDATA = 0x1000
INCOMPAT_CSUM_SEED = 0x2000
INCOMPAT_LARGEDIR = 0x4000
INCOMPAT_INLINE_DATA = 0x8000
INCOMPAT_ENCRYPT = 0x10000
INCOMPAT_CASEFOLD = 0x20000
#: what this reader reads (the rest of the known flags are refused by name)
INCOMPAT_READ = (
    INCOMPAT_FILETYPE
    | INCOMPAT_RECOVER
    | INCOMPAT_META_BG
    | INCOMPAT_EXTENTS
    | INCOMPAT_64BIT
    | INCOMPAT_MMP
    | INCOMPAT_FLEX_BG
    | INCOMPAT_EA_INODE
    | INCOMPAT_CSUM_SEED
    | INCOMPAT_LARGEDIR
    | INCOMPAT_INLINE_DATA
    | INCOMPAT_ENCRYPT
    | INCOMPAT_CASEFOLD
)
INCOMPAT_REFUSED = {
    INCOMPAT_COMPRESSION: "compression",
    INCOMPAT_JOURNAL_DEV: "an external journal device (no files in it)",
    INCOMPAT_DIRDATA: "data in directory entries (dirdata)",
}
RO_COMPAT_SPARSE_SUPER = 0x1
RO_COMPAT_GDT_CSUM = 0x10
RO_COMPAT_BIGALLOC = 0x200
RO_COMPAT_METADATA_CSUM = 0x400

BG_INODE_UNINIT = 0x1

FL_ENCRYPT = 0x800
FL_INDEX = 0x1000
FL_HUGE_FILE = 0x40000
FL_EXTENTS = 0x80000
FL_INLINE_DATA = 0x10000000
FL_CASEFOLD = 0x40000000

EXTENT_MAGIC = 0xF30A
#: "The extent tree can be at most 5 levels deep" (ifork.rst)
MAX_EXTENT_DEPTH = 5
#: an initialized extent is at most 32768 blocks; above that, uninitialized (ifork.rst)
MAX_INIT_EXTENT = 32768
#: i_block: 15 block numbers, or a 60-byte extent tree root, inline data, a fast symlink
I_BLOCK_SIZE = 60
DIRECT_BLOCKS = 12
XATTR_MAGIC = 0xEA020000
XATTR_INDEX_SYSTEM = 7
#: blocks read at a time when listing a directory
DIRECTORY_CHUNK = 64
#: the largest directory listed (a million entries or more): larger is refused, not read
MAX_DIRECTORY_SIZE = 128 * 1024 * 1024


def _crc16(crc: int, data: bytes) -> int:
    """The kernel's crc16 (polynomial 0x8005, reflected), of gdt_csum's descriptors."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True)
class Superblock:
    block_size: int
    cluster_size: int
    inode_size: int
    blocks_count: int
    first_data_block: int
    blocks_per_group: int
    inodes_per_group: int
    inodes_count: int
    groups: int
    desc_size: int
    compat: int
    incompat: int
    ro_compat: int
    uuid: bytes
    label: bytes
    first_meta_bg: int
    backup_groups: tuple[int, int]
    checksum_seed: int

    @property
    def metadata_csum(self) -> bool:
        return bool(self.ro_compat & RO_COMPAT_METADATA_CSUM)


def read_superblock(blob: Blob) -> Superblock:
    raw = blob.read(SUPERBLOCK_OFFSET, 1024)
    if len(raw) < 1024 or struct.unpack_from("<H", raw, 0x38)[0] != MAGIC:
        raise FormatError("no ext2/3/4 superblock")
    (inodes_count, blocks_lo, _reserved, _free, _free_inodes, first_data_block, log_block,
     log_cluster, blocks_per_group, _clusters_per_group, inodes_per_group) = struct.unpack_from(
        "<11I", raw, 0)  # fmt: skip
    rev_level = struct.unpack_from("<I", raw, 0x4C)[0]
    inode_size = struct.unpack_from("<H", raw, 0x58)[0] if rev_level else 128
    compat, incompat, ro_compat = struct.unpack_from("<III", raw, 0x5C)
    if rev_level == 0:
        compat = incompat = ro_compat = 0
    unknown = incompat & ~(INCOMPAT_READ | sum(INCOMPAT_REFUSED))
    if unknown:
        raise Unsupported(f"ext: incompatible feature flags {unknown:#x} this reader does not know")
    for flag, name in INCOMPAT_REFUSED.items():
        if incompat & flag:
            raise Unsupported(f"ext: {name} is not read")
    if log_block > 6:
        raise FormatError(f"ext: a block size of 2^{10 + log_block} bytes")
    block_size = 1024 << log_block
    cluster_size = block_size
    if ro_compat & RO_COMPAT_BIGALLOC:
        if not log_block <= log_cluster <= log_block + 16:
            raise FormatError("ext: the bigalloc cluster size is invalid")
        cluster_size = 1024 << log_cluster
    if inode_size < 128 or inode_size > block_size or inode_size & (inode_size - 1):
        raise FormatError(f"ext: an inode size of {inode_size} bytes")
    if not 0 < inodes_per_group <= 8 * block_size or blocks_per_group <= 0:
        raise FormatError("ext: the blocks or inodes per group are invalid")
    blocks_count = blocks_lo
    desc_size = 32
    if incompat & INCOMPAT_64BIT:
        blocks_count |= struct.unpack_from("<I", raw, 0x150)[0] << 32
        desc_size = struct.unpack_from("<H", raw, 0xFE)[0]
        if not 64 <= desc_size <= 1024 or desc_size & (desc_size - 1):
            raise FormatError(f"ext: a group descriptor size of {desc_size} bytes")
    if first_data_block >= blocks_count:
        raise FormatError("ext: the first data block is past the end of the file system")
    groups = -(-(blocks_count - first_data_block) // blocks_per_group)
    if inodes_count > groups * inodes_per_group:
        raise FormatError("ext: more inodes than the groups hold")
    volume_uuid = raw[0x68:0x78]
    seed = 0
    if ro_compat & RO_COMPAT_METADATA_CSUM:
        if raw[0x175] != 1:
            raise Unsupported(f"ext: metadata checksum type {raw[0x175]}")
        stored = struct.unpack_from("<I", raw, 0x3FC)[0]
        if crc32c_update(0xFFFFFFFF, raw[:0x3FC]) != stored:
            raise FormatError("ext: the superblock's checksum does not match")
        if incompat & INCOMPAT_CSUM_SEED:
            seed = struct.unpack_from("<I", raw, 0x270)[0]
        else:
            seed = crc32c_update(0xFFFFFFFF, volume_uuid)
    return Superblock(
        block_size=block_size,
        cluster_size=cluster_size,
        inode_size=inode_size,
        blocks_count=blocks_count,
        first_data_block=first_data_block,
        blocks_per_group=blocks_per_group,
        inodes_per_group=inodes_per_group,
        inodes_count=inodes_count,
        groups=groups,
        desc_size=desc_size,
        compat=compat,
        incompat=incompat,
        ro_compat=ro_compat,
        uuid=volume_uuid,
        label=raw[0x78:0x88],
        first_meta_bg=struct.unpack_from("<I", raw, 0x104)[0],
        backup_groups=struct.unpack_from("<II", raw, 0x24C),
        checksum_seed=seed,
    )


@dataclass(frozen=True)
class Inode:
    number: int
    type: FileType
    size: int
    flags: int
    #: i_blocks in 512-byte units (in blocks with the huge_file inode flag)
    blocks: int
    file_acl: int
    #: the 60 bytes of i_block
    block: bytes
    #: the in-inode extended attribute area (after i_extra_isize), empty if none
    attributes: bytes


@dataclass(frozen=True)
class _Group:
    inode_table: int
    #: inodes of the group's table that are initialized
    initialized: int


def _has_superblock_copy(sb: Superblock, group: int) -> bool:
    """Whether a group starts with a copy of the superblock (blockgroup.rst, super.rst)."""
    if group == 0:
        return True
    if sb.compat & COMPAT_SPARSE_SUPER2:
        return group in sb.backup_groups
    if group == 1 or not sb.ro_compat & RO_COMPAT_SPARSE_SUPER:
        return True
    for base in (3, 5, 7):
        power = base
        while power < group:
            power *= base
        if power == group:
            return True
    return False


def _rec_len(raw: int, block_size: int) -> int:
    """A directory entry's length; 65536-byte blocks keep the top bits in the low two."""
    if block_size < 65536:
        return raw
    if raw in (0, 65535):
        return 65536
    return (raw & 65532) | ((raw & 3) << 16)


def _folded(name: str) -> str:
    """A name as a casefold directory compares it (Unicode canonical decomposition, casefold)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


class ExtVolume(InodeVolume[Inode]):
    """An ext2, ext3 or ext4 file system in ``blob``, read through ``tree.Volume``'s primitives.

    ``uuid`` and ``label`` are the superblock's (fstab's ``UUID=`` and ``LABEL=``).
    """

    def __init__(self, blob: Blob) -> None:
        self._blob = blob
        self.superblock = read_superblock(blob)
        sb = self.superblock
        super().__init__(sb.uuid, sb.label, sb.block_size)
        self._blocks: Lru[int, bytes] = Lru(256)
        self._groups: Lru[int, _Group] = Lru(1024)

    @property
    def needs_recovery(self) -> bool:
        """The journal holds transactions not yet written in place (not replayed here)."""
        return bool(self.superblock.incompat & INCOMPAT_RECOVER)

    def runs(self, handle: Handle, first: int, end: int) -> list[Run]:
        """Where a file's blocks ``first`` to ``end - 1`` are on the volume (holes left out)."""
        inode = self.inode(handle)
        if inode.flags & FL_INLINE_DATA:
            return []
        return self._runs(inode, first, end)

    def root(self) -> Handle:
        return ROOT_INODE

    # -- InodeVolume ----------------------------------------------------------------------

    def _fold(self, inode: Inode, name: str) -> str:
        return _folded(name) if inode.flags & FL_CASEFOLD else name

    def _link(self, inode: Inode) -> bytes:
        if inode.flags & FL_ENCRYPT:
            raise Unsupported(f"ext: inode {inode.number} is an encrypted symbolic link")
        if inode.flags & FL_INLINE_DATA:
            return self._inline(inode)[: inode.size]
        sb = self.superblock
        unit = sb.cluster_size if inode.flags & FL_HUGE_FILE else 512
        attribute_blocks = sb.cluster_size // unit if inode.file_acl else 0
        if inode.blocks - attribute_blocks == 0:
            if inode.size >= I_BLOCK_SIZE:
                raise FormatError(f"ext: fast symbolic link {inode.number} is too long")
            return inode.block[: inode.size]
        return self._data(inode, 0, inode.size)

    # -- inodes ---------------------------------------------------------------------------

    def _block(self, number: int) -> bytes:
        sb = self.superblock
        if not 0 <= number < sb.blocks_count:
            raise FormatError(f"ext: block {number} is outside the file system")

        def load(block: int) -> bytes:
            data = self._blob.read(block * sb.block_size, sb.block_size)
            if len(data) != sb.block_size:
                raise FormatError(f"ext: block {block} is beyond the end of the volume")
            return data

        return self._blocks.get(number, load)

    def _group(self, group: int) -> _Group:
        return self._groups.get(group, self._read_group)

    def _read_group(self, group: int) -> _Group:
        sb = self.superblock
        per_block = sb.block_size // sb.desc_size
        meta_group = group // per_block
        if sb.incompat & INCOMPAT_META_BG and meta_group >= sb.first_meta_bg:
            first = meta_group * per_block
            block = sb.first_data_block + first * sb.blocks_per_group
            block += _has_superblock_copy(sb, first)
            offset = block * sb.block_size + (group % per_block) * sb.desc_size
        else:
            offset = (sb.first_data_block + 1) * sb.block_size + group * sb.desc_size
        block, within = divmod(offset, sb.block_size)
        raw = self._block(block)[within : within + sb.desc_size]
        self._check_descriptor(group, raw)
        table, flags = struct.unpack_from("<I", raw, 0x8)[0], struct.unpack_from("<H", raw, 0x12)[0]
        unused = struct.unpack_from("<H", raw, 0x1C)[0]
        if sb.desc_size >= 64:
            table |= struct.unpack_from("<I", raw, 0x28)[0] << 32
            unused |= struct.unpack_from("<H", raw, 0x32)[0] << 16
        table_blocks = -(-sb.inodes_per_group * sb.inode_size // sb.block_size)
        if table == 0 or table + table_blocks > sb.blocks_count:
            raise FormatError(f"ext: group {group}'s inode table is outside the file system")
        initialized = sb.inodes_per_group
        if flags & BG_INODE_UNINIT:
            initialized = 0
        elif sb.ro_compat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM):
            initialized = max(0, sb.inodes_per_group - unused)
        return _Group(table, initialized)

    def _check_descriptor(self, group: int, raw: bytes) -> None:
        sb = self.superblock
        stored = struct.unpack_from("<H", raw, 0x1E)[0]
        number = struct.pack("<I", group)
        if sb.metadata_csum:
            crc = crc32c_update(sb.checksum_seed, number)
            crc = crc32c_update(crc, raw[:0x1E] + b"\0\0" + raw[0x20:])
            computed = crc & 0xFFFF
        elif sb.ro_compat & RO_COMPAT_GDT_CSUM:
            computed = _crc16(_crc16(_crc16(0xFFFF, sb.uuid), number), raw[:0x1E] + raw[0x20:])
        else:
            return
        if computed != stored:
            raise FormatError(f"ext: group descriptor {group}'s checksum does not match")

    def _read_inode(self, number: int) -> Inode:
        sb = self.superblock
        if not 1 <= number <= sb.inodes_count:
            raise FormatError(f"ext: inode {number} does not exist")
        group, index = divmod(number - 1, sb.inodes_per_group)
        found = self._group(group)
        if index >= found.initialized:
            raise FormatError(f"ext: inode {number} is in the uninitialized part of its group")
        offset = found.inode_table * sb.block_size + index * sb.inode_size
        block, within = divmod(offset, sb.block_size)
        raw = self._block(block)[within : within + sb.inode_size]
        mode, size_lo, links = (
            struct.unpack_from("<H", raw, 0)[0],
            struct.unpack_from("<I", raw, 0x4)[0],
            struct.unpack_from("<H", raw, 0x1A)[0],
        )
        kind = file_type(mode)
        if kind is None or links == 0:
            raise FormatError(f"ext: inode {number} is not in use")
        blocks_lo, flags = struct.unpack_from("<II", raw, 0x1C)
        file_acl, size_hi = struct.unpack_from("<II", raw, 0x68)
        blocks_hi, file_acl_hi = struct.unpack_from("<HH", raw, 0x74)
        attributes = b""
        if sb.inode_size > 128:
            extra = struct.unpack_from("<H", raw, 0x80)[0]
            if extra % 4 or 128 + extra > sb.inode_size:
                raise FormatError(f"ext: inode {number}'s extra size is invalid")
            attributes = raw[128 + extra :]
        return Inode(
            number=number,
            type=kind,
            size=size_lo | size_hi << 32,
            flags=flags,
            blocks=blocks_lo | blocks_hi << 32,
            file_acl=file_acl | file_acl_hi << 32,
            block=raw[0x28 : 0x28 + I_BLOCK_SIZE],
            attributes=attributes,
        )

    # -- data -----------------------------------------------------------------------------

    def _data(self, inode: Inode, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``, a range inside the file."""
        if inode.flags & FL_ENCRYPT:
            raise Unsupported(f"ext: inode {inode.number} is encrypted")
        if inode.flags & FL_INLINE_DATA:
            data = self._inline(inode)
            if len(data) < inode.size:
                raise FormatError(f"ext: inode {inode.number}'s inline data is short")
            return data[offset : offset + length]
        size = self.superblock.block_size
        runs = self._runs(inode, offset // size, -(-(offset + length) // size))
        return read_runs(self._blob, runs, size, offset, length)

    def _runs(self, inode: Inode, first: int, end: int) -> list[Run]:
        """The runs of the file's blocks ``first`` to ``end - 1`` (holes left out)."""
        walk = MapWalk(inode.number, first, end)
        if inode.flags & FL_EXTENTS:
            self._extent_node(walk, inode.block, 0, 1 << 32, None)
        else:
            self._block_map(walk, inode.block)
        return merge(walk.runs, self.superblock.block_size)

    def _check_blocks(self, owner: int, start: int, count: int) -> None:
        sb = self.superblock
        if start < sb.first_data_block or start + count > sb.blocks_count:
            raise FormatError(f"ext: inode {owner} maps blocks outside the file system")

    def _extent_node(
        self, walk: MapWalk, node: bytes, low: int, high: int, depth: int | None
    ) -> None:
        """Walk the extent (sub)tree ``node`` covering logical blocks ``low`` to ``high - 1``."""
        magic, entries, maximum, node_depth = struct.unpack_from("<HHHH", node, 0)
        where = f"ext: inode {walk.owner}'s extent tree"
        if magic != EXTENT_MAGIC:
            raise FormatError(f"{where} has a node without its magic number")
        if (depth is not None and node_depth != depth) or node_depth > MAX_EXTENT_DEPTH:
            raise FormatError(f"{where} has a node at depth {node_depth}")
        if entries > maximum or 12 + 12 * maximum > len(node):
            raise FormatError(f"{where} has a node with {entries} of {maximum} entries")
        size = self.superblock.block_size
        previous = low
        if node_depth == 0:
            for index in range(entries):
                logical, raw_length, start_hi, start_lo = struct.unpack_from(
                    "<IHHI", node, 12 + 12 * index
                )
                unwritten = raw_length > MAX_INIT_EXTENT
                length = raw_length - MAX_INIT_EXTENT if unwritten else raw_length
                if length == 0 or logical < previous or logical + length > high:
                    raise FormatError(f"{where} has extents out of order")
                previous = logical + length
                start = start_hi << 32 | start_lo
                self._check_blocks(walk.owner, start, length)
                take_from, take_to = walk.overlap(logical, length)
                if take_from < take_to:
                    disk = (start + take_from - logical) * size
                    walk.runs.append(Run(take_from, take_to - take_from, disk, unwritten))
            return
        keys = [struct.unpack_from("<IIH", node, 12 + 12 * index) for index in range(entries)]
        for index, (logical, leaf_lo, leaf_hi) in enumerate(keys):
            if logical < previous or (index and logical == previous) or logical >= high:
                raise FormatError(f"{where} has index entries out of order")
            previous = logical
            child_high = keys[index + 1][0] if index + 1 < len(keys) else high
            if logical >= walk.end or child_high <= walk.first:
                continue
            leaf = leaf_hi << 32 | leaf_lo
            self._check_blocks(walk.owner, leaf, 1)
            walk.enter(leaf, where)
            self._extent_node(walk, self._block(leaf), logical, child_high, node_depth - 1)

    def _block_map(self, walk: MapWalk, block: bytes) -> None:
        """ext2/3's block map: twelve direct blocks, then single, double, triple indirect."""
        pointers = struct.unpack("<15I", block)
        per_block = self.superblock.block_size // 4
        self._pointers(walk, pointers[:DIRECT_BLOCKS], 0, 1)
        base = DIRECT_BLOCKS
        for level in (1, 2, 3):
            span = per_block**level
            pointer = pointers[DIRECT_BLOCKS - 1 + level]
            if pointer and base < walk.end and base + span > walk.first:
                self._check_blocks(walk.owner, pointer, 1)
                table = struct.unpack(f"<{per_block}I", self._block(pointer))
                self._pointers(walk, table, base, span // per_block)
            base += span

    def _pointers(self, walk: MapWalk, table: tuple[int, ...], base: int, span: int) -> None:
        """The entries of one map table, each covering ``span`` blocks from ``base``."""
        sb = self.superblock
        low = max(0, (walk.first - base) // span)
        high = min(len(table), -(-(walk.end - base) // span))
        if span > 1:
            per_block = sb.block_size // 4
            for index in range(low, high):
                pointer = table[index]
                if pointer:
                    self._check_blocks(walk.owner, pointer, 1)
                    child = struct.unpack(f"<{per_block}I", self._block(pointer))
                    self._pointers(walk, child, base + index * span, span // per_block)
            return
        run_start = run_disk = count = 0
        for index in range(low, high):
            pointer = table[index]
            if pointer and not sb.first_data_block <= pointer < sb.blocks_count:
                self._check_blocks(walk.owner, pointer, 1)
            if pointer and count and pointer == run_disk + count:
                count += 1
                continue
            if count:
                walk.runs.append(Run(base + run_start, count, run_disk * sb.block_size))
                count = 0
            if pointer:
                run_start, run_disk, count = index, pointer, 1
        if count:
            walk.runs.append(Run(base + run_start, count, run_disk * sb.block_size))

    def _inline(self, inode: Inode) -> bytes:
        """Inline data: ``i_block`` and then the value of ``system.data`` (inlinedata.rst)."""
        return inode.block + self._system_data(inode)

    def _system_data(self, inode: Inode) -> bytes:
        area = inode.attributes
        missing = f"ext: inode {inode.number} has inline data without its system.data attribute"
        if len(area) < 4 or struct.unpack_from("<I", area, 0)[0] != XATTR_MAGIC:
            raise FormatError(missing)
        entries = area[4:]
        offset = 0
        while offset + 4 <= len(entries) and entries[offset : offset + 4] != b"\0\0\0\0":
            if offset + 16 > len(entries):
                raise FormatError(f"ext: inode {inode.number}'s attributes are cut short")
            name_length, index, value_offset, value_inode, value_size = struct.unpack_from(
                "<BBHII", entries, offset
            )
            name = entries[offset + 16 : offset + 16 + name_length]
            if len(name) != name_length:
                raise FormatError(f"ext: inode {inode.number}'s attributes are cut short")
            if index == XATTR_INDEX_SYSTEM and name == b"data":
                if value_inode:
                    raise Unsupported(f"ext: inode {inode.number}'s inline data is in an inode")
                if value_offset + value_size > len(entries):
                    raise FormatError(f"ext: inode {inode.number}'s inline data is cut short")
                return entries[value_offset : value_offset + value_size]
            offset += (16 + name_length + 3) & ~3
        raise FormatError(missing)

    # -- directories ----------------------------------------------------------------------

    def _list(self, inode: Inode) -> Iterator[DirEntry]:
        if inode.flags & FL_ENCRYPT:
            raise Unsupported(f"ext: directory {inode.number} is encrypted")
        if inode.flags & FL_INLINE_DATA:
            yield from self._parse(inode, inode.block[4:])
            value = self._system_data(inode)
            if value:
                yield from self._parse(inode, value)
            return
        size = self.superblock.block_size
        if inode.size % size:
            raise FormatError(f"ext: directory {inode.number}'s size is not whole blocks")
        if inode.size > MAX_DIRECTORY_SIZE:
            raise TooLarge(f"ext: directory {inode.number} is {inode.size} bytes, over the bound")
        runs = self._runs(inode, 0, inode.size // size)
        check_disjoint(runs, size, f"ext: directory {inode.number}")
        for _logical, data in written_blocks(self._blob, runs, size, DIRECTORY_CHUNK):
            for start in range(0, len(data), size):
                yield from self._parse(inode, data[start : start + size])

    def _parse(self, inode: Inode, block: bytes) -> Iterator[DirEntry]:
        """The entries of one directory block (or inline area), ``.`` and ``..`` left out."""
        sb = self.superblock
        filetype = bool(sb.incompat & INCOMPAT_FILETYPE)
        where = f"ext: directory {inode.number}"
        offset = 0
        while offset < len(block):
            if offset + 8 > len(block):
                raise FormatError(f"{where} has an entry cut short")
            number, raw_length, name_length, code = struct.unpack_from("<IHBB", block, offset)
            length = _rec_len(raw_length, sb.block_size)
            if length < 8 or length % 4 or offset + length > len(block):
                raise FormatError(f"{where} has an entry of length {length}")
            if not filetype:
                name_length, code = name_length | code << 8, 0
            if number:
                if not 0 < name_length <= length - 8 or number > sb.inodes_count:
                    raise FormatError(f"{where} has a malformed entry")
                name = block[offset + 8 : offset + 8 + name_length]
                if name not in (b".", b".."):
                    yield DirEntry(entry_name(name, where), number, entry_type(code))
            offset += length
