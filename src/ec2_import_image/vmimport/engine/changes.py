"""Whether an entry's disks are still what its AMI holds, and which entries need their disks.

One detection for ``import`` (``single``), ``batch`` (``scheduler``) and
``batch --dry-run``/``--status`` (``plan``).  A finished entry's disks are
identified again as its import identified them (``EntryWork.identify``: stat
first, each local disk hashed only when its stat identity, change time
included, matches no hash on record; each ``s3://`` disk's object looked at)
and the identity is compared with the one the attempt imported
(``Attempt.identity``, its ``vmimport:sha256`` tag):

- the same: the AMI holds the disks (``SAME``);
- another: the disks changed since the import; the AMI holds the old content
  (``CHANGED``).  ``import``, asked for one VM by name, imports the new content
  (the next attempt); ``batch`` says so, and imports again only with
  ``--reimport-changed`` (a batch re-import of hundreds of disks costs money);
- a local disk gone (``MISSING``): a finished entry needs nothing of it; said,
  never an error.

``look`` is the same comparison without reading a byte beyond ``stat`` (and
without asking AWS), for ``--dry-run`` and ``--status``: a local disk whose stat
identity matches a reusable hash on record is compared by that hash; one whose
stat identity is the one recorded when it was last hashed, but whose hash was
made too soon after the file's last change to be reused
(``hashing.RACY_SECONDS``), counts by that hash and is ``UNCONFIRMED`` when
nothing changed (a run hashes it once more, as ``import`` would); one whose
stat matches no hash is ``UNSURE`` ("changed (stat differs; a run hashes it to
be sure)").  An ``s3://`` disk counts by the ``sha256`` recorded for its
object, and an object without one is not looked at (a run asks S3).

``needs_disks`` says which entries still need their disks' bytes: those a run
would check, hash or upload (not started, or stopped before their import
task was started, or failed and retried with ``--retry-failed``).  An entry
whose task runs, whose AMI exists or that has ended needs none of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import PurePath
from typing import NamedTuple, Protocol

from ec2_import_image.vmimport.engine.identity import combined_sha256
from ec2_import_image.vmimport.state.records import (
    DiskState,
    Entry,
    FileDigest,
    FileIdentity,
    Phase,
)
from ec2_import_image.vmimport.upload.errors import UploadError
from ec2_import_image.vmimport.upload.hashing import identify


class Found(StrEnum):
    SAME = "same"
    CHANGED = "changed"
    #: the same by the hash last made, which is not reusable (``look`` only: a run hashes)
    UNCONFIRMED = "unconfirmed"
    #: a stat identity on record for no hash (``look`` only: a run hashes the disk)
    UNSURE = "unsure"
    MISSING = "missing"


class DiskChange(NamedTuple):
    """What was found, and of which disks (their file names or S3 URLs)."""

    found: Found
    disks: tuple[str, ...] = ()

    def note(self, *, reimport: bool) -> str | None:
        """What ``batch`` says of a finished entry (None when there is nothing to say)."""
        names = ", ".join(self.disks) or "its disks"
        if self.found is Found.CHANGED:
            then = (
                "--reimport-changed imports it again"
                if not reimport
                else "it is imported again (--reimport-changed)"
            )
            return f"changed: the AMI holds the old content ({names} changed since); {then}"
        if self.found is Found.UNSURE:
            then = "" if not reimport else ", and imports it again if it did change"
            return (
                f"changed (stat differs; a run hashes it to be sure{then}): the AMI may hold the "
                f"old content of {names}"
            )
        if self.found is Found.MISSING:
            return f"{names} no longer there: the AMI holds what it was (nothing needs it now)"
        return None


class HashCache(Protocol):
    def cached_digest(self, identity: FileIdentity) -> FileDigest | None: ...


def label(location: str) -> str:
    """A disk as a person names it: its file name, or its S3 URL."""
    return location if location.startswith("s3://") else PurePath(location).name


def missing(locations: Sequence[str]) -> list[str]:
    """The local disks that are not there (or are not files)."""
    return [
        location
        for location in locations
        if not location.startswith("s3://") and not os.path.isfile(location)
    ]


def changed(locations: Sequence[str], differing: Sequence[str]) -> DiskChange:
    """``CHANGED``, naming the disks known to differ from their last hash (the one disk of a
    one-disk entry; none named when which of several changed is not known)."""
    named = differing or (locations if len(locations) == 1 else ())
    return DiskChange(Found.CHANGED, tuple(label(location) for location in named))


def needs_disks(entry: Entry | None, *, retry_failed: bool) -> bool:
    """Whether a run would read the entry's disks (check, hash, upload)."""
    if entry is None:
        return True
    if entry.phase is Phase.DONE:
        return False
    if entry.phase is Phase.FAILED:
        return retry_failed
    return not (entry.attempt.image_id or entry.attempt.import_task_id)


def look(
    locations: Sequence[str], entry: Entry, disks: Sequence[DiskState], cache: HashCache | None
) -> DiskChange:
    """A finished entry's disks against its attempt's identity, by ``stat`` and the hashes
    on record only (see the module's docstring)."""
    gone = missing(locations)
    if gone:
        return DiskChange(Found.MISSING, tuple(label(g) for g in gone))
    recorded = entry.attempt.identity
    if recorded is None:
        return DiskChange(Found.SAME)  # an import adopted before identities were recorded
    digests: list[str] = []
    unsure: list[str] = []
    unconfirmed: list[str] = []
    differing: list[str] = []
    for position, location in enumerate(locations):
        disk = disks[position] if position < len(disks) else None
        if location.startswith("s3://"):
            stored = disk.object if disk is not None else None
            if stored is None or stored.sha256 is None:
                return DiskChange(Found.SAME)  # not looked at without asking S3
            digests.append(stored.sha256)
            continue
        try:
            now = identify(location)
        except UploadError:
            return DiskChange(Found.MISSING, (label(location),))
        known = cache.cached_digest(now) if cache is not None else None
        if known is None:
            last = disk.digest if disk is not None else None
            if last is None or last.identity != now:
                unsure.append(label(location))
                continue
            known = last
            unconfirmed.append(label(location))
        elif disk is not None and disk.digest is not None and disk.digest.sha256 != known.sha256:
            differing.append(location)
        digests.append(known.sha256)
    if unsure:
        return DiskChange(Found.UNSURE, tuple(unsure))
    if combined_sha256(digests) != recorded:
        return changed(locations, differing)
    if unconfirmed:
        return DiskChange(Found.UNCONFIRMED, tuple(unconfirmed))
    return DiskChange(Found.SAME)
