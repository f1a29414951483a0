"""A virtual disk written into an EBS snapshot with the EBS direct APIs, resumably.

No bucket and no service role: the disk's blocks go straight into a new snapshot
(https://docs.aws.amazon.com/ebs/latest/userguide/writesnapshots.html): StartSnapshot "returns
the new snapshot ID, which is in a pending state"; PutSnapshotBlock adds a block, with "a
Base64-encoded SHA256 checksum for the block data transmitted. The service computes the
checksum of the data received and validates it with the checksum that you specified. The
action fails if the checksums don't match."; CompleteSnapshot "start[s] an asynchronous
workflow that seals the snapshot and moves it to a completed state".  ``write_snapshot`` does
each step, recording it in the state database (``Journal``: ``state.SnapshotJournal``) before
the next, as ``multipart`` does for the S3 road.

1. **Start.**  StartSnapshot with ``VolumeSize`` (the virtual size rounded up to whole GiB,
   ``blocks.volume_gib``), the caller's ``ClientToken`` (the engine derives it from the
   import's identity and attempt), ``Timeout``, ``Description``, ``Tags``, and ``Encrypted``
   with ``KmsKeyArn`` when asked (an ARN: ``ebsclients.resolve_kms_key`` turns a key id or
   alias into one); never ``ParentSnapshotId``.  "If you retry an API request with the same
   client token and the same request parameters after it has completed successfully, the
   result of the original request is returned. If you retry a request with the same client
   token, but change one or more of the request parameters, the ConflictException error is
   returned." (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-direct-api-idempotency.html):
   a rerun that lost its record finds the same snapshot.  Because the original *result* is
   returned, its ``Status`` says nothing of the snapshot now: a recorded snapshot is looked
   at with EC2 DescribeSnapshots instead (``pending``: go on writing; ``completed``: done;
   ``error`` or gone: ``SnapshotExpired``), and a replayed one that is no longer pending is
   found out when its first block is refused.  The snapshot's encryption is read from the
   reply (``KmsKeyArn``, ``SseType``), else from DescribeSnapshots: an account with EBS
   encryption by default gets an encrypted snapshot without asking ("Encryption outcomes: No
   parent snapshot", https://docs.aws.amazon.com/ebs/latest/userguide/ebsapis-using-encryption.html;
   "If Amazon EBS encryption by default is enabled on your AWS account, you can't create
   unencrypted snapshots"), and the outcome says which.  ``Encrypted`` is sent only when true.
2. **Write** every block to write (``blocks``) from a bounded pool of threads, each with its
   SHA-256 and ``Progress``; the missing blocks only, on a rerun.
3. **Complete** with ``ChangedBlocksCount``, every block written across all runs, and the
   ``LINEAR`` aggregate of their SHA-256s in index order (``blocks.linear_checksum``), both
   made from the recorded blocks; then **wait** for the snapshot to be ``completed``
   (DescribeSnapshots, polled from 2 s growing by half to 30 s, as the engine polls its
   tasks); ``error`` is ``SnapshotFailed`` with the snapshot's ``StateMessage``.

Blocks never written.  A block an unencrypted snapshot was never given reads as zeros, and
awslabs/coldsnap skipped all-zero blocks for years on that basis.  The EBS documentation
makes no such promise for an encrypted snapshot: ListSnapshotBlocks lists "only ... the block
indexes and tokens that have data written to them"
(https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-faq.html), and neither the
encryption outcomes nor the write pages say what a volume made from an encrypted snapshot
reads where no block was written.  What it reads is reported by the people who build AMIs
with these APIs: "Encrypted snapshots will return random data for blocks that are not present
in the snapshot, instead of zeroes as expected" (awslabs/coldsnap#395, which made coldsnap
write zero blocks by default), "on an encrypted volume a skipped block reads back as
decrypt(zeros), i.e. garbage" (awslabs/coldsnap#470), and Bottlerocket's dm-verity root
failed on exactly those blocks (bottlerocket-os/bottlerocket#2169).  So the rule here: an
**unencrypted** snapshot gets the blocks that hold data (all-zero blocks and the disk's
unallocated extents are skipped); an **encrypted** one (asked for, or made so by the
account's encryption by default) gets every block of the volume, zeros included (a zero
block is never read from the disk: one shared buffer, one SHA-256), so that every block of a
volume made from it reads what the disk holds, zeros where it holds nothing.

Resume.  Acknowledged blocks (index, SHA-256) are committed in batches, every
``batch_blocks`` blocks or ``batch_seconds`` seconds, not one transaction per block (a fsync
each: some 200,000 for 100 GiB); a crash loses at most one batch, written again on the rerun
(PutSnapshotBlock overwrites: "If the specified block contains data, the existing data is
overwritten").  A rerun within the snapshot's Timeout writes only the blocks not recorded, to
the same snapshot.  ``Timeout`` (StartSnapshot: 10 to 4,320 minutes, 60 by default) is how
long the snapshot waits for a write or for CompleteSnapshot before it is cancelled ("If no put
or complete requests are made against the snapshot within the specified 60 minutes timeout
period, the snapshot transitions to error status", writesnapshots.html): the default here is
1,440 minutes (a day), so that an import interrupted in the evening (a crash, a laptop
asleep, a batch stopped) resumes the next morning instead of writing every block again, while
a snapshot abandoned for good still ends in ``error`` within a day (coldsnap, which never
resumes, asks for 10).  Past it, the snapshot is ``error``: ``SnapshotExpired``, and the
engine deletes it and starts over under a new token.

Throughput and threads.  "Assuming PutSnapshotBlock latency is 100ms, then a thread can
process 10 requests in one second. Furthermore, assuming your client application creates
multiple threads and connections (for example, 100 connections), it can make 1000 (10 * 100)
requests per second in total. This will correspond to a throughput of around 500 MB per
second." (https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-performance.html).  That is
from inside AWS.  From outside, many connections stall instead: coldsnap's fixed 64 workers
left uploads from GitHub's runners unreliable (awslabs/coldsnap#437, reported from
NixOS/amis#352) until PR #438 made the count configurable (``--workers``; its download side
followed in #452, noting the per-snapshot request limit).  The default here is 8 threads,
the default of the engine's ``--upload-threads`` (``ebsclients.DEFAULT_CONCURRENCY``; 4 MiB
in flight: at 100 ms per request, some 40 MiB/s, more than a 300 Mbit/s link carries),
configurable (``concurrency``).  More threads cost CPU time where the CPU is what bounds the
write (a fast link, few cores): each PutSnapshotBlock is some 1 ms of Python in botocore, and
threads ready at once contend for the interpreter's lock (docs/performance.md).

Quotas: "CompleteSnapshot requests per account: 10 per second", not adjustable
(https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html); the EBS direct
APIs' other defaults are listed in each account's Service Quotas (service code ``ebs``) and
were recorded (a published dump of one account's defaults, 2022) as "PutSnapshotBlock
requests per snapshot" 1,000 per second (L-1774F84A, not adjustable: some 500 MiB/s per
disk), "PutSnapshotBlock requests per account" 1,000 per second (L-AFAE1BE8, adjustable:
shared by every disk a batch writes at once), "StartSnapshot requests per account" 10 per
second and "Pending snapshots per account" 100 (L-94D7AB7D), which bounds the snapshots a
batch may have started and not completed.  Throttling beyond any rate is borne (``ebspacing``);
``ConcurrentLimitExceededException`` and ``ServiceQuotaExceededException`` are "quota full"
(``SnapshotQuotaFull``).  Memory is
bounded: a block is read once, by one reader thread, into a queue of ``concurrency`` blocks
that the senders take from, so at most about twice ``concurrency`` blocks (plus one read of
``blocks.CHUNK_BLOCKS``) are held whatever the disk's size.

The snapshot holds what was read.  Each block's SHA-256 is computed from the bytes sent, so a
block EBS refuses against it was damaged on the way (``BlockRefused``: run again) or, when the
disk no longer holds those bytes, the disk changed while it was written (``FileChanged``).

Interruption.  Ctrl-C (``KeyboardInterrupt`` in the calling thread), an error, or the
caller's ``cancel`` event stop the readers and senders (each finishes the block it is
sending); the blocks acknowledged meanwhile are committed, and the exception goes on.  The
snapshot stays ``pending`` for a rerun.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ec2_import_image.awserrors import SNAPSHOT_NOT_FOUND, error_code, error_message
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.importtasks.pacing import Pacer, Pacing
from ec2_import_image.vmimport.errors import from_aws
from ec2_import_image.vmimport.state.records import DiskSnapshot, SnapshotState, WrittenBlock
from ec2_import_image.vmimport.upload.blocks import (
    BLOCK_SIZE,
    MAX_VOLUME_GIB,
    ZERO_BLOCK,
    ZERO_SHA256,
    Block,
    BlockPlan,
    BlockSource,
    b64,
    linear_checksum,
    plan_blocks,
    read_blocks,
    sha256,
    volume_gib,
)
from ec2_import_image.vmimport.upload.ebsclients import DEFAULT_CONCURRENCY, EbsClients
from ec2_import_image.vmimport.upload.ebserrors import (
    BlockRefused,
    SnapshotAccessDenied,
    SnapshotConflict,
    SnapshotExpired,
    SnapshotFailed,
    SnapshotQuotaFull,
)
from ec2_import_image.vmimport.upload.ebspacing import DEFAULT_PACING, Stopped, paced
from ec2_import_image.vmimport.upload.ebspacing import transient as is_transient
from ec2_import_image.vmimport.upload.errors import FileChanged, UploadCancelled, UploadError
from ec2_import_image.vmimport.upload.progress import NullProgress, Progress

#: minutes: see "Resume" in the module's docstring
DEFAULT_TIMEOUT_MINUTES = 1440
#: StartSnapshot's Timeout range (minutes), from the EBS direct APIs model
TIMEOUT_RANGE = range(10, 4321)
#: blocks per commit of acknowledged blocks, and seconds at most between two commits
DEFAULT_BATCH_BLOCKS = 256
DEFAULT_BATCH_SECONDS = 5.0
#: seconds a snapshot just started may be unknown to PutSnapshotBlock and DescribeSnapshots
#: (coldsnap retries a block for 132 s for "snapshot does not exist" answers)
SETTLING = 150.0
#: StartSnapshot's ClientToken: "any string that includes up to 64 ASCII characters"
#: (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-direct-api-idempotency.html)
MAX_TOKEN = 64
#: blocks read back from the journal per page
PAGE = 4096
#: seconds between two looks of the coordinator at the senders' results (and at ``cancel``)
_TICK = 0.1
#: seconds an interrupted write waits for its threads (each stops within one block)
_JOIN = 10.0

_QUOTA = frozenset({"ConcurrentLimitExceededException", "ServiceQuotaExceededException"})
_DENIED = "AccessDeniedException"
_NOT_FOUND = "ResourceNotFoundException"
_INVALID = "ValidationException"


#: sleeps so many seconds; True when the wait is to stop (``threading.Event.wait``'s answer)
Pause = Callable[[float], bool]


class SnapshotSettings(NamedTuple):
    """How to write: threads, the snapshot's Timeout (minutes), commit batches, the outer
    retry policy, the wait for ``completed`` (first and longest delay between polls, the
    longest wait in seconds, None for as long as it takes)."""

    concurrency: int = DEFAULT_CONCURRENCY
    timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES
    batch_blocks: int = DEFAULT_BATCH_BLOCKS
    batch_seconds: float = DEFAULT_BATCH_SECONDS
    pacing: Pacing = DEFAULT_PACING
    poll_first: float = 2.0
    poll_cap: float = 30.0
    max_wait: float | None = None


DEFAULT_SETTINGS = SnapshotSettings()


class SnapshotRequest(NamedTuple):
    """What StartSnapshot asks for, beside the volume's size (the caller's choices)."""

    client_token: str
    description: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    encrypted: bool | None = None
    #: a KMS key ARN (``ebsclients.resolve_kms_key``); implies ``encrypted``
    kms_key_arn: str | None = None


class SnapshotDelivery(StrEnum):
    """How a disk's snapshot came to be: what this run wrote of it."""

    STARTED = "started"  # a new snapshot, written from the first block
    RESUMED = "resumed"  # the snapshot of an earlier run, its missing blocks written
    FOUND = "found"  # already completed: nothing written


