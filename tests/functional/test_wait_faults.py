"""Waiting through faults: transient failures are outlasted, permanent ones end the wait.

``AWS_MAX_ATTEMPTS=1`` makes each poll one request (botocore's own back-off
between attempts is real time); the waiter's own time is the fake clock's.
"""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import NoCredentialsError

from ec2_import_image.dropin.errors import NoCredentialsError as CliNoCredentialsError
from ec2_import_image.dropin.waiting.waiter import Limits, Selection, Waiter
from ec2_import_image.environment import Environment
from tests.support.clock import FakeClock
from tests.support.importtasks import (
    COMPLETED,
    TASK_ID,
    UNAVAILABLE,
    describe,
    error_reply,
    recorded,
)
from tests.support.runner import Harness, Run

ONE_ATTEMPT = {"AWS_MAX_ATTEMPTS": "1"}
WAITER = ["ec2", "wait", "image-import-completed", "--import-task-ids", TASK_ID]
STARTED = f"Import task {TASK_ID} started; waiting until it is completed."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def import_wait(
    harness: Harness,
    clock: FakeClock,
    polls: list[dict[str, object]],
    *argv: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
) -> Run:
    harness.stub.replies = {
        "ImportImage": [recorded("ImportImage")],
        "DescribeImportImageTasks": polls,
    }
    return harness.run(
        ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--wait", *argv],
        env={**ONE_ATTEMPT, **(env or {})},
        unset=unset,
        clock=clock,
    )


def hints(options: str) -> str:
    """The resume and cancel commands of the task, with the options that reach it."""
    return (
        "To wait again:\n"
        f"  aws ec2 wait image-import-completed --import-task-ids {TASK_ID} {options}\n"
        "To cancel the import:\n"
        f"  aws ec2 cancel-import-task --import-task-id {TASK_ID} {options}\n"
    )


def test_503s_for_a_while_then_completed(harness: Harness, clock: FakeClock) -> None:
    result = import_wait(
        harness, clock, [UNAVAILABLE] * 4 + [COMPLETED], "--query", "ImageId", "--output", "text"
    )
    assert result.rc == 0
    assert result.stdout == "ami-0123456789abcdef0\n"
    lines = result.stderr.splitlines()
    assert lines[:2] == [STARTED, f"{TASK_ID}: active, pending (2%)"]
    failed = [line for line in lines if line.startswith("Poll failed")]
    assert failed[0] == (
        "Poll failed (An error occurred (503): Service Unavailable); trying again in 2 s "
        "(failing for 0 s, giving up at 300 s)"
    )
    assert len(failed) == 4  # one line each time
    assert lines[-2:] == [
        "Polling works again after 30 s of failed polls.",
        f"{TASK_ID}: completed",
    ]
    # 2 s before the first poll, then a delay that doubles while polls fail
    assert clock.sleeps == [2.0, 2.0, 4.0, 8.0, 16.0]


def test_503_forever_ends_at_max_wait_with_the_task_and_how_to_resume(
    harness: Harness, clock: FakeClock
) -> None:
    harness.write(".aws/config", "[profile team(ci)]\nregion = eu-west-1\n")
    harness.write(
        ".aws/credentials",
        "[team(ci)]\naws_access_key_id = AKIDCI\naws_secret_access_key = secret\n",
    )
    result = import_wait(
        harness,
        clock,
        [UNAVAILABLE],
        "--profile",
        "team(ci)",
        "--max-wait",
        "30",
        unset=("AWS_DEFAULT_REGION",),  # the profile's region, resolved, goes into the hints
    )
    assert result.rc == 255
    assert clock.elapsed == 30  # the last poll falls on the limit
    options = f"--region eu-west-1 --endpoint-url {harness.endpoint} --profile 'team(ci)'"
    assert result.stderr.startswith(f"{STARTED}\n")
    assert result.stderr.endswith(
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: Max attempts exceeded\n"
        "The last poll failed: An error occurred (503): Service Unavailable\n"
        "Stopped waiting after 30 s (--max-wait 30); the import goes on:\n"
        f"  {TASK_ID}: active, pending (2%)\n" + hints(options)
    )


def test_max_wait_while_the_task_runs(harness: Harness, clock: FakeClock) -> None:
    result = import_wait(harness, clock, [describe("active", "booting", "58")], "--max-wait", "60")
    assert result.rc == 255
    assert clock.elapsed == 60
    assert "Waiter ImageImportCompleted failed: Max attempts exceeded\n" in result.stderr
    assert "The last poll failed" not in result.stderr
    assert f"  {TASK_ID}: active, booting (58%)\nTo wait again:" in result.stderr


