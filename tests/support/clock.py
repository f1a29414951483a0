"""A clock for tests: seconds that move only when the test says so (thread-safe)."""

from __future__ import annotations

import threading


class ManualClock:
    """Returns ``now`` when called; ``advance`` moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
