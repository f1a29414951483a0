"""Internal errors say they are, and --debug logs every error's traceback as v2 does.

An exception the tool did not raise on purpose is a bug of the tool: its
message must not read like a complaint about the user's command (v2 would
print ``'ImportTaskId'`` for a KeyError).  Where v2 itself crashes on some
input, the tool keeps v2's wording, deliberately; those cases are pinned here
and by the recorded corpora.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ec2_import_image import __version__
from ec2_import_image.dropin.commands import operation
from ec2_import_image.dropin.errors import ExitStatus
from tests.support.runner import Harness

IMPORT = ["ec2", "import-image"]
RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
HEADLINE = (
    f"\naws: [ERROR]: Internal error in ec2-import-image {__version__} "
    "(KeyError: 'ImportTaskId'). This is a bug in this tool, not a problem with your command. "
)
RERUN = (
    "Run the command again with --debug to see the traceback, and include it when you "
    "report the bug.\n"
)
LOGGED = "Its traceback is in the debug log above: include it when you report the bug.\n"
#: v2's debug line for an exception its driver catches
CAUGHT = " - MainThread - awscli.clidriver - DEBUG - Exception caught in main()\n"


def broken_render(*_: object, **__: object) -> None:
    """A fault of the tool's own: what a bug in the renderer would raise."""
    raise KeyError("ImportTaskId")


@pytest.fixture
def broken(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "ImportImage.xml").read_bytes()}]
    }
    monkeypatch.setattr(operation, "_render", broken_render)
    return harness


def test_an_internal_error_says_so_without_a_traceback(broken: Harness) -> None:
    result = broken.run(["--endpoint-url", broken.endpoint, *IMPORT])
    assert result.rc == ExitStatus.ERROR
    assert result.stderr == HEADLINE + RERUN
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_with_debug_the_traceback_is_logged_first_as_v2_logs_it(broken: Harness) -> None:
    result = broken.run(["--endpoint-url", broken.endpoint, *IMPORT, "--debug"])
    assert result.rc == ExitStatus.ERROR
    log, _, last = result.stderr.rpartition("\naws: [ERROR]: ")
    assert "\naws: [ERROR]: " + last == HEADLINE + LOGGED
    record = log[log.index(CAUGHT) :]
    assert record.startswith(CAUGHT + "Traceback (most recent call last):\n")
    assert "in broken_render\n    raise KeyError(\"ImportTaskId\")\nKeyError: 'ImportTaskId'" in (
        record
    )


def test_with_debug_the_users_errors_are_logged_too_and_keep_v2s_message(
    harness: Harness,
) -> None:
    result = harness.run([*IMPORT, "--debug", "--cli-read-timeout", "abc"])
    assert result.rc == ExitStatus.ERROR
    assert CAUGHT + "Traceback (most recent call last):\n" in result.stderr
    assert "ValueError: invalid literal for int() with base 10: 'abc'" in result.stderr
    assert result.stderr.endswith("\naws: [ERROR]: invalid literal for int() with base 10: 'abc'\n")


def test_without_debug_nothing_is_logged(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--cli-read-timeout", "abc"])
    assert result.stderr == "\naws: [ERROR]: invalid literal for int() with base 10: 'abc'\n"


DRIVER = textwrap.dedent(
    """
    import sys

    from ec2_import_image.dropin.entry import aws_main
    from ec2_import_image.dropin.params import skeleton


    def fault(*args, **kwargs):
        raise KeyError("ImportTaskId")


    skeleton.write_input_json = fault
    aws_main()
    """
)


def run_faulty_process(
    tmp_path: Path, harness: Harness, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``aws`` in a process of its own, with a fault in the input skeleton's writer."""
    driver = tmp_path / "faulty_aws.py"
    driver.write_text(DRIVER)
    return subprocess.run(
        [sys.executable, str(driver), *IMPORT, "--generate-cli-skeleton", *extra],
        capture_output=True,
        text=True,
        cwd=harness.home,
        env={"PATH": os.environ.get("PATH", ""), **harness.environment()},
        timeout=60,
        check=False,
    )


def test_an_internal_error_in_a_process_shows_no_traceback(
    tmp_path: Path, harness: Harness
) -> None:
    proc = run_faulty_process(tmp_path, harness)
    assert proc.returncode == ExitStatus.ERROR
    assert proc.stderr == HEADLINE + RERUN
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_an_internal_error_in_a_process_with_debug_logs_its_traceback(
    tmp_path: Path, harness: Harness
) -> None:
    proc = run_faulty_process(tmp_path, harness, "--debug")
    assert proc.returncode == ExitStatus.ERROR
    assert CAUGHT + "Traceback (most recent call last):\n" in proc.stderr
    assert (
        "in fault\n    raise KeyError(\"ImportTaskId\")\nKeyError: 'ImportTaskId'\n" in proc.stderr
    )
    assert proc.stderr.endswith(HEADLINE + LOGGED)


# -- where v2 crashes, its words are kept (deliberately, not as internal errors) ----------


def deep_json(depth: int) -> str:
    return '{"UploadSize": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            [],
            {"AWS_MAX_ATTEMPTS": "x"},
            "invalid literal for int() with base 10: 'x'",
        ),
        (
            ["--client-data", "UploadSize=big"],
            {},
            "could not convert string to float: 'big'",
        ),
        (
            ["--client-data", "UploadSize=[1]"],
            {},
            "float() argument must be a string or a real number, not 'list'",
        ),
        (
            ["--client-data", "file://data.json"],
            {"AWS_CLI_FILE_ENCODING": "bogus"},
            "unknown encoding: bogus",
        ),
        (
            ["--client-data", deep_json(100_000)],
            {},
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
        ),
        (
            ["--cli-input-json", '{"ClientData": ' + deep_json(100_000) + "}"],
            {},
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
        ),
    ],
    ids=[
        "max-attempts",
        "double",
        "double-from-list",
        "file-encoding",
        "json-depth",
        "cli-input-json-depth",
    ],
)
def test_v2s_own_crashes_keep_v2s_words(
    harness: Harness, args: list[str], env: dict[str, str], message: str
) -> None:
    harness.write("data.json", json.dumps({"UploadSize": 1}))
    result = harness.run(["--endpoint-url", harness.endpoint, *IMPORT, *args], env=env)
    assert (result.rc, result.stderr) == (ExitStatus.ERROR, f"\naws: [ERROR]: {message}\n")


def test_an_integer_option_that_is_not_one_keeps_v2s_words(harness: Harness) -> None:
    result = harness.run(["ec2", "describe-import-image-tasks", "--max-results", "many"])
    assert (result.rc, result.stderr) == (
        ExitStatus.ERROR,
        "\naws: [ERROR]: invalid literal for int() with base 10: 'many'\n",
    )


@pytest.mark.parametrize("output", ["yaml", "yaml-stream"])
def test_a_reply_yaml_cannot_represent_keeps_the_dumpers_words(
    harness: Harness, output: str
) -> None:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "dup-element.xml").read_bytes()}]
    }
    result = harness.run(["--endpoint-url", harness.endpoint, *IMPORT, "--output", output])
    assert result.rc == ExitStatus.ERROR
    assert result.stderr.startswith("\naws: [ERROR]: cannot represent an object: <Element ")