def test_transient_failures_that_persist_end_the_wait(harness: Harness, clock: FakeClock) -> None:
    result = import_wait(
        harness,
        clock,
        [describe("active", "converting", "28"), UNAVAILABLE],
        "--max-transient-seconds",
        "20",
    )
    assert result.rc == 255
    assert result.stderr.count("Poll failed (") == 3  # at 0, 4 and 12 s; the last at 20 s
    assert result.stderr.endswith(
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: An error occurred (503): "
        "Service Unavailable\n"
        "Polls have failed for 20 s (--max-transient-seconds 20); the import goes on:\n"
        f"  {TASK_ID}: active, converting (28%)\n"
        + hints(f"--region us-east-1 --endpoint-url {harness.endpoint}")
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"drop": True},  # connection reset before any answer
        {"status": 200, "body": b"<DescribeImportImageTasksResponse"},  # malformed XML
        {"status": 500, "body": b"Internal Server Error"},  # 5xx that botocore cannot parse
        error_reply("RequestLimitExceeded", "Request limit exceeded.", status=503),
        error_reply("Throttling", "Rate exceeded", status=400),  # throttling is never a 4xx
        {"status": 200, "body": b"<html>a proxy's page</html>"},  # a reply without the task
    ],
    ids=["reset", "malformed", "500-text", "request-limit", "throttling-400", "no-task"],
)
def test_transient_faults_are_outlasted(
    harness: Harness, clock: FakeClock, fault: dict[str, object]
) -> None:
    result = import_wait(harness, clock, [fault, fault, COMPLETED])
    assert result.rc == 0, result.stderr
    assert result.stderr.count("Poll failed (") == 2
    assert "Polling works again" in result.stderr


def test_read_timeouts_are_transient(harness: Harness, clock: FakeClock) -> None:
    slow = {"delay": 3, **COMPLETED}
    # the first poll's reply comes after the read time-out; it is tried again
    result = import_wait(harness, clock, [slow, COMPLETED], "--cli-read-timeout", "1")
    assert result.rc == 0, result.stderr
    assert "Poll failed (Read timeout on endpoint URL" in result.stderr


def test_an_endpoint_that_disappears(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {"DescribeImportImageTasks": [describe("active", "converting", "28")]}
    result = harness.run(
        ["--endpoint-url", harness.dead_endpoint, *WAITER, "--max-transient-seconds", "10"],
        env=ONE_ATTEMPT,
        clock=clock,
    )
    assert result.rc == 255
    assert "failed: Could not connect to the endpoint URL" in result.stderr
    assert f"  {TASK_ID}: no state known yet\nTo wait again:" in result.stderr


def test_a_new_task_not_yet_visible_is_waited_for(harness: Harness, clock: FakeClock) -> None:
    """EC2 is eventually consistent: the run's own task may be unknown for a moment."""
    unknown = error_reply(
        "InvalidConversionTaskId", f"The import task ID &apos;{TASK_ID}&apos; does not exist."
    )
    result = import_wait(harness, clock, [unknown, COMPLETED])
    assert result.rc == 0, result.stderr


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (recorded("err-AuthFailure", status=401), "(AuthFailure): AWS was not able to validate"),
        (recorded("err-UnauthorizedOperation", status=403), "(UnauthorizedOperation)"),
        (error_reply("InvalidParameterValue", "bad filter"), "(InvalidParameterValue): bad filter"),
    ],
    ids=["auth", "unauthorized", "validation"],
)
def test_a_permanent_error_ends_at_once(
    harness: Harness, clock: FakeClock, reply: dict[str, object], reason: str
) -> None:
    result = import_wait(harness, clock, [reply, COMPLETED])
    assert result.rc == 255
    assert result.actions == ["ImportImage", "DescribeImportImageTasks"]
    assert clock.sleeps == [2.0]  # the pause before the first poll, none after
    assert f"\naws: [ERROR]: Waiter ImageImportCompleted failed: An error occurred {reason}" in (
        result.stderr
    )
    assert result.stderr.endswith(
        "The import goes on:\n"
        f"  {TASK_ID}: active, pending (2%)\n"
        + hints(f"--region us-east-1 --endpoint-url {harness.endpoint}")
    )


def test_credentials_that_disappear_keep_their_error_and_exit_code(clock: FakeClock) -> None:
    """Errors botocore raises itself keep v2's wording and class; the hints follow them."""

    def describe(**params: object) -> dict[str, object]:
        raise NoCredentialsError()

    env = Environment(
        stderr=io.StringIO(), stderr_isatty=False, clock=clock.clock, sleep=clock.sleep
    )
    waiter = Waiter(describe, env, Limits(), ("--region", "us-east-1"))
    with pytest.raises(CliNoCredentialsError) as raised:
        waiter.wait(Selection({"ImportTaskIds": [TASK_ID]}, (TASK_ID,)))
    assert raised.value.message.startswith("Unable to locate credentials")
    assert f"  {TASK_ID}: no state known yet\nTo wait again:" in raised.value.message
