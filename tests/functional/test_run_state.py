"""One run's state is its own: runs in one process, one after the other, share nothing.

Each run reads the configuration files afresh (``RunState.config``), has its own debug
log (``RunState.debug_log``), and reaches botocore with its own variables only: the
process environment is the run's while botocore works and is given back after.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.runner import FAKE_SECRET, Harness
from tests.support.sigv4 import signer

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
IMPORT = ["ec2", "import-image", "--output", "text"]


@pytest.fixture(autouse=True)
def import_image_answers(harness: Harness) -> None:
    body = (RESPONSES / "ImportImage.xml").read_bytes()
    harness.stub.replies = {"ImportImage": [{"status": 200, "body": body}] * 4}


def test_a_second_run_reads_the_files_again(harness: Harness) -> None:
    """No reset between runs: the second sees the configuration as it is then."""
    refused = [*IMPORT, "--cli-input-json", "[1]"]
    harness.write(".aws/config", "[default]\ncli_error_format = json\n")
    first = harness.run(refused)
    harness.write(".aws/config", "[default]\ncli_error_format = legacy\n")
    second = harness.run(refused)
    assert first.rc == second.rc == 252
    assert first.stderr.lstrip().startswith("{")
    assert second.stderr.startswith("\naws: [ERROR]: Error parsing parameter '--cli-input-json'")


def test_the_run_signs_with_its_own_variables_and_gives_the_process_environment_back(
    harness: Harness,
) -> None:
    before = dict(os.environ)
    keys = {"AWS_ACCESS_KEY_ID": "AKIDTHISRUNONLY", "AWS_SECRET_ACCESS_KEY": "run-secret"}
    first = harness.run(["--endpoint-url", harness.endpoint, *IMPORT], env=keys)
    second = harness.run(["--endpoint-url", harness.endpoint, *IMPORT])
    assert first.rc == second.rc == 0, (first.stderr, second.stderr)
    assert signer(first.requests[0].headers).key_id == "AKIDTHISRUNONLY"
    assert signer(second.requests[0].headers).key_id == "AKIDEXAMPLE"
    assert dict(os.environ) == before


def test_the_runs_variables_locate_the_files_botocore_reads(harness: Harness) -> None:
    """The credentials file botocore reads is the one the run's variables name."""
    harness.write(
        "elsewhere/credentials",
        "[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n",
    )
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT],
        env={"AWS_SHARED_CREDENTIALS_FILE": str(harness.home / "elsewhere" / "credentials")},
        unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    )
    assert result.rc == 0, result.stderr
    assert signer(result.requests[0].headers).key_id == "AKIDFROMFILE"


def _handlers() -> dict[str, list[Any]]:
    names = ("botocore", "awscli", "urllib3", "ec2_import_image")
    return {name: list(logging.getLogger(name).handlers) for name in names}


def test_each_debug_log_is_the_runs_own(harness: Harness) -> None:
    handlers = _handlers()
    argv = ["--endpoint-url", harness.endpoint, *IMPORT, "--debug"]
    first = harness.run(argv)
    second = harness.run(argv, env={"AWS_SECRET_ACCESS_KEY": "another-secret-of-run-two"})
    assert first.rc == second.rc == 0
    for run, secret in ((first, FAKE_SECRET), (second, "another-secret-of-run-two")):
        assert "Arguments entered to CLI" in run.stderr
        assert secret not in run.stderr
    assert _handlers() == handlers  # nothing of either log is left behind
    quiet = harness.run(["--endpoint-url", harness.endpoint, *IMPORT])
    assert quiet.stderr == ""