class SnapshotOutcome(NamedTuple):
    """What became of one disk: its snapshot, its encryption, what this run wrote."""

    snapshot_id: str
    volume_size: int
    encrypted: bool
    kms_key_arn: str | None
    delivery: SnapshotDelivery
    blocks_written: int
    bytes_written: int
    #: the blocks CompleteSnapshot was sent (every run's), None when found completed unrecorded
    changed_blocks: int | None
    checksum: str | None
    #: whether the snapshot was seen ``completed`` (False with ``wait=False``)
    completed: bool


class Journal(Protocol):
    """Where the writer records its steps (``state.SnapshotJournal``); each call commits."""

    def snapshot(self) -> DiskSnapshot | None: ...
    def snapshot_started(self, snapshot: DiskSnapshot) -> None: ...
    def blocks_written(self, snapshot_id: str, blocks: Sequence[WrittenBlock]) -> None: ...
    def written_blocks(
        self, snapshot_id: str, after: int, limit: int
    ) -> Sequence[WrittenBlock]: ...
    def snapshot_encryption(
        self, snapshot_id: str, encrypted: bool, kms_key_arn: str | None
    ) -> None: ...
    def snapshot_completing(self, snapshot_id: str, changed_blocks: int, checksum: str) -> None: ...
    def snapshot_completed(
        self, snapshot_id: str, encrypted: bool | None, kms_key_arn: str | None
    ) -> None: ...
    def snapshot_expired(self, snapshot_id: str, message: str) -> None: ...
    def snapshot_forgotten(self, reason: str) -> None: ...


