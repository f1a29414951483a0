"""``import-image --wait`` and ``ec2 wait image-import-completed`` against a scripted endpoint.

Time is the run's injected fake clock (``tests/support/clock.py``): the waiter's
sleeps cost nothing and its limits are checked without real waiting.
"""

from __future__ import annotations

import json

import pytest

from tests.support.clock import FakeClock
from tests.support.importtasks import (
    COMPLETED,
    LIFECYCLE,
    TASK_ID,
    describe,
    error_reply,
    item,
    recorded,
    tasks_reply,
)
from tests.support.runner import Harness, Run

WAITER = ["ec2", "wait", "image-import-completed"]
STARTED = f"Import task {TASK_ID} started; waiting until it is completed."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def importing(harness: Harness) -> Harness:
    harness.stub.replies = {
        "ImportImage": [recorded("ImportImage")],
        "DescribeImportImageTasks": LIFECYCLE,
    }
    return harness


def run(harness: Harness, clock: FakeClock, *argv: str, **env: str) -> Run:
    return harness.run(["--endpoint-url", harness.endpoint, *argv], env=env, clock=clock)


def test_import_image_wait_prints_the_final_task(importing: Harness, clock: FakeClock) -> None:
    result = run(
        importing, clock, "ec2", "import-image", "--wait", "--query", "ImageId", "--output", "text"
    )
    assert result.rc == 0
    assert result.stdout == "ami-0123456789abcdef0\n"
    assert result.actions == ["ImportImage", *["DescribeImportImageTasks"] * 4]
    assert dict(result.requests[1].form)["ImportTaskId.1"] == TASK_ID
    assert result.stderr.splitlines() == [
        STARTED,
        f"{TASK_ID}: active, pending (2%)",  # ImportImage's own answer, at once
        f"{TASK_ID}: active, converting (28%)",
        f"{TASK_ID}: completed",
    ]
    # a first pause for the new task to be visible, then the back-off: 2 s, times 1.5
    assert clock.sleeps == [2.0, 2.0, 3.0, 4.5]


def test_import_image_wait_json(importing: Harness, clock: FakeClock) -> None:
    result = run(importing, clock, "ec2", "import-image", "--wait")
    assert json.loads(result.stdout) == {
        "ImageId": "ami-0123456789abcdef0",
        "ImportTaskId": TASK_ID,
        "Status": "completed",
    }


def test_the_back_off_is_capped(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [*[describe("active", "booting", "58")] * 12, COMPLETED]
    }
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID)
    assert result.rc == 0
    assert max(clock.sleeps) == 30.0
    assert clock.sleeps[-3:] == [30.0, 30.0, 30.0]


def test_a_deleted_task_fails_with_cause_remedy_and_source(
    harness: Harness, clock: FakeClock
) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            describe("active", "validating", "10"),
            describe(
                "deleted", "ClientError: Disk validation failed [Unsupported VMDK File Format]"
            ),
        ]
    }
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID)
    assert result.rc == 255
    assert result.stdout == ""
    assert result.stderr.endswith(
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: Waiter encountered a terminal "
        'failure state: For expression "ImportImageTasks[].Status" we matched expected path: '
        '"deleted" at least once\n'
        f"{TASK_ID}: ClientError: Disk validation failed [Unsupported VMDK File Format]\n"
        "Cause: The VMDK is not stream-optimized, the only VMDK variant VM Import reads.\n"
        "What usually fixes it: Export the VM as OVA (its disks are stream-optimized), or "
        "convert the disk: qemu-img convert -O vmdk -o subformat=streamOptimized in.vmdk "
        "out.vmdk.\n"
        "See: AWS VM Import/Export User Guide, Troubleshooting: "
        "https://docs.aws.amazon.com/vm-import/latest/userguide/vmimport-troubleshooting.html\n"
    )


def test_a_deleted_task_with_an_unknown_message_has_no_remedy(
    harness: Harness, clock: FakeClock
) -> None:
    harness.stub.replies = {"DescribeImportImageTasks": [describe("deleted", "User cancelled")]}
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID)
    assert result.rc == 255
    assert result.stderr.endswith(f"at least once\n{TASK_ID}: User cancelled\n")


def test_wait_command_is_silent_on_success(importing: Harness, clock: FakeClock) -> None:
    result = run(importing, clock, *WAITER, "--import-task-ids", TASK_ID)
    assert (result.rc, result.stdout) == (0, "")
    assert len(result.requests) == 4
    assert clock.sleeps == [2.0, 3.0, 4.5]  # the first poll at once: the task exists


def test_a_malformed_task_id_fails_at_once(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [recorded("err-InvalidConversionTaskId", status=400)]
    }
    result = run(harness, clock, *WAITER, "--import-task-ids", "import-ami-nope")
    assert result.rc == 255
    assert len(result.requests) == 1
    assert result.stderr == (
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: An error occurred "
        "(InvalidConversionTaskId.Malformed): The import task ID 'import-ami-nope' is malformed.\n"
    )


