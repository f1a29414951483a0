"""The typed records the state database takes and gives back (never dicts).

Times are timezone-aware UTC ``datetime`` values made from the database's
injected clock; sizes are bytes; hashes are lower-case hex.  Records are
immutable (``NamedTuple``): a change is a call to ``StateDB``, which commits
before it returns and hands back fresh records when asked.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import NamedTuple

from ec2_import_image.diagnostics import Diagnostic


class Phase(StrEnum):
    """Where an entry is on its way from disk files to an AMI: its one lifecycle.

    The members run in the order of that way (``passes``).  The state database
    stores the phases an entry can be found in by a later run (``stored``);
    three more are what a run does with an entry it holds between them, never
    stored: ``PREPARING`` (claimed, its check, hash and upload to come: also
    where ``EntryWork.resume_point`` says a rerun goes on from before its task
    is started), ``QUEUED`` (uploaded, waiting for an import slot: ``batch``)
    and ``DISTRIBUTING`` (done, its AMI named, copied, shared: ``batch``).

    The database does not enforce an order: the commands decide. ``DONE`` and
    ``FAILED`` are final for an attempt (``StateDB.restart`` begins the next).
    """

    PENDING = "pending"
    PREPARING = "preparing"  # not stored: claimed, to be checked, hashed and uploaded
    CHECKING = "checking"
    HASHING = "hashing"
    UPLOADING = "uploading"
    QUEUED = "queued"  # not stored: uploaded, waiting for an import slot (batch)
    IMPORTING = "importing"  # ImportImage sent (or about to be): the token is recorded first
    WAITING = "waiting"  # the task runs in AWS
    FINISHING = "finishing"  # tagging the AMI and snapshots, deleting the upload
    DONE = "done"
    DISTRIBUTING = "distributing"  # not stored: done, its AMI's distribution runs (batch)
    FAILED = "failed"

    @property
    def stored(self) -> bool:
        """Whether the state database records it (the others are a run's, while it holds the
        entry)."""
        return self not in _UNSTORED

    @property
    def final(self) -> bool:
        return self in (Phase.DONE, Phase.FAILED)

    def passes(self, other: Phase) -> bool:
        """Whether entering this phase is progress past ``other`` (``FAILED`` never is)."""
        if self is Phase.FAILED or other is Phase.FAILED:
            return False
        order = list(Phase)
        return order.index(self) > order.index(other)


_UNSTORED = frozenset({Phase.PREPARING, Phase.QUEUED, Phase.DISTRIBUTING})


class ObjectState(StrEnum):
    """What this tool knows of a disk's S3 object, and whether it may delete it."""

    ABSENT = "absent"  # nothing known yet (or an upload in progress)
    FOUND = "found"  # already there (or given as s3://): not ours, never deleted
    UPLOADED = "uploaded"  # this tool uploaded it: it may delete it
    DELETED = "deleted"  # this tool uploaded it and deleted it

    @property
    def ours(self) -> bool:
        return self in (ObjectState.UPLOADED, ObjectState.DELETED)


class EntryChange(StrEnum):
    """What ``StateDB.put_entry`` did with a spec."""

    NEW = "new"
    SAME = "same"
    CHANGED = "changed"


class ImportOptions(NamedTuple):
    """The request options of one entry (the ``import`` options, as batch keys name them).

    Stored as JSON: a field added later with a default reads old rows without
    a schema migration.
    """

    bucket: str | None = None
    prefix: str = "vmimport/"
    format: str | None = None
    boot_mode: str | None = None
    architecture: str | None = None
    platform: str | None = None
    license_type: str | None = None
    usage_operation: str | None = None
    description: str | None = None
    role_name: str | None = None
    encrypted: bool | None = None
    kms_key_id: str | None = None
    license_specifications: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    keep_upload: bool = False
    #: the road to the AMI (``roads.Road``)
    via: str = "image"
    #: what RegisterImage is asked (the snapshot and direct roads)
    ena: bool = True
    tpm: bool = False
    uefi_data: str | None = None


