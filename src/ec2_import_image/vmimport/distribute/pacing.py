"""The pace of the distribution's waits, and the copies it has in flight per Region.

This is the one place the distribution waits, on the shared pacing policy
(``importtasks.pacing``): a ``CopyWait`` spaces the polls of copies in progress
from 2 s up to ``--poll-interval``, bears a streak of transient failures
(``importtasks.faults``: throttling, 5xx, connection errors) for
``--max-transient-seconds``, and stops at ``--max-wait`` (the copies go on in
AWS; a rerun finds them by their ClientTokens and tags and waits again).

``CopySlots`` bounds the copies this process has in progress per destination
Region (``--max-image-copies``, default 100): "Destination Regions are limited
to 100 concurrent AMI copies" (the EC2 user guide, "Copy an Amazon EC2 AMI",
Cross-Region copying, Limits; editions before 2023 said 50, at most 25 from one
source Region).  Copies other processes or people started count against the
service's limit too: a CopyImage the service refuses with
``ResourceLimitExceeded`` waits for a slot as one the bound holds back.  The
slots are shared by the threads of a ``batch``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from ec2_import_image.importtasks.faults import Fault
from ec2_import_image.importtasks.pacing import POLLING, Pacer, Pacing
from ec2_import_image.vmimport.errors import Incomplete, bear

#: the service's limit on copies in progress into one Region (the user guide, "Copy an AMI")
DEFAULT_MAX_COPIES = 100
#: seconds after CopyImage during which "no such AMI" is the service catching up
FRESH_SECONDS = 60.0


class Pace(NamedTuple):
    """``--poll-interval``, ``--max-transient-seconds``, ``--max-wait`` (None: no limit)."""

    poll_interval: float = POLLING.cap
    max_transient: float = POLLING.patience
    max_wait: float | None = None


class StoppedWaiting(Incomplete):
    """``--max-wait`` ran out while copies were in progress (they go on in AWS)."""


class CopyWait:
    """One wait: its pace (delays, patience with failures), its deadline."""

    def __init__(
        self,
        pace: Pace,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.pace = pace
        self.clock = clock
        self._sleep = sleep
        self.began = clock()
        self._pacer = Pacer(Pacing(cap=pace.poll_interval, patience=pace.max_transient), clock)

    def fresh(self, since: float) -> bool:
        """Whether a moment of "no such AMI" since ``since`` is the service catching up."""
        return self.clock() - since < FRESH_SECONDS

    def failed(self, fault: Fault, what: str) -> float:
        """A transient failure borne (``Incomplete`` once the streak is too long)."""
        return bear(self._pacer, what, fault.reason)

    def recovered(self) -> float | None:
        return self._pacer.succeeded()

    def pause(self, what: str) -> None:
        """Sleep until the next poll; ``StoppedWaiting`` past ``--max-wait``."""
        waited = self.clock() - self.began
        limit = self.pace.max_wait
        if limit is not None and waited >= limit:
            raise StoppedWaiting(
                f"stopped waiting for {what} after {round(waited)} s (--max-wait {round(limit)}); "
                "the copies go on in AWS: run the same command again to continue"
            )
        self._sleep(self._pacer.pause(None if limit is None else self.began + limit))


class CopySlots:
    """The copies this process has in progress, per destination Region, at most ``limit``."""

    def __init__(self, limit: int = DEFAULT_MAX_COPIES) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._taken: dict[str, int] = {}

    def take(self, region: str, *, force: bool = False) -> bool:
        """A slot for a copy into ``region``; ``force``: a copy already in progress (found
        after a crash) takes one whatever the bound."""
        with self._lock:
            taken = self._taken.get(region, 0)
            if taken >= self.limit and not force:
                return False
            self._taken[region] = taken + 1
            return True

    def give(self, region: str) -> None:
        with self._lock:
            self._taken[region] = max(0, self._taken.get(region, 0) - 1)

    def in_progress(self, region: str) -> int:
        with self._lock:
            return self._taken.get(region, 0)
