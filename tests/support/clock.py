"""Clocks for tests: time that moves only when the test, or the code under test, says so.

``FakeClock`` is an ``Environment``'s ``clock`` and ``sleep`` for code that waits:
it moves when the code sleeps.  ``ManualClock`` is a monotonic clock that moves
when the test calls ``advance`` (the emulator's scaled time, the state database's
leases); it is thread-safe, as servers read it from their threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class FakeClock:
    """``clock`` and ``sleep`` for an ``Environment``; records every sleep.

    ``on_sleep`` runs after each sleep with the clock's new time (a test can
    raise KeyboardInterrupt there, or change the endpoint's script).
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(self.now)

    @property
    def elapsed(self) -> float:
        return self.now - self.start


class ManualClock:
    """Returns ``now`` when called; ``advance`` moves it.

    ``before_advance`` runs before each move: an emulator's ``TaskStore.settle``, so the
    work its threads do on real time (reading an import's guest) is done before the
    test's time moves, and what a task shows at an age is deterministic.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()
        self.before_advance: Callable[[], None] | None = None

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        if self.before_advance is not None:
            self.before_advance()
        with self._lock:
            self.now += seconds
