"""How often to ask, and for how long failures are borne: the pace of every poll.

An import runs for 10 to 90 minutes: asking every few seconds would only
spend API calls.  ``Backoff`` spaces polls from 2 s, growing by half after
each poll (doubling after a failed one) up to a cap (``--poll-interval``, 30 s
by default).  ``Patience`` counts a streak of transient failures (as
``importtasks.faults`` judges them: throttling, 5xx, connection errors,
time-outs, malformed replies) and gives up, with a one-line reason, once the
streak has lasted ``--max-transient-seconds``.  Time is the run's injected
clock.
"""

from __future__ import annotations

from collections.abc import Callable

from ec2_import_image.importtasks.faults import Fault
from ec2_import_image.vmimport.errors import Incomplete

FIRST_DELAY = 2.0
GROWTH = 1.5
FAILED_GROWTH = 2.0
DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_TRANSIENT = 300.0

Clock = Callable[[], float]


class Backoff:
    """Delays that grow from ``first`` to ``cap``."""

    def __init__(self, cap: float = DEFAULT_POLL_INTERVAL, first: float = FIRST_DELAY) -> None:
        self.cap = cap
        self.first = min(first, cap)
        self.delay = self.first

    def next(self, *, failed: bool = False) -> float:
        """The delay to wait now; the next one grows."""
        current = self.delay
        self.delay = min(self.delay * (FAILED_GROWTH if failed else GROWTH), self.cap)
        return current

    def reset(self) -> None:
        self.delay = self.first


class Patience:
    """A streak of transient failures, and its limit."""

    def __init__(self, clock: Clock, max_transient: float = DEFAULT_MAX_TRANSIENT) -> None:
        self._clock = clock
        self.max_transient = max_transient
        self.since: float | None = None
        self.last: Fault | None = None

    @property
    def failing(self) -> bool:
        return self.since is not None

    def failed(self, fault: Fault, what: str) -> float:
        """Note a transient failure; answers how long the streak has lasted.

        Raises ``Incomplete`` once the streak has lasted ``max_transient`` seconds.
        """
        now = self._clock()
        if self.since is None:
            self.since = now
        self.last = fault
        lasted = now - self.since
        if lasted >= self.max_transient:
            raise Incomplete(
                f"{what} failed for {round(lasted)} s (--max-transient-seconds "
                f"{round(self.max_transient)}): {fault.reason}; run again to continue"
            )
        return lasted

    def recovered(self) -> float | None:
        """The streak is over: how long it lasted (None when there was none)."""
        if self.since is None:
            return None
        lasted = self._clock() - self.since
        self.since = None
        self.last = None
        return lasted
