"""Paths over a read-only file system: the one place symbolic links and bounds are handled.

A reader implements ``Volume``'s primitives on its own structures (an inode,
a directory's entries, a file's bytes, a link's target) with an opaque,
hashable ``Handle`` per file (an inode number, or a (subvolume, inode) pair).
``Tree`` builds everything path-shaped on them, the same for every file
system:

- ``lookup(path)``: the path resolved from the root, symbolic links followed
  (an absolute target starts again at the file system's root, never the
  host's; ``..`` stops at the root, as the kernel does at a chroot), at most
  ``MAX_LINKS`` links in one resolution (the kernel's ``ELOOP`` bound) ;
- ``list_dir(path)`` and ``read_file(path, limit=...)``: reads are bounded:
  a file larger than ``limit`` is refused (``TooLarge``), never read whole;
- ``exists``, ``is_dir``, ``read_text``.

A missing path raises ``NotFound``; a path through something that is not a
directory raises ``NotADirectory``; both are ``LookupError``s, not format
errors: the image is fine, the file is not there.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ec2_import_image.diskimage.errors import DiskImageError, FormatError

#: symbolic links followed in one resolution (Linux's MAXSYMLINKS is 40)
MAX_LINKS = 40
#: the default bound of ``read_file`` (configuration files, os-release, grub.cfg...)
DEFAULT_LIMIT = 4 * 1024 * 1024
#: the longest symbolic link target read (PATH_MAX)
MAX_LINK_TARGET = 4096

Handle = Hashable


class FileType(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"  # devices, FIFOs, sockets


@dataclass(frozen=True)
class Stat:
    """What a reader knows of one file."""

    handle: Handle
    type: FileType
    size: int


@dataclass(frozen=True)
class DirEntry:
    name: str
    handle: Handle
    #: the type the directory entry records, when the file system records one
    type: FileType | None = None


class NotFound(LookupError):
    """No file at that path (the image is fine)."""


class NotADirectory(LookupError):
    """A path goes through something that is not a directory."""


class TooLarge(DiskImageError):
    """A file is larger than the read's bound: refused, not read."""


class LinkLoop(FormatError):
    """More than ``MAX_LINKS`` symbolic links in one resolution."""


class Volume(Protocol):
    """The primitives a file-system reader implements."""

    def root(self) -> Handle:
        """The root directory's handle."""
        ...

    def stat(self, handle: Handle) -> Stat: ...

    def entries(self, directory: Handle) -> Iterator[DirEntry]:
        """A directory's entries, ``.`` and ``..`` excluded."""
        ...

    def child(self, directory: Handle, name: str) -> Handle | None:
        """The entry ``name`` of a directory (a reader with an index or case-insensitive
        names overrides the scan ``Tree`` falls back to; see ``find_child``)."""
        ...

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of a regular file from ``offset`` (holes read as zeros)."""
        ...

    def read_link(self, handle: Handle) -> bytes:
        """A symbolic link's target, as stored."""
        ...


def find_child(volume: Volume, directory: Handle, name: str) -> Handle | None:
    """The scan a reader without a faster lookup uses for ``Volume.child``."""
    for entry in volume.entries(directory):
        if entry.name == name:
            return entry.handle
    return None


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part and part != "."]


class Tree:
    """Path operations over a ``Volume`` (see the module's docstring)."""

    def __init__(self, volume: Volume) -> None:
        self.volume = volume

    def _resolve(self, path: str, *, follow_last: bool) -> Stat:
        volume = self.volume
        root = volume.root()
        stack: list[Handle] = [root]  # the directories walked, for ``..``
        pending = _parts(path)
        pending.reverse()
        links = 0
        current = volume.stat(root)
        while pending:
            name = pending.pop()
            if name == "..":
                if len(stack) > 1:
                    stack.pop()
                current = volume.stat(stack[-1])
                continue
            if current.type is not FileType.DIRECTORY:
                raise NotADirectory(f"{path}: {name} is under something that is not a directory")
            found = volume.child(stack[-1], name)
            if found is None:
                raise NotFound(path)
            found_stat = volume.stat(found)
            if found_stat.type is FileType.SYMLINK and (pending or follow_last):
                links += 1
                if links > MAX_LINKS:
                    raise LinkLoop(f"{path}: more than {MAX_LINKS} symbolic links")
                target = self._link_target(found)
                if target.startswith("/"):
                    del stack[1:]
                current = volume.stat(stack[-1])
                more = _parts(target)
                more.reverse()
                pending.extend(more)
                continue
            current = found_stat
            stack.append(found)
        return current

    def _link_target(self, handle: Handle) -> str:
        raw = self.volume.read_link(handle)
        if len(raw) > MAX_LINK_TARGET:
            raise FormatError("a symbolic link's target is longer than PATH_MAX")
        return raw.decode("utf-8", "surrogateescape")

    def lookup(self, path: str) -> Stat:
        """The file at ``path``, symbolic links followed (the last one too)."""
        return self._resolve(path, follow_last=True)

    def lstat(self, path: str) -> Stat:
        """The file at ``path``; a symbolic link at the end is not followed."""
        return self._resolve(path, follow_last=False)

    def readlink(self, path: str) -> str:
        found = self.lstat(path)
        if found.type is not FileType.SYMLINK:
            raise NotFound(f"{path} is not a symbolic link")
        return self._link_target(found.handle)

    def exists(self, path: str) -> bool:
        try:
            self.lookup(path)
        except (NotFound, NotADirectory, LinkLoop):
            return False
        return True

    def is_dir(self, path: str) -> bool:
        try:
            return self.lookup(path).type is FileType.DIRECTORY
        except (NotFound, NotADirectory, LinkLoop):
            return False

    def list_dir(self, path: str) -> list[DirEntry]:
        """A directory's entries (sorted by name), ``.`` and ``..`` excluded."""
        found = self.lookup(path)
        if found.type is not FileType.DIRECTORY:
            raise NotADirectory(f"{path} is not a directory")
        return sorted(self.volume.entries(found.handle), key=lambda entry: entry.name)

    def names(self, path: str) -> list[str]:
        return [entry.name for entry in self.list_dir(path)]

    def read_file(self, path: str, *, limit: int = DEFAULT_LIMIT) -> bytes:
        """A regular file's bytes; larger than ``limit`` is refused (``TooLarge``)."""
        found = self.lookup(path)
        if found.type is not FileType.FILE:
            raise NotFound(f"{path} is not a regular file")
        if found.size > limit:
            raise TooLarge(f"{path} is {found.size} bytes, over the bound of {limit}")
        data = self.volume.read(found.handle, 0, found.size)
        if len(data) != found.size:
            raise FormatError(f"{path}: read {len(data)} of its {found.size} bytes")
        return data

    def read_text(self, path: str, *, limit: int = DEFAULT_LIMIT) -> str:
        return self.read_file(path, limit=limit).decode("utf-8", "replace")


def first_existing(tree: Tree, paths: Sequence[str]) -> str | None:
    """The first of ``paths`` that exists in the tree."""
    for path in paths:
        if tree.exists(path):
            return path
    return None
