"""``import-image --wait`` and ``ec2 wait image-import-completed`` against a scripted endpoint."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from ec2_import_image.dropin.commands import wait as wait_module
from tests.support.runner import Harness

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
TASK_ID = "import-ami-1234567890abcdef0"
WAIT = ["ec2", "wait", "image-import-completed", "--import-task-ids"]


def describe(status: str, message: str = "", progress: str = "", image: str = "") -> bytes:
    fields = [f"<importTaskId>{TASK_ID}</importTaskId>", f"<status>{status}</status>"]
    if message:
        fields.append(f"<statusMessage>{message}</statusMessage>")
    if progress:
        fields.append(f"<progress>{progress}</progress>")
    if image:
        fields.append(f"<imageId>{image}</imageId>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImportImageTasksResponse '
        'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
        f"<importImageTaskSet><item>{''.join(fields)}</item></importImageTaskSet>"
        "</DescribeImportImageTasksResponse>"
    ).encode()


LIFECYCLE = [
    {"status": 200, "body": describe("active", "pending", "2")},
    {"status": 200, "body": describe("active", "converting", "28")},
    {"status": 200, "body": describe("active", "converting", "28")},
    {"status": 200, "body": describe("completed", image="ami-0123456789abcdef0")},
]


def import_wait(harness: Harness) -> list[str]:
    return ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--wait"]


def waiter(harness: Harness, *task_ids: str) -> list[str]:
    base = ["--endpoint-url", harness.endpoint, "ec2", "wait", "image-import-completed"]
    return [*base, "--import-task-ids", *task_ids]


@pytest.fixture(autouse=True)
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wait_module, "FIRST_DELAY", 0.0)


@pytest.fixture
def importing(harness: Harness) -> Harness:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "ImportImage.xml").read_bytes()}],
        "DescribeImportImageTasks": LIFECYCLE,
    }
    return harness


def test_import_image_wait_prints_the_final_task(importing: Harness) -> None:
    result = importing.run(
        [
            *("--endpoint-url", importing.endpoint, "ec2", "import-image", "--wait"),
            "--query",
            "ImageId",
            "--output",
            "text",
        ]
    )
    assert result.rc == 0
    assert result.stdout == "ami-0123456789abcdef0\n"
    assert result.actions == ["ImportImage", *["DescribeImportImageTasks"] * 4]
    assert dict(result.requests[1].form)["ImportTaskId.1"] == TASK_ID
    assert result.stderr.splitlines() == [
        f"{TASK_ID}: active, pending (2%)",
        f"{TASK_ID}: active, converting (28%)",
        f"{TASK_ID}: completed",
    ]


def test_import_image_wait_json(importing: Harness) -> None:
    result = importing.run(import_wait(importing))
    assert json.loads(result.stdout) == {
        "ImageId": "ami-0123456789abcdef0",
        "ImportTaskId": TASK_ID,
        "Status": "completed",
    }


def test_a_deleted_task_is_a_waiter_failure_with_a_hint(harness: Harness) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            {"status": 200, "body": describe("active", "validating", "10")},
            {
                "status": 200,
                "body": describe("deleted", "ClientError: Unsupported VMDK File Format"),
            },
        ]
    }
    result = harness.run(["--endpoint-url", harness.endpoint, *WAIT, TASK_ID])
    assert result.rc == 255
    assert result.stdout == ""
    assert result.stderr.endswith(
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: Waiter encountered a terminal "
        'failure state: For expression "ImportImageTasks[].Status" we matched expected path: '
        '"deleted" at least once\n'
        f"{TASK_ID}: ClientError: Unsupported VMDK File Format\n"
        "What usually fixes it: VM Import reads stream-optimized VMDKs only: export the VM as "
        "OVA, or convert the disk (qemu-img convert -O vmdk -o subformat=streamOptimized).\n"
    )


def test_wait_command_is_silent_on_success(importing: Harness) -> None:
    result = importing.run(["--endpoint-url", importing.endpoint, *WAIT, TASK_ID])
    assert (result.rc, result.stdout) == (0, "")
    assert len(result.requests) == 4


def test_a_refused_poll_is_a_waiter_failure(harness: Harness) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            {"status": 400, "body": (RESPONSES / "err-InvalidConversionTaskId.xml").read_bytes()}
        ]
    }
    result = harness.run(["--endpoint-url", harness.endpoint, *WAIT, "import-ami-nope"])
    assert result.rc == 255
    assert result.stderr == (
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: An error occurred "
        "(InvalidConversionTaskId.Malformed): The import task ID 'import-ami-nope' is malformed.\n"
    )


def test_ctrl_c_stops_waiting_and_says_how_to_resume(
    importing: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", interrupt)
    result = importing.run(import_wait(importing))
    assert result.rc == 130
    assert result.stdout == "\n"
    assert f"aws ec2 wait image-import-completed --import-task-ids {TASK_ID}" in result.stderr
    assert f"aws ec2 cancel-import-task --import-task-id {TASK_ID}" in result.stderr


def test_wait_usage_errors(harness: Harness) -> None:
    bare = harness.run(["ec2", "wait"])
    assert (bare.rc, bare.stderr) == (
        252,
        "\naws: [ERROR]: An error occurred (ParamValidation): usage: aws [options] ec2 wait "
        "<subcommand> [parameters]\naws: [ERROR]: too few arguments\n",
    )
    other = harness.run(["ec2", "wait", "image-available"])
    assert other.rc == 252
    assert "does not implement" in other.stderr


def test_progress_bar_on_a_terminal(importing: Harness) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "TERM": "xterm", **importing.environment()}
    fast = (
        "from ec2_import_image.dropin.commands import wait; wait.FIRST_DELAY = 0.2\n"
        "from ec2_import_image.dropin.entry import aws_main; aws_main()"
    )
    child = pexpect.spawn(
        sys.executable,
        ["-c", fast, *import_wait(importing)],
        env=env,
        cwd=str(importing.home),
        dimensions=(24, 120),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(r"28%.*converting")  # the bar: percentage, then the status message
    child.expect("ami-0123456789abcdef0")  # then the final task on stdout
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
