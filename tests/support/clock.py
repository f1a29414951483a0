"""A fake monotonic clock for what waits: time moves only when the code under test sleeps."""

from __future__ import annotations

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
