"""One local file to one S3 object: look first, resume what was started, send the rest, verify.

The steps, each recorded in the state database (``Journal``) before the next:

1. **Look** (``HeadObject``): an object at the key with the same ``sha256``
   metadata and size is the disk already uploaded: nothing is sent.  An object
   that is not this disk is replaced only when this tool uploaded it (the
   journal says so); otherwise the upload stops (``ObjectConflict``).
2. **Resume** the multipart upload the journal remembers for this key, content
   and part layout: ``ListParts`` (paginated) says what S3 has; a part counts as
   sent when its size is right, its ETag agrees with the journal's, and its
   checksum is the one the hash pass computed for it (see "The object holds
   what it names" below).  An upload id S3 no longer knows starts over.
3. **Create** otherwise: ``CreateMultipartUpload`` with the SHA-256 in the
   object's metadata and ``ChecksumAlgorithm=SHA256``.  An endpoint that
   refuses transport checksums (``NotImplemented``, ``InvalidArgument``,
   ``InvalidRequest``, on the create or on a part) gets the upload again
   without them; one that ignores them (no algorithm in its reply) gets parts
   without them.
4. **Send** the missing parts from a bounded pool of threads, each part
   streamed from the file (``slices.FileSlice``): memory does not grow with
   the file.  Each acknowledged part is committed to the journal by the
   coordinating thread (the one that called ``upload_file``).
5. **Complete** (the part checksums included), then **verify**: the checksum
   S3 gives the object must be the one of the hashed parts; ``HeadObject``
   gives the size and the ``sha256`` metadata; and the file's ``stat`` must not
   have changed since it was hashed (else the object is deleted and the upload
   refused: the file is still being written).

A span of the file (``FileDigest.span``: an OVA's member, for the roads that
import the disk inside it) is uploaded as the object, each part read from the
span's offset on: the archive is never copied to a temporary file.

The object holds what it names.  The ``sha256`` metadata (and the import's
``vmimport:sha256`` tag) is the hash pass's; the bytes are read again as each
part is sent, seconds or days later (a resumed upload).  So each part carries
the SHA-256 the hash pass computed for it (``ChecksumSHA256``, given to
botocore, which then computes none of its own) and S3 refuses a part whose
bytes differ (``BadDigest``: "The SHA256 you specified did not match the
calculated checksum", https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html);
a resumed part counts only when ``ListParts`` lists that same SHA-256, and
``CompleteMultipartUpload`` names each part's.  A refused part means the file
changed since it was hashed: the upload stops (``FileChanged``, naming the
file), the multipart upload is aborted (its parts are of other content, it is
never completed), the hash is forgotten, and a rerun hashes the new content.
Two kinds of upload cannot carry the hash pass's SHA-256, and each part is read
once more before it is sent and its SHA-256 compared with the hash pass's:

- an upload an earlier ``vmimport`` created with ``CRC32`` keeps its algorithm
  (S3 takes one per upload): each part is sent with the CRC32 of the bytes just
  read and checked, and a resumed part counts when that CRC32 is the one
  ``ListParts`` lists;
- on an endpoint that refuses transport checksums, each part is sent with the
  ``Content-MD5`` of the bytes just read and checked (an S3-compatible endpoint
  refuses a body that does not match it) and its ETag, when it is an MD5, must
  be that MD5; a resumed part counts when its ETag is.  What remains unchecked
  there: an endpoint that ignores ``Content-MD5`` and gives ETags that are not
  MD5s (SSE-KMS) could keep bytes changed between that read and the send; the
  final ``stat`` comparison still catches a change a writer leaves in ``stat``.

A file whose timestamps had settled before its upload was created, and every
part of which S3 checked against its SHA-256, has a hash worth reusing even
when the hash pass was too close to its last change to tell
(``hashing.RACY_SECONDS``): it is recorded for reuse then.

Why botocore and not s3transfer (measured: docs/performance.md, "Uploads").
s3transfer's ``upload_file`` cannot continue an existing upload id: it always
creates a new multipart upload, and on any failure, Ctrl-C included, its
clean-up aborts the upload, throwing away every part sent.  Resuming is the
point here, so the parts are sent with botocore directly, in the same way
s3transfer sends them (one ``UploadPart`` per part from a thread pool, the
body streamed, botocore's retries).  Nothing is lost for it: to the loopback
stub, a 1 GiB upload takes about 0.8 of ``upload_file``'s time (32 MiB parts
against s3transfer's 8 MiB; the same part size gives the same time within the
noise), in the same memory, flat from 1 GiB to 4 GiB.

Interruption.  Ctrl-C (``KeyboardInterrupt`` in the calling thread), an
error or the caller's ``cancel`` event set an internal event; the part being
read by each worker stops at its next block (``Cancelled``, which botocore
does not retry), the parts S3 acknowledged meanwhile are committed, and the
exception goes on.  The upload id and its parts stay for a rerun.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, TypedDict, cast

from botocore.exceptions import BotoCoreError, ClientError

from ec2_import_image.awserrors import error_code, error_message, status_code
from ec2_import_image.vmimport import s3objects
from ec2_import_image.vmimport.errors import from_aws
from ec2_import_image.vmimport.state.records import (
    DiskState,
    FileDigest,
    MultipartUpload,
    ObjectState,
    Part,
    PartHashes,
    StoredObject,
)
from ec2_import_image.vmimport.upload import parts as layout
from ec2_import_image.vmimport.upload import results as waiting
from ec2_import_image.vmimport.upload.clients import ALGORITHM, LEGACY_ALGORITHM, S3Clients
from ec2_import_image.vmimport.upload.errors import (
    FileChanged,
    ObjectConflict,
    UploadCancelled,
    UploadError,
    VerificationFailed,
)
from ec2_import_image.vmimport.upload.hashing import identify, settled
from ec2_import_image.vmimport.upload.progress import NullProgress, Progress
from ec2_import_image.vmimport.upload.slices import Cancelled, FileSlice

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


class _Where(TypedDict):
    """The object an upload writes, as S3's operations name it."""

    Bucket: str
    Key: str


