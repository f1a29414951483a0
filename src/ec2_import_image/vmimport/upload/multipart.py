"""One local file to one S3 object: look first, resume what was started, send the rest, verify.

The steps, each recorded in the state database (``Journal``) before the next:

1. **Look** (``HeadObject``): an object at the key with the same ``sha256``
   metadata and size is the disk already uploaded: nothing is sent.  An object
   that is not this disk is replaced only when this tool uploaded it (the
   journal says so); otherwise the upload stops (``ObjectConflict``).
2. **Resume** the multipart upload the journal remembers for this key and
   content: ``ListParts`` (paginated) says what S3 has; a part counts as sent
   when its size is right and its ETag and checksum agree with the journal,
   or, for a part sent just before a ``kill -9`` and never recorded, when the
   local file's CRC32 (or MD5, a plain part's ETag) of that range agrees with
   what S3 lists.  An upload id S3 no longer knows starts over.
3. **Create** otherwise: ``CreateMultipartUpload`` with the SHA-256 in the
   object's metadata and ``ChecksumAlgorithm=CRC32``.  An endpoint that refuses
   transport checksums (``NotImplemented``, ``InvalidArgument``,
   ``InvalidRequest``, on the create or on a part) gets the upload again
   without them; one that ignores them (no algorithm in its reply) gets parts
   without them.
4. **Send** the missing parts from a bounded pool of threads, each part
   streamed from the file (``slices.FileSlice``): memory does not grow with
   the file.  Each acknowledged part is committed to the journal by the
   coordinating thread (the one that called ``upload_file``).
5. **Complete** (the part checksums included), then **verify**: ``HeadObject``
   gives the size and the ``sha256`` metadata, and the file's ``stat`` must
   not have changed since it was hashed (else the object, which may hold a
   mix of old and new bytes, is deleted and the upload refused).

Why botocore and not s3transfer (measured: docs/performance.md, "Uploads").
s3transfer's ``upload_file`` cannot continue an existing upload id: it always
creates a new multipart upload, and on any failure, Ctrl-C included, its
clean-up aborts the upload, throwing away every part sent.  Resuming is the
point here, so the parts are sent with botocore directly, in the same way
s3transfer sends them (one ``UploadPart`` per part from a thread pool, the
body streamed, botocore's checksums and retries).  Nothing is lost for it: to
the loopback stub, a 1 GiB upload takes about 0.8 of ``upload_file``'s time
(32 MiB parts against s3transfer's 8 MiB; the same part size gives the same
time within the noise), in the same memory, flat from 1 GiB to 4 GiB.

Interruption.  Ctrl-C (``KeyboardInterrupt`` in the calling thread), an
error or the caller's ``cancel`` event set an internal event; the part being
read by each worker stops at its next block (``Cancelled``, which botocore
does not retry), the parts S3 acknowledged meanwhile are committed, and the
exception goes on.  The upload id and its parts stay for a rerun.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ec2_import_image.vmimport.errors import from_aws
from ec2_import_image.vmimport.state.records import (
    DiskState,
    FileDigest,
    MultipartUpload,
    ObjectState,
    Part,
    StoredObject,
)
from ec2_import_image.vmimport.upload import parts as layout
from ec2_import_image.vmimport.upload.clients import ALGORITHM, S3Clients
from ec2_import_image.vmimport.upload.errors import (
    FileChanged,
    ObjectConflict,
    UploadCancelled,
    UploadError,
    VerificationFailed,
)
from ec2_import_image.vmimport.upload.hashing import identify
from ec2_import_image.vmimport.upload.progress import NullProgress, Progress
from ec2_import_image.vmimport.upload.slices import Cancelled, FileSlice

#: error codes of an endpoint that does not take S3's transport checksums
_CHECKSUM_REFUSALS = frozenset({"NotImplemented", "InvalidArgument", "InvalidRequest"})
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
#: seconds the coordinator waits for a worker's result before checking ``cancel``
_POLL = 0.2
#: seconds an interrupted upload waits for its workers (each stops within one block)
_JOIN = 10.0


class UploadSettings(NamedTuple):
    """How to upload: threads (at most the clients' ``concurrency``), smallest part size,
    ListParts page size (None: S3's 1,000)."""

    concurrency: int = 8
    min_part_size: int = layout.DEFAULT_MIN_PART
    list_page_size: int | None = None


DEFAULT_SETTINGS = UploadSettings()


class ObjectTarget(NamedTuple):
    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class Action(StrEnum):
    FOUND = "found"  # already there: nothing sent
    UPLOADED = "uploaded"  # sent from the first part
    RESUMED = "resumed"  # an earlier upload continued


class UploadOutcome(NamedTuple):
    """What became of one file: where it is, what was sent, whether this tool owns the object."""

    target: ObjectTarget
    sha256: str
    size: int
    action: Action
    ours: bool
    parts_sent: int
    bytes_sent: int
    checksum_algorithm: str | None


class Journal(Protocol):
    """Where the upload records its steps (``state.DiskJournal``); each call commits."""

    def state(self) -> DiskState: ...
    def upload_started(self, upload: MultipartUpload) -> None: ...
    def parts_done(self, upload_id: str, parts: Sequence[Part]) -> None: ...
    def parts_missing(self, numbers: Iterable[int]) -> None: ...
    def upload_forgotten(self, reason: str) -> None: ...
    def object_stored(self, stored: StoredObject) -> None: ...
    def note(self, message: str) -> None: ...


class _Head(NamedTuple):
    size: int
    sha256: str | None
    etag: str


class _ChecksumsRefused(Exception):
    """A part was refused because it carried a transport checksum."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _refuses_checksums(error: BaseException) -> bool:
    return isinstance(error, ClientError) and (
        _code(error) in _CHECKSUM_REFUSALS
        or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501
    )


def upload_file(
    clients: S3Clients,
    journal: Journal,
    digest: FileDigest,
    target: ObjectTarget,
    *,
    settings: UploadSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> UploadOutcome:
    """Make ``target`` hold the file ``digest`` describes; see the module's steps."""
    if digest.size == 0:
        raise UploadError(f"{digest.path} is empty: there is nothing to import")
    job = _Upload(
        clients=clients,
        journal=journal,
        digest=digest,
        target=target,
        settings=settings,
        progress=progress or NullProgress(),
        cancel=cancel,
    )
    try:
        return job.run()
    except (BotoCoreError, ClientError) as error:
        known = from_aws(error)
        reason = known.message if known is not None else str(error)
        raise UploadError(
            f"the upload of {Path(digest.path).name} to {target.url} failed: {reason} "
            "(run again to resume)"
        ) from None
    except OSError as error:
        raise UploadError(f"cannot read {digest.path}: {error.strerror or error}") from None


class _Upload:
    def __init__(
        self,
        *,
        clients: S3Clients,
        journal: Journal,
        digest: FileDigest,
        target: ObjectTarget,
        settings: UploadSettings,
        progress: Progress,
        cancel: threading.Event | None,
    ) -> None:
        self.clients = clients
        self.journal = journal
        self.digest = digest
        self.target = target
        self.settings = settings
        self.progress = progress
        self.external_cancel = cancel
        self.name = Path(digest.path).name
        self.fd = -1

    @property
    def size(self) -> int:
        return self.digest.size

    @property
    def where(self) -> dict[str, str]:
        return {"Bucket": self.target.bucket, "Key": self.target.key}

    def run(self) -> UploadOutcome:
        state = self.journal.state()
        head = self._head()
        if head is not None:
            if head.size == self.size and head.sha256 == self.digest.sha256:
                return self._found(state, head)
            if not self._recorded_as_ours(state):
                raise ObjectConflict(
                    f"{self.target.url} already exists and is not {self.name} (its size or "
                    "sha256 metadata differ) and this tool did not upload it: delete it, or "
                    "choose another prefix"
                )
            self.progress.note(f"{self.target.url} holds an earlier upload: replacing it")
        upload = self._reusable(state.upload)
        self.fd = os.open(self.digest.path, os.O_RDONLY)
        try:
            try:
                return self._multipart(upload)
            except _ChecksumsRefused:
                current = self.journal.state().upload
                if current is not None:
                    self._abort(current)
                self.journal.upload_forgotten(
                    "the endpoint refused transport checksums: starting again without them"
                )
                self.clients.disable_checksums()
                return self._multipart(None)
        finally:
            os.close(self.fd)

    # --------------------------------------------------------------- looking

    def _head(self) -> _Head | None:
        try:
            reply = self.clients.plain.head_object(**self.where)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise
        metadata = {str(k).lower(): str(v) for k, v in reply.get("Metadata", {}).items()}
        return _Head(
            int(reply.get("ContentLength", 0)),
            metadata.get("sha256"),
            layout.normal_etag(reply.get("ETag")),
        )

    def _recorded_as_ours(self, state: DiskState) -> bool:
        stored = state.object
        return (
            stored is not None
            and stored.state is ObjectState.UPLOADED
            and (stored.bucket, stored.key) == self.target
        )

    def _found(self, state: DiskState, head: _Head) -> UploadOutcome:
        """The object is there: ours if the journal says so, or if it is the completion of
        the upload the journal remembers (a crash between completing and recording)."""
        ours = self._recorded_as_ours(state) and (
            state.object is not None and state.object.sha256 == self.digest.sha256
        )
        upload = state.upload
        if upload is not None:
            completed_here = (
                (upload.bucket, upload.key) == self.target
                and upload.sha256 == self.digest.sha256
                and head.etag.endswith(f"-{layout.part_count(self.size, upload.part_size)}")
            )
            ours = ours or completed_here
            if not completed_here:
                self._abort(upload)
        self._stored(ObjectState.UPLOADED if ours else ObjectState.FOUND)
        self.progress.note(
            f"{self.target.url} is already there (same SHA-256 and size): nothing to send"
        )
        return self._outcome(Action.FOUND, ours, 0, 0, None)

    def _stored(self, state: ObjectState) -> None:
        self.journal.object_stored(
            StoredObject(self.target.bucket, self.target.key, self.size, self.digest.sha256, state)
        )

    def _reusable(self, upload: MultipartUpload | None) -> MultipartUpload | None:
        """The journal's upload, when it is for this key and content; else abort and forget it."""
        if upload is None:
            return None
        if (
            (upload.bucket, upload.key) == self.target
            and upload.sha256 == self.digest.sha256
            and layout.S3_MIN_PART <= upload.part_size <= layout.S3_MAX_PART
            and layout.part_count(self.size, upload.part_size) <= layout.S3_MAX_PARTS
        ):
            return upload
        self._abort(upload)
        self.journal.upload_forgotten(
            f"upload {upload.upload_id} to s3://{upload.bucket}/{upload.key} was for other "
            "content: aborted"
        )
        return None

    def _abort(self, upload: MultipartUpload) -> None:
        """Abort an upload of this tool, best effort (a bucket lifecycle rule cleans up)."""
        with contextlib.suppress(ClientError, BotoCoreError):
            self.clients.plain.abort_multipart_upload(
                Bucket=upload.bucket, Key=upload.key, UploadId=upload.upload_id
            )

    # -------------------------------------------------------------- uploading

    def _multipart(self, upload: MultipartUpload | None) -> UploadOutcome:
        have: dict[int, Part] = {}
        action = Action.UPLOADED
        if upload is not None:
            listed = self._list_parts(upload)
            if listed is None:
                reason = f"S3 no longer knows upload {upload.upload_id}: starting over"
                self.journal.upload_forgotten(reason)
                self.progress.note(reason)
                upload = None
            else:
                have = self._reconcile(upload, listed)
                action = Action.RESUMED
        if upload is None:
            upload = self._create()
            self.journal.upload_started(upload)
        count = layout.part_count(self.size, upload.part_size)
        missing = [n for n in range(1, count + 1) if n not in have]
        if action is Action.RESUMED:
            self.progress.note(
                f"resuming the upload of {self.name}: {len(have)} of {count} parts already on S3"
            )
        done = sum(part.size for part in have.values())
        self.progress.begin(f"uploading {self.name}", self.size, done)
        ended = False
        try:
            sent = _Sender(self, upload).send(missing)
            have.update(sent)
            self._complete(upload, have)
            self._verify()
            ended = True
            self.progress.end(f"uploaded {self.name} to {self.target.url}")
        finally:
            if not ended:
                self.progress.end(f"the upload of {self.name} stopped")
        self._stored(ObjectState.UPLOADED)
        return self._outcome(
            action,
            True,
            len(sent),
            sum(part.size for part in sent.values()),
            upload.checksum_algorithm,
        )

    def _create(self) -> MultipartUpload:
        part_size = layout.part_size_for(self.size, self.settings.min_part_size)
        metadata = {"sha256": self.digest.sha256}
        if self.clients.checksums:
            try:
                reply = self.clients.checksummed.create_multipart_upload(
                    **self.where, Metadata=metadata, ChecksumAlgorithm=ALGORITHM
                )
            except ClientError as error:
                if not _refuses_checksums(error):
                    raise
                self.clients.disable_checksums()
                self.progress.note("the endpoint refused transport checksums: sending without")
            else:
                return self._created(reply, part_size, reply.get("ChecksumAlgorithm") or None)
        reply = self.clients.plain.create_multipart_upload(**self.where, Metadata=metadata)
        return self._created(reply, part_size, None)

    def _created(
        self, reply: dict[str, Any], part_size: int, algorithm: str | None
    ) -> MultipartUpload:
        return MultipartUpload(
            upload_id=str(reply["UploadId"]),
            bucket=self.target.bucket,
            key=self.target.key,
            sha256=self.digest.sha256,
            part_size=part_size,
            checksum_algorithm=algorithm,
        )

    def _list_parts(self, upload: MultipartUpload) -> dict[int, Part] | None:
        """The parts S3 has for the upload (None when it no longer knows the upload id)."""
        pages = self.clients.plain.get_paginator("list_parts").paginate(
            **self.where,
            UploadId=upload.upload_id,
            PaginationConfig=(
                {"PageSize": self.settings.list_page_size} if self.settings.list_page_size else {}
            ),
        )
        listed: dict[int, Part] = {}
        try:
            for page in pages:
                for item in page.get("Parts", []):
                    number = int(item["PartNumber"])
                    listed[number] = Part(
                        number,
                        int(item["Size"]),
                        layout.normal_etag(item.get("ETag")),
                        item.get(f"Checksum{ALGORITHM}"),
                    )
        except ClientError as error:
            if _code(error) == "NoSuchUpload":
                return None
            raise
        return listed

    def _reconcile(self, upload: MultipartUpload, listed: dict[int, Part]) -> dict[int, Part]:
        """The parts S3 has that are this file's; the journal brought in line with them."""
        recorded = {part.number: part for part in upload.parts}
        count = layout.part_count(self.size, upload.part_size)
        have: dict[int, Part] = {}
        learned: list[Part] = []
        for number in range(1, count + 1):
            on_s3 = listed.get(number)
            where = layout.part_range(number, self.size, upload.part_size)
            if on_s3 is None or on_s3.size != where.length:
                continue
            mine = recorded.get(number)
            part = self._agreeing(upload, where, on_s3, mine)
            if part is None:
                continue
            have[number] = part
            if part != mine:
                learned.append(part)
        stale = [number for number in recorded if number not in have]
        if stale:
            self.journal.parts_missing(stale)
        if learned:
            self.journal.parts_done(upload.upload_id, learned)
        return have

    def _agreeing(
        self,
        upload: MultipartUpload,
        where: layout.PartRange,
        on_s3: Part,
        mine: Part | None,
    ) -> Part | None:
        """S3's part when it is this file's range, with its checksum; None to send it again."""
        checksum = on_s3.checksum
        if mine is not None:
            if mine.etag != on_s3.etag or (
                mine.checksum and on_s3.checksum and mine.checksum != on_s3.checksum
            ):
                return None
            checksum = checksum or mine.checksum
            if checksum or not upload.checksum_algorithm:
                return Part(on_s3.number, on_s3.size, on_s3.etag, checksum)
        local = layout.local_digests(self.fd, where)
        if mine is None:
            agrees = (
                local.crc32 == on_s3.checksum
                if on_s3.checksum
                else bool(_MD5_ETAG.fullmatch(on_s3.etag)) and local.md5 == on_s3.etag
            )
            if not agrees:
                return None
        if upload.checksum_algorithm and not checksum:
            checksum = local.crc32
        return Part(on_s3.number, on_s3.size, on_s3.etag, checksum)

    def send_part(
        self,
        upload: MultipartUpload,
        number: int,
        on_progress: Any,
        cancel: threading.Event,
    ) -> Part:
        """One UploadPart, the body streamed from the file (called from a worker thread)."""
        where = layout.part_range(number, self.size, upload.part_size)
        body = FileSlice(
            self.fd, where.offset, where.length, on_progress=on_progress, cancel=cancel
        )
        extra = {"ChecksumAlgorithm": ALGORITHM} if upload.checksum_algorithm else {}
        reply = self.clients.for_algorithm(upload.checksum_algorithm).upload_part(
            **self.where,
            UploadId=upload.upload_id,
            PartNumber=number,
            Body=body,
            ContentLength=where.length,
            **extra,
        )
        return Part(
            number,
            where.length,
            layout.normal_etag(reply.get("ETag")),
            reply.get(f"Checksum{ALGORITHM}") if upload.checksum_algorithm else None,
        )

    def _complete(self, upload: MultipartUpload, have: dict[int, Part]) -> None:
        listed = []
        for number in sorted(have):
            part = have[number]
            item: dict[str, Any] = {"PartNumber": number, "ETag": f'"{part.etag}"'}
            if upload.checksum_algorithm and part.checksum:
                item[f"Checksum{ALGORITHM}"] = part.checksum
            listed.append(item)
        try:
            self.clients.plain.complete_multipart_upload(
                **self.where, UploadId=upload.upload_id, MultipartUpload={"Parts": listed}
            )
        except ClientError as error:
            if _code(error) != "NoSuchUpload":
                raise
            head = self._head()
            if head is None or head.sha256 != self.digest.sha256 or head.size != self.size:
                self.journal.upload_forgotten(f"S3 no longer knows upload {upload.upload_id}")
                raise UploadError(
                    f"S3 forgot the upload of {self.name} to {self.target.url} before it was "
                    "completed: run again to upload it anew"
                ) from None

    def _verify(self) -> None:
        head = self._head()
        if head is None or head.size != self.size or head.sha256 != self.digest.sha256:
            found = "nothing" if head is None else f"{head.size} bytes, sha256 {head.sha256}"
            raise VerificationFailed(
                f"{self.target.url} is not what was sent: {found} instead of {self.size} "
                f"bytes, sha256 {self.digest.sha256}"
            )
        if identify(self.digest.path) != self.digest.identity:
            with contextlib.suppress(ClientError, BotoCoreError):
                self.clients.plain.delete_object(**self.where)
            self.journal.upload_forgotten(f"{self.name} changed during the upload")
            raise FileChanged(
                f"{self.digest.path} changed while it was uploaded: the object was deleted; "
                "run again once the file is final"
            )

    def _outcome(
        self, action: Action, ours: bool, parts: int, sent: int, algorithm: str | None
    ) -> UploadOutcome:
        return UploadOutcome(
            self.target, self.digest.sha256, self.size, action, ours, parts, sent, algorithm
        )


class _Sender:
    """The missing parts, sent by a bounded pool of daemon threads.

    Daemon threads, not ``concurrent.futures`` (whose workers the interpreter
    waits for at exit): a Ctrl-C ends the process even while a request waits
    for a reply that will not come.
    """

    def __init__(self, job: _Upload, upload: MultipartUpload) -> None:
        self.job = job
        self.upload = upload
        self.cancel = threading.Event()
        self.jobs: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[tuple[int, Part | None, BaseException | None]] = (
            queue.SimpleQueue()
        )

    def _work(self) -> None:
        try:
            while not self.cancel.is_set():
                number = self.jobs.get()
                if number is None or self.cancel.is_set():
                    return
                try:
                    part = self.job.send_part(
                        self.upload, number, self.job.progress.advance, self.cancel
                    )
                except BaseException as error:  # reported to the coordinator
                    self.results.put((number, None, error))
                    self.cancel.set()
                    return
                self.results.put((number, part, None))
        finally:
            self.results.put((0, None, None))  # this worker is done

    def send(self, missing: Sequence[int]) -> dict[int, Part]:
        if not missing:
            return {}
        for number in missing:
            self.jobs.put(number)
        # no more threads than the clients' connection pool serves
        threads = min(self.job.settings.concurrency, self.job.clients.concurrency)
        count = max(1, min(threads, len(missing)))
        workers = [
            threading.Thread(target=self._work, name=f"upload part {i}", daemon=True)
            for i in range(count)
        ]
        for _ in workers:
            self.jobs.put(None)
        for worker in workers:
            worker.start()
        sent: dict[int, Part] = {}
        failure: BaseException | None = None
        running = count
        try:
            while running:
                if self.job.external_cancel is not None and self.job.external_cancel.is_set():
                    self.cancel.set()
                    failure = failure or UploadCancelled(f"the upload of {self.job.name} stopped")
                ready = self._ready()
                for number, part, error in ready:
                    if number == 0:
                        running -= 1
                    elif error is not None and failure is None:
                        failure = error
                    elif part is not None:
                        sent[number] = part
                self._record([r[1] for r in ready if r[1] is not None])
        except BaseException:
            self.cancel.set()
            for worker in workers:
                worker.join(_JOIN)
            self._record([part for number, part, _ in self._drain() if number and part is not None])
            raise
        if failure is not None:
            raise self._failure(failure)
        return sent

    def _ready(self) -> list[tuple[int, Part | None, BaseException | None]]:
        try:
            first = self.results.get(timeout=_POLL)
        except queue.Empty:
            return []
        return [first, *self._drain()]

    def _drain(self) -> list[tuple[int, Part | None, BaseException | None]]:
        ready = []
        with contextlib.suppress(queue.Empty):
            while True:
                ready.append(self.results.get_nowait())
        return ready

    def _record(self, parts: list[Part]) -> None:
        if parts:
            self.job.journal.parts_done(self.upload.upload_id, parts)

    def _failure(self, error: BaseException) -> BaseException:
        """What a worker's error becomes (botocore's are worded by ``upload_file``)."""
        if self.upload.checksum_algorithm and _refuses_checksums(error):
            return _ChecksumsRefused()
        if isinstance(error, Cancelled):
            return UploadCancelled(f"the upload of {self.job.name} stopped")
        if isinstance(error, OSError):
            return UploadError(f"cannot read {self.job.digest.path}: {error}")
        return error
