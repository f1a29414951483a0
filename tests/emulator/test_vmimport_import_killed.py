"""``vmimport import`` killed with SIGKILL in the middle of its upload, then run again:
only the parts S3 lacks are sent, and the object's SHA-256 is right."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.test_vmimport_import import objects, tasks
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import Counting, vmimport

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
#: a 64 MiB RAW disk (GPT, EFI system partition) in 5 MiB parts
PARTS = 13


@pytest.fixture
def raw_disk(tmp_path: Path) -> Path:
    return DiskFixtures(tmp_path).path("gpt-uefi.raw")


def test_an_import_killed_mid_upload_resumes_sending_only_the_missing_parts(
    lab: Lab, raw_disk: Path, tmp_path: Path
) -> None:
    lab.grant()
    state = tmp_path / "state.sqlite"
    argv = [
        "import",
        str(raw_disk),
        "--bucket",
        BUCKET,
        "--state",
        str(state),
        "--part-size",
        "5",
        "--upload-threads",
        "2",
        "--keep-upload",
    ]
    child = start_module("tests.support.import_child", [lab.endpoint, "4", *argv])
    # killed once both upload threads wait before sending: no part is left in flight to land
    # on S3 after the listing below
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines
    with StateDB.open(state) as db:
        (disk,) = db.disks("gpt-uefi.raw")
        upload = disk.upload
    assert upload is not None
    listed = lab.s3.list_parts(Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)
    on_s3 = len(listed["Parts"])
    assert on_s3 == 4
    assert tasks(lab) == []  # killed before any import started

    counting = Counting()
    outcome = vmimport(
        lab.endpoint, *argv, clock=lab.clock, sleep=lab.clock.advance, sessions=counting
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert counting.count("UploadPart") == PARTS - on_s3
    assert counting.count("CreateMultipartUpload") == 0
    assert f"{on_s3} of {PARTS} parts already on S3" in outcome.stderr
    result = json.loads(outcome.stdout)
    (stored,) = result["disks"]
    body = lab.s3.get_object(Bucket=BUCKET, Key=stored["key"])["Body"].read()
    digest = hashlib.sha256(raw_disk.read_bytes()).hexdigest()
    assert hashlib.sha256(body).hexdigest() == digest == stored["sha256"]
    assert objects(lab) == [stored["key"]]
    assert len(tasks(lab)) == 1
