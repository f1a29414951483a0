"""A Linux system's files as its boot loader and its kernel see them: the root, and /boot.

/boot may be a file system of its own (RHEL puts it on a partition outside LVM; fstab
mounts it), and then the paths GRUB and the BLS entries give (``linux /vmlinuz-...``) are
relative to that file system, not to the root.  :class:`LinuxSystem` holds both trees and
answers "the file /boot/X" and "the file a boot entry names" wherever it is: on the /boot
volume when there is one, else under the root's /boot; an entry's path that is not there
as written (a Btrfs root's GRUB paths start with the subvolume, ``/root/boot/vmlinuz-...``)
is looked for by its name in /boot.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ec2_import_image.fsread.fileblob import VolumeFileBlob, file_blob
from ec2_import_image.fsread.tree import (
    DEFAULT_LIMIT,
    FileType,
    LinkLoop,
    NotADirectory,
    NotFound,
    TooLarge,
    Tree,
)

_MISSING = (NotFound, NotADirectory, LinkLoop)


@dataclass
class LinuxSystem:
    root: Tree
    where: str
    #: the separate /boot file system (None: /boot is a directory of the root)
    boot: Tree | None = None
    boot_where: str | None = None

    def _boot_path(self, relative: str) -> tuple[Tree, str]:
        relative = relative.lstrip("/")
        if self.boot is not None:
            return self.boot, "/" + relative
        return self.root, "/boot/" + relative

    def boot_display(self, relative: str) -> str:
        """The path as the system shows it: /boot/X."""
        return "/boot/" + relative.lstrip("/")

    def read_boot(self, relative: str, *, limit: int = DEFAULT_LIMIT) -> bytes | None:
        """The file /boot/RELATIVE, or None when it is not there (or is too large)."""
        tree, path = self._boot_path(relative)
        try:
            return tree.read_file(path, limit=limit)
        except (*_MISSING, TooLarge):
            return None

    def boot_names(self, relative: str = "") -> list[str]:
        """The names in the directory /boot/RELATIVE (none when it is not there)."""
        tree, path = self._boot_path(relative)
        try:
            return tree.names(path)
        except _MISSING:
            return []

    def boot_exists(self, relative: str) -> bool:
        tree, path = self._boot_path(relative)
        return tree.exists(path)

    def read_root(self, path: str, *, limit: int = DEFAULT_LIMIT) -> bytes | None:
        try:
            return self.root.read_file(path, limit=limit)
        except (*_MISSING, TooLarge):
            return None

    def entry_file(self, path: str) -> tuple[Tree, str, str] | None:
        """The file a boot entry names (``/vmlinuz-X``, ``/boot/initrd.img-X``,
        ``($root)/...``): (tree, path in it, the path as /boot/...), or None."""
        if path.startswith("("):
            path = path[path.find(")") + 1 :] if ")" in path else path
        path = "/" + path.lstrip("/")
        tries: list[tuple[Tree, str]] = []
        if self.boot is not None:
            tries.append((self.boot, path))
        tries.append((self.root, path))
        tries.append(self._boot_path(posixpath.basename(path)))
        for tree, candidate in tries:
            try:
                found = tree.lookup(candidate)
            except _MISSING:
                continue
            if found.type is FileType.FILE:
                shown = candidate if tree is self.root else self.boot_display(candidate)
                return tree, candidate, shown
        return None

    def entry_target_name(self, path: str) -> str | None:
        """The name a boot entry's file finally is, links followed (``/boot/vmlinuz`` ->
        ``vmlinuz-6.1.0-13-amd64``)."""
        found = self.entry_file(path)
        if found is None:
            return None
        tree, candidate, _ = found
        name = posixpath.basename(candidate)
        for _ in range(8):
            try:
                target = tree.readlink(candidate)
            except _MISSING:
                return name
            candidate = posixpath.normpath(posixpath.join(posixpath.dirname(candidate), target))
            name = posixpath.basename(candidate)
        return name

    def blob(self, tree: Tree, path: str) -> VolumeFileBlob:
        return file_blob(tree, path)
