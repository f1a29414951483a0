"""The SHA-256 of a local disk file and of each of its parts: a first pass with progress,
reused while the file's identity holds.

The hash names the object (``PREFIX<first 16 hex>/<file name>``), goes into its
metadata when the upload is created, and into the import's token and tags: it
is needed before the first byte is sent, hence a pass of its own over the file
(read in blocks of at most 8 MiB into one reused buffer: constant memory).  The
same pass hashes each part of the layout the upload will use (``parts``: a
function of the file's size and the settings): each ``UploadPart`` carries its
part's SHA-256 as ``ChecksumSHA256``, and S3 refuses a part whose bytes are not
the ones hashed (``BadDigest``), so the object can only hold what the ``sha256``
metadata names (``multipart``).  The second hash of every byte costs about half
the pass again (docs/performance.md).

Reuse.  A hash recorded in the state database is reused when the file's path,
device, inode, size, modification time and change time (both in nanoseconds)
are all the same as when it was hashed, and it was made for the same part
size.  The change time is what ``touch -r`` cannot put back: a file rewritten
in place and given its old modification time has a new change time.  Against
a file rewritten within one timestamp tick right after it was hashed (git's
"racy clean" problem: the same size and times, other bytes), a hash is
recorded for reuse only when the file's modification and change times are at
least ``RACY_SECONDS`` older than the moment hashing began; a racy hash is
recorded for reuse later, once an upload's part checksums have proven every
byte (``DiskJournal.digest_confirmed``).  A file whose ``stat`` changes while
it is read is refused (``FileChanged``): it is still being written.

A span of a file (``Span``: an OVA's member, uploaded as an object of its
own) is hashed the same way, from its offset for its length, and never from
or into the cache: the cache holds whole files' hashes, by path.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Protocol

from ec2_import_image.vmimport.state.records import FileDigest, FileIdentity, PartHashes, Span
from ec2_import_image.vmimport.upload.errors import FileChanged, UploadCancelled, UploadError
from ec2_import_image.vmimport.upload.parts import part_size_for, sha256_base64

#: a hash is reused only for files last modified at least this long before it was made
RACY_SECONDS = 2.0
BLOCK = 8 * 1024 * 1024


#: the part size of a file of a given size (``parts.part_size_for`` with the run's settings)
Layout = Callable[[int], int]


class HashCache(Protocol):
    def cached_digest(self, identity: FileIdentity) -> FileDigest | None: ...


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
    return FileIdentity(
        str(where), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns
    )


def settled(identity: FileIdentity, moment: float) -> bool:
    """Whether the file's last change is at least ``RACY_SECONDS`` before ``moment``: a
    later write could not leave its times as they are."""
    last = max(identity.mtime_ns, identity.ctime_ns or identity.mtime_ns) / 1e9
    return last <= moment - RACY_SECONDS


def sha256_file(
    path: Path | str,
    *,
    layout: Layout = part_size_for,
    cache: HashCache | None = None,
    on_progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.time,
    cancel: threading.Event | None = None,
    span: Span | None = None,
) -> HashResult:
    """Hash the file and its parts (or reuse a cached digest of the same layout);
    ``on_progress`` gets the bytes read.  With ``span``, that range of the file only."""
    before = identify(path)
    offset, length = (0, before.size) if span is None else (span.offset, span.length)
    if offset + length > before.size:
        raise UploadError(
            f"{before.path} is {before.size} bytes: it has no {length} bytes at {offset} "
            f"({span.name if span else 'the file'})"
        )
    part_size = layout(length)
    if cache is not None and span is None:
        known = cache.cached_digest(before)
        if known is not None and known.parts is not None and known.parts.part_size == part_size:
            if on_progress is not None:
                on_progress(before.size)
            return HashResult(known, reused=True, reusable=True)
    started = clock()
    whole = hashlib.sha256()
    parts: list[str] = []
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    try:
        with open(before.path, "rb", buffering=0) as source:
            source.seek(offset)
            left = length  # what stat said: a file still growing is caught below
            while left:
                part = hashlib.sha256()
                in_part = min(part_size, left)
                while in_part:
                    if cancel is not None and cancel.is_set():
                        raise UploadCancelled(f"hashing {before.path} was cancelled")
                    count = source.readinto(view[: min(BLOCK, in_part)])
                    if not count:
                        break
                    whole.update(view[:count])
                    part.update(view[:count])
                    in_part -= count
                    left -= count
                    if on_progress is not None:
                        on_progress(count)
                if in_part:
                    break  # shorter than stat said: refused below
                parts.append(sha256_base64(part.digest()))
    except OSError as error:
        raise UploadError(f"cannot read {before.path}: {error.strerror or error}") from None
    after = identify(before.path)
    if after != before:
        raise FileChanged(f"{before.path} changed while it was hashed (is it still being written?)")
    digest = FileDigest(before, whole.hexdigest(), PartHashes(part_size, tuple(parts)), span)
    return HashResult(digest, reused=False, reusable=span is None and settled(before, started))