#: error codes of an endpoint that does not take S3's transport checksums
_CHECKSUM_REFUSALS = frozenset({"NotImplemented", "InvalidArgument", "InvalidRequest"})
#: S3's answer to a part whose bytes do not match the checksum (or Content-MD5) it carried
_BAD_DIGEST = frozenset({"BadDigest"})
#: the algorithms whose part checksums this tool can give (the hash pass's, or a CRC32)
_ALGORITHMS = frozenset({ALGORITHM, LEGACY_ALGORITHM})
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


class ObjectDelivery(StrEnum):
    """How a file's S3 object came to be there: what this run sent of it."""

    FOUND = "found"  # already there: nothing sent
    UPLOADED = "uploaded"  # sent from the first part
    RESUMED = "resumed"  # an earlier upload continued


class UploadOutcome(NamedTuple):
    """What became of one file: where it is, what was sent, whether this tool owns the object."""

    target: ObjectTarget
    sha256: str
    size: int
    delivery: ObjectDelivery
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
    def digest_confirmed(self, digest: FileDigest) -> None: ...
    def digest_wrong(self, path: str) -> None: ...


class _Head(NamedTuple):
    size: int
    sha256: str | None
    etag: str


class _ChecksumsRefused(Exception):
    """A part was refused because it carried a transport checksum."""


class _PartChanged(Exception):
    """A part's bytes are not the ones the hash pass read (S3 refused them, or they were read
    again locally): the file changed since it was hashed."""

    def __init__(self, number: int, how: str) -> None:
        super().__init__(f"part {number}: {how}")
        self.number = number
        self.how = how


def refuses_checksums(error: BaseException) -> bool:
    return isinstance(error, ClientError) and (
        error_code(error) in _CHECKSUM_REFUSALS or status_code(error) == 501
    )


def abort(clients: S3Clients, upload: MultipartUpload) -> None:
    """Abort an upload of this tool, best effort (a bucket lifecycle rule cleans up)."""
    with contextlib.suppress(ClientError, BotoCoreError):
        clients.plain.abort_multipart_upload(
            Bucket=upload.bucket, Key=upload.key, UploadId=upload.upload_id
        )


