"""Helpers of the upload and state tests: a manual clock, disk files, counting upload clients.

Shared by the in-process tests (tests/vmimport, tests/emulator) and their child
processes (``tests.support.upload_child``).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config

from ec2_import_image.vmimport.upload.clients import S3Clients
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

MiB = 1024 * 1024


def write_disk(path: Path, size: int, seed: int = 1) -> Path:
    """A file of ``size`` pseudo-random bytes (the same for the same seed)."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


class CtrlCAfterParts:
    """A disk journal that records the first parts acknowledged, then raises
    ``KeyboardInterrupt`` as Ctrl-C would (an upload interrupted after some parts)."""

    def __init__(self, journal: Any) -> None:
        self._journal = journal

    def __getattr__(self, name: str) -> Any:
        return getattr(self._journal, name)

    def parts_done(self, upload_id: str, parts: Any) -> None:
        self._journal.parts_done(upload_id, parts)
        raise KeyboardInterrupt


class RequestCounter:
    """Counts the requests each operation sent (a ``before-call`` handler of clients)."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        self._lock = threading.Lock()

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.sent[model.name] = self.sent.get(model.name, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()

    def count(self, operation: str) -> int:
        with self._lock:
            return self.sent.get(operation, 0)


class Counted(RequestCounter):
    """Upload clients on an endpoint, counting the requests each operation sent."""

    def __init__(
        self,
        endpoint: str,
        *,
        concurrency: int = 4,
        retries: int = 2,
        verify: str | None = None,
    ) -> None:
        super().__init__()
        self.endpoint = endpoint
        #: the CA bundle that verifies an HTTPS endpoint (None: botocore's default)
        self.verify = verify
        self._session = botocore.session.get_session()
        self._retries = retries
        self.clients = S3Clients(self.make, concurrency=concurrency)

    def make(self, config: Config) -> Any:
        client = self._session.create_client(
            "s3",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            verify=self.verify,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            config=config.merge(
                Config(retries={"mode": "standard", "max_attempts": self._retries})
            ),
        )
        client.meta.events.register("before-call.s3", self._count)
        return client
