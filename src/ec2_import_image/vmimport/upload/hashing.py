"""The SHA-256 of a local disk file: a first pass with progress, reused when nothing changed.

The hash names the object (``PREFIX<first 16 hex>/<file name>``), goes into its
metadata when the upload is created, and into the import's token and tags: it
is needed before the first byte is sent, hence a pass of its own over the file
(read in 8 MiB blocks into one reused buffer: constant memory; ``hashlib``
releases the GIL, so a hash overlaps other work).

Reuse.  A hash recorded in the state database is reused when the file's path,
device, inode, size and modification time (in nanoseconds) are all the same as
when it was hashed: the trust ``make``, ``rsync`` and git's index put in
``stat``.  What defeats it is a writer that keeps the size and sets the
modification time back on purpose; against the ordinary case of a file
rewritten within the same timestamp tick right after it was hashed (git's
"racy clean" problem), a hash is recorded for reuse only when the file's
modification time is at least ``RACY_SECONDS`` older than the moment hashing
began.  A file whose ``stat`` changes while it is read is refused
(``FileChanged``): it is still being written.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Protocol

from ec2_import_image.vmimport.state.records import FileDigest, FileIdentity
from ec2_import_image.vmimport.upload.errors import FileChanged, UploadCancelled, UploadError

#: a hash is reused only for files last modified at least this long before it was made
RACY_SECONDS = 2.0
BLOCK = 8 * 1024 * 1024


class HashCache(Protocol):
    def cached_sha256(self, identity: FileIdentity) -> str | None: ...


class HashResult(NamedTuple):
    digest: FileDigest
    #: the hash came from the cache (no byte was read)
    reused: bool
    #: the hash may be recorded for reuse (the file was not modified just before)
    reusable: bool


def identify(path: Path | str) -> FileIdentity:
    """What ``stat`` says of the file (its absolute path, resolved)."""
    where = Path(path).resolve()
    try:
        info = os.stat(where)
    except OSError as error:
        raise UploadError(f"cannot read {where}: {error.strerror or error}") from None
    return FileIdentity(str(where), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def sha256_file(
    path: Path | str,
    *,
    cache: HashCache | None = None,
    on_progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.time,
    cancel: threading.Event | None = None,
) -> HashResult:
    """Hash the file (or reuse a cached hash); ``on_progress`` gets the bytes read."""
    before = identify(path)
    if cache is not None:
        known = cache.cached_sha256(before)
        if known is not None:
            if on_progress is not None:
                on_progress(before.size)
            return HashResult(FileDigest(before, known), reused=True, reusable=True)
    started = clock()
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    try:
        with open(before.path, "rb", buffering=0) as source:
            left = before.size  # what stat said: a file still growing is caught below
            while left:
                if cancel is not None and cancel.is_set():
                    raise UploadCancelled(f"hashing {before.path} was cancelled")
                count = source.readinto(view[: min(BLOCK, left)])
                if not count:
                    break
                digest.update(view[:count])
                left -= count
                if on_progress is not None:
                    on_progress(count)
    except OSError as error:
        raise UploadError(f"cannot read {before.path}: {error.strerror or error}") from None
    after = identify(before.path)
    if after != before:
        raise FileChanged(f"{before.path} changed while it was hashed (is it still being written?)")
    reusable = before.mtime_ns / 1e9 <= started - RACY_SECONDS
    return HashResult(FileDigest(before, digest.hexdigest()), reused=False, reusable=reusable)
