"""A reader that goes away (``aws ... | head -1``) ends the run as it ends v2's.

Measured with AWS CLI v2.36.7 on a describe-import-image-tasks output of a few
hundred KB piped into ``head -1``: json, table, yaml and yaml-stream end quietly
with 0; text ends with ``[Errno 32] Broken pipe`` and 255 (its renderer lets
write errors through); the yaml-input skeleton too, when the pipe is closed
before anything is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runner import Harness

TOOL = (sys.executable, "-m", "ec2_import_image")
RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"


def many_tasks() -> bytes:
    page = (RESPONSES / "tasks-page1.xml").read_text()
    start = page.index("<importImageTaskSet>") + len("<importImageTaskSet>")
    end = page.index("</importImageTaskSet>")
    body = page[:start] + page[start:end] * 600 + page[end:]
    return body.replace("<nextToken>token-page-2</nextToken>", "").encode()


def piped_into_head(harness: Harness, argv: list[str]) -> tuple[int, str]:
    env = {"PATH": os.environ.get("PATH", ""), **harness.environment()}
    tool = subprocess.Popen(
        [*TOOL, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=harness.home,
    )
    assert tool.stdout is not None and tool.stderr is not None
    tool.stdout.readline()  # `head -1`: one line, then the reader is gone
    tool.stdout.close()
    err = tool.stderr.read().decode()
    tool.stderr.close()
    return tool.wait(timeout=60), err


@pytest.fixture
def big(harness: Harness) -> Harness:
    harness.stub.replies = {"DescribeImportImageTasks": [{"status": 200, "body": many_tasks()}]}
    return harness


@pytest.mark.parametrize("fmt", ["json", "table", "yaml", "yaml-stream"])
def test_formats_that_end_quietly(big: Harness, fmt: str) -> None:
    argv = ["--endpoint-url", big.endpoint, "ec2", "describe-import-image-tasks", "--output", fmt]
    rc, err = piped_into_head(big, argv)
    assert (rc, err) == (0, "")


def test_text_reports_the_broken_pipe(big: Harness) -> None:
    argv = [
        "--endpoint-url",
        big.endpoint,
        "ec2",
        "describe-import-image-tasks",
        "--output",
        "text",
    ]
    rc, err = piped_into_head(big, argv)
    assert (rc, err) == (255, "\naws: [ERROR]: [Errno 32] Broken pipe\n")


def test_yaml_input_skeleton_into_a_closed_pipe(harness: Harness) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {"PATH": os.environ.get("PATH", ""), **harness.environment()}
    try:
        proc = subprocess.run(
            [*TOOL, "ec2", "import-image", "--generate-cli-skeleton", "yaml-input"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 255
    assert proc.stderr.decode() == "\naws: [ERROR]: [Errno 32] Broken pipe\n"
