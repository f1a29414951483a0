"""What a person watching ``vmimport batch`` sees: the live table on a terminal, one line per
change elsewhere, and the entries' reporters that feed both."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ec2_import_image.vmimport.engine.board import EntryLine, LineBoard, LiveBoard, RowProgress
from ec2_import_image.vmimport.state.records import Phase

MiB = 1024 * 1024
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def terminal(width: int) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    console = Console(
        file=stream, force_terminal=True, width=width, color_system=None, legacy_windows=False
    )
    return console, stream


def last_table(text: str) -> list[str]:
    """The last drawing of the table: the lines from its last top border on."""
    lines = ANSI.sub("", text).replace("\r", "\n").split("\n")
    top = max(i for i, line in enumerate(lines) if line.startswith("┏"))
    return [line for line in lines[top:] if line.strip()]


def test_the_line_board_writes_one_line_per_change_and_nothing_for_silent_updates() -> None:
    stream = io.StringIO()
    board = LineBoard(stream, ["vm-00", "vm-01"], Clock())
    board.update("vm-00", line="hashing web.vmdk (3.0 GiB)", phase="hashing")
    board.update("vm-00", progress="50% of 3.0 GiB")  # progress alone: no line
    board.note("2 import tasks active in the account, 5 allowed")
    board.update("vm-01", line="started the import task import-ami-0123")
    board.close()
    assert stream.getvalue().splitlines() == [
        "vm-00: hashing web.vmdk (3.0 GiB)",
        "2 import tasks active in the account, 5 allowed",
        "vm-01: started the import task import-ami-0123",
    ]


def test_the_live_table_shows_each_entry_its_phase_progress_elapsed_time_and_outcome() -> None:
    clock = Clock()
    console, stream = terminal(100)
    board = LiveBoard(console, ["vm-00", "vm-01", "vm-02"], clock)
    board.update("vm-00", line="uploading", phase="uploading", progress="40% of 3.0 GiB")
    clock.now += 65
    board.update("vm-01", phase="done", outcome="ami-0abc")
    clock.now += 3_600
    board.note("the quota is reached: waiting for a slot")
    board.update("vm-02", line="no such file", phase="failed")
    board.close()
    text = ANSI.sub("", stream.getvalue())
    assert "the quota is reached: waiting for a slot" in text
    table = last_table(stream.getvalue())
    header = table[1]
    for column in ("entry", "phase", "progress", "elapsed", "AMI or error"):
        assert column in header
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[1:-1]]
        for line in table
        if line.startswith("│") and "vm-" in line
    }
    assert rows["vm-00"] == ["vm-00", "uploading", "40% of 3.0 GiB", "1:01:05", "uploading"]
    assert rows["vm-01"] == ["vm-01", "done", "", "1:00:00", "ami-0abc"]
    # an entry's line becomes its detail; the outcome, once there, wins over it
    assert rows["vm-02"] == ["vm-02", "failed", "", "0:00:00", "no such file"]


@pytest.mark.parametrize("width", [40, 60])
def test_a_narrow_terminal_folds_the_cells_and_loses_nothing(width: int) -> None:
    console, stream = terminal(width)
    board = LiveBoard(console, ["web-server-01"], Clock())
    error = "ClientError: Unknown OS / Missing OS files"
    board.update("web-server-01", phase="failed", outcome=error)
    board.close()
    table = last_table(stream.getvalue())
    assert all(len(line) <= width for line in table)
    folded = "".join(line.split("│")[-2].strip() for line in table if line.startswith("│"))
    assert error.replace(" ", "") in folded.replace(" ", "")


def test_progress_is_shown_at_most_four_times_a_second_and_always_when_complete() -> None:
    stream = io.StringIO()
    board = LineBoard(stream, ["vm-00"], Clock())
    seen: list[str] = []
    original = board.update

    def update(name: str, *, line: str | None = None, **changes: object) -> None:
        if "progress" in changes:
            seen.append(str(changes["progress"]))
        original(name, line=line, **changes)

    board.update = update  # type: ignore[method-assign]
    ticks = Clock(50.0)
    progress = RowProgress(board, "vm-00", monotonic=ticks)
    progress.begin("uploading web.vmdk", 100 * MiB)
    for _ in range(10):  # ten blocks within 0.1 s: one shown
        progress.advance(5 * MiB)
        ticks.now += 0.01
    ticks.now += 0.3
    progress.advance(10 * MiB)  # a quarter second later: shown
    progress.advance(40 * MiB)  # complete: shown at once
    progress.end("uploaded web.vmdk")
    assert seen == [
        "0% of 100.0 MiB",
        "5% of 100.0 MiB",
        "60% of 100.0 MiB",
        "100% of 100.0 MiB",
        "",
    ]
    assert stream.getvalue().splitlines() == [
        "vm-00: uploading web.vmdk (100.0 MiB)",
        "vm-00: uploaded web.vmdk",
    ]


def test_an_entry_says_a_task_state_once_and_shows_its_percentage_while_active() -> None:
    stream = io.StringIO()
    board = LineBoard(stream, ["vm-00"], Clock())
    entry = EntryLine(board, "vm-00")
    entry.phase(Phase.WAITING, "waiting for import-ami-0123")
    task = {"ImportTaskId": "import-ami-0123", "Status": "active", "StatusMessage": "converting"}
    entry.task({**task, "Progress": "28"})
    entry.task({**task, "Progress": "30"})  # the same state, further on: no new line
    entry.task({**task, "StatusMessage": "booting", "Progress": "70"})
    entry.task({"ImportTaskId": "import-ami-0123", "Status": "completed", "ImageId": "ami-1"})
    assert stream.getvalue().splitlines() == [
        "vm-00: waiting for import-ami-0123",
        "vm-00: import-ami-0123: active, converting (28%)",
        "vm-00: import-ami-0123: active, booting (70%)",
        "vm-00: import-ami-0123: completed",
    ]
