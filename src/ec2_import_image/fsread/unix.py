"""What the Unix file systems' readers share: file types, names, UUID, label, inode volumes.

The type of a file is in the top four bits of its mode (``S_IFMT``: 0x4000 a
directory, 0x8000 a regular file, 0xA000 a symbolic link, 0x1000, 0x2000,
0x6000 and 0xC000 a FIFO, character and block devices and a socket); a
directory entry of ext2/3/4 (``file_type``, Documentation/filesystems/ext4/
directory.rst) and of XFS (``ftype``, XFS Algorithms & Data Structures,
"Directories") records it as the same small number, 1 to 7 (XFS adds 8, a
whiteout).  A name is bytes, never ``/`` or NUL; it is decoded as UTF-8, other
bytes kept as surrogates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar, cast

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.extents import Lru
from ec2_import_image.fsread.tree import (
    MAX_LINK_TARGET,
    DirEntry,
    FileType,
    Handle,
    NotADirectory,
    NotFound,
    Stat,
)

_MODE_TYPES = {
    0x4000: FileType.DIRECTORY,
    0x8000: FileType.FILE,
    0xA000: FileType.SYMLINK,
    0x1000: FileType.OTHER,
    0x2000: FileType.OTHER,
    0x6000: FileType.OTHER,
    0xC000: FileType.OTHER,
}
_ENTRY_TYPES = {1: FileType.FILE, 2: FileType.DIRECTORY, 7: FileType.SYMLINK}
_OTHER_ENTRY_TYPES = range(3, 9)


def file_type(mode: int) -> FileType | None:
    """The type in a mode, or None when the mode is no file's (an inode not in use)."""
    return _MODE_TYPES.get(mode & 0xF000)


def entry_type(code: int | None) -> FileType | None:
    """The type a directory entry records, or None when it records none (0, or absent)."""
    if code is None:
        return None
    if code in _OTHER_ENTRY_TYPES:
        return _ENTRY_TYPES.get(code, FileType.OTHER)
    return _ENTRY_TYPES.get(code)


def entry_name(name: bytes, where: str) -> str:
    """A directory entry's name as text; a name with ``/`` or NUL is malformed."""
    if not name or b"/" in name or b"\0" in name:
        raise FormatError(f"{where} has a malformed name")
    return name.decode("utf-8", "surrogateescape")


def uuid_text(raw: bytes) -> str:
    """A volume's 16-byte UUID as fstab's ``UUID=`` writes it."""
    return str(uuid.UUID(bytes=raw))


def label_text(raw: bytes) -> str:
    """A volume's label field (NUL-padded) as ``LABEL=`` writes it."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class InodeRecord(Protocol):
    """What ``InodeVolume`` needs of a reader's inode record."""

    @property
    def number(self) -> int: ...

    @property
    def type(self) -> FileType: ...

    @property
    def size(self) -> int: ...


R = TypeVar("R", bound=InodeRecord)


class InodeVolume(Generic[R]):
    """``tree.Volume`` over numbered inodes: the checks and caches every such reader shares.

    A reader parses its inodes (``_read_inode``), lists a directory (``_list``), reads a
    file's bytes (``_data``, given a range already clamped to the file) and a link's target
    (``_link``); it may fold names for lookups (``_fold``: case-insensitive directories).
    Handles are inode numbers; parsed inodes and looked-up directories are cached.
    """

    def __init__(self, volume_uuid: bytes, volume_label: bytes, block_size: int) -> None:
        self._uuid = volume_uuid
        self._label = volume_label
        self.block_size = block_size
        self._inodes: Lru[int, R] = Lru(4096)
        self._directories: Lru[int, dict[str, int]] = Lru(32)

    @property
    def uuid(self) -> str:
        """The volume's UUID as fstab's ``UUID=`` writes it."""
        return uuid_text(self._uuid)

    @property
    def label(self) -> str:
        """The volume's label (``LABEL=``), empty if none."""
        return label_text(self._label)

    def inode(self, handle: Handle) -> R:
        """The reader's record of the inode ``handle``."""
        if not isinstance(handle, int) or isinstance(handle, bool):
            raise TypeError(f"a handle is an inode number, not {handle!r}")
        return self._inodes.get(handle, self._read_inode)

    # -- tree.Volume (root() is the reader's) ----------------------------------------------

    def stat(self, handle: Handle) -> Stat:
        inode = self.inode(handle)
        return Stat(inode.number, inode.type, inode.size)

    def entries(self, directory: Handle) -> Iterator[DirEntry]:
        inode = self.inode(directory)
        if inode.type is not FileType.DIRECTORY:
            raise NotADirectory(f"inode {inode.number} is not a directory")
        return self._list(inode)

    def child(self, directory: Handle, name: str) -> Handle | None:
        inode = self.inode(directory)
        names = self._directories.get(inode.number, lambda _: self._names(inode))
        return names.get(self._fold(inode, name))

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        inode = self.inode(handle)
        if inode.type is not FileType.FILE:
            raise NotFound(f"inode {inode.number} is not a regular file")
        length = min(length, inode.size - offset)
        if offset < 0 or length <= 0:
            return b""
        return self._data(inode, offset, length)

    def read_link(self, handle: Handle) -> bytes:
        inode = self.inode(handle)
        if inode.type is not FileType.SYMLINK:
            raise NotFound(f"inode {inode.number} is not a symbolic link")
        if not 0 < inode.size <= MAX_LINK_TARGET:
            raise FormatError(f"symbolic link {inode.number} is {inode.size} bytes long")
        return self._link(inode)

    # -- what a reader provides ------------------------------------------------------------

    def _read_inode(self, number: int) -> R:
        raise NotImplementedError

    def _list(self, inode: R) -> Iterator[DirEntry]:
        raise NotImplementedError

    def _data(self, inode: R, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def _link(self, inode: R) -> bytes:
        raise NotImplementedError

    def _fold(self, inode: R, name: str) -> str:
        return name

    def _names(self, inode: R) -> dict[str, int]:
        names: dict[str, int] = {}
        for entry in self._list(inode):
            names.setdefault(self._fold(inode, entry.name), cast(int, entry.handle))
        return names
