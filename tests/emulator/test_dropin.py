"""The drop-in (``aws ec2 ...``) against the emulator, in-process and as programs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from ec2_import_image.iampolicy.trust import VMIMPORT_TRUST_POLICY
from ec2_import_image.vmimport.account.requirements import role_policy_document
from tests.emulator.conftest import Lab
from tests.support.osfixtures import stream_vmdk
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET, base_env, run_main, with_path

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "cases"
# Recorded replies of the real service the emulator reproduces from the same argv.
RECORDED = [
    "errors/service-invalid-parameter-value.json",
    "errors/service-invalid-parameter.json",
    "errors/service-dry-run-operation.json",
    "tasks/cancel-error-malformed-id.json",
]


def _environment(home: Path) -> dict[str, str]:
    """The drop-in's variables; moto's own too, for an in-process emulator.

    While a run sends, ``os.environ`` holds the run's variables
    (``Environment.process_environment``), and an emulator in the same process
    reads its settings from there.
    """
    (home / ".aws").mkdir(exist_ok=True)
    for name in ("config", "credentials"):
        (home / ".aws" / name).write_text("")
    return {**base_env(home), "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@pytest.fixture
def aws(lab: Lab, tmp_path: Path) -> Callable[..., tuple[int, str, str]]:
    """Run ``aws --endpoint-url <emulator> ...`` in-process: rc, stdout, stderr."""
    environ = with_path(_environment(tmp_path))

    def run(*argv: str) -> tuple[int, str, str]:
        rc, out, err = run_main(["--endpoint-url", lab.endpoint, *argv], environ)
        return int(rc), out, err

    return run


def _import_image(
    aws: Callable[..., tuple[int, str, str]], fmt: str, key: str, *options: str
) -> str:
    """``aws ec2 import-image`` of one disk of the lab's bucket; answers the task id."""
    rc, out, err = aws(
        "ec2",
        "import-image",
        *options,
        "--disk-containers",
        f"Format={fmt},UserBucket={{S3Bucket=import-bucket,S3Key={key}}}",
        "--query",
        "ImportTaskId",
        "--output",
        "text",
    )
    assert (rc, err) == (0, "")
    return out.strip()


def test_import_follow_and_complete(lab: Lab, aws: Callable[..., tuple[int, str, str]]) -> None:
    lab.upload(images.ova(), "vms/web.ova")
    task_id = _import_image(aws, "ova", "vms/web.ova", "--description", "web server")
    assert task_id.startswith("import-ami-")
    rc, out, _ = aws(
        "ec2", "describe-import-image-tasks", "--filters", "Name=task-state,Values=active"
    )
    task = json.loads(out)["ImportImageTasks"][0]
    assert (task["StatusMessage"], task["Progress"]) == ("pending", "2")
    lab.elapse(lifecycle.COMPLETED_AT)
    rc, out, _ = aws(
        "ec2",
        "describe-import-image-tasks",
        "--import-task-ids",
        task_id,
        "--query",
        "ImportImageTasks[0].[Status,ImageId]",
        "--output",
        "text",
    )
    status, image_id = out.split()
    assert (rc, status) == (0, "completed")
    assert image_id in {i["ImageId"] for i in lab.ec2.describe_images(Owners=["self"])["Images"]}


def test_a_refused_system_fails_as_on_the_service(
    lab: Lab, aws: Callable[..., tuple[int, str, str]]
) -> None:
    """Debian 8 (not among the systems ImportImage takes) fails when converting ends."""
    disk = stream_vmdk("debian8")
    lab.upload(disk, "vms/jessie.vmdk")
    task_id = _import_image(aws, "vmdk", "vms/jessie.vmdk")
    lab.elapse(lifecycle.OS_CHECKED_AT)
    rc, out, err = aws("ec2", "describe-import-image-tasks", "--import-task-ids", task_id)
    assert (rc, err) == (0, "")
    assert json.loads(out) == {
        "ImportImageTasks": [
            {
                "ImportTaskId": task_id,
                "SnapshotDetails": [
                    {
                        "DiskImageSize": float(len(disk)),
                        "Format": "VMDK",
                        "Status": "completed",
                        "UserBucket": {"S3Bucket": "import-bucket", "S3Key": "vms/jessie.vmdk"},
                    }
                ],
                "Status": "deleted",
                "StatusMessage": "ClientError: Unknown OS / Missing OS files",
            }
        ]
    }


