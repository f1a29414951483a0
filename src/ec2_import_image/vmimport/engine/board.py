"""What a person watching ``vmimport batch`` sees on stderr: one row per entry.

On a terminal (``LiveBoard``): a live table, refreshed a few times a second,
with each entry's phase, progress (bytes hashed or uploaded, the task's
percentage), elapsed time and AMI or error; lines that concern no single
entry (the quota, failed polls) print above it.  Elsewhere (``LineBoard``):
one line per change, ``NAME: what happened``, never one per poll or per block
of bytes.  ``EntryLine`` is an entry's ``entry.Reporter`` on either board;
boards are shared by the scheduler's threads and lock what they change.

Each row starts as the state database recorded it (``recorded_row``: a
rerun of a finished batch shows its AMIs and failures, not ``pending``); an
entry's elapsed time runs from its first change in this run and stops when
it ends.  The live table is laid out for the terminal (``layout``): fewer
columns as it narrows, one line per row, the cells cut with an ellipsis but
never an id (an AMI id fits its column whole), and never taller than the
terminal: the rows that do not fit (the pending and the done first) are
counted in one line, ``… and 287 more: 250 done, 30 waiting, 7 pending``.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, TextIO

from ec2_import_image.importtasks.tasks import (
    ACTIVE,
    Task,
    state_line,
    state_text,
    status,
    status_message,
)
from ec2_import_image.vmimport.state.records import Entry, Phase
from ec2_import_image.vmimport.upload.progress import Progress, human_size

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

#: the row of an entry set aside (its work could not be completed in this run; a rerun goes
#: on): the run's word for it, not a phase of the entry
SET_ASIDE = "incomplete"
#: the phases a row ends in: its elapsed time stops there
ENDED = frozenset({Phase.DONE.value, Phase.FAILED.value, SET_ASIDE})


class Row(NamedTuple):
    name: str
    phase: str = "pending"
    detail: str = ""
    progress: str = ""
    started: float | None = None
    outcome: str = ""
    #: when the entry ended in this run (its elapsed time stops there)
    ended: float | None = None

    def elapsed(self, now: float) -> str:
        if self.started is None:
            return ""
        return elapsed((self.ended if self.ended is not None else now) - self.started)


def recorded_row(entry: Entry) -> Row:
    """An entry's row as the state database recorded it, before this run changes it."""
    attempt = entry.attempt
    if entry.phase is Phase.DONE:
        return Row(entry.name, entry.phase.value, outcome=attempt.image_id or "")
    error = entry.last_error.message if entry.last_error is not None else ""
    if entry.phase is Phase.FAILED:
        return Row(entry.name, entry.phase.value, outcome=error or "failed")
    detail = attempt.image_id or attempt.import_task_id or error
    return Row(entry.name, entry.phase.value, detail=detail or "")


class Board(Protocol):
    def update(self, name: str, *, line: str | None = None, **changes: object) -> None:
        """Change an entry's row; ``line``: what to say of it, one line."""

    def note(self, message: str) -> None:
        """A line about no single entry."""

    def close(self) -> None: ...


class _Rows:
    """The rows, under a lock."""

    def __init__(
        self, names: list[str], clock: Callable[[], float], recorded: Sequence[Row] = ()
    ) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.rows = {name: Row(name) for name in names}
        for row in recorded:
            if row.name in self.rows:
                self.rows[row.name] = row

    def change(self, name: str, changes: dict[str, object]) -> Row:
        with self._lock:
            now = self.clock()
            row = self.rows.get(name, Row(name))
            if row.started is None and "phase" in changes:
                changes.setdefault("started", now)  # the clock runs from its first phase
            phase = changes.get("phase")
            if phase in ENDED and row.ended is None:
                changes["ended"] = now
            elif phase is not None and phase not in ENDED and row.phase in ENDED:
                # started again (--retry-failed): the old outcome is no longer the row's
                changes.update(ended=None, started=now)
                changes.setdefault("outcome", "")
            row = row._replace(**changes)  # type: ignore[arg-type]
            self.rows[name] = row
            return row

    def snapshot(self) -> list[Row]:
        with self._lock:
            return list(self.rows.values())


class LineBoard:
    """One line per change."""

    def __init__(
        self,
        stream: TextIO,
        names: list[str],
        clock: Callable[[], float],
        recorded: Sequence[Row] = (),
    ) -> None:
        self._stream = stream
        self._rows = _Rows(names, clock, recorded)
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


#: the longest id a cell shows, and never cuts: an AMI id (``ami-`` and 17 hex digits)
ID_WIDTH = len("ami-0123456789abcdef0")
#: what an entry's name gets at least, room allowing (most names are shorter)
NAME_WIDTH = 12
#: the ids a cell may show: never in part
ID = re.compile(r"^(ami|snap|import-ami|import-snap)-[0-9a-f]+$")
#: ``10:00:00``
ELAPSED_WIDTH = 8
#: the columns' headers
HEADERS = {
    "entry": "entry",
    "phase": "phase",
    "progress": "progress",
    "elapsed": "elapsed",
    "outcome": "AMI or error",
    "state": "state",
}
#: the fixed widths of the columns that are not the entry's or the outcome's (the phase's
#: when the progress has a column of its own; else it takes the percentage too)
FIXED = {"phase": len("incomplete"), "progress": len("100% of 99.9 GiB"), "elapsed": ELAPSED_WIDTH}
PERCENT = len(" 100%")
#: the table's lines besides its rows: the top border, the header, its rule, the bottom border
CHROME = 4
#: rich's tables pad each cell by one space on either side, and draw a border between cells
PADDING, BORDER = 2, 1


