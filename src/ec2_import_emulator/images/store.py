"""The image actions' shared state: the emulator's clock, its options, one lock, copies.

The images themselves are moto's (``moto_ec2``).  What is the emulator's: the
time (``ImageClock``: UTC when the emulator started, plus the elapsed seconds of
its clock times ``--speed``, so copies, deprecation dates and the 24-hour
cooldown of deregistration protection run on the same scaled clock as import
tasks), the options (``ImageOptions``), and the copies it started: ``advance``
completes those whose time has come before any request is served.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ec2_import_emulator.images import moto_ec2

#: "Destination Regions are limited to 100 concurrent AMI copies" (EC2 user guide, "Copy an
#: AMI", Cross-Region copying, Limits; older editions said 50, no more than 25 per source Region)
DEFAULT_MAX_COPIES = 100
#: how long a copy takes, in seconds of the service's time (modelled: copies are "best effort")
DEFAULT_COPY_SECONDS = 600.0


@dataclass(frozen=True)
class ImageOptions:
    max_copies: int = DEFAULT_MAX_COPIES
    copy_seconds: float = DEFAULT_COPY_SECONDS


class ImageClock:
    """The emulator's time in UTC (naive), on its scaled clock."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        start: datetime | None = None,
    ) -> None:
        self._clock = clock
        self._speed = speed
        self._origin = clock()
        self._start = start or datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._clock() - self._origin) * self._speed)


class ImageStore:
    def __init__(self, clock: ImageClock, options: ImageOptions = ImageOptions()) -> None:
        self.clock = clock
        self.options = options
        self._lock = threading.RLock()
        #: the copies in progress: (account, Region, image id)
        self._copies: set[tuple[str, str, str]] = set()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def track(self, account: str, region: str, image_id: str) -> None:
        """A copy has started: ``advance`` completes it when its time comes."""
        with self._lock:
            self._copies.add((account, region, image_id))

    def _in_progress(self) -> list[tuple[str, str, Any]]:
        """The tracked copies still pending (those deregistered or reset are forgotten)."""
        found = []
        for key in sorted(self._copies):
            account, region, image_id = key
            ami = moto_ec2.find_image(account, region, image_id)
            record = None if ami is None else moto_ec2.record_of(ami)
            if ami is None or record is None or record.ready_at is None or ami.state != "pending":
                self._copies.discard(key)
                continue
            found.append((account, region, ami))
        return found

    def advance(self) -> None:
        """Complete (or fail) the copies whose time has come."""
        with self._lock:
            now = self.clock.now()
            for account, region, ami in self._in_progress():
                record = moto_ec2.record_of(ami)
                if record is not None and record.ready_at is not None and record.ready_at <= now:
                    self._finish(account, region, ami)

    def _finish(self, account: str, region: str, ami: Any) -> None:
        record = moto_ec2.record_of(ami)
        assert record is not None
        snapshots = record.facts.snapshot_ids()
        if record.failure is not None:
            ami.state = "failed"
            for snapshot_id in snapshots:
                moto_ec2.delete_snapshot(account, region, snapshot_id)
        else:
            ami.state = "available"
            for snapshot_id in snapshots:
                snapshot = moto_ec2.find_snapshot(account, region, snapshot_id)
                if snapshot is not None:
                    snapshot.status = "completed"
        moto_ec2.attach(ami, replace(record, ready_at=None))

    def pending_copies(self, account: str, region: str) -> int:
        """The copies in progress into the account's Region."""
        with self._lock:
            return sum(1 for a, r, _ in self._in_progress() if (a, r) == (account, region))
