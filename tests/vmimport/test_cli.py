"""The ``vmimport`` application: global options before or after the command, the one catch."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click
import pytest

from ec2_import_image.environment import Environment
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import GlobalOptions, Run
from ec2_import_image.vmimport.errors import ExitStatus, Failed, Incomplete, UsageError


def environment() -> Environment:
    return Environment(
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"AWS_DEFAULT_REGION": "us-east-1"},
        program="vmimport",
        stdin_isatty=False,
        stdout_isatty=False,
        stderr_isatty=False,
    )


def out(env: Environment) -> str:
    assert isinstance(env.stdout, io.StringIO)
    return env.stdout.getvalue()


def err(env: Environment) -> str:
    assert isinstance(env.stderr, io.StringIO)
    return env.stderr.getvalue()


SEEN: list[GlobalOptions] = []


@pytest.fixture
def probe() -> Iterator[Callable[[Callable[[Run], Any]], None]]:
    """Adds a ``probe`` command to the group whose body the test gives."""
    body: list[Callable[[Run], Any]] = [lambda run: ExitStatus.OK]

    @click.command("probe")
    @click.argument("words", nargs=-1)
    @cli.command
    def probe_command(run: Run, words: tuple[str, ...]) -> Any:
        SEEN.append(run.options)
        return body[0](run)

    cli.main_group.add_command(probe_command)
    SEEN.clear()
    yield lambda function: body.__setitem__(0, function)
    del cli.main_group.commands["probe"]


def test_global_options_before_and_after_the_command(probe: Any) -> None:
    env = environment()
    argv = ["--region", "eu-west-1", "--json", "probe", "--profile", "p", "--region", "ap-south-1"]
    assert cli.run(argv, env) == ExitStatus.OK
    assert [GlobalOptions(region="ap-south-1", profile="p", json=True)] == SEEN


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UsageError("bad value"), ExitStatus.USAGE),
        (Incomplete("no credentials"), ExitStatus.INCOMPLETE),
        (Failed("the import failed"), ExitStatus.PROBLEMS),
    ],
)
def test_errors_are_one_line_with_their_status(
    probe: Any, error: Exception, status: ExitStatus
) -> None:
    def fail(run: Run) -> None:
        raise error

    probe(fail)
    env = environment()
    assert cli.run(["probe"], env) == status
    assert err(env) == f"vmimport: error: {error}\n"
    assert out(env) == ""


def test_an_internal_error_says_so_and_shows_a_traceback_only_with_debug(probe: Any) -> None:
    def crash(run: Run) -> None:
        raise KeyError("ImportTaskId")

    probe(crash)
    env = environment()
    assert cli.run(["probe"], env) == ExitStatus.INTERNAL
    assert "internal error of vmimport" in err(env)
    assert "Traceback" not in err(env)
    env = environment()
    assert cli.run(["probe", "--debug"], env) == ExitStatus.INTERNAL
    assert "Traceback (most recent call last)" in err(env)
    assert "KeyError: 'ImportTaskId'" in err(env)


def test_botocore_failures_mean_the_work_could_not_be_completed(probe: Any) -> None:
    def no_credentials(run: Run) -> None:
        from botocore.exceptions import NoCredentialsError

        raise NoCredentialsError()

    probe(no_credentials)
    env = environment()
    assert cli.run(["probe"], env) == ExitStatus.INCOMPLETE
    assert err(env).startswith("vmimport: error: no AWS credentials were found")


def test_ctrl_c_is_130(probe: Any) -> None:
    def interrupted(run: Run) -> None:
        raise KeyboardInterrupt

    probe(interrupted)
    env = environment()
    assert cli.run(["probe"], env) == ExitStatus.INTERRUPTED
    assert err(env).endswith("vmimport: error: interrupted\n")


def test_usage_errors_are_2_on_the_runs_stderr() -> None:
    env = environment()
    assert cli.run(["--bogus"], env) == ExitStatus.USAGE
    assert err(env) == "vmimport: error: no such option '--bogus' (see 'vmimport --help')\n"
    env = environment()
    assert cli.run(["no-such-command"], env) == ExitStatus.USAGE
    assert err(env) == (
        "vmimport: error: no such command 'no-such-command' (see 'vmimport --help')\n"
    )


def test_help_goes_to_the_runs_stdout_and_documents_the_exit_statuses() -> None:
    env = environment()
    assert cli.run(["--help"], env) == ExitStatus.OK
    assert "Exit status: 0 no problem of severity error" in " ".join(out(env).split())
    env = environment()
    assert cli.run(["--version"], env) == ExitStatus.OK
    assert out(env).startswith("vmimport ")


VMIMPORT_PROBE = """
import io, json, sys
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport import cli
env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={})
status = cli.run(json.loads(sys.argv[1]), env)
print(json.dumps({"status": status, "botocore": "botocore" in sys.modules}))
"""


@pytest.mark.parametrize(
    "argv", [["--help"], ["import", "--help"], ["batch", "--help"], ["--version"]]
)
def test_help_imports_no_botocore(argv: list[str]) -> None:
    """Listing and describing the commands stays light: the engine loads when one runs."""
    probe = subprocess.run(
        [sys.executable, "-c", VMIMPORT_PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(probe.stdout) == {"status": 0, "botocore": False}