def test_cancel_and_table_output(lab: Lab, aws: Callable[..., tuple[int, str, str]]) -> None:
    task_id = lab.start("RAW", images.raw_mbr())
    rc, out, _ = aws("ec2", "cancel-import-task", "--import-task-id", task_id, "--output", "json")
    assert rc == 0
    assert json.loads(out) == {
        "ImportTaskId": task_id,
        "PreviousState": "active",
        "State": "deleting",
    }
    rc, out, _ = aws("ec2", "describe-import-image-tasks", "--output", "table")
    assert rc == 0
    assert "deleting" in out and task_id in out


def test_pages_are_followed(lab: Lab, aws: Callable[..., tuple[int, str, str]]) -> None:
    ids = [lab.start("RAW", images.raw_mbr()) for _ in range(5)]
    rc, out, _ = aws(
        "ec2",
        "describe-import-image-tasks",
        "--page-size",
        "2",
        "--query",
        "ImportImageTasks[].ImportTaskId",
    )
    assert rc == 0
    assert json.loads(out) == ids


@pytest.mark.parametrize("case", RECORDED)
def test_recorded_errors_are_reproduced(
    make_lab: Callable[..., Lab],
    tmp_path: Path,
    case: str,
) -> None:
    """The same argv gets the recorded rc and stderr from the emulator (no role, no bucket)."""
    lab = make_lab()
    recorded = json.loads((GOLDEN / case).read_text())
    argv = [lab.endpoint if word == "{ENDPOINT}" else word for word in recorded["argv"]]
    expected = recorded["expect"]
    assert run_main(argv, with_path(_environment(tmp_path))) == (
        expected["rc"],
        expected["stdout"],
        expected["stderr"],
    )


# -- as programs: `python -m ec2_import_emulator` and `python -m ec2_import_image` --------


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = with_path(_environment(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "ec2_import_emulator", "--port", "0", "--speed", "9000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().isdigit(), line
        yield process, int(line)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_programs_end_to_end(
    emulator_process: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    import boto3

    process, port = emulator_process
    endpoint = f"http://127.0.0.1:{port}"
    env = with_path(_environment(tmp_path))
    session = boto3.Session(
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name="us-east-1"
    )
    s3: Any = session.client("s3", endpoint_url=endpoint)
    iam: Any = session.client("iam", endpoint_url=endpoint)
    s3.create_bucket(Bucket="program-bucket")
    s3.put_object(Bucket="program-bucket", Key="d.vhd", Body=images.vhd_dynamic())
    iam.create_role(RoleName="vmimport", AssumeRolePolicyDocument=json.dumps(VMIMPORT_TRUST_POLICY))
    access = json.dumps(role_policy_document("aws", ("program-bucket",), ()))
    iam.put_role_policy(RoleName="vmimport", PolicyName="access", PolicyDocument=access)

    def aws(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ec2_import_image", "--endpoint-url", endpoint, *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return done.stdout

    task_id = aws(
        "ec2",
        "import-image",
        "--disk-containers",
        "Format=VHD,UserBucket={S3Bucket=program-bucket,S3Key=d.vhd}",
        "--query",
        "ImportTaskId",
        "--output",
        "text",
    ).strip()
    deadline = time.monotonic() + 30
    status = "active"
    while status == "active" and time.monotonic() < deadline:
        status = aws(
            "ec2",
            "describe-import-image-tasks",
            "--import-task-ids",
            task_id,
            "--query",
            "ImportImageTasks[0].Status",
            "--output",
            "text",
        ).strip()
    assert status == "completed"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stderr is not None
    assert "serving S3, IAM, STS, EC2 and VM Import" in process.stderr.read()


def test_port_in_use_is_reported(
    emulator_process: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    _, port = emulator_process
    done = subprocess.run(
        [sys.executable, "-m", "ec2_import_emulator", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


PROBE = """
import io, json, sys
from ec2_import_image.dropin.entry import main
from ec2_import_image.environment import Environment
env = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO(),
                  stdin_isatty=False, stdout_isatty=False, stderr_isatty=False)
main(["--endpoint-url", "http://127.0.0.1:9", "--cli-connect-timeout", "1",
      "ec2", "describe-import-image-tasks"], env)
print(json.dumps(sorted(m for m in sys.modules if "emulator" in m or m.startswith("moto"))))
"""


def test_the_cli_does_not_import_the_emulator(tmp_path: Path) -> None:
    env = {**_environment(tmp_path), "PATH": os.environ.get("PATH", ""), "AWS_MAX_ATTEMPTS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(done.stdout) == []
