"""The pace of every wait and retry: how long before asking again, and how long failures are borne.

An import runs for 10 to 90 minutes, an AMI copy or a snapshot for minutes to
hours: asking every few seconds would only spend API calls, and a call that
fails once says little about the next one.  One rule, for both programs:

- the delay before the next attempt starts at ``first`` (2 s) and grows
  ``growth`` times (x1.5) after an attempt that got an answer, ``failed_growth``
  times (x2) after a failed one, up to ``cap`` (30 s; vmimport's
  ``--poll-interval``);
- a streak of failed attempts (which failures are worth another try is the
  caller's judgement: ``faults`` for polls) is borne for ``patience`` seconds
  (300 s; ``--max-transient-seconds`` in both programs); an attempt that gets an
  answer ends the streak.

``Pacing`` is the rule's parameters (a use with other numbers, such as the EBS
direct writer's retries, is a ``Pacing`` of its own); a ``Pacer`` is one wait on
it: the next delay, a success, a failure, the streak's length on the injected
clock, and, for a caller that does not sleep (``vmimport batch``'s scheduler,
which runs several paced things in one loop), when the next attempt is due.
When a streak has lasted ``patience``, ``Pacer.failed`` raises
``PatienceExhausted``, which names neither program: the drop-in's waiter turns it
into v2's waiter failure, vmimport into ``Incomplete``.  This module imports
nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class Pacing:
    """The rule's parameters, in seconds (growths are factors)."""

    first: float = 2.0
    growth: float = 1.5
    failed_growth: float = 2.0
    cap: float = 30.0
    patience: float = 300.0


#: the polls of both programs: 2 s growing x1.5 (x2 after a failure) to 30 s, failures borne 300 s
POLLING = Pacing()


class PatienceExhausted(Exception):
    """A streak of failed attempts has lasted ``patience`` seconds: the caller gives up."""

    def __init__(self, lasted: float, patience: float) -> None:
        super().__init__(f"attempts have failed for {round(lasted)} s (patience {patience:g} s)")
        self.lasted = lasted
        self.patience = patience


class Pacer:
    """One wait on a ``Pacing``: its next delay, its streak of failures, its next due time."""

    def __init__(self, pacing: Pacing, clock: Clock) -> None:
        self.pacing = pacing
        self._clock = clock
        #: the delay the next ``next_delay`` answers
        self.delay = min(pacing.first, pacing.cap)
        #: when the streak of failures began (None: the last attempt got an answer)
        self.since: float | None = None
        #: when the next attempt is due, for a caller that does not sleep (``later``)
        self.due = 0.0

    # -- delays ----------------------------------------------------------------
    def next_delay(self) -> float:
        """The delay to wait now; the next one grows (faster while failures go on)."""
        current = self.delay
        growth = self.pacing.failed_growth if self.failing else self.pacing.growth
        self.delay = min(current * growth, self.pacing.cap)
        return current

    def pause(self, until: float | None = None) -> float:
        """``next_delay``, cut short so that it ends by ``until`` (a time on the clock)."""
        return self.within(self.next_delay(), until)

    def within(self, delay: float, until: float | None) -> float:
        """``delay``, cut short so that it ends by ``until`` (never below 0)."""
        if until is None:
            return delay
        return max(0.0, min(delay, until - self._clock()))

    def reset(self) -> None:
        """Start again from the first delay (something new to wait for)."""
        self.delay = min(self.pacing.first, self.pacing.cap)

    # -- failures ----------------------------------------------------------------
    @property
    def failing(self) -> bool:
        return self.since is not None

    @property
    def gives_up_at(self) -> float | None:
        """When the streak under way runs out of patience (None: no streak)."""
        return None if self.since is None else self.since + self.pacing.patience

    def failed(self, started: float | None = None) -> float:
        """A failed attempt (begun at ``started``, by default now): how long the streak has
        lasted.  ``PatienceExhausted`` once it has lasted ``patience`` seconds."""
        now = self._clock()
        if self.since is None:
            self.since = now if started is None else started
        lasted = now - self.since
        if lasted >= self.pacing.patience:
            raise PatienceExhausted(lasted, self.pacing.patience)
        return lasted

    def succeeded(self) -> float | None:
        """An attempt got an answer: how long the streak it ends lasted (None: there was none)."""
        if self.since is None:
            return None
        lasted = self._clock() - self.since
        self.since = None
        return lasted

    # -- for a caller that does not sleep ---------------------------------------
    def later(self, now: float | None = None) -> float:
        """The next attempt due ``next_delay`` after ``now`` (by default the clock's); the delay."""
        delay = self.next_delay()
        self.due = (self._clock() if now is None else now) + delay
        return delay

    def sooner(self, at: float) -> None:
        """The next attempt due at ``at`` if that is sooner."""
        self.due = min(self.due, at)

    def is_due(self, now: float) -> bool:
        return now >= self.due