def test_an_unknown_task_id_fails_at_once_with_the_services_message(
    harness: Harness, clock: FakeClock
) -> None:
    unknown = "import-ami-0000000000000000f"
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            error_reply(
                "InvalidConversionTaskId",
                f"The import task ID &apos;{unknown}&apos; does not exist.",
            )
        ]
    }
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID, unknown)
    assert (result.rc, len(result.requests), clock.sleeps) == (255, 1, [])
    assert result.stderr == (
        "\naws: [ERROR]: Waiter ImageImportCompleted failed: An error occurred "
        f"(InvalidConversionTaskId): The import task ID '{unknown}' does not exist.\n"
    )


def test_ctrl_c_polls_once_more_and_says_how_to_resume(
    importing: Harness, clock: FakeClock
) -> None:
    def interrupt(now: float) -> None:
        raise KeyboardInterrupt

    clock.on_sleep = interrupt
    result = run(importing, clock, "--region", "eu-west-3", "ec2", "import-image", "--wait")
    assert result.rc == 130
    assert result.stdout == "\n"
    # ImportImage, then the one poll that shows where the task stands when stopped
    assert result.actions == ["ImportImage", "DescribeImportImageTasks"]
    options = f"--region eu-west-3 --endpoint-url {importing.endpoint}"
    assert result.stderr == (
        f"{STARTED}\n"
        f"{TASK_ID}: active, pending (2%)\n"
        "\n"
        "Stopped waiting; the import goes on:\n"
        f"  {TASK_ID}: active, pending (2%)\n"
        "To wait again:\n"
        f"  aws ec2 wait image-import-completed --import-task-ids {TASK_ID} {options}\n"
        "To cancel the import:\n"
        f"  aws ec2 cancel-import-task --import-task-id {TASK_ID} {options}\n"
    )


def test_ctrl_c_after_the_task_ended_says_so(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [describe("active", "booting", "58"), COMPLETED]
    }

    def interrupt(now: float) -> None:
        raise KeyboardInterrupt

    clock.on_sleep = interrupt
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID)
    assert result.rc == 130
    assert result.stderr.endswith(
        f"\nStopped waiting. The tasks have ended:\n  {TASK_ID}: completed\n"
    )


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


# -- without task ids: the tasks active when the wait starts ----------------------


def test_no_task_at_all_ends_at_once(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {"DescribeImportImageTasks": [recorded("tasks-empty")]}
    result = run(harness, clock, *WAITER)
    assert (result.rc, result.stdout, len(result.requests), clock.sleeps) == (0, "", 1, [])
    assert result.stderr == "No import image task is active: nothing to wait for.\n"


def test_tasks_that_ended_earlier_neither_fail_nor_keep_the_wait(
    harness: Harness, clock: FakeClock
) -> None:
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            tasks_reply(
                item("completed", task="import-ami-01111111111111111"),
                item("deleted", "ClientError: Unknown OS / Missing OS files", task=TASK_ID),
            )
        ]
    }
    filters = ["--filters", "Name=task-state,Values=completed,deleted"]
    result = run(harness, clock, *WAITER, *filters)
    assert (result.rc, len(result.requests)) == (0, 1)
    assert result.stderr == "No import image task matches the filters: nothing to wait for.\n"
    assert dict(result.requests[0].form)["Filters.1.Name"] == "task-state"


def test_every_page_counts(harness: Harness, clock: FakeClock) -> None:
    """Tasks on later pages are waited for; the deleted one on page 2 ended before."""
    done = tasks_reply(
        item("completed", task="import-ami-02222222222222222"),
        item("completed", task="import-ami-04444444444444444"),
    )
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            recorded("tasks-page1"),
            recorded("tasks-page2"),
            recorded("tasks-page3"),
            done,
        ]
    }
    result = run(harness, clock, *WAITER, "--max-results", "2")
    assert result.rc == 0
    forms = [dict(r.form) for r in result.requests]
    assert [f.get("NextToken") for f in forms[:3]] == [None, "token-page-2", "token-page-3"]
    assert all(f["MaxResults"] == "2" for f in forms[:3])
    # then the two active tasks, by id alone
    assert forms[3] == {
        "Action": "DescribeImportImageTasks",
        "Version": "2016-11-15",
        "ImportTaskId.1": "import-ami-02222222222222222",
        "ImportTaskId.2": "import-ami-04444444444444444",
    }
    assert result.stderr.splitlines()[0] == (
        "Waiting for 2 active import tasks: import-ami-02222222222222222, "
        "import-ami-04444444444444444"
    )


