"""What a person watching ``vmimport batch`` sees: the live table on a terminal, one line per
change elsewhere, and the entries' reporters that feed both."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ec2_import_image.vmimport.engine.board import (
    EntryLine,
    LineBoard,
    LiveBoard,
    Row,
    RowProgress,
)
from ec2_import_image.vmimport.state.records import Phase

MiB = 1024 * 1024
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def terminal(width: int, height: int = 25) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    console = Console(
        file=stream,
        force_terminal=True,
        width=width,
        height=height,
        color_system=None,
        legacy_windows=False,
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
    # an entry's elapsed time stops when it ends
    assert rows["vm-01"] == ["vm-01", "done", "", "0:00:00", "ami-0abc"]
    # an entry's line becomes its detail; the outcome, once there, wins over it
    assert rows["vm-02"] == ["vm-02", "failed", "", "0:00:00", "no such file"]


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


AMI = "ami-0123456789abcdef0"
TASK = "import-ami-0fedcba9876543210"
ERROR = "ClientError: Unknown OS / Missing OS files"


def busy_board(console: Console, clock: Clock, pending: int) -> LiveBoard:
    """A batch under way: done, uploading, waiting, failed and pending entries."""
    names = [f"web-{i:02d}" for i in range(3)] + ["db-01", "vm-03", "vm-04"]
    names += [f"later-{i:03d}" for i in range(pending)]
    board = LiveBoard(console, names, clock)
    for name in names[:3]:
        board.update(name, phase="done", outcome=AMI)
    board.update("db-01", phase="uploading", progress="45% of 3.0 GiB")
    board.update("vm-03", phase="failed", outcome=ERROR)
    board.update("vm-04", phase="waiting", line=f"started the import task {TASK}")
    clock.now += 125
    return board


def drawn(stream: io.StringIO) -> list[str]:
    """The last drawing: its table and the line under it, if any."""
    lines = ANSI.sub("", stream.getvalue()).replace("\r", "\n").split("\n")
    top = max(i for i, line in enumerate(lines) if line.startswith("┏"))
    return [line for line in lines[top:] if line.strip()]


def cells(lines: list[str]) -> dict[str, list[str]]:
    return {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[1:-1]]
        for line in lines
        if line.startswith("│")
    }


@pytest.mark.parametrize(
    ("width", "headers"),
    [
        (40, ["entry", "state"]),
        (70, ["entry", "phase", "elapsed", "AMI or error"]),
        (100, ["entry", "phase", "progress", "elapsed", "AMI or error"]),
    ],
)
def test_the_table_is_laid_out_for_the_width_with_ids_whole(width: int, headers: list[str]) -> None:
    console, stream = terminal(width, height=24)
    board = busy_board(console, Clock(), pending=2)
    board.close()
    lines = drawn(stream)
    assert all(len(line) <= width for line in lines)
    assert [cell.strip() for cell in lines[1].split("┃")[1:-1]] == headers
    rows = cells(lines)
    assert len(rows) == 8  # one line per entry: nothing folds onto a second line
    done = rows["web-00"]
    assert AMI in done  # an AMI id is never cut
    for row in rows.values():
        for cell in row:  # an id is shown whole, or not at all
            assert all(
                word in (AMI, TASK)
                for word in cell.split()
                if word.startswith(("ami-", "import-ami"))
            )
    if width == 40:
        assert rows["db-01"] == ["db-01", "uploading 45%"]
        assert rows["vm-03"][1] == "failed: ClientError…"  # the rest: the summary, results
    if width == 100:
        assert rows["db-01"][1:4] == ["uploading", "45% of 3.0 GiB", "0:02:05"]
        assert rows["vm-03"][4] == "ClientError: Unknown OS / Missing OS…"  # cut after a word


@pytest.mark.parametrize("width", [40, 100])
def test_the_table_is_never_taller_than_the_terminal(width: int) -> None:
    console, stream = terminal(width, height=20)
    board = busy_board(console, Clock(), pending=300)
    board.close()
    lines = drawn(stream)
    assert len(lines) <= 20
    rows = cells(lines)
    # what is at work and what failed stay in sight; the rest is counted
    assert {"db-01", "vm-03", "vm-04"} <= set(rows)
    hidden = 306 - len(rows)
    assert lines[-1].startswith(f"… and {hidden} more: ")
    shown_pending = sum(1 for name in rows if name.startswith("later-"))
    shown_done = sum(1 for name in rows if name.startswith("web-"))
    assert lines[-1] == (
        f"… and {hidden} more: {300 - shown_pending} pending, {3 - shown_done} done"
        if shown_done < 3
        else f"… and {hidden} more: {300 - shown_pending} pending"
    )


def test_a_failed_entrys_elapsed_time_stops_with_it() -> None:
    clock = Clock()
    console, stream = terminal(100)
    board = LiveBoard(console, ["vm-00", "vm-01"], clock)
    board.update("vm-00", phase="uploading")
    board.update("vm-01", phase="uploading")
    clock.now += 30
    board.update("vm-00", phase="failed", outcome=ERROR)
    clock.now += 600
    board.close()
    rows = cells(drawn(stream))
    assert rows["vm-00"][3] == "0:00:30"
    assert rows["vm-01"][3] == "0:10:30"


def test_rows_start_from_what_the_state_database_recorded() -> None:
    console, stream = terminal(100)
    recorded = [
        Row("vm-00", "done", outcome=AMI),
        Row("vm-01", "failed", outcome=ERROR),
        Row("vm-02", "waiting", detail=TASK),
    ]
    board = LiveBoard(console, ["vm-00", "vm-01", "vm-02", "vm-03"], Clock(), recorded)
    board.close()
    rows = cells(drawn(stream))
    assert rows["vm-00"] == ["vm-00", "done", "", "", AMI]
    assert rows["vm-01"] == ["vm-01", "failed", "", "", ERROR]
    assert rows["vm-02"] == ["vm-02", "waiting", "", "", TASK]
    assert rows["vm-03"] == ["vm-03", "pending", "", "", ""]


def test_long_names_are_cut_in_the_middle_and_stay_apart() -> None:
    console, stream = terminal(40)
    names = ["analytics-warehouse-00", "analytics-warehouse-07"]
    board = LiveBoard(console, names, Clock())
    board.close()
    shown = list(cells(drawn(stream)))
    assert shown == ["analy…use-00", "analy…use-07"]
