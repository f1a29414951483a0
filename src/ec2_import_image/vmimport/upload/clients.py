"""The S3 client of an upload, and whether the endpoint takes S3's transport checksums.

A botocore client of the run's session (v2's configuration chain,
``--endpoint-url``), with a connection pool as large as the upload's
concurrency.  It never computes a checksum of its own
(``request_checksum_calculation="when_required"``): every part carries the one
``multipart`` computed before sending it, the SHA-256 the hash pass made
(``ChecksumSHA256``), so that S3 checks the bytes it receives against the bytes
that were hashed, not against what was read a moment before sending (which a
checksum botocore computes as the body streams would be).  botocore leaves a
request alone when it already carries an ``x-amz-checksum-*`` header
(``httpchecksum.resolve_request_checksum_algorithm``): the header goes out as
given, over HTTP and HTTPS alike, never as a trailer.  ``checksums`` turns
False once an endpoint refused them (``multipart`` decides): its parts then
carry ``Content-MD5``, the check every S3-compatible endpoint makes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.config import Config
    from mypy_boto3_s3.client import S3Client

    from ec2_import_image.vmimport.context import Run

#: the checksum algorithm new uploads ask for: each part's SHA-256 is known from the hash pass
ALGORITHM: Final = "SHA256"
#: the algorithm of uploads an earlier vmimport created (botocore computed each part's CRC32)
LEGACY_ALGORITHM: Final = "CRC32"

#: makes the botocore S3 client (typed where it is used: ``S3Clients.plain``)
ClientMaker = Callable[["Config"], object]


class S3Clients:
    """The client, made on first use; ``checksums`` is False once an endpoint refused them."""

    def __init__(self, make: ClientMaker, *, concurrency: int = 8, checksums: bool = True) -> None:
        self._make = make
        self.concurrency = concurrency
        self.checksums = checksums
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    @property
    def plain(self) -> S3Client:
        """The client: it adds no checksum; the caller gives each part's."""
        with self._lock:
            if self._client is None:
                from botocore.config import Config

                made = self._make(
                    Config(
                        max_pool_connections=self.concurrency + 2,
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                    )
                )
                self._client = cast("S3Client", made)
            return self._client

    def disable_checksums(self) -> None:
        self.checksums = False


def from_run(run: Run, *, concurrency: int = 8, checksums: bool = True) -> S3Clients:
    """The upload client of a ``vmimport`` run (its session, its ``--endpoint-url``)."""

    def make(config: Config) -> BaseClient:
        return run.create_client("s3", config)

    return S3Clients(make, concurrency=concurrency, checksums=checksums)
