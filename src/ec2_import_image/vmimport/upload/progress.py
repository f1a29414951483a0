"""What an upload tells the person watching: steps, and bytes as they go.

``Progress`` is the interface the hash and the upload call (from worker
threads too: implementations must be thread-safe).  ``LineProgress`` writes
one line per step (logs, pipes, CI); ``RichProgress`` draws a bar per byte
task on a terminal (rich's ``Progress`` is thread-safe).  Commands choose by
whether stderr is a terminal.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichBars
    from rich.progress import TaskID


class Progress(Protocol):
    def note(self, message: str) -> None:
        """One step happened (looked up, resumed, completed...)."""

    def begin(self, label: str, total: int, done: int = 0) -> None:
        """A byte task starts (hashing, sending), ``done`` of ``total`` bytes already done."""

    def advance(self, amount: int) -> None:
        """``amount`` more bytes of the current task (any thread)."""

    def end(self, message: str) -> None:
        """The current byte task is over."""


class NullProgress:
    """Tells nobody."""

    def note(self, message: str) -> None:
        pass

    def begin(self, label: str, total: int, done: int = 0) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def end(self, message: str) -> None:
        pass


class LineProgress:
    """One line per step on a stream (no byte counts: they would be a line per block)."""

    def __init__(self, stream: TextIO, prefix: str = "") -> None:
        self._stream = stream
        self._prefix = prefix
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            self._stream.write(f"{self._prefix}{text}\n")
            self._stream.flush()

    def note(self, message: str) -> None:
        self._line(message)

    def begin(self, label: str, total: int, done: int = 0) -> None:
        already = f", {human_size(done)} already done" if done else ""
        self._line(f"{label} ({human_size(total)}{already})")

    def advance(self, amount: int) -> None:
        pass

    def end(self, message: str) -> None:
        self._line(message)


class RichProgress:
    """A rich bar per byte task, notes printed above it; on a terminal."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bars

        self._console = console
        self._bars: RichBars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def note(self, message: str) -> None:
        self._console.print(message, markup=False, highlight=False)

    def begin(self, label: str, total: int, done: int = 0) -> None:
        if self._task is None:
            self._bars.start()
        else:
            self._bars.remove_task(self._task)
        self._task = self._bars.add_task(label, total=total, completed=done)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._bars.advance(self._task, amount)

    def end(self, message: str) -> None:
        if self._task is not None:
            self._bars.remove_task(self._task)
            self._task = None
            self._bars.stop()
        self.note(message)


def human_size(size: int) -> str:
    """Bytes in binary units, as a person reads them: 1.0 GiB, 512 KiB, 12 B."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
