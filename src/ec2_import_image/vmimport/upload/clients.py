"""The S3 clients of an upload: with S3's transport checksums, and without.

Both are botocore clients of the run's session (v2's configuration chain,
``--endpoint-url``), with a connection pool as large as the upload's
concurrency.  The *checksummed* client lets botocore compute a CRC32 for each
part (``request_checksum_calculation="when_supported"``: over HTTPS in an
``aws-chunked`` trailer as the body streams, over plain HTTP in a header); S3
checks it on arrival and lists it with the part.  The *plain* client sends no
checksum header at all (``"when_required"``): what an endpoint that rejects
them gets, once ``disable_checksums`` was called (``multipart`` decides).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config

    from ec2_import_image.vmimport.context import Run

#: the checksum algorithm uploads ask for (CRC32C would need the awscrt extension)
ALGORITHM = "CRC32"

ClientMaker = Callable[["Config"], Any]


class S3Clients:
    """The two clients, made on first use; ``checksums`` is False once an endpoint refused them."""

    def __init__(self, make: ClientMaker, *, concurrency: int = 8, checksums: bool = True) -> None:
        self._make = make
        self.concurrency = concurrency
        self.checksums = checksums
        self._clients: dict[bool, Any] = {}
        self._lock = threading.Lock()

    def _client(self, with_checksums: bool) -> Any:
        with self._lock:
            if with_checksums not in self._clients:
                from botocore.config import Config

                self._clients[with_checksums] = self._make(
                    Config(
                        max_pool_connections=self.concurrency + 2,
                        request_checksum_calculation=(
                            "when_supported" if with_checksums else "when_required"
                        ),
                        response_checksum_validation="when_required",
                    )
                )
            return self._clients[with_checksums]

    @property
    def plain(self) -> Any:
        """For requests that carry no data (head, list, complete, abort) and checksum-less parts."""
        return self._client(False)

    @property
    def checksummed(self) -> Any:
        return self._client(True)

    def for_algorithm(self, algorithm: str | None) -> Any:
        return self.checksummed if algorithm else self.plain

    def disable_checksums(self) -> None:
        self.checksums = False


def from_run(run: Run, *, concurrency: int = 8, checksums: bool = True) -> S3Clients:
    """The upload clients of a ``vmimport`` run (its session, its ``--endpoint-url``)."""

    def make(config: Config) -> Any:
        return run.create_client("s3", config)

    return S3Clients(make, concurrency=concurrency, checksums=checksums)
