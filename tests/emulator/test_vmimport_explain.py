"""``vmimport explain`` against the emulator: failed, completed and cancelled tasks, and texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from ec2_import_image.failures import KNOWN_FAILURES
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from tests.emulator.conftest import Lab
from tests.emulator.snapshotlab import faults
from tests.emulator.test_vmimport_direct import run_direct
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import vmimport
from tests.unit.test_failures import SAMPLES


def test_a_failed_task_is_explained_with_its_cause_remedy_and_source(lab: Lab) -> None:
    failed = lab.start("VMDK", images.vmdk_monolithic_sparse(), "disk.vmdk")
    done = lab.start("RAW", images.raw_mbr(), "disk.raw")
    cancelled = lab.start("RAW", images.raw_mbr(), "other.raw")
    lab.ec2.cancel_import_task(ImportTaskId=cancelled)
    lab.elapse(lifecycle.COMPLETED_AT)
    outcome = vmimport(lab.endpoint, "explain", "--json", failed, done, cancelled)
    assert outcome.status == ExitStatus.OK
    tasks = json.loads(outcome.stdout)["tasks"]
    assert [task["task_id"] for task in tasks] == [failed, done, cancelled]
    explained, completed, user_cancelled = tasks
    assert explained["status"] == "deleted"
    assert explained["status_message"] == "ClientError: Unsupported VMDK File Format"
    assert "stream-optimized" in explained["cause"]
    assert "subformat=streamOptimized" in explained["remedy"]
    assert "vmimport-troubleshooting" in explained["source"]
    assert completed == {
        "task_id": done,
        "status": "completed",
        "status_message": None,
        "cause": None,
        "remedy": None,
        "source": None,
    }
    assert (user_cancelled["status"], user_cancelled["cause"]) == ("deleted", None)
    text = vmimport(lab.endpoint, "explain", failed)
    assert f"{failed}: deleted" in text.stdout
    assert "fix: Export the VM as OVA" in text.stdout


def test_snapshot_tasks_are_explained_beside_image_tasks(lab: Lab) -> None:
    image = lab.start("VMDK", images.vmdk_monolithic_sparse(), "disk.vmdk")
    bucket = lab.upload(images.vhdx(), "disk.vhdx")
    snapshot = lab.ec2.import_snapshot(DiskContainer={"Format": "VHDX", "UserBucket": bucket})
    failed = str(snapshot["ImportTaskId"])
    lab.elapse(lifecycle.COMPLETED_AT)
    outcome = vmimport(lab.endpoint, "explain", "--json", failed, image)
    assert outcome.status == ExitStatus.OK
    tasks = json.loads(outcome.stdout)["tasks"]
    assert [task["task_id"] for task in tasks] == [failed, image]
    assert tasks[0]["status"] == "deleted"
    assert tasks[0]["status_message"].startswith("ClientError: Disk validation failed")
    assert "could not be read as the declared format" in tasks[0]["cause"]
    gone = vmimport(lab.endpoint, "explain", "import-snap-0123456789abcdef0")
    assert gone.status == ExitStatus.INCOMPLETE
    assert "does not exist" in gone.stderr


def test_an_unknown_task_cannot_be_explained(lab: Lab) -> None:
    outcome = vmimport(lab.endpoint, "explain", "import-ami-0123456789abcdef0")
    assert outcome.status == ExitStatus.INCOMPLETE
    assert "does not exist" in outcome.stderr
    assert "keeps a task for 7 days" in outcome.stderr


def test_a_message_is_explained_without_calling_aws() -> None:
    # the refused port: any request would fail with exit 3
    dead = "http://127.0.0.1:9"
    for sample, key in SAMPLES:
        outcome = vmimport(dead, "explain", "--json", "--message", sample)
        assert outcome.status == ExitStatus.OK, key
        (task,) = json.loads(outcome.stdout)["tasks"]
        entry = next(failure for _, failure in KNOWN_FAILURES if failure.code == key)
        assert (task["cause"], task["remedy"], task["source"]) == (
            entry.context,
            entry.hint,
            entry.link,
        )
    unknown = vmimport(dead, "explain", "--message", "ClientError: something new")
    assert unknown.status == ExitStatus.OK
    assert "not in the table of known failures" in unknown.stdout
    assert "vmimport check" in unknown.stdout


def test_task_ids_or_a_message() -> None:
    for argv in ([], ["import-ami-0123456789abcdef0", "--message", "x"]):
        outcome = vmimport("http://127.0.0.1:9", "explain", *argv)
        assert outcome.status == ExitStatus.USAGE
        assert "one or the other" in outcome.stderr


@pytest.mark.parametrize(
    ("operation", "argv"),
    [
        ("StartSnapshot", []),
        ("PutSnapshotBlock", []),
        ("CompleteSnapshot", []),
        (None, ["--encrypted", "--kms-key-id", "alias/no-such-key"]),
    ],
)
def test_a_direct_import_the_service_refused_is_explained(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path, operation: str | None, argv: list[str]
) -> None:
    """The EBS direct APIs refuse the caller (AccessDeniedException, the emulator's faults on
    request) or the KMS key: the entry's recorded error carries the table's cause and remedy,
    and ``vmimport explain --message`` of it prints them."""
    if operation is not None:
        assert faults(lab, "POST", {"deny": 1000, "deny_operation": operation})[0] == 200
    state = tmp_path / "state.sqlite"
    disk = fixtures.path("gpt-uefi.v3.qcow2")
    outcome = run_direct(lab, str(disk), *argv, state=state)
    faults(lab, "DELETE")
    assert outcome.status == ExitStatus.INCOMPLETE, outcome.stderr
    with StateDB.open(state) as db:
        error = db.entry("gpt-uefi.v3.qcow2").last_error
    assert error is not None
    code = "ebs-direct-access-denied" if operation is not None else "ebs-kms-key"
    entry = next(failure for _, failure in KNOWN_FAILURES if failure.code == code)
    assert (error.context, error.hint) == (entry.context, entry.hint)  # its cause and remedy
    explained = vmimport(lab.endpoint, "explain", "--message", error.message)
    assert explained.status == ExitStatus.OK
    if operation is not None:
        assert f"ebs:{operation}" in error.message
        assert (
            "ebs:StartSnapshot, ebs:PutSnapshotBlock and ebs:CompleteSnapshot" in explained.stdout
        )
        assert "ec2:RegisterImage" in explained.stdout
        assert "ebsapi-permissions.html" in explained.stdout
    else:
        assert "kms:GenerateDataKeyWithoutPlaintext" in explained.stdout
