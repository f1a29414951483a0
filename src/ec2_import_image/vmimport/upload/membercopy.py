"""An ``s3://`` OVA's member disk made an object of its own, server-side: UploadPartCopy of its
byte range, nothing read or sent through this machine.

ImportSnapshot takes a VMDK, not the OVA holding it; for an OVA already on S3
the member is copied by S3 itself
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html):
``CreateMultipartUpload`` of the new object, one ``UploadPartCopy`` per part
(``CopySourceRange`` of the member's bytes, parts of at least 5 MiB but the
last, ``layout.part_size_for``; ``CopySourceIfMatch`` the OVA's ETag, so that
an OVA replaced meanwhile is refused, ``PreconditionFailed``, never mixed in),
then ``CompleteMultipartUpload``.  The upload asks for SHA-256 part checksums
where the endpoint takes them: S3 computes each copied part's
(``CopyPartResult``) and the completion names them, so the object's checksum is
S3's over what it copied.

The object names what it holds in its ``vmimport-member`` metadata: a
stand-in digest of the OVA's ETag, the member's offset and length
(``member_digest``), as an ``s3://`` disk's identity is a stand-in of its ETag
(``engine.identity``).  The steps are recorded in the disk's journal as a local
upload's are (``multipart.Journal``), so a rerun finds the object (same
metadata and size), or resumes the copy from the parts ``ListParts`` shows (a
part of the right size in an upload made for this digest holds the right
bytes: the OVA's ETag is in the digest), or starts over when S3 forgot the
upload.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ec2_import_image.awserrors import error_code
from ec2_import_image.vmimport import s3objects
from ec2_import_image.vmimport.errors import from_aws
from ec2_import_image.vmimport.state.records import (
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
    UploadError,
    VerificationFailed,
)
from ec2_import_image.vmimport.upload.multipart import (
    Journal,
    ObjectDelivery,
    ObjectTarget,
    UploadOutcome,
    abort,
    list_parts,
    refuses_checksums,
)
from ec2_import_image.vmimport.upload.progress import NullProgress, Progress

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

#: the metadata key of the member's digest on the object made of it (``s3objects`` reads it)
METADATA_KEY = "vmimport-member"
#: parts of a copy: S3 copies them, so large parts cost nothing here and save requests
COPY_MIN_PART = 512 * layout.MiB
#: parts copied at once
COPY_CONCURRENCY = 4


class SourceMember(NamedTuple):
    """A member of an OVA on S3: the OVA's object and ETag, the member's name, offset, length."""

    bucket: str
    key: str
    etag: str
    name: str
    offset: int
    length: int

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def member_digest(member: SourceMember) -> str:
    """What the object made of the member holds: a stand-in digest of the OVA's ETag and the
    member's range (hex SHA-256)."""
    text = f"s3-member:{member.etag.strip(chr(34))}:{member.offset}:{member.length}"
    return hashlib.sha256(text.encode()).hexdigest()


class _Changed(Exception):
    """The OVA is not the one the copy was made for (PreconditionFailed)."""


def copy_member(
    clients: S3Clients,
    journal: Journal,
    member: SourceMember,
    target: ObjectTarget,
    *,
    min_part_size: int = COPY_MIN_PART,
    concurrency: int = COPY_CONCURRENCY,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.time,
) -> UploadOutcome:
    """Make ``target`` hold the member's bytes, copied by S3 (see the module)."""
    if member.length <= 0:
        raise UploadError(f"{member.name} in {member.url} is empty: there is nothing to import")
    job = _Copy(clients, journal, member, target, progress=progress or NullProgress(), clock=clock)
    try:
        return job.run(layout.part_size_for(member.length, min_part_size), concurrency)
    except (BotoCoreError, ClientError) as error:
        known = from_aws(error)
        reason = known.message if known is not None else str(error)
        raise UploadError(
            f"copying {member.name} out of {member.url} to {target.url} failed: {reason} "
            "(run again to resume)"
        ) from None


