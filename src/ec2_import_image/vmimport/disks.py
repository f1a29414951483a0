"""The DISK arguments of ``vmimport``: local files or S3 objects, opened for ranged reads.

A local path is read with positioned reads; an ``s3://bucket/key`` object with
ranged GETs (``GetObject`` with ``Range``), only what the readers ask for.
Both sit behind the shared block cache, which counts the requests and bytes
really read (``--debug`` logs them).  Nothing here reads a whole disk.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import NamedTuple

from ec2_import_image.awserrors import denied
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.cache import CachedBlob, ReadStats
from ec2_import_image.diskimage.errors import SourceError
from ec2_import_image.diskimage.sources import FileBlob, RangedBlob
from ec2_import_image.vmimport import s3objects
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import Incomplete, UsageError, from_aws
from ec2_import_image.vmimport.s3objects import S3Object
from ec2_import_image.vmimport.spec import parse_s3_url

log = logging.getLogger("ec2_import_image.vmimport")


class ObjectMissing(Exception):
    """The S3 object (or its bucket) does not exist."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class OpenedDisk(NamedTuple):
    #: the argument as given: a path or ``s3://bucket/key``
    source: str
    blob: Blob
    stats: ReadStats
    s3: S3Object | None = None

    @property
    def local(self) -> bool:
        return self.s3 is None


def _head(run: Run, bucket: str, key: str) -> S3Object:
    """The object's size and encryption; ``ObjectMissing`` when it is not there."""
    from botocore.exceptions import ClientError

    try:
        found = s3objects.head(run.client("s3"), bucket, key)
    except ClientError as error:
        if denied(error):
            raise _forbidden(run, f"s3://{bucket}/{key}") from None
        raise
    if found is None:
        raise ObjectMissing(f"s3://{bucket}/{key}")
    return found


def _forbidden(run: Run, url: str) -> Incomplete:
    """Why S3 refused a HEAD: S3 answers 403 without a body both to credentials it does not
    know and to a caller it does not allow, so the caller is asked (GetCallerIdentity):
    credentials STS refuses are said as every command says them (``errors.from_aws``);
    valid ones are denied the object."""
    from botocore.exceptions import ClientError

    try:
        caller = run.client("sts").get_caller_identity()
    except ClientError as refused:
        known = from_aws(refused)
        if known is not None and isinstance(known, Incomplete):
            return known
        raise
    return Incomplete(
        f"reading {url} was refused (HeadObject: 403 Forbidden) for {caller.get('Arn')}: it "
        "needs s3:GetObject on the object (and kms:Decrypt on its key, if it has one), not "
        "denied by the bucket policy"
    )


def _ranged_reader(run: Run, found: S3Object) -> Blob:
    client = run.client("s3")

    def fetch(offset: int, length: int) -> bytes:
        reply = client.get_object(
            Bucket=found.bucket, Key=found.key, Range=f"bytes={offset}-{offset + length - 1}"
        )
        body = reply["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    return RangedBlob(found.size, fetch)


@contextlib.contextmanager
def open_disk(run: Run, argument: str) -> Iterator[OpenedDisk]:
    """A DISK argument opened behind the counting block cache.

    Raises ``UsageError`` for a local path that cannot be read or a malformed
    ``s3://`` URL, ``ObjectMissing`` for an S3 object that is not there.
    """
    stats = ReadStats()
    if argument.startswith("s3://"):
        located = parse_s3_url(argument)
        if located is None:
            raise UsageError(f"{argument!r} is not s3://BUCKET/KEY")
        found = _head(run, *located)
        yield OpenedDisk(
            argument, CachedBlob(_ranged_reader(run, found), stats=stats), stats, found
        )
        _log_reads(argument, stats)
        return
    try:
        local = FileBlob(argument)
    except SourceError as error:
        raise UsageError(str(error)) from None
    with local:
        yield OpenedDisk(argument, CachedBlob(local, stats=stats), stats)
    _log_reads(argument, stats)


def _log_reads(source: str, stats: ReadStats) -> None:
    log.debug("%s: %d bytes read in %d requests", source, stats.bytes, stats.requests)


def reading_failed(error: SourceError, source: str) -> Incomplete:
    """A disk whose bytes could not be read: the check cannot be completed."""
    return Incomplete(f"{source}: {error}")
