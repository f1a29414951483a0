"""Paths that send nothing import neither boto3 nor botocore (checked in a fresh process).

No run imports click either: the console scripts reach click only for shell completion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_cli import FakeCli

PROBE = """
import io, json, sys
from ec2_import_image.dropin.entry import main
from ec2_import_image.environment import Environment
out, err = io.StringIO(), io.StringIO()
env = Environment(stdin=io.StringIO(""), stdout=out, stderr=err, stdin_isatty=False,
                  stdout_isatty=False, stderr_isatty=False)
rc = main(json.loads(sys.argv[1]), env)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3", "click"))
print(json.dumps({"rc": rc, "loaded": loaded, "stdout": out.getvalue()}))
"""

CASES = {
    "skeleton-input": (["ec2", "import-image", "--generate-cli-skeleton"], 0),
    "skeleton-yaml-input": (["ec2", "import-image", "--generate-cli-skeleton", "yaml-input"], 0),
    "skeleton-describe": (["ec2", "describe-import-image-tasks", "--generate-cli-skeleton"], 0),
    "shorthand-error": (["ec2", "import-image", "--disk-containers", "Format"], 252),
    "json-error": (["ec2", "import-image", "--client-data", "{bad"], 252),
    "unknown-option": (["ec2", "import-image", "--bogus"], 252),
    "invalid-choice": (["ec2", "import-imag"], 252),
    "missing-command": ([], 252),
    "cli-input-error": (["ec2", "import-image", "--cli-input-json", "[1]"], 252),
    "help": (["ec2", "import-image", "help"], 0),
    "version": (["--version"], 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_path_does_not_import_botocore(name: str) -> None:
    argv, expected_rc = CASES[name]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
        env={
            "AWS_DEFAULT_REGION": "us-east-1",
            "HOME": "/nonexistent",
            "PATH": "/usr/bin:/bin",
            "EC2_IMPORT_IMAGE_FALLBACK": "",
        },
    )
    result = json.loads(proc.stdout)
    assert result["rc"] == expected_rc
    assert result["loaded"] == []


@pytest.mark.parametrize(
    "argv", [["s3", "ls"], ["ec22", "import-image"], ["help"], ["ec2", "run-instances"]]
)
def test_the_hand_over_does_not_import_botocore(tmp_path: Path, argv: list[str]) -> None:
    """Commands handed to the AWS CLI (here a fake AWS CLI v2) load nothing of botocore."""
    fake = FakeCli(tmp_path / "bin", rc=7).install()
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "HOME": str(tmp_path), "PATH": str(fake.directory)},
    )
    result = json.loads(proc.stdout)
    assert (result["rc"], result["loaded"]) == (7, [])
    assert [run["args"] for run in fake.runs()] == [argv]


def test_sending_path_does_import_botocore() -> None:
    """The probe itself can fail: a call that sends does load botocore."""
    argv = ["--endpoint-url", "http://127.0.0.1:9", "ec2", "import-image"]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
        env={
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_MAX_ATTEMPTS": "1",
            "HOME": "/nonexistent",
            "PATH": "/usr/bin:/bin",
        },
    )
    result = json.loads(proc.stdout)
    assert result["rc"] == 255
    assert "botocore" in result["loaded"]
    assert not [m for m in result["loaded"] if m.startswith("click")]
