"""The output pager, driven in a pseudo-terminal (the pager only runs when stdout is one)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from tests.support.runner import Harness

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
FAKE_PAGER = """\
import os, sys
with open(sys.argv[1], "w") as out:
    out.write("LESS=" + os.environ.get("LESS", "<unset>") + "\\n")
    out.write(sys.stdin.read())
"""


@pytest.fixture
def tasks(harness: Harness) -> Harness:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "import-full.xml").read_bytes()}]
    }
    return harness


def spawn(harness: Harness, args: list[str], env: dict[str, str]) -> pexpect.spawn[str]:
    # the harness's base environment turns paging off (AWS_PAGER=""); drop it unless given
    unset = [] if "AWS_PAGER" in env else ["AWS_PAGER"]
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm",
        **harness.environment(env, unset),
    }
    return pexpect.spawn(
        sys.executable,
        [
            "-m",
            "ec2_import_image",
            "--endpoint-url",
            harness.endpoint,
            "ec2",
            "import-image",
            *args,
        ],
        env=full_env,
        cwd=str(harness.home),
        dimensions=(24, 200),
        encoding="utf-8",
        timeout=30,
    )


def fake_pager(harness: Harness) -> tuple[str, Path]:
    script = harness.write("fakepager.py", FAKE_PAGER)
    record = harness.home / "paged.txt"
    return f"{sys.executable} {script} {record}", record


def finish(child: pexpect.spawn[str]) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus or 0)


def test_output_goes_through_aws_pager_with_less_flags(tasks: Harness) -> None:
    pager, record = fake_pager(tasks)
    child = spawn(tasks, ["--output", "text"], {"AWS_PAGER": pager})
    assert finish(child) == 0
    paged = record.read_text()
    assert paged.startswith("LESS=FRX\n")
    assert "import-ami-0fedcba9876543210" in paged
    assert "import-ami-0fedcba9876543210" not in (child.before or "")


def test_less_flags_are_not_forced_when_less_is_set(tasks: Harness) -> None:
    pager, record = fake_pager(tasks)
    assert finish(spawn(tasks, [], {"AWS_PAGER": pager, "LESS": "-S"})) == 0
    assert record.read_text().startswith("LESS=-S\n")


@pytest.mark.parametrize(
    ("args", "env"),
    [([], {"AWS_PAGER": ""}), (["--no-cli-pager"], {})],
    ids=["empty-AWS_PAGER", "no-cli-pager"],
)
def test_paging_turned_off(tasks: Harness, args: list[str], env: dict[str, str]) -> None:
    pager, record = fake_pager(tasks)
    child = spawn(tasks, ["--output", "text", *args], {"PAGER": pager, **env})
    child.expect("import-ami-0fedcba9876543210")
    assert finish(child) == 0
    assert not record.exists()


def test_pager_order_aws_pager_then_profile_then_pager(tasks: Harness) -> None:
    pager, record = fake_pager(tasks)
    tasks.write(".aws/config", f"[default]\ncli_pager = {pager}\n")
    # the profile's cli_pager wins over PAGER (which would fail to start)
    assert finish(spawn(tasks, [], {"PAGER": "no-such-pager"})) == 0
    assert record.exists()


def test_a_pager_that_cannot_start_is_a_configuration_error(tasks: Harness) -> None:
    child = spawn(tasks, [], {"AWS_PAGER": "no-such-pager-program"})
    child.expect("Unable to redirect output to pager")
    assert finish(child) == 253


def test_nothing_is_paged_when_stdout_is_not_a_terminal(tasks: Harness) -> None:
    pager, record = fake_pager(tasks)
    result = tasks.run_process(
        ["--endpoint-url", tasks.endpoint, "ec2", "import-image"], env={"AWS_PAGER": pager}
    )
    assert result.rc == 0
    assert "import-ami-0fedcba9876543210" in result.stdout
    assert not record.exists()


needs_less = pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")


@needs_less
def test_long_output_waits_in_less(tasks: Harness) -> None:
    child = spawn(tasks, ["--output", "table"], {"AWS_PAGER": "less"})
    child.expect("ImportImage")
    assert child.isalive()  # more than one screen: less waits for the user
    child.send("q")
    assert finish(child) == 0


@needs_less
def test_short_output_does_not_wait_in_less(harness: Harness) -> None:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "import-minimal.xml").read_bytes()}]
    }
    child = spawn(harness, ["--output", "text"], {"AWS_PAGER": "less"})
    child.expect("import-ami-0aaaabbbbccccdddd")
    assert finish(child) == 0  # LESS=FRX: one screen quits by itself
