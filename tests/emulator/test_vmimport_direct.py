"""``vmimport import --via direct`` against the emulator: disk to EBS snapshots to AMI.

The disk is the GPT fixture made by real tools (an ESP with ``\\EFI\\BOOT\\BOOTX64.EFI`` and
an ext4 root: scripts/make-disk-fixtures.sh, the qcow2 by scripts/make-container-fixtures.sh)
in three containers.  Its root snapshot, read back block by block with the emulator's
ListSnapshotBlocks and GetSnapshotBlock (zeros where nothing was written), must hash as QEMU's
``qemu-img convert -O raw`` of the source does: the recorded oracle
(tests/fixtures/containers/oracle/NAME.sha256), since CI has no qemu-img.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.snapshotlab import ebs_client, read_blocks, volume_from
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures, oracle
from tests.support.vmimport_run import Outcome, vmimport


def run_via(lab: Lab, road: str, *argv: str, state: Path) -> Outcome:
    """``vmimport import --via ROAD ARGV --state STATE`` on the lab's clock."""
    return vmimport(
        lab.endpoint,
        "import",
        "--via",
        road,
        *argv,
        "--state",
        str(state),
        clock=lab.clock,
        sleep=lab.clock.advance,
    )


def run_direct(lab: Lab, *argv: str, state: Path) -> Outcome:
    return run_via(lab, "direct", *argv, state=state)


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def own_images(lab: Lab) -> list[dict[str, Any]]:
    found = lab.ec2.describe_images(
        Owners=["self"], Filters=[{"Name": "tag-key", "Values": ["vmimport:sha256"]}]
    )
    return list(found["Images"])


def own_snapshots(lab: Lab) -> list[dict[str, Any]]:
    """The snapshots vmimport made (moto's samples left out)."""
    found = lab.ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": ["vmimport:sha256"]}]
    )
    return list(found["Snapshots"])


