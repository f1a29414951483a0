"""The error table, row by row: message, layout and exit code as AWS CLI v2.36.7 reports them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.errors import PagerError
from ec2_import_image.dropin.pager import output_stream
from ec2_import_image.dropin.report import report_error
from ec2_import_image.dropin.runstate import RunState
from ec2_import_image.environment import Environment
from tests.support.parsing import NO_FILES
from tests.support.runner import Harness, Run

CASES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
IMPORT = ["ec2", "import-image"]
USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
)


def reply(name: str, status: int = 200) -> dict[str, object]:
    return {"status": status, "body": (CASES / f"{name}.xml").read_bytes()}


def run(
    harness: Harness,
    *args: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] | list[str] = (),
) -> Run:
    return harness.run(["--endpoint-url", harness.endpoint, *IMPORT, *args], env=env, unset=unset)


# -- one test per row of ERROR_TABLE ------------------------------------------------------


def test_parameter_error_is_252_with_the_param_validation_prefix(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--disk-containers", "Foo=1"])
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): Parameter validation failed:\n"
        'Unknown parameter in DiskContainers[0]: "Foo", must be one of: Description, DeviceName, '
        "Format, SnapshotId, Url, UserBucket\n"
    )
    assert result.requests == []


def test_argument_error_is_252_with_the_usage_after_the_message(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--role-name"])
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): argument --role-name: "
        "expected one argument\n\n" + USAGE
    )


def test_invalid_choice_puts_two_blank_lines_before_the_usage(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--output", "jsn"])
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): argument --output: "
        "Found invalid choice 'jsn'\n\nMaybe you meant:\n\n  * json\n\n" + USAGE
    )


def test_unknown_options_print_the_usage_first(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--bogus", "x"])
    assert result.rc == 252
    assert result.stderr == "\n" + USAGE + "\n\naws: [ERROR]: Unknown options: --bogus, x\n"


def test_configuration_error_is_253(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\ncli_timestamp_format = epoch\n")
    result = harness.run([*IMPORT, "--generate-cli-skeleton"])
    assert result.rc == 253
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (Configuration): Unknown cli_timestamp_format value: "
        'epoch, valid values are "wire" or "iso8601"\n'
    )


def test_missing_region_is_253(harness: Harness) -> None:
    result = run(harness, env={"AWS_EC2_METADATA_DISABLED": "true"}, unset=["AWS_DEFAULT_REGION"])
    assert result.rc == 253
    assert "(NoRegion): You must specify a region." in result.stderr


def test_missing_credentials_is_253(harness: Harness) -> None:
    result = run(
        harness,
        env={"AWS_EC2_METADATA_DISABLED": "true"},
        unset=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    )
    assert result.rc == 253
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (NoCredentials): Unable to locate credentials. "
        'You can configure credentials by running "aws login".\n'
    )


def test_service_error_is_254(harness: Harness) -> None:
    harness.stub.replies = {"ImportImage": [reply("err-InvalidParameter", 400)]}
    result = run(harness)
    assert result.rc == 254
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (InvalidParameter) when calling the ImportImage "
        "operation: The service role vmimport provided does not exist or does not have "
        "sufficient permissions\n"
    )


def test_dry_run_answer_is_a_service_error(harness: Harness) -> None:
    harness.stub.replies = {"ImportImage": [reply("err-DryRunOperation", 412)]}
    result = run(harness, "--dry-run")
    assert result.rc == 254
    assert "(DryRunOperation) when calling the ImportImage operation" in result.stderr


def test_connection_refused_is_255(harness: Harness) -> None:
    result = harness.run(["--endpoint-url", harness.dead_endpoint, *IMPORT])
    assert result.rc == 255
    assert result.stderr == (
        f'\naws: [ERROR]: Could not connect to the endpoint URL: "{harness.dead_endpoint}/"\n'
    )


def test_unparsable_reply_is_255_and_not_retried(harness: Harness) -> None:
    harness.stub.replies = {"ImportImage": [{"status": 200, "body": b"<Import"}]}
    result = run(harness)
    assert result.rc == 255
    assert "Unable to parse response" in result.stderr
    assert len(result.requests) == 1


def test_unknown_profile_is_255(harness: Harness) -> None:
    result = harness.run(["--endpoint-url", harness.endpoint, "--profile", "nope", *IMPORT])
    assert result.rc == 255
    assert result.stderr == "\naws: [ERROR]: The config profile (nope) could not be found\n"


def test_non_numeric_double_is_255(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--client-data", "UploadSize=big"])
    assert result.rc == 255
    assert result.stderr == "\naws: [ERROR]: could not convert string to float: 'big'\n"


def test_pager_that_cannot_start_is_253(harness: Harness) -> None:
    stderr = io.StringIO()
    env = Environment(
        environ={**NO_FILES, "AWS_PAGER": "no-such-pager-program"},
        stdout_isatty=True,
        stderr=stderr,
    )
    state = RunState(env)
    with (
        pytest.raises(PagerError) as raised,
        output_stream(env, state.config, GlobalOptions()) as stream,
    ):
        stream.write("x")
    assert report_error(raised.value, state) == 253
    assert stderr.getvalue().startswith(
        "\naws: [ERROR]: An error occurred (Pager): Unable to redirect output to pager. "
        "Received the following error when opening pager:\n[Errno 2] No such file or directory"
    )


# -- --cli-error-format ----------------------------------------------------------------------

SERVICE_ERROR = {"ImportImage": [reply("err-InvalidParameter", 400)]}
MESSAGE = (
    "The service role vmimport provided does not exist or does not have sufficient permissions"
)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "legacy",
            f"\naws: [ERROR]: An error occurred (InvalidParameter) when calling the "
            f"ImportImage operation: {MESSAGE}\n",
        ),
        ("json", json.dumps({"Code": "InvalidParameter", "Message": MESSAGE}, indent=4) + "\n"),
        ("text", f"InvalidParameter\t{MESSAGE}\n"),
    ],
)
def test_service_error_formats(harness: Harness, fmt: str, expected: str) -> None:
    harness.stub.replies = SERVICE_ERROR
    result = run(harness, "--cli-error-format", fmt)
    assert result.rc == 254
    assert result.stderr == expected


def test_legacy_drops_the_param_validation_prefix(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--cli-error-format", "legacy", "--disk-containers", "Foo=1"])
    assert result.rc == 252
    assert result.stderr.startswith("\naws: [ERROR]: Parameter validation failed:\n")


def test_table_error_format(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--cli-error-format", "table", "--disk-containers", "Format"])
    assert result.rc == 252
    assert result.stderr.splitlines()[1].strip("|").strip() == "error"
    assert "ParamValidation" in result.stderr


def test_error_format_from_environment_and_profile(harness: Harness) -> None:
    harness.stub.replies = SERVICE_ERROR
    from_env = run(harness, env={"AWS_CLI_ERROR_FORMAT": "text"})
    assert from_env.stderr == f"InvalidParameter\t{MESSAGE}\n"
    harness.write(".aws/config", "[default]\ncli_error_format = json\n")
    from_profile = run(harness)
    assert json.loads(from_profile.stderr)["Code"] == "InvalidParameter"


def test_invalid_error_format_in_environment_falls_back_to_enhanced(harness: Harness) -> None:
    harness.stub.replies = SERVICE_ERROR
    result = run(harness, env={"AWS_CLI_ERROR_FORMAT": "fancy"})
    assert result.stderr.startswith("\naws: [ERROR]: An error occurred (InvalidParameter)")


@pytest.mark.parametrize("fmt", ["json", "yaml", "text", "table"])
def test_plain_errors_stay_plain_in_every_format(harness: Harness, fmt: str) -> None:
    unknown = harness.run([*IMPORT, "--cli-error-format", fmt, "--bogus"])
    assert unknown.stderr.endswith("\naws: [ERROR]: Unknown options: --bogus\n")
    refused = harness.run(
        ["--endpoint-url", harness.dead_endpoint, *IMPORT, "--cli-error-format", fmt]
    )
    assert refused.stderr.startswith("\naws: [ERROR]: Could not connect to the endpoint URL")
    assert refused.rc == 255


# -- Ctrl-C --------------------------------------------------------------------------------


def test_keyboard_interrupt_is_130_with_a_newline_on_stdout() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    env = Environment(stdout=stdout, stderr=stderr, environ=NO_FILES)
    assert report_error(KeyboardInterrupt(), RunState(env)) == 130
    assert stdout.getvalue() == "\n"
    assert stderr.getvalue() == ""


def test_ctrl_c_in_the_prompt_echoes_the_line_on_stderr_only() -> None:
    from ec2_import_image.dropin.errors import PromptInterrupted

    stdout, stderr = io.StringIO(), io.StringIO()
    env = Environment(stdout=stdout, stderr=stderr, environ=NO_FILES)
    assert report_error(PromptInterrupted("> aws ec2 desc"), RunState(env)) == 130
    assert (stdout.getvalue(), stderr.getvalue()) == ("", "> aws ec2 desc\n")
