"""A regular file inside a volume as a ``Blob``: ranged reads of its data where it lies.

A registry hive is tens of megabytes; the registry reader needs a few dozen of its cells.
Over this blob each cell is one ranged read of the file (through the volume's own mapping
of the file to the image), instead of the whole file read first.
"""

from __future__ import annotations

from ec2_import_image.diskimage.blob import clamp_read
from ec2_import_image.fsread.tree import FileType, Handle, NotFound, Tree, Volume


class VolumeFileBlob:
    def __init__(self, volume: Volume, handle: Handle, size: int) -> None:
        self._volume = volume
        self._handle = handle
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        return self._volume.read(self._handle, offset, length) if length else b""


def file_blob(tree: Tree, path: str) -> VolumeFileBlob:
    """The regular file at ``path`` (links followed) as a blob; ``NotFound`` if it is not one."""
    found = tree.lookup(path)
    if found.type is not FileType.FILE:
        raise NotFound(f"{path} is not a regular file")
    return VolumeFileBlob(tree.volume, found.handle, found.size)