def layout(width: int) -> tuple[str, ...]:
    """The columns a terminal of ``width`` shows: all five from 100 columns on; below, the
    progress joins the phase; below 64, one column says the state (the AMI, the error, or
    the phase and progress) beside the entry's name."""
    if width >= 100:
        return ("entry", "phase", "progress", "elapsed", "outcome")
    if width >= 64:
        return ("entry", "phase", "elapsed", "outcome")
    return ("entry", "state")


def widths(columns: Sequence[str], width: int, longest_name: int) -> dict[str, int]:
    """Each column's width: the fixed ones; the entry's as wide as its longest name, up to
    two fifths of what is left (an error needs room too) and never so wide that the outcome
    has less than ``ID_WIDTH``; the outcome the rest."""
    available = width - BORDER * (len(columns) + 1) - PADDING * len(columns)
    fixed = {name: FIXED[name] for name in columns if name in FIXED}
    if "phase" in fixed and "progress" not in fixed:
        fixed["phase"] += PERCENT
    left = available - sum(fixed.values())
    share = max(NAME_WIDTH, left * 2 // 5)
    name = max(len(HEADERS["entry"]), min(longest_name, share, left - ID_WIDTH))
    last = columns[-1]
    return {**fixed, "entry": name, last: max(ID_WIDTH, left - name)}


def fit_name(name: str, width: int) -> str:
    """An entry's name in ``width`` cells: cut in the middle, since the names of a manifest
    often differ only at their end (``analytics-warehouse-00``, ``-07``)."""
    if len(name) <= width:
        return name
    head = (width - 1) // 2
    tail = width - 1 - head
    return f"{name[:head]}…{name[len(name) - tail :]}" if tail else name[:head] + "…"


def fit(text: str, width: int) -> str:
    """``text`` in ``width`` cells: whole, or cut after a word with an ellipsis, so that an id
    (an AMI, a task) is shown whole or not at all; a single word too long is cut (a name),
    unless it is an id."""
    if len(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    space = cut.rfind(" ")
    if space > 0:
        return cut[:space].rstrip(" :,;(") + "…"
    first = text.split(" ", 1)[0].rstrip(":,;")
    return "…" if ID.match(first) else cut + "…"


def _cells(row: Row, columns: Sequence[str], now: float) -> list[str]:
    percent = row.progress.split(" ", 1)[0]  # ``45% of 3.0 GiB``: 45% where room is short
    moving = f"{row.phase} {percent}".strip()
    said = row.outcome or row.detail
    if row.outcome and row.phase != Phase.DONE.value:
        state = f"{row.phase}: {row.outcome}"
    else:
        state = row.outcome or moving
    values = {
        "entry": row.name,
        "phase": row.phase if "progress" in columns else moving,
        "progress": row.progress,
        "elapsed": row.elapsed(now),
        "outcome": said,
        "state": state,
    }
    return [values[column] for column in columns]


#: the order rows are kept in when not all fit: those at work, then the failed, the done, the
#: pending (the manifest's order among them, and on the screen)
_RANK = {Phase.PENDING.value: 3, Phase.DONE.value: 2, Phase.FAILED.value: 1, SET_ASIDE: 1}


def _shown(rows: Sequence[Row], room: int) -> tuple[list[Row], list[Row]]:
    """The rows that fit in ``room`` lines, in manifest order, and the rest."""
    if len(rows) <= room:
        return list(rows), []
    keep = max(0, room - 1)  # one line says what the rest are
    order = sorted(range(len(rows)), key=lambda i: (_RANK.get(rows[i].phase, 0), i))
    kept = set(order[:keep])
    return (
        [row for i, row in enumerate(rows) if i in kept],
        [row for i, row in enumerate(rows) if i not in kept],
    )


def rest_line(hidden: Sequence[Row]) -> str:
    """``… and 287 more: 250 done, 30 waiting, 7 pending`` (the most common phase first)."""
    counts = Counter(row.phase for row in hidden)
    phases = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return f"… and {len(hidden)} more: " + ", ".join(f"{n} {phase}" for phase, n in phases)


def board_table(rows: Sequence[Row], now: float, width: int, height: int) -> RenderableType:
    """The table for a terminal of ``width`` by ``height`` (see the module's docstring)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    columns = layout(width)
    sized = widths(columns, width, max((len(row.name) for row in rows), default=0))
    shown, hidden = _shown(rows, max(1, height - CHROME - 1))
    table = Table(expand=False)
    for column in columns:
        table.add_column(HEADERS[column], width=sized[column], no_wrap=True, overflow="ellipsis")
    for row in shown:
        cells = _cells(row, columns, now)
        table.add_row(
            *(
                (fit_name if column == "entry" else fit)(cell, sized[column])
                for cell, column in zip(cells, columns, strict=True)
            )
        )
    if not hidden:
        return table
    return Group(table, Text(rest_line(hidden), no_wrap=True, overflow="ellipsis"))


class LiveBoard:
    """A live table on a terminal."""

    def __init__(
        self,
        console: Console,
        names: list[str],
        clock: Callable[[], float],
        recorded: Sequence[Row] = (),
    ) -> None:
        from rich.live import Live

        self._console = console
        self._rows = _Rows(names, clock, recorded)
        self._live: Live = Live(
            get_renderable=self._table, console=console, refresh_per_second=4, transient=False
        )
        self._live.start()

    def _table(self) -> RenderableType:
        size = self._console.size
        return board_table(self._rows.snapshot(), self._rows.clock(), size.width, size.height)

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
        shown = (status(task), status_message(task))
        line = state_line(task) if shown != self._last else None
        self._last = shown
        progress = f"{percent}%" if percent and status(task) == ACTIVE else ""
        self._board.update(self._name, line=line, progress=progress, detail=state_text(task))
