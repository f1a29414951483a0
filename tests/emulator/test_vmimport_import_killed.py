"""``vmimport import`` killed with SIGKILL in the middle of its upload, then run again:
only the parts S3 lacks are sent, and the object's SHA-256 is right; a disk changed in the
meantime (its modification time put back) is imported as it is now."""

from __future__ import annotations

import hashlib
import json
import subprocess
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


def killed_after_four_parts(lab: Lab, disk: Path, state: Path) -> list[str]:
    """``vmimport import`` of the disk run in a child and killed with SIGKILL once four parts
    are on S3; answers its command line (without the program)."""
    argv = [
        "import",
        str(disk),
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
    # on S3 after the caller lists them
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines
    return argv


def test_an_import_killed_mid_upload_resumes_sending_only_the_missing_parts(
    lab: Lab, raw_disk: Path, tmp_path: Path
) -> None:
    lab.grant()
    state = tmp_path / "state.sqlite"
    argv = killed_after_four_parts(lab, raw_disk, state)
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


def test_a_disk_changed_in_place_after_a_kill_with_its_mtime_put_back_is_imported_as_it_is(
    lab: Lab, raw_disk: Path, tmp_path: Path
) -> None:
    """kill -9 mid-upload, bytes changed in place (in a part S3 has and in one it lacks), the
    modification time put back with ``touch -r``: the rerun hashes the file again and the
    object holds exactly what its ``sha256`` metadata and the AMI's tag name."""
    lab.grant()
    argv = killed_after_four_parts(lab, raw_disk, tmp_path / "state.sqlite")
    hashed = hashlib.sha256(raw_disk.read_bytes()).hexdigest()
    times = tmp_path / "times"
    subprocess.run(["touch", "-r", str(raw_disk), str(times)], check=True)
    with raw_disk.open("r+b") as disk:
        for offset in (3 * MiB, 47 * MiB):  # part 1 (on S3) and part 10 (not sent yet)
            disk.seek(offset)
            disk.write(b"changed after the kill")
    subprocess.run(["touch", "-r", str(times), str(raw_disk)], check=True)
    assert raw_disk.stat().st_mtime_ns == times.stat().st_mtime_ns

    outcome = vmimport(lab.endpoint, *argv, clock=lab.clock, sleep=lab.clock.advance)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    now = hashlib.sha256(raw_disk.read_bytes()).hexdigest()
    assert now != hashed
    (stored,) = json.loads(outcome.stdout)["disks"]
    assert stored["sha256"] == now
    body = lab.s3.get_object(Bucket=BUCKET, Key=stored["key"])["Body"].read()
    head = lab.s3.head_object(Bucket=BUCKET, Key=stored["key"])
    assert hashlib.sha256(body).hexdigest() == head["Metadata"]["sha256"] == now
    (task,) = tasks(lab)
    assert {t["Key"]: t["Value"] for t in task["Tags"]}["vmimport:sha256"] == now
    assert lab.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
