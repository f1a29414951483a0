"""What a person watching ``vmimport batch`` sees on stderr: one row per entry.

On a terminal (``LiveBoard``): a live table, refreshed a few times a second,
with each entry's phase, progress (bytes hashed or uploaded, the task's
percentage), elapsed time and AMI or error; lines that concern no single
entry (the quota, failed polls) print above it.  Elsewhere (``LineBoard``):
one line per change, ``NAME: what happened``, never one per poll or per block
of bytes.  ``EntryLine`` is an entry's ``entry.Reporter`` on either board;
boards are shared by the scheduler's threads and lock what they change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol, TextIO

from ec2_import_image.importtasks.tasks import ACTIVE, Task, state_line, state_text, status
from ec2_import_image.vmimport.state.records import Phase
from ec2_import_image.vmimport.upload.progress import Progress, human_size

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table


class Row(NamedTuple):
    name: str
    phase: str = "pending"
    detail: str = ""
    progress: str = ""
    started: float | None = None
    outcome: str = ""


class Board(Protocol):
    def update(self, name: str, *, line: str | None = None, **changes: object) -> None:
        """Change an entry's row; ``line``: what to say of it, one line."""

    def note(self, message: str) -> None:
        """A line about no single entry."""

    def close(self) -> None: ...


class _Rows:
    """The rows, under a lock."""

    def __init__(self, names: list[str], clock: Callable[[], float]) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.rows = {name: Row(name) for name in names}

    def change(self, name: str, changes: dict[str, object]) -> Row:
        with self._lock:
            row = self.rows.get(name, Row(name))
            if row.started is None:
                changes.setdefault("started", self.clock())
            row = row._replace(**changes)  # type: ignore[arg-type]
            self.rows[name] = row
            return row

    def snapshot(self) -> list[Row]:
        with self._lock:
            return list(self.rows.values())


class LineBoard:
    """One line per change."""

    def __init__(self, stream: TextIO, names: list[str], clock: Callable[[], float]) -> None:
        self._stream = stream
        self._rows = _Rows(names, clock)
        self._lock = threading.Lock()

    def update(self, name: str, *, line: str | None = None, **changes: object) -> None:
        self._rows.change(name, changes)
        if line:
            self._write(f"{name}: {line}")

    def note(self, message: str) -> None:
        self._write(message)

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(f"{text}\n")
            self._stream.flush()

    def close(self) -> None:
        pass


def elapsed(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class LiveBoard:
    """A live table on a terminal."""

    def __init__(self, console: Console, names: list[str], clock: Callable[[], float]) -> None:
        from rich.live import Live

        self._console = console
        self._rows = _Rows(names, clock)
        self._live: Live = Live(
            get_renderable=self._table, console=console, refresh_per_second=4, transient=False
        )
        self._live.start()

    def _table(self) -> Table:
        from rich.table import Table

        table = Table(expand=False)
        for column in ("entry", "phase", "progress", "elapsed", "AMI or error"):
            table.add_column(column, overflow="fold")
        now = self._rows.clock()
        for row in self._rows.snapshot():
            spent = "" if row.started is None else elapsed(now - row.started)
            table.add_row(row.name, row.phase, row.progress, spent, row.outcome or row.detail)
        return table

    def update(self, name: str, *, line: str | None = None, **changes: object) -> None:
        if line and "detail" not in changes:
            changes["detail"] = line
        self._rows.change(name, changes)

    def note(self, message: str) -> None:
        self._live.console.print(message, markup=False, highlight=False)

    def close(self) -> None:
        self._live.refresh()
        self._live.stop()


class RowProgress:
    """An entry's bytes (hashing, uploading) as its row's progress column."""

    def __init__(
        self, board: Board, name: str, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._board = board
        self._name = name
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._shown = 0.0

    def note(self, message: str) -> None:
        self._board.update(self._name, line=message)

    def begin(self, label: str, total: int, done: int = 0) -> None:
        with self._lock:
            self._label, self._total, self._done = label, total, done
        self._board.update(self._name, line=f"{label} ({human_size(total)})", progress=self._text())

    def advance(self, amount: int) -> None:
        with self._lock:
            self._done += amount
            now = self._monotonic()
            if now - self._shown < 0.25 and self._done < self._total:
                return
            self._shown = now
        self._board.update(self._name, progress=self._text())

    def _text(self) -> str:
        if not self._total:
            return ""
        return f"{100 * self._done // self._total}% of {human_size(self._total)}"

    def end(self, message: str) -> None:
        self._board.update(self._name, line=message, progress="")


class EntryLine:
    """An entry's ``Reporter`` on a board."""

    def __init__(self, board: Board, name: str) -> None:
        self._board = board
        self._name = name
        self._last: tuple[str, object] | None = None
        self.progress: Progress = RowProgress(board, name)

    def phase(self, phase: Phase, message: str) -> None:
        self._board.update(self._name, line=message, phase=phase.value, progress="")

    def step(self, message: str) -> None:
        self._board.update(self._name, line=message)

    def task(self, task: Task) -> None:
        percent = str(task.get("Progress") or "")
        shown = (status(task), task.get("StatusMessage"))
        line = state_line(task) if shown != self._last else None
        self._last = shown
        progress = f"{percent}%" if percent and status(task) == ACTIVE else ""
        self._board.update(self._name, line=line, progress=progress, detail=state_text(task))
