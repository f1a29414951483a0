"""Every global option of AWS CLI v2.36.7: accepted values, v2's checks, its messages and codes.

The expectations were taken from v2.36.7 run from source against the same loopback Stub.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

import pytest

from ec2_import_image import __version__
from tests.support.runner import Harness, Run
from tests.support.sigv4 import signer

CASES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
IMPORT = ["ec2", "import-image"]
TASK_LINE = "import-ami-1234567890abcdef0\t2\tactive\tpending\n"
USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
)
VERSION = re.compile(
    r"aws-cli/2\.36\.7 Python/(?P<python>\S+) (?P<system>\S+)/(?P<release>\S+) "
    r"ec2-import-image/(?P<tool>\S+)\n"
)


@pytest.fixture(autouse=True)
def answers(harness: Harness) -> None:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (CASES / "ImportImage.xml").read_bytes()}]
    }


def run(harness: Harness, *args: str, env: dict[str, str] | None = None) -> Run:
    return harness.run(["--endpoint-url", harness.endpoint, *IMPORT, *args], env=env)


def param_error(message: str, usage: str = "") -> str:
    return f"\naws: [ERROR]: An error occurred (ParamValidation): {message}\n" + usage


def general_error(message: str) -> str:
    return f"\naws: [ERROR]: {message}\n"


# -- --version -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["ec2", "import-image", "--version"],
        ["ec2", "--version"],
        ["ec2", "import-image", "--description", "x", "--version"],
        ["--region", "us-west-2", "--version", "ec2"],
        ["ec2", "import-image", "--bogus", "--version"],
    ],
    ids=["alone", "after-words", "after-service", "after-options", "between", "unknown-option"],
)
def test_version(harness: Harness, argv: list[str]) -> None:
    result = harness.run(argv)
    assert (result.rc, result.stderr, result.requests) == (0, "", [])
    match = VERSION.fullmatch(result.stdout)
    assert match is not None, result.stdout
    assert match["python"] == platform.python_version()
    assert (match["system"], match["release"]) == (platform.system(), platform.release())
    assert match["tool"] == __version__


def test_version_of_the_short_program(harness: Harness) -> None:
    result = harness.run(["--version"], program="ec2-import-image")
    assert result.rc == 0
    assert VERSION.fullmatch(result.stdout)


def test_version_takes_no_value(harness: Harness) -> None:
    result = harness.run(["--version=1"])
    assert (result.rc, result.stderr) == (
        252,
        param_error("argument --version: ignored explicit argument '1'", "\n" + USAGE),
    )


def test_an_invalid_command_word_beats_version(harness: Harness) -> None:
    result = harness.run(["ec22", "--version"])
    assert result.rc == 252
    assert "Found invalid choice 'ec22'" in result.stderr


# -- --region ------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us east", "us-east-1/", "eu_west_1", "-"])
def test_invalid_region_option(harness: Harness, region: str) -> None:
    result = run(harness, f"--region={region}")
    assert (result.rc, result.stderr) == (
        255,
        general_error(f"Provided region_name '{region}' doesn't match a supported format."),
    )
    assert result.requests == []


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_invalid_region_variable(harness: Harness, variable: str) -> None:
    result = run(harness, env={variable: "bad region"})
    assert (result.rc, result.stderr) == (
        255,
        general_error("Provided region_name 'bad region' doesn't match a supported format."),
    )


def test_invalid_region_in_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\nregion = not/valid\n")
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], unset=("AWS_DEFAULT_REGION",)
    )
    assert (result.rc, result.stderr) == (
        255,
        general_error("Provided region_name 'not/valid' doesn't match a supported format."),
    )


def test_empty_region_option_is_sent_as_an_empty_scope(harness: Harness) -> None:
    """v2 ignores an empty --region for the session but passes it to the client as is."""
    result = run(harness, "--region=", "--output", "text")
    assert result.rc == 0
    assert signer(result.requests[0].headers).region == ""


def test_region_given_twice_last_wins(harness: Harness) -> None:
    result = run(harness, "--region", "us-west-1", "--region", "us-west-2")
    assert signer(result.requests[0].headers).region == "us-west-2"


# -- time-outs -----------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--cli-read-timeout", "--cli-connect-timeout"])
@pytest.mark.parametrize("value", ["abc", "1.5", "", "0x10"])
def test_timeout_must_be_an_integer(harness: Harness, option: str, value: str) -> None:
    result = run(harness, option, value)
    assert (result.rc, result.stderr) == (
        255,
        general_error(f"invalid literal for int() with base 10: '{value}'"),
    )
    assert result.requests == []


def test_read_timeout_is_checked_before_connect_timeout(harness: Harness) -> None:
    result = run(harness, "--cli-connect-timeout", "y", "--cli-read-timeout", "x")
    assert result.stderr == general_error("invalid literal for int() with base 10: 'x'")


@pytest.mark.parametrize(
    ("option", "name"), [("--cli-read-timeout", "read"), ("--cli-connect-timeout", "connect")]
)
def test_negative_timeout(harness: Harness, option: str, name: str) -> None:
    result = run(harness, option, "-3")
    assert (result.rc, result.stderr) == (
        255,
        general_error(
            f"Attempted to set {name} timeout to -3, but the timeout cannot be set to a value "
            "less than or equal to 0."
        ),
    )


@pytest.mark.parametrize("option", ["--cli-read-timeout", "--cli-connect-timeout"])
@pytest.mark.parametrize("value", ["0", "5", " 7", "+9"])
def test_timeout_values_int_accepts(harness: Harness, option: str, value: str) -> None:
    result = run(harness, option, value, "--output", "text")
    assert (result.rc, result.stdout.splitlines()[0] + "\n") == (0, TASK_LINE)


def test_read_timeout_expires(harness: Harness) -> None:
    harness.stub.replies = {"ImportImage": [{"status": 200, "body": b"", "delay": 2.5}]}
    result = run(harness, "--cli-read-timeout", "1", env={"AWS_MAX_ATTEMPTS": "1"})
    assert (result.rc, result.stderr) == (
        255,
        general_error(f'Read timeout on endpoint URL: "{harness.endpoint}/"'),
    )


# -- options with choices ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--output", "xml"),
        ("--output", ""),
        ("--color", "blue"),
        ("--cli-error-format", "xml"),
        ("--cli-binary-format", "hex"),
        ("--output", "JSON"),
    ],
)
def test_invalid_choice(harness: Harness, option: str, value: str) -> None:
    result = run(harness, f"{option}={value}")
    assert (result.rc, result.stdout) == (252, "")
    assert result.stderr == param_error(
        f"argument {option}: Found invalid choice '{value}'\n", "\n" + USAGE
    )
    assert result.requests == []


@pytest.mark.parametrize("value", ["json", "text", "table", "yaml", "yaml-stream", "off"])
def test_every_output_format_is_accepted(harness: Harness, value: str) -> None:
    result = run(harness, "--output", value)
    assert result.rc == 0
    assert (result.stdout == "") == (value == "off")


@pytest.mark.parametrize("value", ["on", "off", "auto"])
def test_every_color_is_accepted(harness: Harness, value: str) -> None:
    result = run(harness, "--color", value, "--output", "table")
    assert result.rc == 0
    assert ("\x1b[" in result.stdout) == (value == "on")


@pytest.mark.parametrize("value", ["base64", "raw-in-base64-out"])
def test_every_binary_format_is_accepted(harness: Harness, value: str) -> None:
    assert run(harness, "--cli-binary-format", value).rc == 0


@pytest.mark.parametrize("variable", ["AWS_DEFAULT_OUTPUT"])
def test_invalid_configured_output_fails_after_the_call(harness: Harness, variable: str) -> None:
    result = run(harness, env={variable: "xml"})
    assert (result.rc, result.stderr) == (255, general_error("Unknown output type: xml"))
    assert len(result.requests) == 1


def test_invalid_output_in_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\noutput = xml\n")
    result = run(harness)
    assert (result.rc, result.stderr) == (255, general_error("Unknown output type: xml"))


# -- --endpoint-url and --query ------------------------------------------------------------


@pytest.mark.parametrize("value", ["127.0.0.1:9", "localhost", ""])
def test_endpoint_url_needs_a_scheme(harness: Harness, value: str) -> None:
    result = harness.run([*IMPORT, "--endpoint-url", value])
    assert (result.rc, result.stderr) == (
        252,
        param_error(
            f'Bad value for --endpoint-url "{value}": scheme is missing.  '
            "Must be of the form http://<hostname>/ or https://<hostname>/"
        ),
    )


def test_query_syntax_error(harness: Harness) -> None:
    result = run(harness, "--query", "[[")
    assert (result.rc, result.stderr) == (
        252,
        param_error(
            "Bad value for --query [[: Invalid jmespath expression: "
            'Incomplete expression:\n"[["\n   ^'
        ),
    )


def test_checks_run_in_v2_order(harness: Harness) -> None:
    """--query, then --endpoint-url, then the time-outs, whatever their order on the line."""
    bad_all = ["--cli-read-timeout", "x", "--endpoint-url", "noscheme", "--query", "[["]
    assert "Bad value for --query" in harness.run([*IMPORT, *bad_all]).stderr
    bad_two = ["--cli-read-timeout", "x", "--endpoint-url", "noscheme"]
    assert "Bad value for --endpoint-url" in harness.run([*IMPORT, *bad_two]).stderr


# -- options that take no value ------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        "--no-verify-ssl",
        "--no-paginate",
        "--no-sign-request",
        "--no-cli-pager",
        "--no-cli-auto-prompt",
    ],
)
def test_flags_are_accepted_anywhere(harness: Harness, option: str) -> None:
    before = harness.run(["--endpoint-url", harness.endpoint, option, *IMPORT, "--output", "text"])
    after = run(harness, "--output", "text", option)
    assert before.rc == after.rc == 0
    assert before.stdout == after.stdout
    assert before.stdout.startswith(TASK_LINE)


def test_no_sign_request_sends_no_signature(harness: Harness) -> None:
    result = run(harness, "--no-sign-request")
    assert result.rc == 0
    assert "authorization" not in result.requests[0].headers
    assert "x-amz-security-token" not in result.requests[0].headers


def test_both_auto_prompt_flags(harness: Harness) -> None:
    result = run(harness, "--cli-auto-prompt", "--no-cli-auto-prompt")
    assert (result.rc, result.stderr) == (
        252,
        param_error(
            "Both --cli-auto-prompt and --no-cli-auto-prompt cannot be specified at the same time."
        ),
    )


def test_flag_with_a_value(harness: Harness) -> None:
    result = run(harness, "--no-paginate=yes")
    assert (result.rc, result.stderr) == (
        252,
        param_error("argument --no-paginate: ignored explicit argument 'yes'", "\n" + USAGE),
    )


# -- where and how global options are written ----------------------------------------------


def test_globals_after_the_operation(harness: Harness) -> None:
    result = harness.run(
        [*IMPORT, "--endpoint-url", harness.endpoint, "--output", "text", "--region", "us-west-1"]
    )
    assert result.stdout.startswith(TASK_LINE)
    assert signer(result.requests[0].headers).region == "us-west-1"


def test_unique_prefixes_of_global_options(harness: Harness) -> None:
    result = harness.run(
        [*IMPORT, "--endpoint", harness.endpoint, "--reg", "us-west-1", "--out", "text"]
    )
    assert result.stdout.startswith(TASK_LINE)
    assert signer(result.requests[0].headers).region == "us-west-1"


@pytest.mark.parametrize(
    ("prefix", "matches"),
    [
        (
            "--no-",
            "--no-verify-ssl, --no-paginate, --no-sign-request, --no-cli-pager, "
            "--no-cli-auto-prompt",
        ),
        (
            "--cli-",
            "--cli-read-timeout, --cli-connect-timeout, --cli-binary-format, "
            "--cli-auto-prompt, --cli-error-format",
        ),
    ],
)
def test_ambiguous_prefixes(harness: Harness, prefix: str, matches: str) -> None:
    result = run(harness, prefix, "5")
    assert (result.rc, result.stderr) == (
        252,
        param_error(f"ambiguous option: {prefix} could match {matches}", "\n" + USAGE),
    )


@pytest.mark.parametrize("option", ["--output", "--query", "--region", "--endpoint-url", "--color"])
def test_missing_value(harness: Harness, option: str) -> None:
    result = harness.run([*IMPORT, option])
    assert (result.rc, result.stderr) == (
        252,
        param_error(f"argument {option}: expected one argument", "\n" + USAGE),
    )


def test_operation_options_with_global_prefixes_are_operation_options(harness: Harness) -> None:
    """--desc is --description (an operation option), not a global one."""
    result = run(harness, "--desc", "web server")
    assert result.rc == 0
    assert ("Description", "web server") in result.requests[0].form


# -- v2 behaviour this tool does not reproduce yet (each needs a change outside this area) --


def test_missing_profile_value_uses_the_first_pass_usage(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--profile"])
    assert result.stderr == param_error(
        "argument --profile: expected one argument", "\nusage: aws [--profile PROFILE] [--debug]\n"
    )


def test_debug_log_starts_before_parsing(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--debug", "--bogus"])
    assert result.rc == 252
    assert " - awscli.clidriver - DEBUG - CLI version: " in result.stderr.splitlines()[0]
