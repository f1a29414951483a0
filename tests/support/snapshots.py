"""Helpers of the EBS direct writer's tests: its clients on a loopback endpoint, counting what
they send, and the state database journal of a one-disk entry.

Shared by the in-process tests (tests/vmimport/test_ebsdirect.py) and their child process
(``tests.support.snapshot_child``).
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec
from ec2_import_image.vmimport.state.snapshots import SnapshotJournal
from ec2_import_image.vmimport.upload.ebsclients import EbsClients
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET
from tests.support.uploads import RequestCounter


class CountedEbs(RequestCounter):
    """The writer's clients on an endpoint, counting the requests each operation sent."""

    def __init__(
        self,
        endpoint: str,
        *,
        concurrency: int = 4,
        retries: int = 1,
        verify: str | bool | None = None,
    ) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.verify = verify
        self._session = botocore.session.get_session()
        self._retries = retries
        self.clients = EbsClients(self.make, concurrency=concurrency)

    def make(self, service: str, config: Config | None) -> Any:
        retries = Config(retries={"mode": "standard", "max_attempts": self._retries})
        client = self._session.create_client(
            service,
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            verify=self.verify,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            config=retries if config is None else config.merge(retries),
        )
        service_name = client.meta.service_model.service_name
        client.meta.events.register(f"before-call.{service_name}", self._count)
        return client


def disk_journal(db: StateDB, name: str, source: str) -> SnapshotJournal:
    """The snapshot journal of disk 1 of entry ``name`` (made, and claimed, when missing)."""
    db.put_entry(EntrySpec(name, (source,)))
    return db.snapshot_journal(db.claim(name), 0)
