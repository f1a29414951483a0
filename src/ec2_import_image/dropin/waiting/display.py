"""Progress on stderr while waiting: a bar per task on a terminal, plain lines elsewhere.

A CI log gets one plain line each time a task's status, message or progress
changes, and each notice (a failed poll, its recovery) as a line of its own.
A terminal gets rich's live display, laid out for its width at each refresh:
the task id is never cut and the percentage stays visible down to 40
columns; the bar, the status message and the elapsed time take what is left,
in that order of sacrifice.  Without a UTF-8 locale the bar is drawn in ASCII.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TextIO

from ec2_import_image.environment import Environment
from ec2_import_image.importtasks.tasks import SUCCESS, Task, state_line, status, task_id

if TYPE_CHECKING:
    from rich.progress import Task as BarTask
    from rich.table import Table

#: columns of the percentage ("100%"), the elapsed time ("10:00:00"), the narrowest bar
PERCENT, ELAPSED, MIN_BAR, MAX_BAR = 4, 8, 10, 40
#: the narrowest status message worth showing beside a bar, and one beside an elapsed time
MIN_TEXT, MIN_TEXT_WITH_TIME = 16, 20


class Reporter(Protocol):
    """Where the waiter shows progress and notices."""

    def update(self, tasks: Sequence[Task]) -> None: ...

    def note(self, text: str) -> None: ...

    def close(self) -> None: ...


#: what Python sets LC_CTYPE to when it coerces a C or POSIX locale (PEP 538)
COERCED_LOCALES = ("C.UTF-8", "C.utf8", "UTF-8")


def locale_name(environ: Mapping[str, str]) -> str:
    """The locale of the user's terminal: LC_ALL, else LC_CTYPE, else LANG.

    An LC_CTYPE of C.UTF-8 beside a LANG that is C, POSIX or unset is Python's
    own coercion of the C locale (PEP 538), not the terminal's: LANG decides.
    """
    lc_all = environ.get("LC_ALL") or ""
    lc_ctype = environ.get("LC_CTYPE") or ""
    lang = environ.get("LANG") or ""
    if lc_all:
        return lc_all
    if lc_ctype and not (lc_ctype in COERCED_LOCALES and lang in ("", "C", "POSIX")):
        return lc_ctype
    return lang


def wants_utf8(env: Environment) -> bool:
    """Whether the locale and stderr speak UTF-8 (else the bar is drawn in ASCII)."""
    locale = locale_name(env.environ).lower().replace("-", "")
    encoding = (getattr(env.stderr, "encoding", None) or "utf-8").lower().replace("_", "-")
    return "utf8" in locale and encoding in ("utf-8", "utf8")


def make_reporter(env: Environment) -> Reporter:
    """A bar on a terminal (not a dumb one), plain lines otherwise."""
    if env.stderr_isatty and env.get("TERM") != "dumb":
        return BarReporter(env.stderr, env.environ, ascii_only=not wants_utf8(env))
    return PlainReporter(env.stderr)


class PlainReporter:
    """One line on stderr each time a task's status, message or progress changes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last: dict[str, str] = {}

    def update(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            line = state_line(task)
            if self._last.get(task_id(task)) != line:
                self._last[task_id(task)] = line
                self._write(line)

    def note(self, text: str) -> None:
        self._write(text)

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        pass


class Layout(NamedTuple):
    """The widths of one row of the bar display; 0 leaves a column out."""

    id_width: int
    bar: int
    text: int
    elapsed: bool


def layout(width: int, id_width: int) -> Layout:
    """Fit a row into ``width`` columns: task id and percentage first, then the rest.

    One column is left free so that a full row never makes the terminal wrap.
    """
    rest = width - 1 - id_width - (1 + PERCENT)
    elapsed = rest >= (1 + ELAPSED) + (1 + MIN_BAR) + (1 + MIN_TEXT_WITH_TIME)
    if elapsed:
        rest -= 1 + ELAPSED
    bar = 0
    if rest >= (1 + MIN_BAR) + (1 + MIN_TEXT):
        bar = min(MAX_BAR, rest - 1 - (1 + MIN_TEXT))
        rest -= 1 + bar
    return Layout(id_width, bar, max(rest - 1, 0), elapsed)


def shorten(text: str, width: int, ascii_only: bool) -> str:
    """``text`` cut to ``width`` columns, the cut marked with an ellipsis."""
    if len(text) <= width:
        return text
    mark = "..." if ascii_only else "\u2026"
    if width <= len(mark):
        return text[:width]
    return text[: width - len(mark)] + mark


class BarReporter:
    """rich's live display on stderr, one row per task (see ``layout``)."""

    def __init__(self, stream: TextIO, environ: Mapping[str, str], *, ascii_only: bool) -> None:
        from rich.console import Console
        from rich.progress import Progress

        ascii_only_ = ascii_only

        class _Console(Console):
            @property
            def encoding(self) -> str:
                return "ascii" if ascii_only_ else super().encoding

        console = _Console(file=stream, force_terminal=True, _environ=dict(environ))

        class _Bars(Progress):
            def make_tasks_table(self, tasks: Iterable[BarTask]) -> Table:
                return _table(console.width, list(tasks), ascii_only_)

        self._progress = _Bars(console=console, transient=False)
        self._bars: dict[str, Any] = {}
        self._started = self._stopped = False

    def update(self, tasks: Sequence[Task]) -> None:
        if self._stopped:
            return
        if not self._started:  # started by the first tasks: no empty display before them
            self._started = True
            self._progress.start()
        for task in tasks:
            key = task_id(task)
            label = str(task.get("StatusMessage") or status(task))
            done = 100.0 if status(task) == SUCCESS else _progress(task)
            if key not in self._bars:
                self._bars[key] = self._progress.add_task(
                    label, total=100.0, completed=round(done), task_id=key
                )
            else:
                self._progress.update(self._bars[key], completed=done, description=label)
        self._progress.refresh()

    def note(self, text: str) -> None:
        from rich.text import Text

        self._progress.console.print(Text(text), soft_wrap=True)

    def close(self) -> None:
        if self._started and not self._stopped:
            self._progress.stop()
        self._stopped = True


def _progress(task: Task) -> float:
    try:
        return float(task.get("Progress") or 0)
    except ValueError:
        return 0.0


def _table(width: int, tasks: list[BarTask], ascii_only: bool) -> Table:
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    visible = [t for t in tasks if t.visible]
    ids = [str(t.fields.get("task_id", "")) for t in visible]
    fit = layout(width, max((len(i) for i in ids), default=0))
    table = Table.grid(padding=(0, 1))
    table.add_column(width=fit.id_width, no_wrap=True)
    if fit.bar:
        table.add_column(width=fit.bar, no_wrap=True)
    table.add_column(width=PERCENT, no_wrap=True, justify="right")
    if fit.text:
        table.add_column(width=fit.text, no_wrap=True, overflow="crop")
    if fit.elapsed:
        table.add_column(width=ELAPSED, no_wrap=True, justify="right")
    for key, task in zip(ids, visible, strict=True):
        row: list[Any] = [Text(key)]
        if fit.bar:
            row.append(ProgressBar(total=100.0, completed=task.completed, width=fit.bar))
        row.append(Text(f"{task.percentage:>3.0f}%", style="progress.percentage"))
        if fit.text:
            row.append(Text(shorten(task.description, fit.text, ascii_only)))
        if fit.elapsed:
            row.append(Text(_clock(task.elapsed or 0.0), style="progress.elapsed"))
        table.add_row(*row)
    return table


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