class _View(NamedTuple):
    """A snapshot as DescribeSnapshots shows it."""

    state: str
    message: str
    encrypted: bool
    kms_key_id: str | None


def _said(error: ClientError) -> str:
    reason = error.response.get("Reason")
    said = f"{error_code(error)}: {error_message(error)}".rstrip(": ")
    return f"{said} ({reason})" if reason else said


def write_snapshot(
    clients: EbsClients,
    journal: Journal,
    disk: BlockSource,
    request: SnapshotRequest,
    *,
    settings: SnapshotSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    name: str | None = None,
    wait: bool = True,
    clock: Callable[[], float] = time.monotonic,
    pause: Pause | None = None,
) -> SnapshotOutcome:
    """Make the disk an EBS snapshot, or finish the one an earlier run started with the same
    ``request.client_token`` (see the module's steps); ``name`` names the disk in messages.
    With ``wait=False`` it returns once CompleteSnapshot is accepted (``wait_for_snapshot``
    waits later).  ``pause`` sleeps between two polls of the wait for ``completed`` (the
    run's sleep, on its clock; by default a wait on ``cancel``)."""
    writer = _Writer(
        clients,
        journal,
        disk,
        request,
        settings=settings,
        progress=progress or NullProgress(),
        cancel=cancel or threading.Event(),
        name=name or str(getattr(disk, "source", "the disk")),
        clock=clock,
        pause=pause,
    )
    with _worded(writer.name):
        return writer.run(wait=wait)


def wait_for_snapshot(
    clients: EbsClients,
    journal: Journal,
    *,
    settings: SnapshotSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    name: str = "the disk",
    clock: Callable[[], float] = time.monotonic,
    pause: Pause | None = None,
) -> DiskSnapshot:
    """Wait until the journal's snapshot (CompleteSnapshot sent) is ``completed``; answers its
    record.  ``SnapshotFailed`` when it ends in ``error``."""
    recorded = journal.snapshot()
    if recorded is None:
        raise ValueError("no snapshot is recorded for this disk")
    if recorded.state is SnapshotState.COMPLETED:
        return recorded
    with _worded(name):
        waiter = _Waiter(
            clients,
            journal,
            settings=settings,
            cancel=cancel or threading.Event(),
            clock=clock,
            name=name,
            pause=pause,
        )
        waiter.wait(recorded, progress or NullProgress())
    done = journal.snapshot()
    assert done is not None
    return done


@contextlib.contextmanager
def _worded(name: str) -> Iterator[None]:
    """botocore's and the readers' failures in one line; a stop as ``UploadCancelled``."""
    try:
        yield
    except Stopped:
        raise UploadCancelled(f"writing {name} to an EBS snapshot stopped") from None
    except (BotoCoreError, ClientError) as error:
        known = from_aws(error)
        reason = known.message if known is not None else str(error)
        raise UploadError(
            f"writing {name} to an EBS snapshot failed: {reason} (run again to resume)"
        ) from None
    except (OSError, DiskImageError) as error:
        raise UploadError(f"cannot read {name}: {error}") from None


