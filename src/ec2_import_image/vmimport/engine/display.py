"""What a person watching ``vmimport import`` sees on stderr: each step, bytes, the task.

On a terminal (``RichReporter``): the steps printed with rich, a bar for the
bytes hashed and uploaded (``upload.progress.RichProgress``) and one for the
import task's progress while it runs.  Elsewhere (``LineReporter``: logs,
pipes, CI): one line per step and one per change of the task's state, never a
line per poll.  Both are what ``entry.Reporter`` asks for.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, TextIO

from ec2_import_image.importtasks.tasks import (
    ACTIVE,
    Task,
    state_line,
    state_text,
    status,
    status_message,
    task_id,
)
from ec2_import_image.vmimport.state.records import Phase
from ec2_import_image.vmimport.upload.progress import LineProgress, Progress, RichProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as Bars
    from rich.progress import TaskID


class LineReporter:
    """One line per step and per change of the task's state."""

    def __init__(self, stream: TextIO, prefix: str = "") -> None:
        self._stream = stream
        self._prefix = prefix
        self._lock = threading.Lock()
        self._last: tuple[str, str, object] | None = None
        self.progress: Progress = LineProgress(stream, prefix)

    def phase(self, phase: Phase, message: str) -> None:
        self.step(message)

    def step(self, message: str) -> None:
        with self._lock:
            self._stream.write(f"{self._prefix}{message}\n")
            self._stream.flush()

    def task(self, task: Task) -> None:
        """A line when a task's status or StatusMessage changes (not at each percent; each of
        the snapshot road's tasks on its own)."""
        shown = (task_id(task), status(task), status_message(task))
        if shown != self._last:
            self._last = shown
            self.step(state_line(task))

    def close(self) -> None:
        pass


class RichReporter:
    """Steps printed with rich; bars for the bytes and for the running task."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self.progress: Progress = RichProgress(console)
        self._bars: Bars | None = None
        self._bar: TaskID | None = None
        self._last: tuple[str, str, object] | None = None

    def phase(self, phase: Phase, message: str) -> None:
        self.step(message)

    def step(self, message: str) -> None:
        self._console.print(message, markup=False, highlight=False)

    def task(self, task: Task) -> None:
        text = state_text(task)
        shown = (task_id(task), status(task), status_message(task))
        if shown != self._last:
            self._last = shown
            self.step(state_line(task))
        if status(task) != ACTIVE:
            self.close()
            return
        percent = str(task.get("Progress") or "0")
        done = int(percent) if percent.isdigit() else 0
        if self._bars is None:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self._bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                console=self._console,
                transient=True,
            )
            self._bars.start()
            self._bar = self._bars.add_task(str(task.get("ImportTaskId", "")), total=100)
        assert self._bar is not None
        self._bars.update(self._bar, completed=done, description=f"{text}")

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
            self._bar = None
