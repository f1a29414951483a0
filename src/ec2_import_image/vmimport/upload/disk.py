"""One local disk of a claimed entry: hash it, name its object, upload it — the call
``vmimport import`` and ``vmimport batch`` make per disk.

The hash comes first (the key may be made of it, the object's metadata
needs it, and the state database reuses it when the file did not change:
``hashing``), then ``multipart.upload_file`` with the disk's journal.  The
hash pass cuts the file as the upload will (``layout``): as the disk's
unfinished upload was cut when there is one it can continue, else as the
settings cut a file of its size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ec2_import_image.vmimport.state.records import FileDigest, FileIdentity, Span
from ec2_import_image.vmimport.upload import parts
from ec2_import_image.vmimport.upload.clients import S3Clients
from ec2_import_image.vmimport.upload.hashing import Layout, identify, sha256_file
from ec2_import_image.vmimport.upload.multipart import (
    DEFAULT_SETTINGS,
    Journal,
    ObjectTarget,
    UploadOutcome,
    UploadSettings,
    upload_file,
)
from ec2_import_image.vmimport.upload.progress import NullProgress, Progress, human_size

KeyFor = Callable[[FileDigest], str]


class DiskRecord(Journal, Protocol):
    """A disk's journal with its hash cache (``state.DiskJournal``)."""

    def cached_digest(self, identity: FileIdentity) -> FileDigest | None: ...
    def digest_known(self, digest: FileDigest, reusable: bool) -> None: ...


def layout_for(journal: Journal, min_part_size: int) -> Layout:
    """The part size the disk's upload will use for a file of a given size: its unfinished
    upload's, when that fits the size, else the settings' (``parts.part_size_for``)."""

    def part_size(size: int) -> int:
        upload = journal.state().upload
        if upload is not None and parts.fits(size, upload.part_size):
            return upload.part_size
        return parts.part_size_for(size, min_part_size)

    return part_size


def hash_disk(
    journal: DiskRecord,
    path: Path | str,
    *,
    min_part_size: int = parts.DEFAULT_MIN_PART,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    span: Span | None = None,
) -> FileDigest:
    """The disk's SHA-256 and its parts' (reused from the state database when the file is
    unchanged), recorded for the disk before it returns; with ``span``, of that range of
    the file (an OVA's member), hashed each time."""
    shown = progress or NullProgress()
    name = Path(path).name if span is None else f"{span.name} in {Path(path).name}"
    shown.begin(f"hashing {name}", identify(path).size if span is None else span.length)
    ended = False
    try:
        result = sha256_file(
            path,
            layout=layout_for(journal, min_part_size),
            cache=journal,
            on_progress=shown.advance,
            clock=clock,
            cancel=cancel,
            span=span,
        )
        ended = True
        how = "known from an earlier run" if result.reused else "computed"
        shown.end(
            f"sha256 of {name} ({human_size(result.digest.size)}, {how}): {result.digest.sha256}"
        )
    finally:
        if not ended:
            shown.end(f"hashing {name} stopped")
    journal.digest_known(result.digest, result.reusable)
    return result.digest


def upload_disk(
    clients: S3Clients,
    journal: DiskRecord,
    path: Path | str,
    bucket: str,
    key_for: KeyFor,
    *,
    settings: UploadSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    span: Span | None = None,
) -> UploadOutcome:
    """Hash the disk, then make ``s3://bucket/key_for(digest)`` hold it (``upload_file``);
    with ``span``, that range of the file as the object (an OVA's member, streamed from
    the archive)."""
    digest = hash_disk(
        journal,
        path,
        min_part_size=settings.min_part_size,
        progress=progress,
        cancel=cancel,
        clock=clock,
        span=span,
    )
    target = ObjectTarget(bucket, key_for(digest))
    return upload_file(
        clients,
        journal,
        digest,
        target,
        settings=settings,
        progress=progress,
        cancel=cancel,
        clock=clock,
    )