class _Waiter:
    """DescribeSnapshots: a snapshot's state, borne transient faults included; the wait."""

    def __init__(
        self,
        clients: EbsClients,
        journal: Journal,
        *,
        settings: SnapshotSettings,
        cancel: threading.Event,
        clock: Callable[[], float],
        name: str,
        pause: Pause | None = None,
    ) -> None:
        self.clients = clients
        self.journal = journal
        self.settings = settings
        self.cancel = cancel
        self.clock = clock
        self.name = name
        self.pause: Pause = pause or cancel.wait

    def describe(self, snapshot_id: str, *, settling: bool = False) -> _View | None:
        """The snapshot as EC2 shows it; None when EC2 does not know it (after ``SETTLING``
        seconds of not knowing it, when it was just started)."""

        def retry(error: BaseException, lasted: float) -> bool:
            if error_code(error) == SNAPSHOT_NOT_FOUND:
                return settling and lasted < SETTLING
            return is_transient(error)

        try:
            reply = paced(
                lambda: self.clients.ec2.describe_snapshots(SnapshotIds=[snapshot_id]),
                pacing=self.settings.pacing,
                cancel=self.cancel,
                retry=retry,
                clock=self.clock,
            )
        except ClientError as error:
            if error_code(error) == SNAPSHOT_NOT_FOUND:
                return None
            raise
        found = [s for s in reply.get("Snapshots", []) if s.get("SnapshotId") == snapshot_id]
        if not found:
            return None
        item = found[0]
        return _View(
            str(item.get("State", "")),
            str(item.get("StateMessage") or ""),
            bool(item.get("Encrypted", False)),
            item.get("KmsKeyId"),
        )

    def expired(self, snapshot: DiskSnapshot, view: _View | None) -> SnapshotExpired:
        """Record the snapshot as unusable; the error to raise."""
        why = "it no longer exists" if view is None else f"it is in error: {view.message}"
        if view is not None and not view.message:
            why = "it is in error (past its Timeout without a write, or failed)"
        self.journal.snapshot_expired(snapshot.snapshot_id, why)
        return SnapshotExpired(
            f"snapshot {snapshot.snapshot_id} of {self.name} cannot be written any more: "
            f"{why}; delete it and start again under a new ClientToken",
            snapshot.snapshot_id,
        )

    def wait(self, snapshot: DiskSnapshot, progress: Progress) -> _View:
        """Poll until ``completed`` (recorded); ``SnapshotFailed`` on ``error``."""
        snapshot_id = snapshot.snapshot_id
        progress.note(f"waiting for snapshot {snapshot_id} of {self.name} to be completed")
        pacer = Pacer(
            Pacing(first=self.settings.poll_first, cap=self.settings.poll_cap), self.clock
        )
        started = self.clock()
        while True:
            view = self.describe(snapshot_id, settling=True)
            if view is not None and view.state == "completed":
                self.journal.snapshot_completed(snapshot_id, view.encrypted, view.kms_key_id)
                progress.note(f"snapshot {snapshot_id} of {self.name} is completed")
                return view
            if view is None or view.state == "error":
                why = "it disappeared" if view is None else (view.message or "no message")
                self.journal.snapshot_expired(snapshot_id, why)
                raise SnapshotFailed(
                    f"snapshot {snapshot_id} of {self.name} failed after completion: {why}; "
                    "delete it and start again under a new ClientToken",
                    snapshot_id,
                )
            waited = self.clock() - started
            if self.settings.max_wait is not None and waited >= self.settings.max_wait:
                raise UploadError(
                    f"snapshot {snapshot_id} of {self.name} is still {view.state} after "
                    f"{round(waited)} s: run again to go on waiting"
                )
            if self.pause(pacer.next_delay()) or self.cancel.is_set():
                raise Stopped()


