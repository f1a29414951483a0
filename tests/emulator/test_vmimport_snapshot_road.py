"""``vmimport import --via snapshot`` on the emulator, end to end: the disks on S3 (an OVA's disk
as its own object, locally streamed from the archive or copied by S3 with UploadPartCopy),
ImportSnapshot per disk, RegisterImage; the AMI boots UEFI with ENA and its root snapshot read
back is the disk's virtual content; ``kill -9`` during the wait and a rerun leave one task, one
snapshot, one AMI; a qcow2 is refused by ``check --via snapshot`` with the roads that take it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples as images
from ec2_import_emulator.snapshots import snapshot_blob
from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.emulator.test_vmimport_import import objects, run_import, tags_of
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import vmimport

ACCOUNT = "123456789012"
GIB = 1024**3


def _snapshot_tasks(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_import_snapshot_tasks()["ImportSnapshotTasks"])


def _snapshots(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])


def _images(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_images(Owners=["self"])["Images"])


def _assert_the_ami_holds(lab: Lab, image_id: str, raw: Path) -> None:
    """UEFI, ENA, and the root snapshot read back equals the raw disk (zeros after it)."""
    (image,) = lab.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert (image["BootMode"], image["EnaSupport"]) == ("uefi", True)
    assert tags_of(image)["vmimport:via"] == "snapshot"
    root = image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    blob = snapshot_blob(ACCOUNT, REGION, root)
    data = raw.read_bytes()
    assert blob.size == -(-len(data) // GIB) * GIB
    assert blob.read(0, len(data)) == data
    tail = min(blob.size - len(data), 4 * 1024 * 1024)
    assert blob.read(len(data), tail) == bytes(tail)


@pytest.fixture
def raw(disks: DiskFixtures) -> Path:
    return disks.path("gpt-uefi.raw")


def test_a_uefi_vmdk_by_the_snapshot_road(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    outcome = run_import(
        granted, str(vmdk), "--via", "snapshot", "--name", "web-1", state=tmp_path / "s"
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    _assert_the_ami_holds(granted, result["image_id"], raw)
    (task,) = _snapshot_tasks(granted)
    assert task["SnapshotTaskDetail"]["Status"] == "completed"
    assert tags_of(task)["vmimport:disk"] == "1"
    assert granted.ec2.describe_import_image_tasks()["ImportImageTasks"] == []
    again = run_import(
        granted, str(vmdk), "--via", "snapshot", "--name", "web-1", state=tmp_path / "s"
    )
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout)["image_id"] == result["image_id"]
    assert len(_snapshot_tasks(granted)) == 1 and len(_images(granted)) == 1


def test_an_ova_local_and_on_s3(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    ova = tmp_path / "web-1.ova"
    ova.write_bytes(images.ova([disks.path("gpt-uefi.stream.vmdk").read_bytes()]))
    local = run_import(
        granted, str(ova), "--via", "snapshot", "--name", "local", state=tmp_path / "s"
    )
    assert local.status == ExitStatus.OK, local.stderr
    _assert_the_ami_holds(granted, json.loads(local.stdout)["image_id"], raw)
    assert objects(granted) == []  # the member's object deleted once imported, as uploads are
    granted.s3.put_object(Bucket=BUCKET, Key="vms/web-1.ova", Body=ova.read_bytes())
    remote = run_import(
        granted,
        f"s3://{BUCKET}/vms/web-1.ova",
        "--via",
        "snapshot",
        "--name",
        "remote",
        state=tmp_path / "s",
    )
    assert remote.status == ExitStatus.OK, remote.stderr
    _assert_the_ami_holds(granted, json.loads(remote.stdout)["image_id"], raw)
    assert objects(granted) == ["vms/web-1.ova"]  # the copy deleted, the OVA not this tool's


def test_killed_during_the_snapshot_task_wait_then_rerun(
    granted: Lab, disks: DiskFixtures, raw: Path, tmp_path: Path
) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    argv = [
        "import",
        str(vmdk),
        "--via",
        "snapshot",
        "--bucket",
        BUCKET,
        "--state",
        str(tmp_path / "s"),
        "--poll-interval",
        "1",
    ]
    child = start_module(
        "tests.support.gated_child",
        [granted.endpoint, "DescribeImportSnapshotTasks", "1", *argv],
    )
    lines = kill_when(child, lambda lines: "blocked" in lines)
    assert "blocked" in lines, lines
    assert len(_snapshot_tasks(granted)) == 1
    outcome = vmimport(granted.endpoint, *argv, clock=granted.clock, sleep=granted.clock.advance)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    _assert_the_ami_holds(granted, json.loads(outcome.stdout)["image_id"], raw)
    assert len(_snapshot_tasks(granted)) == 1
    assert len(_snapshots(granted)) == 1
    assert len(_images(granted)) == 1


def test_a_qcow2_is_refused_for_the_snapshot_road(lab: Lab, disks: DiskFixtures) -> None:
    outcome = vmimport(
        lab.endpoint, "check", "--via", "snapshot", str(disks.path("gpt-uefi.qcow2"))
    )
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    said = outcome.stdout + outcome.stderr
    assert "QCOW2" in said and "--via direct" in said


def test_a_batch_by_the_snapshot_road(granted: Lab, disks: DiskFixtures, tmp_path: Path) -> None:
    vmdk = disks.path("gpt-uefi.stream.vmdk")
    lines = ["defaults:", f"  bucket: {BUCKET}", "  via: snapshot", "entries:"]
    for name in ("vm-a", "vm-b"):
        lines += [f"  - name: {name}", f"    disks: [{vmdk}]"]
    manifest = tmp_path / "vms.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    outcome = vmimport(
        granted.endpoint,
        "batch",
        str(manifest),
        clock=granted.clock,
        sleep=granted.clock.advance,
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert len(_snapshot_tasks(granted)) == 2 and len(_images(granted)) == 2
    names = {tags_of(image)["vmimport:name"] for image in _images(granted)}
    assert names == {"vm-a", "vm-b"}