def list_parts(
    clients: S3Clients, upload: MultipartUpload, page_size: int | None = None
) -> dict[int, Part] | None:
    """The parts S3 has for the upload (None when it no longer knows the upload id), each
    with the checksum of the upload's algorithm when S3 lists one."""
    pages = clients.plain.get_paginator("list_parts").paginate(
        Bucket=upload.bucket,
        Key=upload.key,
        UploadId=upload.upload_id,
        PaginationConfig={"PageSize": page_size} if page_size else {},
    )
    algorithm = upload.checksum_algorithm
    listed: dict[int, Part] = {}
    try:
        for page in pages:
            for item in page.get("Parts", []):
                number = int(item["PartNumber"])
                checksum = item.get(f"Checksum{algorithm}") if algorithm else None
                listed[number] = Part(
                    number,
                    int(item["Size"]),
                    layout.normal_etag(item.get("ETag")),
                    None if checksum is None else str(checksum),
                )
    except ClientError as error:
        if error_code(error) == "NoSuchUpload":
            return None
        raise
    return listed


def upload_file(
    clients: S3Clients,
    journal: Journal,
    digest: FileDigest,
    target: ObjectTarget,
    *,
    settings: UploadSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> UploadOutcome:
    """Make ``target`` hold the file ``digest`` describes (its part hashes included: the hash
    pass's, ``hashing.sha256_file``); see the module's steps."""
    if digest.size == 0:
        raise UploadError(f"{digest.path} is empty: there is nothing to import")
    if digest.parts is None or not layout.fits(digest.size, digest.parts.part_size):
        raise ValueError(f"the digest of {digest.path} has no usable part hashes")
    job = _Upload(
        clients=clients,
        journal=journal,
        digest=digest,
        hashes=digest.parts,
        target=target,
        settings=settings,
        progress=progress or NullProgress(),
        cancel=cancel,
        clock=clock,
    )
    try:
        return job.run()
    except (BotoCoreError, ClientError) as error:
        known = from_aws(error)
        reason = known.message if known is not None else str(error)
        raise UploadError(
            f"the upload of {digest.name} to {target.url} failed: {reason} (run again to resume)"
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
        hashes: PartHashes,
        target: ObjectTarget,
        settings: UploadSettings,
        progress: Progress,
        cancel: threading.Event | None,
        clock: Callable[[], float],
    ) -> None:
        self.clients = clients
        self.journal = journal
        self.digest = digest
        self.hashes = hashes
        self.clock = clock
        self.target = target
        self.settings = settings
        self.progress = progress
        self.external_cancel = cancel
        self.name = digest.name
        self.fd = -1

    @property
    def size(self) -> int:
        return self.digest.size

    @property
    def where(self) -> _Where:
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
        found = s3objects.head(self.clients.plain, self.target.bucket, self.target.key)
        if found is None:
            return None
        return _Head(found.size, found.sha256, layout.normal_etag(found.etag))

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
        return self._outcome(ObjectDelivery.FOUND, ours, 0, 0, None)

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
            and upload.part_size == self.hashes.part_size
            and (upload.checksum_algorithm is None or upload.checksum_algorithm in _ALGORITHMS)
        ):
            return upload
        self._abort(upload)
        self.journal.upload_forgotten(
            f"upload {upload.upload_id} to s3://{upload.bucket}/{upload.key} was for other "
            "content or another part size: aborted"
        )
        return None

    def _abort(self, upload: MultipartUpload) -> None:
        abort(self.clients, upload)

    # -------------------------------------------------------------- uploading

    def _multipart(self, upload: MultipartUpload | None) -> UploadOutcome:
        have: dict[int, Part] = {}
        delivery = ObjectDelivery.UPLOADED
        try:
            if upload is not None:
                listed = self._list_parts(upload)
                if listed is None:
                    reason = f"S3 no longer knows upload {upload.upload_id}: starting over"
                    self.journal.upload_forgotten(reason)
                    self.progress.note(reason)
                    upload = None
                else:
                    have = self._reconcile(upload, listed)
                    delivery = ObjectDelivery.RESUMED
            if upload is None:
                upload = self._create()
                self.journal.upload_started(upload)
            return self._send_and_complete(upload, have, delivery)
        except _PartChanged as changed:
            raise self._changed(upload, changed) from None

    def _send_and_complete(
        self, upload: MultipartUpload, have: dict[int, Part], delivery: ObjectDelivery
    ) -> UploadOutcome:
        count = layout.part_count(self.size, upload.part_size)
        missing = [n for n in range(1, count + 1) if n not in have]
        if delivery is ObjectDelivery.RESUMED:
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
            self._verify(upload)
            ended = True
            self.progress.end(f"uploaded {self.name} to {self.target.url}")
        finally:
            if not ended:
                self.progress.end(f"the upload of {self.name} stopped")
        self._stored(ObjectState.UPLOADED)
        return self._outcome(
            delivery,
            True,
            len(sent),
            sum(part.size for part in sent.values()),
            upload.checksum_algorithm,
        )

    def _changed(self, upload: MultipartUpload | None, changed: _PartChanged) -> FileChanged:
        """The file is not what was hashed: the upload (of other content) aborted and
        forgotten, the hash never reused; the error to raise."""
        if upload is not None:
            self._abort(upload)
            self.journal.upload_forgotten(
                f"{self.name} changed since it was hashed ({changed}): upload "
                f"{upload.upload_id} aborted"
            )
        self.journal.digest_wrong(self.digest.path)
        return FileChanged(
            f"{self.digest.path} changed since it was hashed: {changed}; nothing of it was "
            "kept on S3: run again to import the new content"
        )

    def _create(self) -> MultipartUpload:
        part_size = self.hashes.part_size
        metadata = {"sha256": self.digest.sha256}
        if self.clients.checksums:
            try:
                reply = self.clients.plain.create_multipart_upload(
                    **self.where, Metadata=metadata, ChecksumAlgorithm=ALGORITHM
                )
            except ClientError as error:
                if not refuses_checksums(error):
                    raise
                self.clients.disable_checksums()
                self.progress.note("the endpoint refused transport checksums: sending without")
            else:
                return self._created(reply, part_size, reply.get("ChecksumAlgorithm") or None)
        reply = self.clients.plain.create_multipart_upload(**self.where, Metadata=metadata)
        return self._created(reply, part_size, None)

    def _created(
        self, reply: Mapping[str, Any], part_size: int, algorithm: str | None
    ) -> MultipartUpload:
        if algorithm is not None and algorithm not in _ALGORITHMS:
            raise UploadError(
                f"the endpoint created the upload of {self.name} with the checksum algorithm "
                f"{algorithm} instead of {ALGORITHM}"
            )
        return MultipartUpload(
            upload_id=str(reply["UploadId"]),
            bucket=self.target.bucket,
            key=self.target.key,
            sha256=self.digest.sha256,
            part_size=part_size,
            checksum_algorithm=algorithm,
            started=datetime.datetime.fromtimestamp(self.clock(), datetime.UTC),
        )

    def _list_parts(self, upload: MultipartUpload) -> dict[int, Part] | None:
        return list_parts(self.clients, upload, self.settings.list_page_size)

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
        """S3's part when it holds the hashed bytes of this range, with its checksum; None to
        send it again.  ``_PartChanged`` when the file's range is not what was hashed."""
        if mine is not None and mine.etag != on_s3.etag:
            return None  # another part than the one recorded
        listed = on_s3.checksum or (mine.checksum if mine is not None else None)
        md5_etag = _MD5_ETAG.fullmatch(on_s3.etag) is not None
        algorithm = upload.checksum_algorithm
        keep: str | None
        if algorithm == ALGORITHM and listed is not None:
            # the SHA-256 S3 checked the part's bytes against when they arrived
            keep, agrees = listed, listed == self.hashes.of(where.number)
        else:
            local = self.read_part(where)
            if algorithm == ALGORITHM:  # an endpoint that lists no checksum
                keep, agrees = local.sha256, md5_etag and local.md5 == on_s3.etag
            elif algorithm == LEGACY_ALGORITHM:
                keep = local.crc32
                agrees = listed == local.crc32 if listed else md5_etag and local.md5 == on_s3.etag
            else:
                # an ETag that is not an MD5 (SSE-KMS): the part recorded as sent (its Content-MD5
                # checked by the endpoint)
                keep, agrees = None, local.md5 == on_s3.etag if md5_etag else mine is not None
        return Part(on_s3.number, on_s3.size, on_s3.etag, keep) if agrees else None

    def in_file(self, where: layout.PartRange) -> layout.PartRange:
        """Where a part of the object lies in the file (a span's parts from its offset)."""
        return where._replace(offset=self.digest.offset + where.offset)

    def read_part(self, where: layout.PartRange) -> layout.LocalDigests:
        """The part's bytes read again: their digests, once their SHA-256 is the hash pass's
        (``_PartChanged`` otherwise)."""
        local = layout.local_digests(self.fd, self.in_file(where))
        if local.sha256 != self.hashes.of(where.number):
            raise _PartChanged(where.number, "its bytes are not the ones hashed")
        return local

    def send_part(
        self,
        upload: MultipartUpload,
        number: int,
        on_progress: Any,
        cancel: threading.Event,
    ) -> Part:
        """One UploadPart, the body streamed from the file with the checksum S3 checks it
        against (called from a worker thread)."""
        where = layout.part_range(number, self.size, upload.part_size)
        algorithm = upload.checksum_algorithm
        local: layout.LocalDigests | None = None
        extra: dict[str, Any]
        if algorithm == ALGORITHM:
            given = self.hashes.of(number)
            extra = {"ChecksumAlgorithm": ALGORITHM, f"Checksum{ALGORITHM}": given}
        else:
            local = self.read_part(where)
            if algorithm == LEGACY_ALGORITHM:
                given = local.crc32
                extra = {"ChecksumAlgorithm": algorithm, f"Checksum{algorithm}": given}
            else:
                extra = {"ContentMD5": local.md5_base64}
        start = self.in_file(where).offset
        body = FileSlice(self.fd, start, where.length, on_progress=on_progress, cancel=cancel)
        reply = self.clients.plain.upload_part(
            **self.where,
            UploadId=upload.upload_id,
            PartNumber=number,
            # a file object botocore reads (read, seek, tell), not an io class
            Body=cast("IO[bytes]", body),
            ContentLength=where.length,
            **extra,
        )
        etag = layout.normal_etag(reply.get("ETag"))
        if algorithm is None:
            assert local is not None
            if _MD5_ETAG.fullmatch(etag) and etag != local.md5:
                raise _PartChanged(number, "the endpoint received other bytes than were hashed")
            return Part(number, where.length, etag)
        echoed = reply.get(f"Checksum{algorithm}")
        return Part(number, where.length, etag, str(echoed) if echoed else given)

    def _complete(self, upload: MultipartUpload, have: dict[int, Part]) -> None:
        algorithm = upload.checksum_algorithm
        listed: list[CompletedPartTypeDef] = []
        for number in sorted(have):
            part = have[number]
            item: CompletedPartTypeDef = {"PartNumber": number, "ETag": f'"{part.etag}"'}
            if algorithm == ALGORITHM and part.checksum:
                item["ChecksumSHA256"] = part.checksum
            elif algorithm == LEGACY_ALGORITHM and part.checksum:
                item["ChecksumCRC32"] = part.checksum
            listed.append(item)
        try:
            reply = self.clients.plain.complete_multipart_upload(
                **self.where, UploadId=upload.upload_id, MultipartUpload={"Parts": listed}
            )
        except ClientError as error:
            if error_code(error) != "NoSuchUpload":
                raise
            head = self._head()
            if head is None or head.sha256 != self.digest.sha256 or head.size != self.size:
                self.journal.upload_forgotten(f"S3 no longer knows upload {upload.upload_id}")
                raise UploadError(
                    f"S3 forgot the upload of {self.name} to {self.target.url} before it was "
                    "completed: run again to upload it anew"
                ) from None
            return
        composite = reply.get(f"Checksum{ALGORITHM}")
        expected = layout.composite_sha256(self.hashes.sha256s)
        if algorithm == ALGORITHM and composite and composite != expected:
            raise VerificationFailed(
                f"{self.target.url} was completed with the checksum {composite}, not the one of "
                f"the hashed parts ({expected})"
            )

    def _verify(self, upload: MultipartUpload) -> None:
        head = self._head()
        if head is None or head.size != self.size or head.sha256 != self.digest.sha256:
            found = "nothing" if head is None else f"{head.size} bytes, sha256 {head.sha256}"
            raise VerificationFailed(
                f"{self.target.url} is not what was sent: {found} instead of {self.size} "
                f"bytes, sha256 {self.digest.sha256}"
            )
        now = identify(self.digest.path)
        if now != self.digest.identity:
            with contextlib.suppress(ClientError, BotoCoreError):
                self.clients.plain.delete_object(**self.where)
            self.journal.upload_forgotten(f"{self.name} changed during the upload")
            raise FileChanged(
                f"{self.digest.path} changed while it was uploaded: the object was deleted; "
                "run again once the file is final"
            )
        if (
            upload.checksum_algorithm == ALGORITHM
            and upload.started is not None
            and settled(now, upload.started.timestamp())
        ):
            self.journal.digest_confirmed(self.digest)

    def _outcome(
        self, delivery: ObjectDelivery, ours: bool, parts: int, sent: int, algorithm: str | None
    ) -> UploadOutcome:
        return UploadOutcome(
            self.target, self.digest.sha256, self.size, delivery, ours, parts, sent, algorithm
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
        failed_part = 0
        running = count
        try:
            while running:
                if self.job.external_cancel is not None and self.job.external_cancel.is_set():
                    self.cancel.set()
                    failure = failure or UploadCancelled(f"the upload of {self.job.name} stopped")
                ready = waiting.ready(self.results, _POLL)
                for number, part, error in ready:
                    if number == 0:
                        running -= 1
                    elif error is not None and failure is None:
                        failure, failed_part = error, number
                    elif part is not None:
                        sent[number] = part
                self._record([r[1] for r in ready if r[1] is not None])
        except BaseException:
            self.cancel.set()
            for worker in workers:
                worker.join(_JOIN)
            late = waiting.drain(self.results)
            self._record([part for number, part, _ in late if number and part is not None])
            raise
        if failure is not None:
            raise self._failure(failure, failed_part)
        return sent

    def _record(self, parts: list[Part]) -> None:
        if parts:
            self.job.journal.parts_done(self.upload.upload_id, parts)

    def _refused(self, number: int, error: ClientError) -> BaseException:
        """S3 refused a part's bytes: the file changed since it was hashed when the part's
        bytes, read again, are not the ones hashed; else they were damaged on their way (the
        upload stays, for a rerun)."""
        said = f"{error_code(error)}: {error_message(error)}"
        where = layout.part_range(number, self.job.size, self.upload.part_size)
        local = layout.local_digests(self.job.fd, self.job.in_file(where))
        if local.sha256 != self.job.hashes.of(number):
            return _PartChanged(
                number, f"S3 refused its bytes, which are not the ones hashed ({said})"
            )
        return UploadError(
            f"S3 refused part {number} of {self.job.name} ({said}) although the file still "
            "holds the bytes hashed: they were damaged on their way; run again to resume"
        )

    def _failure(self, error: BaseException, number: int) -> BaseException:
        """What a worker's error becomes (botocore's are worded by ``upload_file``)."""
        if isinstance(error, ClientError) and error_code(error) in _BAD_DIGEST:
            return self._refused(number, error)
        if self.upload.checksum_algorithm and refuses_checksums(error):
            return _ChecksumsRefused()
        if isinstance(error, Cancelled):
            return UploadCancelled(f"the upload of {self.job.name} stopped")
        if isinstance(error, OSError):
            return UploadError(f"cannot read {self.job.digest.path}: {error}")
        return error