def test_a_poll_by_ids_follows_next_token(harness: Harness, clock: FakeClock) -> None:
    other = "import-ami-0aaaaaaaaaaaaaaaa"
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            tasks_reply(item("active", "converting", "28"), next_token="more"),
            tasks_reply(item("active", "booting", "58", task=other)),
            tasks_reply(item("completed"), next_token="more"),
            tasks_reply(item("deleted", "ClientError: Footers not identical", task=other)),
        ]
    }
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID, other)
    assert result.rc == 255  # the task on the second page failed
    assert f"{other}: ClientError: Footers not identical\nCause: " in result.stderr
    assert [dict(r.form).get("NextToken") for r in result.requests] == [None, "more"] * 2


def test_named_tasks_outside_the_filters_are_not_waited_for(
    harness: Harness, clock: FakeClock
) -> None:
    harness.stub.replies = {"DescribeImportImageTasks": [recorded("tasks-empty")]}
    filters = ["--filters", "Name=task-state,Values=active"]
    result = run(harness, clock, *WAITER, "--import-task-ids", TASK_ID, *filters)
    assert (result.rc, len(result.requests)) == (0, 1)
    assert result.stderr == (
        "None of the import tasks named matches the filters: nothing to wait for.\n"
    )


# -- the extension options ----------------------------------------------------------


@pytest.mark.parametrize("word", ["--w", "--wa", "--wai", "--ma", "--max-w", "--max-t"])
def test_the_extension_options_create_no_prefixes(harness: Harness, word: str) -> None:
    result = harness.run(["ec2", "import-image", word])
    assert result.rc == 252
    assert result.stderr.endswith(f"\naws: [ERROR]: Unknown options: {word}\n")
    assert result.requests == []


def test_the_limits_leave_v2s_prefixes_alone(harness: Harness, clock: FakeClock) -> None:
    """``--max`` stays a prefix of the waiter's one v2 option --max-results, not ambiguous."""
    harness.stub.replies = {"DescribeImportImageTasks": [recorded("tasks-empty")]}
    result = run(harness, clock, *WAITER, "--max", "7")
    assert result.rc == 0
    assert dict(result.requests[0].form)["MaxResults"] == "7"
    unknown = harness.run([*WAITER, "--max-w", "3"])
    assert unknown.stderr.endswith("\naws: [ERROR]: Unknown options: --max-w, 3\n")


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1.5", "+3"])
@pytest.mark.parametrize("option", ["--max-wait", "--max-transient-seconds"])
def test_limits_take_positive_integers(harness: Harness, option: str, value: str) -> None:
    result = harness.run([*WAITER, option, value])
    assert result.rc == 252
    assert result.stderr.startswith(
        "\naws: [ERROR]: An error occurred (ParamValidation): argument "
        f"{option}: invalid positive integer value: '{value}'\n\nusage: aws [options]"
    )
    assert result.requests == []


def test_limits_need_wait(harness: Harness) -> None:
    result = harness.run(["ec2", "import-image", "--max-wait", "30"])
    assert (result.rc, result.requests) == (252, [])
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): --max-wait can only be used with "
        "--wait\n"
    )


def test_options_given_with_equals(importing: Harness, clock: FakeClock) -> None:
    result = run(importing, clock, "ec2", "import-image", "--wait", "--max-wait=600")
    assert result.rc == 0


# -- remedies are an extension of --wait only ---------------------------------------


def test_import_errors_stay_v2s_without_wait(harness: Harness, clock: FakeClock) -> None:
    harness.stub.replies = {"ImportImage": [recorded("err-InvalidParameter", status=400)]}
    plain = run(harness, clock, "ec2", "import-image", "--role-name", "vmimport")
    headline = (
        "\naws: [ERROR]: An error occurred (InvalidParameter) when calling the ImportImage "
        "operation: The service role vmimport provided does not exist or does not have "
        "sufficient permissions\n"
    )
    assert (plain.rc, plain.stderr) == (254, headline)
    waiting = run(harness, clock, "ec2", "import-image", "--role-name", "vmimport", "--wait")
    assert waiting.rc == 254
    assert waiting.stderr.startswith(headline)
    rest = waiting.stderr[len(headline) :].splitlines()
    assert [line.split(":")[0] for line in rest] == ["Cause", "What usually fixes it", "See"]
    assert "vmie.amazonaws.com" in rest[0]


def test_an_import_without_task_id_has_nothing_to_wait_for(
    harness: Harness, clock: FakeClock
) -> None:
    harness.stub.replies = {"ImportImage": [recorded("import-empty")]}
    result = run(harness, clock, "ec2", "import-image", "--wait")
    assert result.rc == 255
    assert result.stderr == (
        "\naws: [ERROR]: ImportImage answered without an ImportTaskId: there is no task to "
        "wait for.\n"
    )
