"""A read-only Btrfs reader: subvolumes, directories, files (compressed too), links.

Written from the btrfs documentation's *On-disk Format* page
(https://btrfs.readthedocs.io/en/latest/dev/On-disk-format.html; the wiki's
"On-disk Format", "Btree Items" and "Data Structures" before it) and the item
layouts of ``include/uapi/linux/btrfs_tree.h``.  ``btrfs_disk`` reads the
superblock, chunks and checked tree nodes, ``btrfs_extents`` a file's extents;
this module reads the items of the trees:

- the **root tree** holds a ROOT_ITEM per tree (its root node's address,
  level, generation and root directory), and per subvolume a ROOT_REF from its
  parent and a ROOT_BACKREF to it (the directory it is in and its name): they
  give each subvolume's id, parent and path; the root tree's directory (6)
  holds one DIR_ITEM, ``default``, naming the subvolume mounted when no
  ``subvol=``/``subvolid=`` is given (the top level, 5, when absent);
- a subvolume's **FS tree** holds per inode an INODE_ITEM (mode, size), its
  INODE_REFs (parent directory and name), per directory entry a DIR_ITEM keyed
  by the name's hash (crc32c seeded with ~1; names with one hash share the
  item) and a DIR_INDEX keyed by its position, and a file's EXTENT_DATA items;
  a symbolic link's target is its one inline extent;
- a directory entry whose location is a ROOT_ITEM is a **subvolume** inside
  this one: a lookup crosses into that tree, so a file's handle is the pair
  (tree id, inode number).  When no ROOT_REF backs the entry (a snapshot taken
  of a subvolume holding another), the kernel shows an empty directory, and so
  does this reader.

Mounting follows btrfs(5): ``subvol=PATH`` is a path from the top level (links
followed) that must end at a subvolume's root, ``subvolid=ID`` an id (0 being
the top level), both must agree when given together, and neither means the
default subvolume.  A log tree left by a crash is not replayed: what is read is
the last committed state.  Data checksums (the csum tree) are not verified:
tree nodes are, and a file's bytes come from extents those nodes point to.

``Btrfs(blob)`` opens a file system; ``mount(options)``, ``open_subvolume``
and ``top_level`` give a ``BtrfsVolume``, the ``fsread.tree.Volume`` that
``Tree`` walks.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.crc32c import crc32c_update
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread import btrfs_disk as disk
from ec2_import_image.fsread.btrfs_disk import Key, TreeRoot
from ec2_import_image.fsread.btrfs_extents import (
    Compression,
    ExtentType,
    FileExtent,
    decompress,
    parse_extent,
)
from ec2_import_image.fsread.tree import (
    DirEntry,
    FileType,
    Handle,
    NotFound,
    Stat,
    Tree,
)

_MAX_U64 = 2**64 - 1
#: the inode number the kernel gives the stand-in for a subvolume a snapshot cannot show
EMPTY_SUBVOL_DIR = 2
FIRST_FREE_OBJECTID = 256
LAST_FREE_OBJECTID = 2**64 - 256
_DIR_ITEM = struct.Struct("<QBQQHHB")  # location key, transid, data_len, name_len, type
_INODE = struct.Struct("<QQQQQIIII")  # generation, transid, size, nbytes, block group, ...
_ROOT_ITEM_AT = 160  # the ROOT_ITEM's fields after its embedded inode item
_ROOT_REF = struct.Struct("<QQH")  # dirid, sequence, name_len
_INODE_REF = struct.Struct("<QH")  # index, name_len
_NAME_MAX = 255
_MAX_DEPTH = 4096
_S_IFMT, _S_IFDIR, _S_IFREG, _S_IFLNK = 0o170000, 0o040000, 0o100000, 0o120000
_DIR_TYPES = {1: FileType.FILE, 2: FileType.DIRECTORY, 7: FileType.SYMLINK}
#: decoded compressed extents kept (128 KiB each at most)
_EXTENT_CACHE = 16


def name_hash(name: bytes) -> int:
    """The DIR_ITEM key offset of a name: crc32c from ~1, not inverted at the end."""
    return crc32c_update(0xFFFFFFFE, name)


@dataclass(frozen=True)
class Subvolume:
    """A subvolume: its id, its path from the top level (``""`` for the top level itself)
    and the id of the subvolume it is in (None for the top level)."""

    id: int
    path: str
    parent: int | None
    uuid: str = ""


@dataclass(frozen=True)
class RootItem:
    """A tree's ROOT_ITEM: its root node, its root directory's inode (256 for subvolumes),
    its reference count (0: a deleted subvolume not yet cleaned up) and its UUID."""

    tree: TreeRoot
    dirid: int
    refs: int
    uuid: str


@dataclass(frozen=True)
class Inode:
    """What an INODE_ITEM says that a reader uses."""

    type: FileType
    size: int


@dataclass(frozen=True)
class DirItem:
    """One directory entry of a DIR_ITEM or DIR_INDEX: the name, the location key (an
    INODE_ITEM, or a ROOT_ITEM for a subvolume) and the entry's file type."""

    name: bytes
    location: Key
    type: int


