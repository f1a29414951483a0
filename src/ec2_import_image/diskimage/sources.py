"""Where an image's bytes come from: a local file, or any ranged reader a caller supplies.

Neither source reads a whole file: each ``read`` is one positioned read (a
local ``pread``) or one call of the caller's fetch function (an S3 ranged
GET for ``vmimport``).  A local file also tells where its data is
(``allocated``, from ``lseek`` with ``SEEK_DATA``/``SEEK_HOLE``: a sparse RAW
disk's holes are never read); a caller's ranged reader cannot, so the whole
object counts as data.  Wrap a source in :class:`~.cache.CachedBlob` so that
many small header reads become a few large ones, and to count them.

A local disk image is a regular file.  Anything else is refused before it is
opened for reading (:func:`not_a_file`): opening a named pipe waits for a
writer that may never come, a directory has no bytes, and a device has no size
that ``stat`` tells, changes while it is read, and is not what an upload, a hash
or VM Import takes (an image of it is: ``qemu-img convert`` reads devices).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from ec2_import_image.diskimage.blob import Extent, clamp_read, span
from ec2_import_image.diskimage.errors import SourceError

#: fetch(offset, length) -> up to ``length`` bytes from ``offset``
Fetch = Callable[[int, int], bytes]


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str | None:
    """What a path that is not a regular file is (``a directory``...), None for a file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_a_file(path: str | os.PathLike[str], kind: str) -> str:
    """Why ``path`` (of ``kind``, from :func:`file_kind`) is refused as a disk image."""
    why = f"{path} is {kind}, not a disk image file"
    if kind == "a block device":
        why += (
            f"; make an image of it first: qemu-img convert -O vmdk -o subformat=streamOptimized "
            f"{path} disk.vmdk"
        )
    return why


class FileBlob:
    """A local regular file, read with positioned reads (never loaded whole)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            kind = file_kind(os.stat(self.path).st_mode)
            if kind is not None:
                raise SourceError(not_a_file(self.path, kind))
            # O_NONBLOCK: a path swapped for a named pipe since the stat does not hang here
            self._fd = os.open(
                self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
            )
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        try:
            info = os.fstat(self._fd)
            kind = file_kind(info.st_mode)
            if kind is not None:
                raise SourceError(not_a_file(self.path, kind))
        except BaseException:
            os.close(self._fd)
            raise
        self._size = info.st_size

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        if not length:
            return b""
        chunks: list[bytes] = []
        try:
            while length > 0:
                chunk = os.pread(self._fd, length, offset)
                if not chunk:
                    break
                chunks.append(chunk)
                offset += len(chunk)
                length -= len(chunk)
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        return b"".join(chunks)

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """The file's data regions in ``[start, end)``, from the file system's own map.

        A file system that keeps no map (``SEEK_DATA`` unsupported) makes the whole
        range data; Linux file systems without holes answer that way themselves.
        """
        start, stop = span(self, start, end)
        seek_data, seek_hole = getattr(os, "SEEK_DATA", None), getattr(os, "SEEK_HOLE", None)
        if seek_data is None or seek_hole is None:  # a platform without the calls
            if start < stop:
                yield start, stop - start
            return
        offset = start
        while offset < stop:
            try:
                data = os.lseek(self._fd, offset, seek_data)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # no data from here to the end of the file
                    return
                if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                    yield offset, stop - offset
                    return
                raise SourceError(f"cannot map {self.path}: {exc.strerror or exc}") from exc
            if data >= stop:
                return
            try:
                hole = min(os.lseek(self._fd, data, seek_hole), stop)
            except OSError as exc:
                raise SourceError(f"cannot map {self.path}: {exc.strerror or exc}") from exc
            yield data, hole - data
            offset = hole

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileBlob:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class RangedBlob:
    """Bytes of a known size behind a caller's ranged reader (an S3 object, say).

    ``fetch`` may raise :class:`SourceError` (or let another exception
    through: it is wrapped in one, so no reader sees a transport's errors).
    """

    def __init__(self, size: int, fetch: Fetch) -> None:
        self._size = max(0, size)
        self._fetch = fetch

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self._size)
        if not length:
            return b""
        try:
            data = self._fetch(offset, length)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(
                f"reading bytes {offset}-{offset + length - 1} failed: {exc}"
            ) from exc
        return bytes(data[:length])