class EntrySpec(NamedTuple):
    """What the user asked for one image: its name, its disks in order, the request options.

    ``disks`` are absolute local paths or ``s3://bucket/key`` URLs.
    """

    name: str
    disks: tuple[str, ...]
    options: ImportOptions = ImportOptions()


class Holder(NamedTuple):
    """Who holds a claim: a process on a host, until the lease expires."""

    host: str
    pid: int
    token: str
    expires: datetime.datetime

    def describe(self) -> str:
        return (
            f"process {self.pid} on {self.host} "
            f"(lease until {self.expires.isoformat(timespec='seconds')})"
        )


class SnapshotTask(NamedTuple):
    """One disk's ImportSnapshot task of an attempt (the snapshot road), as recorded.

    ``disk`` is the road's disk from 0 (an OVA's disks each one, in the OVF's order);
    ``source`` the disk (an OVA's disk as ``OVA!member``); the ClientToken is recorded
    before ImportSnapshot is sent, the task once it answers, its status as it is polled
    (``active``, ``completed``, ``deleted``...) and its snapshot once completed.
    """

    disk: int
    source: str
    client_token: str
    task_id: str | None = None
    status: str | None = None
    snapshot_id: str | None = None


class Attempt(NamedTuple):
    """One attempt at importing an entry: its ClientToken, task, results."""

    number: int
    client_token: str | None = None
    import_task_id: str | None = None
    image_id: str | None = None
    snapshot_ids: tuple[str, ...] = ()
    started: datetime.datetime | None = None
    finished: datetime.datetime | None = None
    #: the ``vmimport:sha256`` of the disks this attempt imports (see ``engine.identity``)
    identity: str | None = None
    #: the road this attempt takes to its AMI (``roads.Road``)
    via: str = "image"
    #: why it takes that road (``--via auto``'s reason, a fallback's, the road given); None
    #: until the check chose it
    via_reason: str | None = None
    #: the snapshot road's task per disk, in disk order
    snapshot_tasks: tuple[SnapshotTask, ...] = ()

    @property
    def road_recorded(self) -> bool:
        """Whether the attempt's road is recorded: every rerun keeps it (``via``)."""
        return self.via_reason is not None


class Entry(NamedTuple):
    """An entry as stored: its spec, where it is, its current attempt, its last error."""

    name: str
    position: int
    spec: EntrySpec
    phase: Phase
    attempt: Attempt
    #: the last error: a code (``engine.errors.FailureCode``), the message, the failure
    #: table's cause (context) and remedy (hint)
    last_error: Diagnostic | None
    holder: Holder | None
    created: datetime.datetime
    updated: datetime.datetime
    #: what a run found about a finished entry's disks (changed, or gone), None when nothing
    note: str | None = None

    @property
    def resumes_at(self) -> Phase:
        """The phase a run goes on from, as the state says: ``DONE`` or ``FAILED`` (it ended),
        ``FINISHING`` (its AMI is known), ``WAITING`` (its task is), else ``PREPARING`` (check,
        hash, upload; the same ClientToken finds a task started before a crash)."""
        if self.phase.final:
            return self.phase
        if self.attempt.image_id:
            return Phase.FINISHING
        if self.attempt.import_task_id:
            return Phase.WAITING
        return Phase.PREPARING


class Event(NamedTuple):
    """One line of an entry's history: a phase, a message, a progress fraction (0..1)."""

    entry: str
    at: datetime.datetime
    attempt: int
    phase: Phase
    message: str
    progress: float | None = None


class FileIdentity(NamedTuple):
    """What ``stat`` says of a file: a cached hash is reused only when all of it matches.

    ``ctime_ns`` (the inode's change time) is what a user cannot set: ``touch -r``
    or ``os.utime`` put a modification time back, and the change time moves all
    the same.  None in a row written before it was kept (schema version 3): such
    an identity never matches a file's.
    """

    path: str
    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int | None


