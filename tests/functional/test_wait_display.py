"""The waiter's progress bar on a real terminal (a pty), at several widths and locales.

The child process runs ``entry.main`` with an Environment whose ``sleep`` is
cut short (the waiter's delays are seconds; the test need not wait them).
"""

from __future__ import annotations

import os
import re
import sys

import pexpect
import pytest

from tests.support.importtasks import (
    COMPLETED,
    TASK_ID,
    describe,
    recorded,
)
from tests.support.runner import Harness

FAST = (
    "import sys, time\n"
    "from ec2_import_image.dropin.entry import main\n"
    "from ec2_import_image.environment import Environment\n"
    "env = Environment(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))\n"
    "sys.exit(main(sys.argv[1:], env))\n"
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
POLLS = [
    describe("active", "converting", "28"),
    describe("active", "booting", "58"),
    describe("active", "preparing ami", "84"),
    COMPLETED,
]


def spawn(harness: Harness, columns: int, lang: str) -> pexpect.spawn[str]:
    harness.stub.replies = {
        "ImportImage": [recorded("ImportImage")],
        "DescribeImportImageTasks": POLLS,
    }
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm",
        **harness.environment({"LANG": lang}),
    }
    argv = ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--wait"]
    return pexpect.spawn(
        sys.executable,
        ["-c", FAST, *argv, "--query", "ImageId", "--output", "text"],
        env=env,
        cwd=str(harness.home),
        dimensions=(24, columns),
        encoding="utf-8",
        timeout=30,
    )


def frames(output: str) -> list[str]:
    """The rows drawn, colours removed, one per redraw."""
    rows = re.split(r"[\r\n]+", ANSI.sub("", output))
    return [row for row in rows if TASK_ID[:12] in row and "started" not in row]


def finish(child: pexpect.spawn[str]) -> str:
    child.expect("ami-0123456789abcdef0")
    output = str(child.before)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return output


def test_progress_bar_on_a_terminal(harness: Harness) -> None:
    child = spawn(harness, 120, "C.UTF-8")
    child.expect(r"28%.*converting")  # the bar: percentage, then the status message
    output = finish(child)
    drawn = frames(output)
    assert "\u2501" in output  # rich's bar, in UTF-8
    assert re.search(r"100% completed\s+\d+:\d\d:\d\d", drawn[-1]), drawn[-1]


@pytest.mark.parametrize("lang", ["C.UTF-8", "C"])
def test_at_40_columns_the_id_and_percentage_stay_whole(harness: Harness, lang: str) -> None:
    output = finish(spawn(harness, 40, lang))
    drawn = frames(output)
    assert drawn
    for row in drawn:
        assert len(row) <= 39
        assert re.match(rf"{TASK_ID}\s+\d+%", row), row
    assert re.match(rf"{TASK_ID}\s+100% co", drawn[-1]), drawn[-1]
    assert any(" 58% " in row for row in drawn)  # the state of each poll is drawn
    assert f"Import task {TASK_ID} started" in output


def test_without_a_utf8_locale_the_bar_is_ascii(harness: Harness) -> None:
    output = finish(spawn(harness, 100, "C"))
    assert output.isascii()
    drawn = frames(output)
    assert "-" * 10 in drawn[-1]  # the bar, drawn with dashes
    assert re.search(r"100% completed", drawn[-1])
