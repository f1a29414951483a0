"""XFS, read-only: enough to walk a Linux root and read its files (v5, and v4).

Written from "XFS Algorithms & Data Structures" (the xfs-documentation
repository, design/XFS_Filesystem_Structure: allocation_groups,
ondisk_inode, data_extents, btrees, directories, symbolic_links), and for the
64-bit extent counters of nrext64 the kernel's "xfs: Large extent counters"
series (Linux 5.19: the data fork's count moves to the 8 bytes that were
``di_pad`` and ``di_flushiter``).  All fields are big-endian.

The superblock (sector 0) gives the geometry: block size, allocation group
size and count, inode size, and the logs of these that number inodes and
blocks.  An inode number is its AG number, then its AG block (``sb_agblklog``
bits), then its index in that block (``sb_inopblog`` bits); a file-system
block number in an extent is its AG number and AG block likewise, so the byte
address of AG block ``b`` of AG ``a`` is ``(a * sb_agblocks + b) *
sb_blocksize``.  An inode is a core (96 bytes in v1/v2 inodes, 176 in v3, the
only kind v5 file systems have) and a data fork: local (short-form
directories, symbolic links), a list of 16-byte extents, or the root of a
bmbt B+tree whose leaves hold the extents (blocks ``BMAP``, v5 ``BMA3``).  An
extent marked unwritten reads as zeros; what no extent covers is a hole.

Directories: short-form (in the inode), or directory blocks
(``sb_blocksize << sb_dirblklog`` bytes) in the data section of the directory
(below 32 GiB; the leaf and free-index blocks above it are not needed to
list it): one ``XD2B``/``XDB3`` block directory or ``XD2D``/``XDD3`` data blocks
(leaf and node directories), each a run of entries and unused spaces.
Entries carry a file type when the ftype feature says so.  A symbolic link is
local, or in blocks, each of which on v5 starts with an ``XSLM`` header.

Feature flags are honoured: v5's incompatible features this reader does not
know, and a file system marked as needing repair, are refused
(``Unsupported``), as is a file on the real-time device.  The log is not
replayed.  Checksums: the superblock's and every inode's (crc32c) are
verified on v5, with the inode's own number; directory, bmbt and symlink
blocks are checked for their magic number and owner, not their checksum.
Every count read from the disk is checked against what contains it, B+trees
are walked only where a read needs them, never deeper than ``MAX_BMBT_LEVELS``
nor through the same block twice: malformed structures raise ``FormatError``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.crc32c import crc32c
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.errors import Unsupported
from ec2_import_image.fsread.extents import Lru, MapWalk, Run, check_disjoint, merge, read_runs
from ec2_import_image.fsread.tree import DirEntry, FileType, Handle, TooLarge
from ec2_import_image.fsread.unix import InodeVolume, entry_name, entry_type, file_type

MAGIC = b"XFSB"
VERSION_NUMBITS = 0x000F
VERSION_DIRV2BIT = 0x2000
#: ASCII case-insensitive names (mkfs.xfs -n version=ci)
VERSION_BORGBIT = 0x4000
VERSION_MOREBITSBIT = 0x8000
VERSION2_CRCBIT = 0x100
VERSION2_FTYPE = 0x200
INCOMPAT_FTYPE = 0x1
INCOMPAT_SPINODES = 0x2
INCOMPAT_META_UUID = 0x4
INCOMPAT_BIGTIME = 0x8
INCOMPAT_NEEDSREPAIR = 0x10
INCOMPAT_NREXT64 = 0x20
#: what this reader reads
INCOMPAT_READ = (
    INCOMPAT_FTYPE | INCOMPAT_SPINODES | INCOMPAT_META_UUID | INCOMPAT_BIGTIME | INCOMPAT_NREXT64
)

INODE_MAGIC = b"IN"
DIFLAG_REALTIME = 0x1
DIFLAG2_NREXT64 = 0x10
FORMAT_DEV, FORMAT_LOCAL, FORMAT_EXTENTS, FORMAT_BTREE = 0, 1, 2, 3
#: v3 inodes' literal area (the forks) starts at 176, v1/v2 at 100 (ondisk_inode)
LITERAL_V3, LITERAL_V2 = 176, 100

BMAP_MAGIC, BMAP_CRC_MAGIC = b"BMAP", b"BMA3"
#: the long-format B+tree block header, v4 and v5 (btrees)
BTREE_HEADER_V4, BTREE_HEADER_V5 = 24, 72
#: deeper than any bmbt of a 2^54-block file with the smallest blocks
MAX_BMBT_LEVELS = 10
EXTENT_SIZE = 16

DIR_BLOCK_MAGICS = (b"XD2B", b"XDB3")
DIR_DATA_MAGICS = (b"XD2D", b"XDD3")
#: the data header: v4 magic and three best-free pairs; v5 xfs_dir3_data_hdr
DIR_HEADER_V4, DIR_HEADER_V5 = 16, 64
#: the directory's data section ends at 32 GiB (XFS_DIR2_LEAF_OFFSET)
DIR_LEAF_OFFSET = 32 * 1024**3
UNUSED_TAG = 0xFFFF
#: the largest directory data section listed: larger is refused, not read
MAX_DIRECTORY_SIZE = 128 * 1024 * 1024

SYMLINK_MAGIC = b"XSLM"
SYMLINK_HEADER = 56
#: XFS keeps link targets up to 1024 bytes
MAX_SYMLINK = 1024


@dataclass(frozen=True)
class Superblock:
    block_size: int
    agblocks: int
    agcount: int
    dblocks: int
    root: int
    inode_size: int
    agblklog: int
    inopblog: int
    dir_block_size: int
    version: int
    ftype: bool
    ascii_ci: bool
    uuid: bytes
    label: bytes

    @property
    def crc(self) -> bool:
        return self.version == 5


def read_superblock(blob: Blob) -> Superblock:
    raw = blob.read(0, 512)
    if len(raw) < 512 or raw[:4] != MAGIC:
        raise FormatError("no XFS superblock")
    block_size, dblocks = struct.unpack_from(">IQ", raw, 4)
    root = struct.unpack_from(">Q", raw, 56)[0]
    agblocks, agcount = struct.unpack_from(">II", raw, 84)
    versionnum, sectsize, inode_size, inopblock = struct.unpack_from(">HHHH", raw, 100)
    blocklog, sectlog, inodelog, inopblog, agblklog = raw[120:125]
    inprogress = raw[126]
    dirblklog = raw[192]
    features2 = struct.unpack_from(">I", raw, 200)[0]
    version = versionnum & VERSION_NUMBITS
    if version not in (4, 5):
        raise Unsupported(f"xfs: superblock version {version} (only 4 and 5 are read)")
    if not 512 <= block_size <= 65536 or block_size != 1 << blocklog:
        raise FormatError(f"xfs: a block size of {block_size} bytes")
    if not 512 <= sectsize <= 32768 or sectsize != 1 << sectlog:
        raise FormatError(f"xfs: a sector size of {sectsize} bytes")
    if not 256 <= inode_size <= 2048 or inode_size != 1 << inodelog or inode_size > block_size:
        raise FormatError(f"xfs: an inode size of {inode_size} bytes")
    if inopblock != block_size // inode_size or inopblock != 1 << inopblog:
        raise FormatError("xfs: the inodes per block do not follow from the sizes")
    if not 1 <= agblklog <= 31 or not 1 << (agblklog - 1) < agblocks <= 1 << agblklog:
        raise FormatError("xfs: the allocation group size is invalid")
    if agcount == 0 or dblocks > agcount * agblocks:
        raise FormatError("xfs: the allocation groups do not hold the file system")
    if (block_size << dirblklog) > 65536:
        raise FormatError("xfs: directory blocks over 64 KiB")
    if inprogress:
        raise FormatError("xfs: mkfs.xfs did not finish this file system")
    ftype = False
    if version == 5:
        if not features2 & VERSION2_CRCBIT:
            raise FormatError("xfs: a v5 superblock without CRCs")
        sector = blob.read(0, sectsize)
        if len(sector) != sectsize:
            raise FormatError("xfs: the superblock's sector is cut short")
        stored = struct.unpack_from("<I", sector, 224)[0]
        if crc32c(sector[:224] + b"\0\0\0\0" + sector[228:]) != stored:
            raise FormatError("xfs: the superblock's checksum does not match")
        incompat = struct.unpack_from(">I", raw, 216)[0]
        if incompat & INCOMPAT_NEEDSREPAIR:
            raise Unsupported("xfs: the file system is marked as needing xfs_repair")
        unknown = incompat & ~INCOMPAT_READ
        if unknown:
            raise Unsupported(
                f"xfs: incompatible feature flags {unknown:#x} this reader does not know"
            )
        ftype = bool(incompat & INCOMPAT_FTYPE)
    else:
        if not versionnum & VERSION_DIRV2BIT:
            raise Unsupported("xfs: version 1 directories")
        more = bool(versionnum & VERSION_MOREBITSBIT)
        if more and features2 & VERSION2_CRCBIT:
            raise FormatError("xfs: a v4 superblock with CRCs")
        ftype = more and bool(features2 & VERSION2_FTYPE)
    return Superblock(
        block_size=block_size,
        agblocks=agblocks,
        agcount=agcount,
        dblocks=dblocks,
        root=root,
        inode_size=inode_size,
        agblklog=agblklog,
        inopblog=inopblog,
        dir_block_size=block_size << dirblklog,
        version=version,
        ftype=ftype,
        ascii_ci=bool(versionnum & VERSION_BORGBIT),
        uuid=raw[32:48],
        label=raw[108:120],
    )


@dataclass(frozen=True)
class Inode:
    number: int
    type: FileType
    size: int
    #: the data fork's format: FORMAT_LOCAL, FORMAT_EXTENTS, FORMAT_BTREE (FORMAT_DEV)
    format: int
    extents: int
    flags: int
    #: the data fork's bytes (the literal area up to the attribute fork)
    fork: bytes


class XfsVolume(InodeVolume[Inode]):
    """An XFS file system in ``blob``, read through ``tree.Volume``'s primitives.

    ``uuid`` and ``label`` are the superblock's (fstab's ``UUID=`` and ``LABEL=``).
    """

    def __init__(self, blob: Blob) -> None:
        self._blob = blob
        self.superblock = read_superblock(blob)
        sb = self.superblock
        super().__init__(sb.uuid, sb.label, sb.block_size)
        self._blocks: Lru[int, bytes] = Lru(256)
        self._check_inode_number(self.superblock.root)

    @property
    def version(self) -> int:
        """4 or 5 (v5: metadata checksums, v3 inodes)."""
        return self.superblock.version

    def runs(self, handle: Handle, first: int, end: int) -> list[Run]:
        """Where a file's blocks ``first`` to ``end - 1`` are on the volume (holes left out)."""
        inode = self.inode(handle)
        if inode.format not in (FORMAT_EXTENTS, FORMAT_BTREE):
            return []
        return self._runs(inode, first, end)

    def root(self) -> Handle:
        return self.superblock.root

    # -- InodeVolume ----------------------------------------------------------------------

    def _list(self, inode: Inode) -> Iterator[DirEntry]:
        if inode.format == FORMAT_LOCAL:
            return iter(self._short_form(inode))
        return self._block_entries(inode)

    def _fold(self, inode: Inode, name: str) -> str:
        """ASCII letters compared without case on a ``version=ci`` file system (only ASCII)."""
        if not self.superblock.ascii_ci:
            return name
        return name.encode("utf-8", "surrogateescape").lower().decode("utf-8", "surrogateescape")

    def _data(self, inode: Inode, offset: int, length: int) -> bytes:
        if inode.flags & DIFLAG_REALTIME:
            raise Unsupported(f"xfs: inode {inode.number}'s data is on the real-time device")
        if inode.format not in (FORMAT_EXTENTS, FORMAT_BTREE):
            raise FormatError(
                f"xfs: regular file {inode.number} has data fork format {inode.format}"
            )
        size = self.superblock.block_size
        runs = self._runs(inode, offset // size, -(-(offset + length) // size))
        return read_runs(self._blob, runs, size, offset, length)

    def _link(self, inode: Inode) -> bytes:
        if inode.size > MAX_SYMLINK:
            raise FormatError(f"xfs: symbolic link {inode.number} is {inode.size} bytes long")
        if inode.format == FORMAT_LOCAL:
            if inode.size > len(inode.fork):
                raise FormatError(f"xfs: symbolic link {inode.number} overflows its inode")
            return inode.fork[: inode.size]
        if inode.format != FORMAT_EXTENTS:
            raise FormatError(f"xfs: symbolic link {inode.number} has fork format {inode.format}")
        return self._remote_link(inode)

    # -- inodes ---------------------------------------------------------------------------

    def _disk(self, fsblock: int, count: int, owner: int) -> int:
        """The byte address of ``count`` blocks from file-system block ``fsblock``."""
        sb = self.superblock
        ag, block = fsblock >> sb.agblklog, fsblock & ((1 << sb.agblklog) - 1)
        linear = ag * sb.agblocks + block
        if ag >= sb.agcount or block + count > sb.agblocks or linear + count > sb.dblocks:
            raise FormatError(f"xfs: inode {owner} maps blocks outside the file system")
        return linear * sb.block_size

    def _block(self, address: int) -> bytes:
        size = self.superblock.block_size

        def load(at: int) -> bytes:
            data = self._blob.read(at, size)
            if len(data) != size:
                raise FormatError("xfs: a block is beyond the end of the volume")
            return data

        return self._blocks.get(address, load)

    def _check_inode_number(self, number: int) -> tuple[int, int, int]:
        sb = self.superblock
        ag = number >> (sb.agblklog + sb.inopblog)
        block = (number >> sb.inopblog) & ((1 << sb.agblklog) - 1)
        index = number & ((1 << sb.inopblog) - 1)
        if number <= 0 or ag >= sb.agcount or block >= sb.agblocks:
            raise FormatError(f"xfs: inode {number} does not exist")
        return ag, block, index

    def _read_inode(self, number: int) -> Inode:
        sb = self.superblock
        ag, block, index = self._check_inode_number(number)
        address = (ag * sb.agblocks + block) * sb.block_size
        raw = self._block(address)[index * sb.inode_size : (index + 1) * sb.inode_size]
        where = f"xfs: inode {number}"
        mode, version, data_format = struct.unpack_from(">HBB", raw, 2)
        if raw[:2] != INODE_MAGIC:
            raise FormatError(f"{where} has no inode magic number")
        if version not in ((3,) if sb.crc else (1, 2)):
            raise FormatError(f"{where} is of version {version}")
        literal = LITERAL_V2
        extents = struct.unpack_from(">I", raw, 76)[0]
        if version == 3:
            literal = LITERAL_V3
            stored = struct.unpack_from("<I", raw, 100)[0]
            if crc32c(raw[:100] + b"\0\0\0\0" + raw[104:]) != stored:
                raise FormatError(f"{where}'s checksum does not match")
            if struct.unpack_from(">Q", raw, 152)[0] != number:
                raise FormatError(f"{where} says it is another inode")
            if struct.unpack_from(">Q", raw, 120)[0] & DIFLAG2_NREXT64:
                extents = struct.unpack_from(">Q", raw, 24)[0]
        kind = file_type(mode)
        if kind is None:
            raise FormatError(f"{where} is not in use")
        size = struct.unpack_from(">q", raw, 56)[0]
        fork_offset = raw[82]
        flags = struct.unpack_from(">H", raw, 90)[0]
        fork_size = fork_offset * 8 if fork_offset else sb.inode_size - literal
        if size < 0 or literal + fork_size > sb.inode_size:
            raise FormatError(f"{where}'s size or fork offset is invalid")
        return Inode(
            number=number,
            type=kind,
            size=size,
            format=data_format,
            extents=extents,
            flags=flags,
            fork=raw[literal : literal + fork_size],
        )

    # -- data -----------------------------------------------------------------------------

    def _runs(self, inode: Inode, first: int, end: int) -> list[Run]:
        """The runs of the file's blocks ``first`` to ``end - 1`` (holes left out)."""
        walk = MapWalk(inode.number, first, end)
        if inode.format == FORMAT_EXTENTS:
            if inode.extents * EXTENT_SIZE > len(inode.fork):
                raise FormatError(f"xfs: inode {inode.number}'s extents overflow its fork")
            self._extents(walk, inode.fork, inode.extents, 0, 1 << 54)
        elif inode.format == FORMAT_BTREE:
            self._bmbt_root(walk, inode.fork)
        else:
            raise FormatError(f"xfs: inode {inode.number} has data fork format {inode.format}")
        return merge(walk.runs, self.superblock.block_size)

    def _extents(self, walk: MapWalk, data: bytes, count: int, low: int, high: int) -> None:
        """``count`` packed extent records at the start of ``data``, within [low, high)."""
        previous = low
        number = walk.owner
        for index in range(count):
            upper, lower = struct.unpack_from(">QQ", data, index * EXTENT_SIZE)
            unwritten = bool(upper >> 63)
            logical = (upper >> 9) & ((1 << 54) - 1)
            fsblock = ((upper & 0x1FF) << 43) | (lower >> 21)
            length = lower & 0x1FFFFF
            if length == 0 or logical < previous or logical + length > high:
                raise FormatError(f"xfs: inode {number}'s extents are out of order")
            previous = logical + length
            take_from, take_to = walk.overlap(logical, length)
            if take_from < take_to:
                disk = self._disk(fsblock, length, number)
                disk += (take_from - logical) * self.superblock.block_size
                walk.runs.append(Run(take_from, take_to - take_from, disk, unwritten))

    def _bmbt_root(self, walk: MapWalk, fork: bytes) -> None:
        level, records = struct.unpack_from(">HH", fork, 0)
        most = (len(fork) - 4) // 16
        if not 0 < level <= MAX_BMBT_LEVELS or records > most:
            raise FormatError(f"xfs: inode {walk.owner}'s bmbt root is invalid")
        keys = struct.unpack_from(f">{records}Q", fork, 4)
        pointers = struct.unpack_from(f">{records}Q", fork, 4 + most * 8)
        self._bmbt_children(walk, keys, pointers, level, 1 << 54)

    def _bmbt_children(
        self, walk: MapWalk, keys: tuple[int, ...], pointers: tuple[int, ...], level: int, high: int
    ) -> None:
        number = walk.owner
        for index, (key, pointer) in enumerate(zip(keys, pointers, strict=True)):
            if index and key <= keys[index - 1]:
                raise FormatError(f"xfs: inode {number}'s bmbt keys are out of order")
            child_high = keys[index + 1] if index + 1 < len(keys) else high
            if key >= walk.end or child_high <= walk.first:
                continue
            if child_high > high:
                raise FormatError(f"xfs: inode {number}'s bmbt keys are out of order")
            address = self._disk(pointer, 1, number)
            walk.enter(address, f"xfs: inode {number}'s bmbt")
            self._bmbt_block(walk, self._block(address), level - 1, key, child_high)

    def _bmbt_block(self, walk: MapWalk, block: bytes, level: int, low: int, high: int) -> None:
        sb = self.superblock
        number = walk.owner
        header = BTREE_HEADER_V5 if sb.crc else BTREE_HEADER_V4
        magic = BMAP_CRC_MAGIC if sb.crc else BMAP_MAGIC
        block_level, records = struct.unpack_from(">HH", block, 4)
        most = (len(block) - header) // 16
        if block[:4] != magic or block_level != level or records > most:
            raise FormatError(f"xfs: inode {number}'s bmbt has a malformed block")
        if sb.crc and struct.unpack_from(">Q", block, 56)[0] != number:
            raise FormatError(f"xfs: inode {number}'s bmbt has a block of another inode")
        if level == 0:
            self._extents(walk, block[header:], records, low, high)
            return
        keys = struct.unpack_from(f">{records}Q", block, header)
        pointers = struct.unpack_from(f">{records}Q", block, header + most * 8)
        if records and keys[0] < low:
            raise FormatError(f"xfs: inode {number}'s bmbt keys are out of order")
        self._bmbt_children(walk, keys, pointers, level, high)

    def _remote_link(self, inode: Inode) -> bytes:
        sb = self.superblock
        space = sb.block_size - SYMLINK_HEADER if sb.crc else sb.block_size
        blocks = -(-inode.size // space)
        runs = self._runs(inode, 0, blocks)
        if not sb.crc:
            return read_runs(self._blob, runs, sb.block_size, 0, inode.size)
        target = bytearray(inode.size)
        where = f"xfs: symbolic link {inode.number}"
        for index in range(blocks):
            block = read_runs(self._blob, runs, sb.block_size, index * sb.block_size, sb.block_size)
            offset, length = struct.unpack_from(">II", block, 4)
            owner = struct.unpack_from(">Q", block, 32)[0]
            if block[:4] != SYMLINK_MAGIC or owner != inode.number:
                raise FormatError(f"{where} has a block without its header")
            if offset != index * space or length > space or offset + length > inode.size:
                raise FormatError(f"{where} has a block of the wrong part")
            target[offset : offset + length] = block[SYMLINK_HEADER : SYMLINK_HEADER + length]
        return bytes(target)

    # -- directories ----------------------------------------------------------------------

    def _short_form(self, inode: Inode) -> list[DirEntry]:
        """A directory in the inode: a count, the parent, then packed entries (directories)."""
        data = inode.fork
        where = f"xfs: directory {inode.number}"
        if inode.size > len(data) or inode.size < 6:
            raise FormatError(f"{where} overflows its inode")
        data = data[: inode.size]
        count, wide = data[0], data[1]
        number_size = 8 if wide else 4
        offset = 2 + number_size
        entries: list[DirEntry] = []
        for _ in range(count):
            if offset + 3 > len(data):
                raise FormatError(f"{where} has an entry cut short")
            length = data[offset]
            name = data[offset + 3 : offset + 3 + length]
            offset += 3 + length
            code = None
            if self.superblock.ftype:
                code = data[offset] if offset < len(data) else None
                offset += 1
            number = int.from_bytes(data[offset : offset + number_size], "big")
            offset += number_size
            if offset > len(data) or length == 0:
                raise FormatError(f"{where} has an entry cut short")
            entries.append(self._entry(inode, name, number, code))
        return entries

    def _entry(self, inode: Inode, name: bytes, number: int, code: int | None) -> DirEntry:
        where = f"xfs: directory {inode.number}"
        if number == 0:
            raise FormatError(f"{where} has an entry without an inode")
        return DirEntry(entry_name(name, where), number, entry_type(code))

    def _block_entries(self, inode: Inode) -> Iterator[DirEntry]:
        sb = self.superblock
        if inode.size > MAX_DIRECTORY_SIZE:
            raise TooLarge(f"xfs: directory {inode.number} is {inode.size} bytes, over the bound")
        per = sb.dir_block_size // sb.block_size
        size = min(inode.size, DIR_LEAF_OFFSET)
        runs = [run for run in self._runs(inode, 0, -(-size // sb.block_size)) if not run.unwritten]
        check_disjoint(runs, sb.block_size, f"xfs: directory {inode.number}")
        touched = sorted(
            {
                block
                for run in runs
                for block in range(run.logical // per, (run.logical + run.count - 1) // per + 1)
            }
        )
        index = 0
        for block in touched:
            low, high = block * per, (block + 1) * per
            while index < len(runs) and runs[index].logical + runs[index].count <= low:
                index += 1
            pieces = []
            for run in runs[index:]:
                if run.logical >= high:
                    break
                pieces.append(run)
            data = read_runs(
                self._blob, pieces, sb.block_size, low * sb.block_size, sb.dir_block_size
            )
            yield from self._data_block(inode, data)

    def _data_block(self, inode: Inode, block: bytes) -> Iterator[DirEntry]:
        """The entries of a block directory's block or of a data block (directories)."""
        sb = self.superblock
        where = f"xfs: directory {inode.number}"
        magic = block[:4]
        header = DIR_HEADER_V5 if sb.crc else DIR_HEADER_V4
        if magic not in (DIR_BLOCK_MAGICS[sb.crc], DIR_DATA_MAGICS[sb.crc]):
            raise FormatError(f"{where} has a block without a directory magic number")
        if sb.crc and struct.unpack_from(">Q", block, 40)[0] != inode.number:
            raise FormatError(f"{where} has a block of another inode")
        end = len(block)
        if magic == DIR_BLOCK_MAGICS[sb.crc]:
            leaves = struct.unpack_from(">I", block, end - 8)[0]
            end -= 8 + leaves * 8
            if end < header:
                raise FormatError(f"{where}'s block has too many leaf entries")
        offset = header
        while offset < end:
            if offset + 8 > end:
                raise FormatError(f"{where} has an entry cut short")
            if struct.unpack_from(">H", block, offset)[0] == UNUSED_TAG:
                length = struct.unpack_from(">H", block, offset + 2)[0]
                if length < 8 or length % 8 or offset + length > end:
                    raise FormatError(f"{where} has a free space of length {length}")
                offset += length
                continue
            number = struct.unpack_from(">Q", block, offset)[0]
            length = block[offset + 8]
            size = (8 + 1 + length + sb.ftype + 2 + 7) & ~7
            if length == 0 or offset + size > end:
                raise FormatError(f"{where} has a malformed entry")
            name = block[offset + 9 : offset + 9 + length]
            code = block[offset + 9 + length] if sb.ftype else None
            offset += size
            if name not in (b".", b".."):
                yield self._entry(inode, name, number, code)
