"""A seekable reader of one byte range of a file: how a part is streamed, not loaded.

botocore reads a part's body in blocks as it sends it (and, over plain HTTP,
once more to sign it; and again from the start when it retries): each
``FileSlice`` reads its range with ``os.pread`` on a descriptor shared by all
parts of the upload, so memory stays a block per part in flight (botocore asks
for at most 1 MiB at a time) whatever the file size, and threads never race on a file position.

Progress counts the furthest byte read, so signing and retries do not count
bytes twice.  A set ``cancel`` event makes the next read raise ``Cancelled``:
botocore does not retry that, the request ends at once, and an interrupted
upload's worker threads finish within one block.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class Cancelled(Exception):
    """The upload was cancelled while this part was being read."""


class FileSlice:
    """``length`` bytes of the file behind ``fd`` from ``offset``, as a file object."""

    def __init__(
        self,
        fd: int,
        offset: int,
        length: int,
        *,
        on_progress: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self._fd = fd
        self._offset = offset
        self._length = length
        self._position = 0
        self._furthest = 0
        self._on_progress = on_progress
        self._cancel = cancel

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("the upload was cancelled")
        remaining = self._length - self._position
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._offset + self._position)
        if len(data) < size:
            raise OSError(
                f"the file is shorter than expected (read {len(data)} of {size} bytes at "
                f"offset {self._offset + self._position}): it changed during the upload"
            )
        self._position += len(data)
        if self._position > self._furthest:
            if self._on_progress is not None:
                self._on_progress(self._position - self._furthest)
            self._furthest = self._position
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._position + offset
        elif whence == os.SEEK_END:
            target = self._length + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        self._position = max(0, min(target, self._length))
        return self._position

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """The descriptor belongs to the upload: nothing to do."""