def _dir_entries(data: bytes) -> Iterator[DirItem]:
    """The entries packed in a DIR_ITEM or DIR_INDEX item."""
    position = 0
    while position < len(data):
        if position + _DIR_ITEM.size > len(data):
            raise FormatError("a btrfs directory item is truncated")
        objectid, kind, offset, _transid, data_len, name_len, entry_type = _DIR_ITEM.unpack_from(
            data, position
        )
        start = position + _DIR_ITEM.size
        end = start + name_len + data_len
        if name_len == 0 or name_len > _NAME_MAX or end > len(data):
            raise FormatError("a btrfs directory item's name is out of bounds")
        yield DirItem(data[start : start + name_len], (objectid, kind, offset), entry_type)
        position = end


def _handle(handle: Handle) -> tuple[int, int]:
    if not (isinstance(handle, tuple) and len(handle) == 2):
        raise TypeError(f"not a btrfs handle: {handle!r}")
    tree, inode = handle
    return int(tree), int(inode)


class Btrfs:
    """A btrfs file system on one device (see the module's docstring)."""

    def __init__(self, blob: Blob) -> None:
        self.disk = disk.Disk(blob)
        self._roots: dict[int, RootItem] = {}
        self._inodes: OrderedDict[tuple[int, int], Inode] = OrderedDict()
        self._decoded: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()

    # -- the file system ------------------------------------------------------------------

    @property
    def uuid(self) -> str:
        """The file system's UUID, as blkid and fstab's ``UUID=`` give it."""
        return disk.format_uuid(self.disk.superblock.fsid)

    @property
    def label(self) -> str:
        """The label (fstab's ``LABEL=``); empty when none was set."""
        return self.disk.superblock.label

    @property
    def generation(self) -> int:
        return self.disk.superblock.generation

    def root_item(self, tree_id: int) -> RootItem:
        """The ROOT_ITEM of a tree (the last one: a snapshot's key offset is its
        generation); NotFound when the tree does not exist."""
        known = self._roots.get(tree_id)
        if known is not None:
            return known
        disk_ = self.disk
        found: tuple[Key, bytes] | None = None
        for key, data in disk_.items(disk_.root_tree, (tree_id, disk.ROOT_ITEM, _MAX_U64)):
            if key[:2] == (tree_id, disk.ROOT_ITEM):
                found = (key, data)
            break
        if found is None:
            raise NotFound(f"btrfs tree {tree_id} does not exist")
        data = found[1]
        if len(data) < _ROOT_ITEM_AT + 79:
            raise FormatError(f"the btrfs root item of tree {tree_id} is truncated")
        generation, dirid, bytenr = struct.unpack_from("<QQQ", data, _ROOT_ITEM_AT)
        (refs,) = struct.unpack_from("<I", data, _ROOT_ITEM_AT + 56)
        level = data[_ROOT_ITEM_AT + 78]
        uuid = ""
        if len(data) >= _ROOT_ITEM_AT + 103:
            raw = data[_ROOT_ITEM_AT + 87 : _ROOT_ITEM_AT + 103]
            uuid = disk.format_uuid(raw) if any(raw) else ""
        root = RootItem(TreeRoot(bytenr, level, generation), dirid, refs, uuid)
        self._roots[tree_id] = root
        return root

    def _items(self, tree_id: int, start: Key, end: Key) -> Iterator[tuple[Key, bytes]]:
        """A tree's items with keys from ``start`` to ``end``."""
        for key, data in self.disk.items(self.root_item(tree_id).tree, start):
            if key < start:
                continue
            if key > end:
                return
            yield key, data

    def _lookup(self, tree_id: int, key: Key) -> bytes | None:
        return self.disk.lookup(self.root_item(tree_id).tree, key)

    def subvolumes(self) -> list[Subvolume]:
        """Every subvolume and snapshot (not the top level), by id, with its path."""
        backrefs: dict[int, tuple[int, int, bytes]] = {}
        root_tree = self.disk.root_tree
        ids: list[int] = []
        start: Key = (FIRST_FREE_OBJECTID, 0, 0)
        for key, data in self.disk.items(root_tree, start):
            if key < start:
                continue
            objectid, kind, offset = key
            if objectid > LAST_FREE_OBJECTID:
                break
            if kind == disk.ROOT_ITEM and (not ids or ids[-1] != objectid):
                ids.append(objectid)
            elif kind == disk.ROOT_BACKREF:
                if len(data) < _ROOT_REF.size:
                    raise FormatError("a btrfs root backref is truncated")
                dirid, _sequence, length = _ROOT_REF.unpack_from(data)
                name = data[_ROOT_REF.size : _ROOT_REF.size + length]
                if not 0 < length <= _NAME_MAX or len(name) != length:
                    raise FormatError("a btrfs root backref's name is out of bounds")
                backrefs[objectid] = (offset, dirid, name)
        live = {
            subvolume_id
            for subvolume_id in ids
            if subvolume_id in backrefs and self.root_item(subvolume_id).refs
        }
        paths: dict[int, str] = {disk.FS_TREE: ""}
        found: list[Subvolume] = []
        for subvolume_id in ids:
            path = self._subvolume_path(subvolume_id, backrefs, live, paths)
            if path is not None:
                parent = backrefs[subvolume_id][0]
                uuid = self.root_item(subvolume_id).uuid
                found.append(Subvolume(subvolume_id, path, parent, uuid))
        return found

    def _subvolume_path(
        self,
        subvolume_id: int,
        backrefs: dict[int, tuple[int, int, bytes]],
        live: set[int],
        paths: dict[int, str],
    ) -> str | None:
        """A subvolume's path from the top level, or None when it cannot be reached (it or
        a subvolume it is in was deleted and not yet cleaned up, or it is an internal tree)."""
        chain: list[int] = []
        current = subvolume_id
        while current not in paths:
            if current not in live:
                return None
            if current in chain:
                raise FormatError("btrfs subvolumes are nested in a loop")
            chain.append(current)
            current = backrefs[current][0]
        for child in reversed(chain):
            parent, dirid, name = backrefs[child]
            inside = self._directory_path(parent, dirid)
            paths[child] = "/".join(part for part in (paths[parent], inside, _text(name)) if part)
        return paths[subvolume_id]

    def _directory_path(self, tree_id: int, inode: int) -> str:
        """A directory's path inside its subvolume, from its INODE_REFs."""
        top = self.root_item(tree_id).dirid
        names: list[str] = []
        while inode != top:
            if len(names) > _MAX_DEPTH:
                raise FormatError("a btrfs directory's parents loop")
            found = None
            for key, data in self._items(
                tree_id, (inode, disk.INODE_REF, 0), (inode, disk.INODE_REF, _MAX_U64)
            ):
                if len(data) < _INODE_REF.size:
                    raise FormatError("a btrfs inode ref is truncated")
                _index, length = _INODE_REF.unpack_from(data)
                name = data[_INODE_REF.size : _INODE_REF.size + length]
                if not 0 < length <= _NAME_MAX or len(name) != length:
                    raise FormatError("a btrfs inode ref's name is out of bounds")
                found = (key[2], name)
                break
            if found is None:
                raise FormatError(f"btrfs directory {inode} of tree {tree_id} has no parent")
            inode, name = found
            names.append(_text(name))
        return "/".join(reversed(names))

    def default_subvolume(self) -> Subvolume:
        """The subvolume a mount without ``subvol=``/``subvolid=`` shows."""
        return self._subvolume(self._default_id())

    def _default_id(self) -> int:
        superblock = self.disk.superblock
        name = b"default"
        data = self.disk.lookup(
            self.disk.root_tree, (superblock.root_dir_objectid, disk.DIR_ITEM, name_hash(name))
        )
        if data is None:
            return disk.FS_TREE
        for entry in _dir_entries(data):
            if entry.name == name:
                return entry.location[0]
        return disk.FS_TREE

    def _subvolume(self, subvolume_id: int) -> Subvolume:
        if subvolume_id == disk.FS_TREE:
            return Subvolume(disk.FS_TREE, "", None, self.root_item(disk.FS_TREE).uuid)
        for subvolume in self.subvolumes():
            if subvolume.id == subvolume_id:
                return subvolume
        raise NotFound(f"no btrfs subvolume has id {subvolume_id}")

    def top_level(self) -> BtrfsVolume:
        """The top-level subvolume (id 5), where every other subvolume's path starts."""
        return BtrfsVolume(self, self._subvolume(disk.FS_TREE))

    def open_subvolume(self, which: int | str) -> BtrfsVolume:
        """A subvolume by id, or by its path from the top level (``root``, ``/@/home``)."""
        if isinstance(which, int):
            if which == 0:
                which = disk.FS_TREE
            return BtrfsVolume(self, self._subvolume(which))
        found = Tree(self.top_level()).lookup(which)
        tree_id, inode = _handle(found.handle)
        if inode != self.root_item(tree_id).dirid:
            raise NotFound(f"{which} is not a btrfs subvolume")
        return BtrfsVolume(self, self._subvolume(tree_id))

    def mount(self, options: str = "") -> BtrfsVolume:
        """What ``mount -o OPTIONS`` shows: ``subvol=``/``subvolid=`` (fstab's options,
        or ``rootflags=``) or else the default subvolume."""
        subvol, subvolid = mount_options(options)
        if subvol is None and subvolid is None:
            return BtrfsVolume(self, self.default_subvolume())
        if subvol is None:
            assert subvolid is not None
            return self.open_subvolume(subvolid)
        volume = self.open_subvolume(subvol)
        wanted = disk.FS_TREE if subvolid == 0 else subvolid
        if wanted is not None and volume.subvolume.id != wanted:
            raise NotFound(f"subvol={subvol} is subvolume {volume.subvolume.id}, not {wanted}")
        return volume

    # -- files ------------------------------------------------------------------------------

    def inode(self, tree_id: int, inode: int) -> Inode:
        key = (tree_id, inode)
        cached = self._inodes.get(key)
        if cached is not None:
            return cached
        if inode == EMPTY_SUBVOL_DIR:
            found = Inode(FileType.DIRECTORY, 0)
        else:
            data = self._lookup(tree_id, (inode, disk.INODE_ITEM, 0))
            if data is None:
                raise FormatError(f"btrfs inode {inode} of tree {tree_id} has no inode item")
            if len(data) < _INODE.size:
                raise FormatError(f"btrfs inode {inode} of tree {tree_id} is truncated")
            fields = _INODE.unpack_from(data)
            size, mode = fields[2], fields[8]
            kind = {
                _S_IFDIR: FileType.DIRECTORY,
                _S_IFREG: FileType.FILE,
                _S_IFLNK: FileType.SYMLINK,
            }
            found = Inode(kind.get(mode & _S_IFMT, FileType.OTHER), size)
        self._inodes[key] = found
        if len(self._inodes) > 4096:
            self._inodes.popitem(last=False)
        return found

    def entry_handle(self, tree_id: int, directory: int, entry: DirItem) -> tuple[int, int]:
        """Where a directory entry leads: an inode of this tree, or another subvolume's root."""
        objectid, kind, _offset = entry.location
        if kind == disk.INODE_ITEM:
            return (tree_id, objectid)
        if kind != disk.ROOT_ITEM:
            raise FormatError(f"a btrfs directory entry points to an item of type {kind}")
        data = self.disk.lookup(self.disk.root_tree, (tree_id, disk.ROOT_REF, objectid))
        if data is not None and len(data) >= _ROOT_REF.size:
            dirid, _sequence, length = _ROOT_REF.unpack_from(data)
            if dirid == directory and data[_ROOT_REF.size : _ROOT_REF.size + length] == entry.name:
                return (objectid, self.root_item(objectid).dirid)
        return (tree_id, EMPTY_SUBVOL_DIR)  # a snapshot's stand-in for a subvolume

    def entries(self, tree_id: int, directory: int) -> Iterator[tuple[DirItem, tuple[int, int]]]:
        if directory == EMPTY_SUBVOL_DIR:
            return
        start = (directory, disk.DIR_INDEX, 0)
        end = (directory, disk.DIR_INDEX, _MAX_U64)
        for _key, data in self._items(tree_id, start, end):
            for entry in _dir_entries(data):
                yield entry, self.entry_handle(tree_id, directory, entry)

    def child(self, tree_id: int, directory: int, name: bytes) -> tuple[int, int] | None:
        if directory == EMPTY_SUBVOL_DIR or not 0 < len(name) <= _NAME_MAX:
            return None
        data = self._lookup(tree_id, (directory, disk.DIR_ITEM, name_hash(name)))
        if data is None:
            return None
        for entry in _dir_entries(data):
            if entry.name == name:
                return self.entry_handle(tree_id, directory, entry)
        return None

    def extents(self, tree_id: int, inode: int, start: int = 0) -> Iterator[FileExtent]:
        """A file's extents in order, from the one holding byte ``start``."""
        sectorsize = self.disk.superblock.sectorsize
        first = (inode, disk.EXTENT_DATA, 0)
        end = (inode, disk.EXTENT_DATA, _MAX_U64)
        for key, data in self.disk.items(
            self.root_item(tree_id).tree, (inode, disk.EXTENT_DATA, start)
        ):
            if key < first:
                continue
            if key > end:
                return
            yield parse_extent(key[2], data, sectorsize)

    def _extent_bytes(self, extent: FileExtent, within: int, length: int) -> bytes:
        """``length`` bytes of the file from ``within`` bytes into ``extent``."""
        sectorsize = self.disk.superblock.sectorsize
        if extent.type is ExtentType.INLINE:
            decoded = extent.inline
            if extent.compression is not Compression.NONE:
                decoded = decompress(
                    extent.compression, extent.inline, extent.ram_bytes, sectorsize
                )
            piece = decoded[within : within + length]
            return piece + bytes(length - len(piece))
        if extent.type is ExtentType.PREALLOC or extent.is_hole:
            return bytes(length)
        if extent.compression is Compression.NONE:
            return self.disk.read(extent.disk_bytenr + extent.offset + within, length)
        key = (extent.disk_bytenr, extent.disk_num_bytes, int(extent.compression))
        decoded_bytes = self._decoded.get(key)
        if decoded_bytes is None:
            raw = self.disk.read(extent.disk_bytenr, extent.disk_num_bytes)
            decoded_bytes = decompress(extent.compression, raw, extent.ram_bytes, sectorsize)
            self._decoded[key] = decoded_bytes
            if len(self._decoded) > _EXTENT_CACHE:
                self._decoded.popitem(last=False)
        else:
            self._decoded.move_to_end(key)
        start = extent.offset + within
        return decoded_bytes[start : start + length]

    def read(self, tree_id: int, inode: int, offset: int, length: int) -> bytes:
        found = self.inode(tree_id, inode)
        if found.type not in (FileType.FILE, FileType.SYMLINK):
            return b""  # a directory's size counts its names, not bytes to read
        size = found.size
        end = min(offset + max(length, 0), size)
        if offset < 0 or offset >= end:
            return b""
        pieces: list[bytes] = []
        position = offset
        for extent in self.extents(tree_id, inode, offset):
            extent_end = extent.file_offset + extent.length
            if extent_end <= position:
                continue
            if extent.file_offset >= end:
                break
            if extent.file_offset > position:  # an implicit hole (no-holes)
                pieces.append(bytes(extent.file_offset - position))
                position = extent.file_offset
            take = min(extent_end, end) - position
            pieces.append(self._extent_bytes(extent, position - extent.file_offset, take))
            position += take
            if position >= end:
                break
        if position < end:
            pieces.append(bytes(end - position))
        return b"".join(pieces)