class _Writer:
    def __init__(
        self,
        clients: EbsClients,
        journal: Journal,
        disk: BlockSource,
        request: SnapshotRequest,
        *,
        settings: SnapshotSettings,
        progress: Progress,
        cancel: threading.Event,
        name: str,
        clock: Callable[[], float],
        pause: Pause | None = None,
    ) -> None:
        self.clients = clients
        self.journal = journal
        self.disk = disk
        self.request = request
        self.settings = settings
        self.progress = progress
        self.cancel = cancel
        self.name = name
        self.clock = clock
        self.waiter = _Waiter(
            clients, journal, settings=settings, cancel=cancel, clock=clock, name=name, pause=pause
        )
        #: until when (``clock``) the snapshot may be unknown yet (just started)
        self.fresh_until = 0.0

    def _check(self) -> int:
        """The volume's size (GiB), once the request and settings make sense."""
        if self.disk.size <= 0:
            raise UploadError(f"{self.name} is empty: there is nothing to import")
        volume = volume_gib(self.disk.size)
        if volume > MAX_VOLUME_GIB:
            raise UploadError(
                f"{self.name} is {volume} GiB: an EBS snapshot holds at most {MAX_VOLUME_GIB} GiB"
            )
        if self.settings.timeout_minutes not in TIMEOUT_RANGE:
            raise ValueError(
                f"a snapshot's Timeout is {TIMEOUT_RANGE.start} to {TIMEOUT_RANGE.stop - 1} "
                f"minutes, not {self.settings.timeout_minutes}"
            )
        if self.request.kms_key_arn and self.request.encrypted is False:
            raise ValueError("a KMS key was given for an unencrypted snapshot")
        token = self.request.client_token
        if not 0 < len(token) <= MAX_TOKEN or not token.isascii():
            raise ValueError(f"a ClientToken is 1 to {MAX_TOKEN} ASCII characters: {token!r}")
        return volume

    def run(self, *, wait: bool) -> SnapshotOutcome:
        volume = self._check()
        recorded = self.journal.snapshot()
        if recorded is not None and recorded.client_token != self.request.client_token:
            self.journal.snapshot_forgotten(
                f"snapshot {recorded.snapshot_id} ({recorded.state}) was started under another "
                "ClientToken: a new snapshot is started"
            )
            recorded = None
        if recorded is None:
            snapshot, delivery = self._start(volume), SnapshotDelivery.STARTED
        else:
            snapshot, delivery = self._resume(recorded, volume), SnapshotDelivery.RESUMED
        sent = 0
        if snapshot.state is SnapshotState.COMPLETED:
            return self._outcome(snapshot, SnapshotDelivery.FOUND, 0, True)
        if snapshot.state is SnapshotState.WRITING:
            snapshot = self._encryption(snapshot)
            sent = self._write(snapshot, delivery)
            changed, checksum = self._aggregate(snapshot)
            self.journal.snapshot_completing(snapshot.snapshot_id, changed, checksum)
            snapshot = snapshot._replace(
                state=SnapshotState.COMPLETING, changed_blocks=changed, checksum=checksum
            )
            self._complete(snapshot, again=False)
        else:  # COMPLETING: CompleteSnapshot may have been sent before an interruption
            self._complete(snapshot, again=True)
        completed = False
        if wait:
            view = self.waiter.wait(snapshot, self.progress)
            snapshot = snapshot._replace(
                encrypted=view.encrypted, kms_key_arn=view.kms_key_id or snapshot.kms_key_arn
            )
            completed = True
        return self._outcome(snapshot, delivery, sent, completed)

    def _outcome(
        self, snapshot: DiskSnapshot, delivery: SnapshotDelivery, sent: int, completed: bool
    ) -> SnapshotOutcome:
        return SnapshotOutcome(
            snapshot.snapshot_id,
            snapshot.volume_size,
            bool(snapshot.encrypted),
            snapshot.kms_key_arn,
            delivery,
            sent,
            sent * BLOCK_SIZE,
            snapshot.changed_blocks,
            snapshot.checksum,
            completed,
        )

    # ---------------------------------------------------------------- starting

    def _call(self, operation: str, call: Callable[[], Any], snapshot_id: str | None) -> Any:
        """An EBS call with the outer policy, its refusals as the direct road's errors."""
        try:
            return paced(call, pacing=self.settings.pacing, cancel=self.cancel, clock=self.clock)
        except ClientError as error:
            raise self._refusal(operation, error, snapshot_id) from None

    def _refusal(self, operation: str, error: ClientError, snapshot_id: str | None) -> Exception:
        code, said = error_code(error), _said(error)
        where = f"snapshot {snapshot_id}" if snapshot_id else "a snapshot"
        if code in _QUOTA:
            return SnapshotQuotaFull(
                f"{operation} of {where} for {self.name} was refused: {said}: the account's "
                "limit of snapshots or requests is reached; try again later",
                snapshot_id,
            )
        if code == _DENIED:
            reason = error.response.get("Reason")
            return SnapshotAccessDenied(
                f"{operation} of {where} for {self.name} was refused: {said}: the credentials "
                "may not use the EBS direct APIs (ebs:StartSnapshot, ebs:PutSnapshotBlock, "
                "ebs:CompleteSnapshot) or the KMS key",
                snapshot_id,
                str(reason) if reason else None,
            )
        if code == "ConflictException":
            return SnapshotConflict(
                f"{operation} for {self.name} was refused: {said}: ClientToken "
                f"{self.request.client_token} was used for a snapshot with other parameters",
                snapshot_id,
            )
        return error

    def _start(self, volume: int) -> DiskSnapshot:
        request = self.request
        params: dict[str, Any] = {
            "VolumeSize": volume,
            "ClientToken": request.client_token,
            "Timeout": self.settings.timeout_minutes,
        }
        if request.description:
            params["Description"] = request.description
        if request.tags:
            params["Tags"] = [{"Key": key, "Value": value} for key, value in request.tags]
        if request.encrypted or request.kms_key_arn:
            params["Encrypted"] = True
            if request.kms_key_arn:
                params["KmsKeyArn"] = request.kms_key_arn
        ebs = self.clients.ebs
        reply = self._call("StartSnapshot", lambda: ebs.start_snapshot(**params), None)
        self.fresh_until = self.clock() + SETTLING
        block_size = int(reply.get("BlockSize") or BLOCK_SIZE)
        if block_size != BLOCK_SIZE:
            raise UploadError(
                f"StartSnapshot answered a block size of {block_size} bytes, not {BLOCK_SIZE}"
            )
        sse = reply.get("SseType")
        encrypted: bool | None = None
        if reply.get("KmsKeyArn") or sse in ("sse-ebs", "sse-kms") or params.get("Encrypted"):
            encrypted = True
        elif sse == "none":
            encrypted = False
        status = str(reply.get("Status") or "pending")
        snapshot = DiskSnapshot(
            snapshot_id=str(reply["SnapshotId"]),
            client_token=request.client_token,
            volume_size=int(reply.get("VolumeSize") or volume),
            block_size=block_size,
            state=SnapshotState.COMPLETED if status == "completed" else SnapshotState.WRITING,
            encrypted=encrypted,
            kms_key_arn=reply.get("KmsKeyArn"),
            timeout_minutes=self.settings.timeout_minutes,
            started=datetime.datetime.now(datetime.UTC),
        )
        self.journal.snapshot_started(snapshot)
        if status == "error":
            raise self.waiter.expired(snapshot, _View("error", "", False, None))
        self.progress.note(f"started snapshot {snapshot.snapshot_id} for {self.name}")
        return snapshot

    def _resume(self, recorded: DiskSnapshot, volume: int) -> DiskSnapshot:
        snapshot_id = recorded.snapshot_id
        if recorded.state is SnapshotState.EXPIRED:
            raise SnapshotExpired(
                f"snapshot {snapshot_id} of {self.name} cannot be written any more: "
                f"{recorded.message or 'it expired'}; delete it and start again under a new "
                "ClientToken",
                snapshot_id,
            )
        if recorded.state is SnapshotState.COMPLETED:
            return recorded
        if recorded.volume_size != volume:
            raise UploadError(
                f"snapshot {snapshot_id} was started for a {recorded.volume_size} GiB disk, and "
                f"{self.name} is {volume} GiB: it is not the disk that snapshot was started for"
            )
        if recorded.state is SnapshotState.COMPLETING:
            return recorded
        started = recorded.started
        recent = (
            started is None
            or (datetime.datetime.now(datetime.UTC) - started).total_seconds() < SETTLING
        )
        view = self.waiter.describe(snapshot_id, settling=recent)
        if view is None or view.state == "error":
            raise self.waiter.expired(recorded, view)
        if view.state == "completed":
            self.journal.snapshot_completed(snapshot_id, view.encrypted, view.kms_key_id)
            return recorded._replace(state=SnapshotState.COMPLETED, encrypted=view.encrypted)
        self.progress.note(
            f"resuming snapshot {snapshot_id} of {self.name}: {recorded.written} blocks "
            "already written"
        )
        return recorded

    def _encryption(self, snapshot: DiskSnapshot) -> DiskSnapshot:
        """The snapshot with its encryption known (asked of EC2 when the reply did not say)."""
        if snapshot.encrypted is not None:
            return snapshot
        view = self.waiter.describe(snapshot.snapshot_id, settling=True)
        if view is None or view.state == "error":
            raise self.waiter.expired(snapshot, view)
        self.journal.snapshot_encryption(snapshot.snapshot_id, view.encrypted, view.kms_key_id)
        return snapshot._replace(
            encrypted=view.encrypted, kms_key_arn=view.kms_key_id or snapshot.kms_key_arn
        )

    # ---------------------------------------------------------------- writing

    def _recorded(self, snapshot: DiskSnapshot) -> Iterator[WrittenBlock]:
        """The journal's blocks of the snapshot, in index order, page by page."""
        after = -1
        while True:
            page = self.journal.written_blocks(snapshot.snapshot_id, after, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].index

    def _written(self, snapshot: DiskSnapshot, volume_blocks: int) -> bytearray:
        """A bitmap of the blocks already written (one bit per block of the volume)."""
        bits = bytearray(volume_blocks // 8 + 1)
        for block in self._recorded(snapshot):
            if 0 <= block.index < volume_blocks:
                bits[block.index >> 3] |= 1 << (block.index & 7)
        return bits

    def _blocks(self, plan: BlockPlan, written: bytearray, zero_fill: bool) -> Iterator[Block]:
        """The blocks not written yet, ascending: the plan's read from the disk, and with
        ``zero_fill`` every other block of the volume as ``ZERO_BLOCK`` (never read)."""

        def missing(indexes: range) -> Iterator[int]:
            return (i for i in indexes if not written[i >> 3] & (1 << (i & 7)))

        position = 0
        for run in plan.runs:
            if zero_fill:
                yield from (Block(i, ZERO_BLOCK) for i in missing(range(position, run.start)))
            yield from read_blocks(self.disk, missing(run))
            position = run.stop
        if zero_fill:
            tail = range(position, plan.volume_blocks)
            yield from (Block(i, ZERO_BLOCK) for i in missing(tail))

    def _write(self, snapshot: DiskSnapshot, delivery: SnapshotDelivery) -> int:
        """Every block still to write, sent; answers how many were acknowledged."""
        plan = plan_blocks(self.disk)
        zero_fill = bool(snapshot.encrypted)
        written = self._written(snapshot, plan.volume_blocks)
        if zero_fill:  # every block of the volume: the written ones are all of them
            total, done = plan.volume_blocks, int.from_bytes(written, "little").bit_count()
        else:
            total = plan.block_count
            done = sum(1 for i in plan.indexes() if written[i >> 3] & (1 << (i & 7)))
        kind = "encrypted " if zero_fill else ""
        if delivery is SnapshotDelivery.RESUMED and done:
            self.progress.note(f"{done} of {total} blocks of {self.name} already written")
        self.progress.begin(
            f"writing {self.name} to {kind}snapshot {snapshot.snapshot_id}",
            total * BLOCK_SIZE,
            done * BLOCK_SIZE,
        )
        ended = False
        try:
            sender = _Sender(self, snapshot, total, done)
            sent = sender.send(self._blocks(plan, written, zero_fill), total - done)
            ended = True
            self.progress.end(f"wrote {self.name} to snapshot {snapshot.snapshot_id}")
        finally:
            if not ended:
                self.progress.end(f"writing {self.name} to snapshot {snapshot.snapshot_id} stopped")
        return sent

    def retry_put(self, error: BaseException, lasted: float) -> bool:
        """Whether a failed PutSnapshotBlock is tried again: transient, or a snapshot just
        started that EBS does not know yet."""
        if error_code(error) == _NOT_FOUND:
            return self.clock() < self.fresh_until
        return is_transient(error)

    def put(
        self, snapshot_id: str, block: Block, digest: bytes, percent: int, stop: threading.Event
    ) -> None:
        """One PutSnapshotBlock (called from a sender thread)."""
        checksum = b64(digest)
        ebs = self.clients.ebs
        reply = paced(
            lambda: ebs.put_snapshot_block(
                SnapshotId=snapshot_id,
                BlockIndex=block.index,
                BlockData=block.data,
                DataLength=BLOCK_SIZE,
                Checksum=checksum,
                ChecksumAlgorithm="SHA256",
                Progress=percent,
            ),
            pacing=self.settings.pacing,
            cancel=stop,
            retry=self.retry_put,
            clock=self.clock,
        )
        answered = reply.get("Checksum")
        if answered and answered != checksum:
            raise _Damaged(f"EBS computed the checksum {answered}, not {checksum}")

    def failure(
        self, snapshot: DiskSnapshot, error: BaseException, block: int, digest: bytes | None
    ) -> BaseException:
        """What a sender's or the reader's error becomes."""
        if isinstance(error, Stopped):
            return UploadCancelled(f"writing {self.name} to an EBS snapshot stopped")
        if isinstance(error, OSError | DiskImageError):
            return UploadError(f"cannot read {self.name}: {error}")
        code = error_code(error)
        if isinstance(error, ClientError) and code in (_INVALID, _NOT_FOUND):
            view = self.waiter.describe(snapshot.snapshot_id)
            if view is None or view.state == "error":
                return self.waiter.expired(snapshot, view)
            if code == _INVALID and digest is not None:
                return self._refused(snapshot, block, digest, _said(error))
        if isinstance(error, _Damaged) and digest is not None:
            return self._refused(snapshot, block, digest, str(error))
        if isinstance(error, ClientError):
            return self._refusal("PutSnapshotBlock", error, snapshot.snapshot_id)
        return error

    def _refused(self, snapshot: DiskSnapshot, index: int, digest: bytes, said: str) -> Exception:
        """EBS refused block ``index`` sent with ``digest``: the disk changed when it no longer
        holds those bytes, else they were damaged on their way."""
        (now,) = read_blocks(self.disk, [index])
        if sha256(now.data) != digest:
            return FileChanged(
                f"{self.name} changed while it was written to snapshot {snapshot.snapshot_id}: "
                f"block {index} no longer holds the bytes sent (EBS: {said}); run again once "
                "the disk is final"
            )
        return BlockRefused(
            f"EBS refused block {index} of {self.name} ({said}) although the disk still holds "
            "the bytes hashed: they were damaged on their way; run again to resume",
            snapshot.snapshot_id,
        )

    # ---------------------------------------------------------------- completing

    def _aggregate(self, snapshot: DiskSnapshot) -> tuple[int, str]:
        """ChangedBlocksCount and the LINEAR checksum, from every recorded block."""
        count = 0

        def digests() -> Iterator[bytes]:
            nonlocal count
            for block in self._recorded(snapshot):
                count += 1
                yield block.sha256

        checksum = linear_checksum(digests())
        return count, checksum

    def _complete(self, snapshot: DiskSnapshot, *, again: bool) -> None:
        """CompleteSnapshot with the recorded count and checksum.  ``again``: an earlier run
        may have sent it already, so a refusal while the snapshot is pending is that."""
        count, checksum = snapshot.changed_blocks, snapshot.checksum
        assert count is not None and checksum is not None
        snapshot_id = snapshot.snapshot_id
        ebs = self.clients.ebs
        try:
            reply = paced(
                lambda: ebs.complete_snapshot(
                    SnapshotId=snapshot_id,
                    ChangedBlocksCount=count,
                    Checksum=checksum,
                    ChecksumAlgorithm="SHA256",
                    ChecksumAggregationMethod="LINEAR",
                ),
                pacing=self.settings.pacing,
                cancel=self.cancel,
                clock=self.clock,
            )
        except ClientError as error:
            if error_code(error) not in (_INVALID, _NOT_FOUND):
                raise self._refusal("CompleteSnapshot", error, snapshot_id) from None
            view = self.waiter.describe(snapshot_id)
            if view is None or view.state == "error":
                raise self.waiter.expired(snapshot, view) from None
            if view.state == "completed" or again:
                return
            self.journal.snapshot_expired(snapshot_id, f"CompleteSnapshot refused: {_said(error)}")
            raise SnapshotFailed(
                f"EBS refused to complete snapshot {snapshot_id} of {self.name} with "
                f"{snapshot.changed_blocks} blocks and the checksum {snapshot.checksum} "
                f"({_said(error)}): it does not hold the blocks recorded; delete it and start "
                "again under a new ClientToken",
                snapshot_id,
            ) from None
        if reply.get("Status") == "error":
            self.journal.snapshot_expired(snapshot_id, "CompleteSnapshot answered error")
            raise SnapshotFailed(
                f"snapshot {snapshot_id} of {self.name} failed at completion; delete it and "
                "start again under a new ClientToken",
                snapshot_id,
            )
        self.progress.note(
            f"completing snapshot {snapshot_id} of {self.name} ({snapshot.changed_blocks} blocks)"
        )


class _Damaged(Exception):
    """EBS acknowledged a block with another checksum than the one sent."""


class _Sender:
    """The blocks to write: one reader thread, a bounded queue, a pool of sender threads, and
    the coordinator (the calling thread) committing what EBS acknowledged in batches.

    The senders leave their results on a deque that the coordinator empties ten times a
    second (woken at once for an error or a thread's end), not on a queue that wakes it for
    each: at some 2,000 blocks per GiB, a wake-up per result cost a thread switch and a wait
    for the interpreter's lock each, which a write on two cores paid in CPU time
    (docs/performance.md, "The direct road").  The reading stays in a thread of its own, ahead
    of the senders: a container's reader (qcow2's tables, a VMDK's grains) then works while
    they send, and every read buffer is the one thread's, which keeps the allocator's memory
    as small as the queue.

    Daemon threads, not ``concurrent.futures`` (whose workers the interpreter waits for at
    exit): a Ctrl-C ends the process even while a request waits for a reply.
    """

    def __init__(self, writer: _Writer, snapshot: DiskSnapshot, total: int, done: int) -> None:
        self.writer = writer
        self.snapshot = snapshot
        self.total = max(1, total)
        self.done = done
        self.stop = threading.Event()
        self.threads = max(1, min(writer.settings.concurrency, writer.clients.concurrency))
        self.work: queue.Queue[Block | None] = queue.Queue(maxsize=self.threads)
        #: (block index, -2 for a read error or -1 for "this thread is done", digest, error)
        self.results: collections.deque[tuple[int, bytes | None, BaseException | None]] = (
            collections.deque()
        )
        #: set when the coordinator should look now (an error, a thread's end)
        self.wake = threading.Event()

    def _stopping(self) -> bool:
        """Whether to stop: an error, or the caller's cancel (each thread looks before its
        next block, so a cancel stops them within the block each is sending)."""
        return self.stop.is_set() or self.writer.cancel.is_set()

    def _report(self, index: int, digest: bytes | None, error: BaseException | None) -> None:
        self.results.append((index, digest, error))
        if error is not None:
            self.stop.set()
            self.wake.set()

    def _ended(self) -> None:
        self.results.append((-1, None, None))
        self.wake.set()

    def _offer(self, item: Block | None) -> bool:
        while not self._stopping():
            try:
                self.work.put(item, timeout=_TICK)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, blocks: Iterator[Block], workers: int) -> None:
        progress = self.writer.progress
        try:
            for block in blocks:
                if self._stopping():
                    return
                if block.zero and not self.snapshot.encrypted:
                    progress.advance(BLOCK_SIZE)  # nothing to write
                    continue
                if not self._offer(block):
                    return
            for _ in range(workers):
                if not self._offer(None):
                    return
        except BaseException as error:  # reported to the coordinator
            self._report(-2, None, error)
        finally:
            self._ended()

    def _send(self) -> None:
        writer, snapshot_id = self.writer, self.snapshot.snapshot_id
        try:
            while not self._stopping():
                try:
                    block = self.work.get(timeout=_TICK)
                except queue.Empty:
                    continue
                if block is None:
                    return
                digest = ZERO_SHA256 if block.zero else sha256(block.data)
                percent = min(100, 100 * self.done // self.total)
                try:
                    writer.put(snapshot_id, block, digest, percent, self.stop)
                except BaseException as error:  # reported to the coordinator
                    self._report(block.index, digest, error)
                    return
                self._report(block.index, digest, None)
        finally:
            self._ended()

    def _taken(self) -> list[tuple[int, bytes | None, BaseException | None]]:
        """Every result the senders left so far."""
        taken = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self.results.popleft())
        return taken

    def send(self, blocks: Iterator[Block], missing: int) -> int:
        if missing <= 0:
            return 0
        workers = min(self.threads, missing)
        threads = [
            threading.Thread(target=self._send, name=f"snapshot block {i}", daemon=True)
            for i in range(workers)
        ]
        threads.append(
            threading.Thread(
                target=self._read, args=(blocks, workers), name="snapshot reader", daemon=True
            )
        )
        for thread in threads:
            thread.start()
        writer = self.writer
        settings = writer.settings
        pending: list[WrittenBlock] = []
        #: results taken off the deque and not handled yet (an interruption keeps them)
        inbox: collections.deque[tuple[int, bytes | None, BaseException | None]] = (
            collections.deque()
        )
        sent = 0
        failure: tuple[BaseException, int, bytes | None] | None = None
        running = len(threads)
        last_commit = writer.clock()
        try:
            while running:
                if writer.cancel.is_set() and failure is None:
                    self.stop.set()
                    failure = (Stopped(), -1, None)
                if self.wake.wait(_TICK):
                    self.wake.clear()
                inbox.extend(self._taken())
                acknowledged = 0
                while inbox:
                    index, digest, error = inbox[0]
                    if index == -1:
                        running -= 1
                    elif error is not None:
                        if failure is None or isinstance(failure[0], Stopped):
                            failure = (error, index, digest)
                    elif digest is not None:
                        pending.append(WrittenBlock(index, digest))
                        acknowledged += 1
                    inbox.popleft()
                sent += acknowledged
                self.done += acknowledged
                if acknowledged:
                    writer.progress.advance(acknowledged * BLOCK_SIZE)
                due = writer.clock() - last_commit >= settings.batch_seconds
                if len(pending) >= settings.batch_blocks or (pending and due):
                    writer.journal.blocks_written(self.snapshot.snapshot_id, pending)
                    pending = []
                    last_commit = writer.clock()
            writer.journal.blocks_written(self.snapshot.snapshot_id, pending)
            if failure is None and sent < missing and writer.cancel.is_set():
                failure = (Stopped(), -1, None)
        except BaseException:
            self.stop.set()
            for thread in threads:
                thread.join(_JOIN)
            taken = [*inbox, *self._taken()]
            late = [WrittenBlock(i, d) for i, d, e in taken if i >= 0 and d and not e]
            known = {block.index for block in pending}
            late = [block for block in late if block.index not in known]
            with contextlib.suppress(Exception):
                writer.journal.blocks_written(self.snapshot.snapshot_id, [*pending, *late])
            raise
        if failure is not None:
            error, index, digest = failure
            raise writer.failure(self.snapshot, error, index, digest)
        return sent
