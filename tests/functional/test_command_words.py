"""The rest of the aws command line: command words v2 knows, this tool lacks, or nobody knows.

Unknown words get v2.36.7's own answer (checked against v2 run from source): the invalid
choice, the "Maybe you meant" suggestions drawn from v2's list of service commands and
EC2 operations, and the usage block.  Words v2 knows but this tool does not implement
are refused with a message that says so (exit 252), and nothing is sent.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tests.support.runner import Harness

USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
)
PREFIX = "\naws: [ERROR]: An error occurred (ParamValidation): "


def invalid_choice(argument: str, word: str, suggestions: list[str]) -> str:
    maybe = "".join(f"  * {s}\n" for s in suggestions)
    block = f"\nMaybe you meant:\n\n{maybe}" if suggestions else "\n"
    return f"{PREFIX}argument {argument}: Found invalid choice '{word}'\n{block}\n{USAGE}"


@pytest.mark.parametrize(
    ("argv", "argument", "word", "suggestions"),
    [
        (["ec22"], "command", "ec22", ["ec2"]),
        (["s33", "ls"], "command", "s33", ["s3"]),
        (["EC2", "import-image"], "command", "EC2", []),
        (["import-image", "ec2"], "command", "import-image", []),
        (["ec2", "import-imag"], "operation", "import-imag", ["import-image"]),
        (["ec2", "import-images"], "operation", "import-images", ["import-image", "export-image"]),
        (
            ["ec2", "describe-import-image-task"],
            "operation",
            "describe-import-image-task",
            [
                "describe-import-image-tasks",
                "describe-export-image-tasks",
                "describe-store-image-tasks",
            ],
        ),
    ],
    ids=["ec22", "s33", "caps", "swapped", "import-imag", "import-images", "describe-singular"],
)
def test_unknown_words_get_v2s_answer(
    harness: Harness, argv: list[str], argument: str, word: str, suggestions: list[str]
) -> None:
    result = harness.run(argv)
    assert (result.rc, result.stdout) == (252, "")
    assert result.stderr == invalid_choice(argument, word, suggestions)
    assert result.requests == []


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["s3", "ls"], "aws s3"),
        (["s3api", "list-buckets"], "aws s3api"),
        (["configure", "list"], "aws configure"),
        (["sts", "get-caller-identity"], "aws sts"),
        (["ec2", "run-instances"], "aws ec2 run-instances"),
        (["ec2", "describe-import-snapshot-tasks"], "aws ec2 describe-import-snapshot-tasks"),
        (["ec2", "import-snapshot", "--disk-container", "Format=VMDK"], "aws ec2 import-snapshot"),
        (
            ["--region", "us-west-2", "ec2", "describe-instances", "--bogus"],
            "aws ec2 describe-instances",
        ),
    ],
)
def test_commands_v2_has_and_this_tool_lacks(harness: Harness, argv: list[str], named: str) -> None:
    result = harness.run(["--endpoint-url", harness.endpoint, *argv])
    assert (result.rc, result.stdout) == (252, "")
    assert result.stderr.startswith(
        f"{PREFIX}'{named}' is an AWS CLI command that this tool does not implement: "
    )
    assert (
        "ec2 import-image, ec2 describe-import-image-tasks, ec2 cancel-import-task" in result.stderr
    )
    assert result.requests == []


def test_the_short_program_takes_no_command_words(harness: Harness) -> None:
    result = harness.run(["s3", "ls"], program="ec2-import-image")
    # the short program runs import-image: "s3" and "ls" are left over, as v2 lists them
    assert result.rc == 252
    assert result.stderr.endswith("\nec2-import-image: [ERROR]: Unknown options: ls, s3\n")


def test_no_command_at_all(harness: Harness) -> None:
    result = harness.run([])
    assert (result.rc, result.stderr) == (
        252,
        f"{PREFIX}the following arguments are required: command\n\n{USAGE}",
    )


def test_service_without_operation(harness: Harness) -> None:
    result = harness.run(["ec2"])
    assert (result.rc, result.stderr) == (
        252,
        f"{PREFIX}the following arguments are required: operation\n\n{USAGE}",
    )


@pytest.mark.parametrize(
    ("extra", "listed"),
    [(["extra"], "extra"), (["extra", "more"], "more, extra"), (["--bogus", "1"], "--bogus, 1")],
)
def test_words_left_over_are_unknown_options(
    harness: Harness, extra: list[str], listed: str
) -> None:
    result = harness.run(["ec2", "import-image", *extra])
    assert (result.rc, result.stderr) == (
        252,
        f"\n{USAGE}\n\naws: [ERROR]: Unknown options: {listed}\n",
    )


@pytest.mark.parametrize("argv", [["help"], ["ec2", "help"], ["ec2", "import-image", "help"]])
def test_help_words(harness: Harness, argv: list[str]) -> None:
    result = harness.run(argv)
    assert result.rc == 0
    assert result.stdout
    assert result.requests == []


def test_the_three_operations_are_known(harness: Harness) -> None:
    for operation in ("import-image", "describe-import-image-tasks", "cancel-import-task"):
        result = harness.run(["ec2", operation, "--generate-cli-skeleton"])
        assert result.rc == 0, operation
        assert json.loads(result.stdout)


def test_the_shipped_list_is_v2s() -> None:
    text = (
        resources.files("ec2_import_image.dropin.cli").joinpath("known_commands.json").read_text()
    )
    known = json.loads(text)
    commands, operations = known["commands"], known["ec2_operations"]
    for word in ("ec2", "s3", "s3api", "sts", "configure", "sso", "help", "ddb", "login"):
        assert word in commands, word
    for word in (
        "import-image",
        "describe-import-image-tasks",
        "cancel-import-task",
        "run-instances",
        "import-snapshot",
        "wait",
        "help",
    ):
        assert word in operations, word
    # v2 removes these two EC2 operations from its command table
    assert "import-instance" not in operations
    assert "import-volume" not in operations
    assert len(commands) > 400
    assert len(operations) > 700