def _text(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


def mount_options(options: str) -> tuple[str | None, int | None]:
    """``subvol=`` and ``subvolid=`` of a mount option string (the last of each wins)."""
    subvol: str | None = None
    subvolid: int | None = None
    for option in options.split(","):
        name, _, value = option.strip().partition("=")
        if name == "subvol":
            subvol = value
        elif name == "subvolid":
            try:
                subvolid = int(value)
            except ValueError:
                raise NotFound(f"subvolid={value} is not a number") from None
    return subvol, subvolid


class BtrfsVolume:
    """One subvolume as a ``tree.Volume``: handles are (tree id, inode number)."""

    def __init__(self, fs: Btrfs, subvolume: Subvolume) -> None:
        self.fs = fs
        self.subvolume = subvolume
        self._root = (subvolume.id, fs.root_item(subvolume.id).dirid)

    def root(self) -> Handle:
        return self._root

    def stat(self, handle: Handle) -> Stat:
        tree_id, inode = _handle(handle)
        found = self.fs.inode(tree_id, inode)
        return Stat((tree_id, inode), found.type, found.size)

    def entries(self, directory: Handle) -> Iterator[DirEntry]:
        tree_id, inode = _handle(directory)
        for entry, handle in self.fs.entries(tree_id, inode):
            yield DirEntry(_text(entry.name), handle, _DIR_TYPES.get(entry.type, FileType.OTHER))

    def child(self, directory: Handle, name: str) -> Handle | None:
        tree_id, inode = _handle(directory)
        return self.fs.child(tree_id, inode, name.encode("utf-8", "surrogateescape"))

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        tree_id, inode = _handle(handle)
        return self.fs.read(tree_id, inode, offset, length)

    def read_link(self, handle: Handle) -> bytes:
        tree_id, inode = _handle(handle)
        found = self.fs.inode(tree_id, inode)
        if found.type is not FileType.SYMLINK:
            raise NotFound("not a symbolic link")
        return self.fs.read(tree_id, inode, 0, min(found.size, 4097))

    def file_extents(self, handle: Handle) -> list[FileExtent]:
        """A file's extents as stored (for diagnostics and tests)."""
        tree_id, inode = _handle(handle)
        return list(self.fs.extents(tree_id, inode))