class PartHashes(NamedTuple):
    """The SHA-256 of each part of a file cut at ``part_size`` (``upload.parts``), base64 as
    S3's ``ChecksumSHA256`` of a part: what S3 checks each part's bytes against."""

    part_size: int
    sha256s: tuple[str, ...]

    def of(self, number: int) -> str:
        """Part ``number``'s (from 1)."""
        return self.sha256s[number - 1]


class Span(NamedTuple):
    """A byte range of a file that is a disk of its own: an OVA's member, by its name."""

    name: str
    offset: int
    length: int


class FileDigest(NamedTuple):
    """A local file, its SHA-256 (hex), and its parts' SHA-256s when they were computed; with a
    ``span``, of that range of the file only (the file's identity is the whole file's)."""

    identity: FileIdentity
    sha256: str
    parts: PartHashes | None = None
    span: Span | None = None

    @property
    def path(self) -> str:
        return self.identity.path

    @property
    def size(self) -> int:
        """The bytes hashed: the span's, else the file's."""
        return self.identity.size if self.span is None else self.span.length

    @property
    def offset(self) -> int:
        """Where the bytes hashed begin in the file."""
        return 0 if self.span is None else self.span.offset

    @property
    def name(self) -> str:
        """The disk's name: the span's (an OVA's member), else the file's."""
        return PurePath(self.path).name if self.span is None else PurePath(self.span.name).name


class Part(NamedTuple):
    """A part S3 acknowledged: number (1..10,000), size, ETag, the transport checksum (base64)."""

    number: int
    size: int
    etag: str
    checksum: str | None = None


class MultipartUpload(NamedTuple):
    """A multipart upload this tool created, and for which file content (``sha256``)."""

    upload_id: str
    bucket: str
    key: str
    sha256: str
    part_size: int
    checksum_algorithm: str | None
    started: datetime.datetime | None = None
    parts: tuple[Part, ...] = ()


class StoredObject(NamedTuple):
    """The S3 object a disk was imported from."""

    bucket: str
    key: str
    size: int | None
    sha256: str | None
    state: ObjectState


class DiskState(NamedTuple):
    """One disk of an entry: its source, its digest once hashed, its upload, its object."""

    position: int
    source: str
    digest: FileDigest | None
    upload: MultipartUpload | None
    object: StoredObject | None

    @property
    def is_s3(self) -> bool:
        return self.source.startswith("s3://")


class SnapshotState(StrEnum):
    """Where a disk's EBS snapshot, written with the EBS direct APIs, is on its way."""

    WRITING = "writing"  # started (StartSnapshot answered): blocks are being written
    COMPLETING = "completing"  # CompleteSnapshot sent (or about to be): waiting for `completed`
    COMPLETED = "completed"  # the snapshot is `completed`
    EXPIRED = "expired"  # found in `error` (past its Timeout, or failed): delete it, start anew


@dataclass(frozen=True, slots=True)
class WrittenBlock:
    """A block EBS acknowledged: its index (512 KiB units) and SHA-256 (the 32-byte digest)."""

    index: int
    sha256: bytes


class DiskSnapshot(NamedTuple):
    """The EBS snapshot a disk is written into (the direct road), as recorded.

    ``written`` counts the blocks recorded as acknowledged (``StateDB.written_blocks``
    lists them); ``changed_blocks`` and ``checksum`` are what CompleteSnapshot was sent.
    """

    snapshot_id: str
    client_token: str
    volume_size: int  # GiB
    block_size: int
    state: SnapshotState
    encrypted: bool | None = None
    kms_key_arn: str | None = None
    timeout_minutes: int | None = None
    started: datetime.datetime | None = None
    completed: datetime.datetime | None = None
    changed_blocks: int | None = None
    checksum: str | None = None
    #: the service's StateMessage of a snapshot found in `error`
    message: str | None = None
    written: int = 0
    #: how many times the disk's snapshot was replaced (an expired one deleted, another
    #: started under the next ClientToken): part of the token (``identity.snapshot_token``)
    replacement: int = 0