@pytest.mark.parametrize(
    "fixture", ["gpt-uefi.stream.vmdk", "gpt-uefi.v3.qcow2", "gpt-uefi.dynamic.vhdx"]
)
def test_a_uefi_disk_becomes_an_ami_whose_root_snapshot_is_what_qemu_reads(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path, fixture: str
) -> None:
    source = fixtures.path(fixture)
    outcome = run_direct(lab, str(source), "--name", "web-1", state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert (result["via"], result["import_task_id"]) == ("direct", None)
    (image,) = lab.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    assert (image["BootMode"], image["EnaSupport"], image["Architecture"]) == (
        "uefi",
        True,
        "x86_64",
    )
    (root,) = image["BlockDeviceMappings"]
    assert root["DeviceName"] == image["RootDeviceName"] == "/dev/xvda"
    assert (root["Ebs"]["VolumeType"], root["Ebs"]["DeleteOnTermination"]) == ("gp3", True)
    snapshot_id = root["Ebs"]["SnapshotId"]
    assert result["snapshot_ids"] == [snapshot_id]
    size = json.loads(oracle(fixture, "info.json"))["virtual-size"]
    volume = volume_from(read_blocks(ebs_client(lab), snapshot_id), size)
    assert hashlib.sha256(volume).hexdigest() == oracle(fixture, "sha256").strip()
    tags = tags_of(image)
    assert (tags["vmimport:name"], tags["vmimport:via"], tags["Name"]) == (
        "web-1",
        "direct",
        "web-1",
    )
    assert image["Name"].startswith("web-1-") and len(image["Name"]) == len("web-1-") + 12
    (snapshot,) = own_snapshots(lab)
    assert tags_of(snapshot)["vmimport:sha256"] == tags["vmimport:sha256"]
    assert "EBS direct" in outcome.stderr and "s3://" not in outcome.stderr


def test_a_disk_on_s3_is_read_whole_through_ranged_gets_and_the_cost_is_said(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    fixture = "gpt-uefi.v3.qcow2"
    lab.upload(fixtures.path(fixture).read_bytes(), key="disks/web.qcow2")
    outcome = run_direct(lab, f"s3://{BUCKET}/disks/web.qcow2", state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "read whole from S3 with ranged GETs" in outcome.stderr
    assert "data transfer out" in outcome.stderr
    (snapshot_id,) = json.loads(outcome.stdout)["snapshot_ids"]
    size = json.loads(oracle(fixture, "info.json"))["virtual-size"]
    volume = volume_from(read_blocks(ebs_client(lab), snapshot_id), size)
    assert hashlib.sha256(volume).hexdigest() == oracle(fixture, "sha256").strip()


def test_a_rerun_returns_the_ami_and_a_rerun_without_state_finds_it(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    source = str(fixtures.path("gpt-uefi.v3.qcow2"))
    first = run_direct(lab, source, "--ami-name", "web (2026)", state=tmp_path / "s")
    assert first.status == ExitStatus.OK, first.stderr
    image_id = json.loads(first.stdout)["image_id"]
    again = run_direct(lab, source, "--ami-name", "web (2026)", state=tmp_path / "s")
    assert json.loads(again.stdout)["image_id"] == image_id
    elsewhere = run_direct(lab, source, "--ami-name", "web (2026)", state=tmp_path / "other")
    assert elsewhere.status == ExitStatus.OK, elsewhere.stderr
    assert json.loads(elsewhere.stdout)["image_id"] == image_id
    assert [image["Name"] for image in own_images(lab)] == ["web (2026)"]
    assert len(own_snapshots(lab)) == 1


def test_an_arm64_uefi_disk_gives_an_arm64_ami(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    source = str(fixtures.path("gpt-arm64.raw"))
    asked = ("--imds-v2", "--tpm", "--no-ena", "--description", "graviton")
    outcome = run_direct(lab, source, *asked, state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    (image,) = own_images(lab)
    assert (image["Architecture"], image["BootMode"]) == ("arm64", "uefi")
    assert (image["ImdsSupport"], image["TpmSupport"], image.get("EnaSupport")) == (
        "v2.0",
        "v2.0",
        False,
    )
    assert image["Description"] == "graviton"


def test_the_image_roads_refusals_are_not_the_direct_roads(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    source = str(fixtures.path("gpt-uefi.v3.qcow2"))
    windows = run_direct(lab, source, "--platform", "Windows", state=tmp_path / "s")
    assert windows.status == ExitStatus.PROBLEMS
    assert "platform-unsupported" in windows.stderr and own_snapshots(lab) == []
    with StateDB.open(tmp_path / "s") as db:
        assert db.entry("gpt-uefi.v3.qcow2").attempt.via == "image"  # checked, never prepared


def test_killed_mid_upload_and_run_again_one_snapshot_and_one_ami(lab: Lab, tmp_path: Path) -> None:
    """``kill -9`` while blocks are being written (two sent, the senders then held), then the
    same command again: it writes into the same snapshot (StartSnapshot's ClientToken), and
    the account ends with one snapshot and one AMI."""
    disk = DiskFixtures(tmp_path).path("gpt-uefi.raw")
    state = tmp_path / "state.sqlite"
    argv = [
        "import",
        "--via",
        "direct",
        str(disk),
        "--state",
        str(state),
        "--upload-threads",
        "2",
    ]
    child = start_module(
        "tests.support.gated_child_event",
        [lab.endpoint, "ebs.PutSnapshotBlock", "2", *argv],
    )
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines
    (started,) = own_snapshots(lab)
    assert started["State"] == "pending" and own_images(lab) == []

    outcome = vmimport(lab.endpoint, *argv, clock=lab.clock, sleep=lab.clock.advance)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    (snapshot,) = own_snapshots(lab)
    assert snapshot["SnapshotId"] == started["SnapshotId"] == result["snapshot_ids"][0]
    assert snapshot["State"] == "completed"
    (image,) = own_images(lab)
    assert image["ImageId"] == result["image_id"]
    volume = volume_from(read_blocks(ebs_client(lab), snapshot["SnapshotId"]), disk.stat().st_size)
    assert volume == disk.read_bytes()


def test_a_batch_takes_each_entry_by_its_road(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    """A manifest whose defaults take the direct road and one entry the image road: each
    entry's AMI is made by its road, and the results say which (``via``)."""
    lab.grant()
    manifest = tmp_path / "vms.yaml"
    manifest.write_text(
        "defaults: {via: direct}\n"
        "entries:\n"
        f"  - {{name: kvm-1, disks: [{fixtures.path('gpt-uefi.v3.qcow2')}]}}\n"
        f"  - {{name: vbox-1, disks: [{fixtures.path('gpt-uefi.vdi')}]}}\n"
        f"  - {{name: esx-1, disks: [{fixtures.path('gpt-uefi.stream.vmdk')}], via: image,"
        f" bucket: {BUCKET}}}\n"
    )
    outcome = vmimport(
        lab.endpoint, "batch", str(manifest), clock=lab.clock, sleep=lab.clock.advance
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    rows = json.loads((tmp_path / "vms.yaml.results.json").read_text())
    assert rows["version"] == 3
    found = {row["entry"]: row for row in rows["entries"]}
    assert {name: row["via"] for name, row in found.items()} == {
        "kvm-1": "direct",
        "vbox-1": "direct",
        "esx-1": "image",
    }
    # the roads were given: their reason says so
    assert {row["via_reason"] for row in found.values()} == {"--via direct", "--via image"}
    assert found["kvm-1"]["import_task_id"] is None and found["esx-1"]["import_task_id"]
    by_name = {tags_of(image)["vmimport:name"]: image for image in own_images(lab)}
    assert {name: tags_of(image)["vmimport:via"] for name, image in by_name.items()} == {
        "kvm-1": "direct",
        "vbox-1": "direct",
        "esx-1": "image",
    }


def test_the_plan_of_a_direct_entry_names_its_road(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = tmp_path / "vms.yaml"
    disk = fixtures.path("gpt-uefi.v3.qcow2")
    manifest.write_text(f"entries:\n  - {{name: kvm-1, disks: [{disk}], via: direct}}\n")
    outcome = vmimport(lab.endpoint, "batch", str(manifest), "--dry-run")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert (
        "into EBS snapshots (--via direct), then RegisterImage" in outcome.stdout + outcome.stderr
    )
    assert "s3://" not in outcome.stdout + outcome.stderr