class _Copy:
    def __init__(
        self,
        clients: S3Clients,
        journal: Journal,
        member: SourceMember,
        target: ObjectTarget,
        *,
        progress: Progress,
        clock: Callable[[], float],
    ) -> None:
        self.clients = clients
        self.journal = journal
        self.member = member
        self.target = target
        self.progress = progress
        self.clock = clock
        self.digest = member_digest(member)

    def run(self, part_size: int, concurrency: int) -> UploadOutcome:
        state = self.journal.state()
        stored = state.object
        ours = (
            stored is not None
            and stored.state is ObjectState.UPLOADED
            and (stored.bucket, stored.key) == self.target
        )
        head = s3objects.head(self.clients.plain, self.target.bucket, self.target.key)
        if head is not None:
            if head.size == self.member.length and head.member == self.digest:
                upload = state.upload
                if upload is not None and (upload.bucket, upload.key) == self.target:
                    ours = ours or upload.sha256 == self.digest
                self._stored(ObjectState.UPLOADED if ours else ObjectState.FOUND)
                self.progress.note(f"{self.target.url} already holds {self.member.name}")
                return self._outcome(ObjectDelivery.FOUND, ours, 0, 0, None)
            if not ours:
                raise ObjectConflict(
                    f"{self.target.url} already exists and is not {self.member.name} of "
                    f"{self.member.url}, and this tool did not make it: delete it, or choose "
                    "another prefix"
                )
        upload, have = self._resumable(state.upload, part_size)
        delivery = ObjectDelivery.RESUMED if upload is not None else ObjectDelivery.UPLOADED
        if upload is None:
            upload = self._create(part_size)
            self.journal.upload_started(upload)
        try:
            copied = self._copy_parts(upload, have, concurrency)
        except _Changed:
            abort(self.clients, upload)
            self.journal.upload_forgotten(f"{self.member.url} changed during the copy")
            raise FileChanged(
                f"{self.member.url} changed (its ETag is no longer {self.member.etag}) while "
                f"{self.member.name} was copied out of it: run again to copy the new one"
            ) from None
        have.update(copied)
        self._complete(upload, have)
        self._stored(ObjectState.UPLOADED)
        return self._outcome(
            delivery,
            True,
            len(copied),
            sum(part.size for part in copied.values()),
            upload.checksum_algorithm,
        )

    def _resumable(
        self, upload: MultipartUpload | None, part_size: int
    ) -> tuple[MultipartUpload | None, dict[int, Part]]:
        """The journal's upload when it is this copy's and S3 still has it, with its parts of
        the right size; else None (an upload of something else is aborted)."""
        if upload is None:
            return None, {}
        if (upload.bucket, upload.key) != self.target or upload.sha256 != self.digest:
            abort(self.clients, upload)
            self.journal.upload_forgotten(f"upload {upload.upload_id} was for other content")
            return None, {}
        listed = list_parts(self.clients, upload)
        if listed is None:
            self.journal.upload_forgotten(f"S3 no longer knows upload {upload.upload_id}")
            return None, {}
        have = {
            number: part
            for number, part in listed.items()
            if number <= layout.part_count(self.member.length, upload.part_size)
            and part.size == self._range(upload, number).length
            and (upload.checksum_algorithm is None or part.checksum is not None)
        }
        stale = [part.number for part in upload.parts if part.number not in have]
        if stale:
            self.journal.parts_missing(stale)
        if have:
            self.journal.parts_done(upload.upload_id, list(have.values()))
        return upload, have

    def _create(self, part_size: int) -> MultipartUpload:
        metadata = {METADATA_KEY: self.digest}
        algorithm: str | None = None
        reply: Mapping[str, Any] | None = None
        if self.clients.checksums:
            try:
                reply = self.clients.plain.create_multipart_upload(
                    Bucket=self.target.bucket,
                    Key=self.target.key,
                    Metadata=metadata,
                    ChecksumAlgorithm=ALGORITHM,
                )
                algorithm = reply.get("ChecksumAlgorithm") or None
            except ClientError as error:
                if not refuses_checksums(error):
                    raise
                self.clients.disable_checksums()
        if reply is None:
            reply = self.clients.plain.create_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.key, Metadata=metadata
            )
        return MultipartUpload(
            upload_id=str(reply["UploadId"]),
            bucket=self.target.bucket,
            key=self.target.key,
            sha256=self.digest,
            part_size=part_size,
            checksum_algorithm=algorithm,
            started=datetime.datetime.fromtimestamp(self.clock(), datetime.UTC),
        )

    def _range(self, upload: MultipartUpload, number: int) -> layout.PartRange:
        return layout.part_range(number, self.member.length, upload.part_size)

    def _copy_part(self, upload: MultipartUpload, number: int) -> Part:
        """One UploadPartCopy (called from a worker thread)."""
        where = self._range(upload, number)
        first = self.member.offset + where.offset
        try:
            reply = self.clients.plain.upload_part_copy(
                Bucket=self.target.bucket,
                Key=self.target.key,
                UploadId=upload.upload_id,
                PartNumber=number,
                CopySource={"Bucket": self.member.bucket, "Key": self.member.key},
                CopySourceRange=f"bytes={first}-{first + where.length - 1}",
                CopySourceIfMatch=self.member.etag,
            )
        except ClientError as error:
            if error_code(error) == "PreconditionFailed":
                raise _Changed from None
            raise
        result = reply.get("CopyPartResult", {})
        algorithm = upload.checksum_algorithm
        checksum = result.get(f"Checksum{algorithm}") if algorithm else None
        return Part(
            number,
            where.length,
            layout.normal_etag(result.get("ETag")),
            None if checksum is None else str(checksum),
        )

    def _copy_parts(
        self, upload: MultipartUpload, have: dict[int, Part], concurrency: int
    ) -> dict[int, Part]:
        """The missing parts copied, each recorded in the journal as S3 acknowledges it."""
        count = layout.part_count(self.member.length, upload.part_size)
        missing = [number for number in range(1, count + 1) if number not in have]
        done = sum(part.size for part in have.values())
        self.progress.begin(f"copying {self.member.name}", self.member.length, done)
        copied: dict[int, Part] = {}
        pool = concurrent.futures.ThreadPoolExecutor(max(1, min(concurrency, len(missing) or 1)))
        ended = False
        try:
            futures = [pool.submit(self._copy_part, upload, number) for number in missing]
            for future in concurrent.futures.as_completed(futures):
                part = future.result()
                copied[part.number] = part
                self.journal.parts_done(upload.upload_id, [part])
                self.progress.advance(part.size)
            ended = True
        finally:
            # the copies not begun are dropped; those under way end (S3 does the work)
            pool.shutdown(wait=True, cancel_futures=True)
            self.progress.end(
                f"copied {self.member.name} to {self.target.url}"
                if ended
                else f"copying {self.member.name} stopped"
            )
        return copied

    def _complete(self, upload: MultipartUpload, have: dict[int, Part]) -> None:
        listed: list[CompletedPartTypeDef] = []
        for number in sorted(have):
            item: CompletedPartTypeDef = {"PartNumber": number, "ETag": f'"{have[number].etag}"'}
            if upload.checksum_algorithm == ALGORITHM and have[number].checksum:
                item["ChecksumSHA256"] = str(have[number].checksum)
            listed.append(item)
        self.clients.plain.complete_multipart_upload(
            Bucket=self.target.bucket,
            Key=self.target.key,
            UploadId=upload.upload_id,
            MultipartUpload={"Parts": listed},
        )
        head = s3objects.head(self.clients.plain, self.target.bucket, self.target.key)
        if head is None or head.size != self.member.length:
            found = "nothing" if head is None else f"{head.size} bytes"
            raise VerificationFailed(
                f"{self.target.url} is not {self.member.name}: {found} instead of "
                f"{self.member.length} bytes"
            )

    def _stored(self, state: ObjectState) -> None:
        self.journal.object_stored(
            StoredObject(
                self.target.bucket, self.target.key, self.member.length, self.digest, state
            )
        )

    def _outcome(
        self, delivery: ObjectDelivery, ours: bool, parts: int, sent: int, algorithm: str | None
    ) -> UploadOutcome:
        return UploadOutcome(
            self.target, self.digest, self.member.length, delivery, ours, parts, sent, algorithm
        )
