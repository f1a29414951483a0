"""``vmimport import``/``batch --via auto`` against the emulator: the road chosen from the
check the import makes before the upload, recorded, said, kept by reruns.

The disks are the operating-system fixtures made by real tools (tests/fixtures/os/,
scripts/make-os-fixtures.sh): debian12 is ready for Nitro as it is (NVMe in its initramfs,
ENA, fstab by UUID, DHCP), ubuntu-static names its devices and has static addresses,
debian8 is refused by ImportImage and lacks ENA, windows2019 is Windows; the disk fixtures'
stand-in roots hold an fstab and nothing that names a system (not identified).  Which road
``check`` recommends for each is tests/guestos/test_judge.py's ``VERDICTS``: ``--via auto``
must take that road (one rule).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples
from ec2_import_image.vmimport.engine.results import RESULTS_VERSION
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, ImportOptions, Phase
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.snapshotlab import faults
from tests.emulator.test_vmimport_batch import run_batch
from tests.emulator.test_vmimport_direct import own_snapshots, run_via
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages
from tests.support.vmimport_run import Outcome, vmimport
from tests.vmimport.test_check import report


def run_auto(lab: Lab, *argv: str, state: Path) -> Outcome:
    return run_via(lab, "auto", *argv, state=state)


def attempt_of(state: Path, name: str) -> Any:
    with StateDB.open(state) as db:
        return db.entry(name).attempt


def objects(lab: Lab) -> list[str]:
    found = lab.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return [item["Key"] for item in found]


def image_tasks(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_import_image_tasks()["ImportImageTasks"])


def snapshot_tasks(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_import_snapshot_tasks()["ImportSnapshotTasks"])


def test_a_linux_ready_for_nitro_takes_the_direct_road_without_a_bucket(
    lab: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """debian12: check recommends direct; --via auto takes it, says so on stderr, records it
    with its reason, gives it in the result; no bucket is needed; a rerun returns the AMI."""
    disk = str(os_images.path("debian12"))
    _, checked = report(disk)
    assert checked["recommended_road"] == "direct"
    state = tmp_path / "s"
    outcome = run_auto(lab, disk, "--name", "deb", state=state)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert (result["via"], result["import_task_id"]) == ("direct", None)
    assert result["via_reason"] == f"--via auto: {checked['road_reason']}"
    assert f"road: direct (--via auto: {checked['road_reason']})" in outcome.stderr
    (image,) = lab.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    tags = {tag["Key"]: tag["Value"] for tag in image["Tags"]}
    assert tags["vmimport:via"] == "direct"
    attempt = attempt_of(state, "deb")
    assert (attempt.via, attempt.via_reason) == ("direct", result["via_reason"])
    again = run_auto(lab, disk, "--name", "deb", state=state)
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout)["image_id"] == result["image_id"]
    assert json.loads(again.stdout)["via"] == "direct"


def test_a_linux_that_needs_importimages_changes_takes_the_image_road(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """ubuntu-static names its disk /dev/sda1 and has static addresses: ImportImage rewrites
    both, so the image road (the direct road would register a system Nitro cannot boot)."""
    disk = str(os_images.path("ubuntu-static"))
    state = tmp_path / "s"
    outcome = run_auto(granted, disk, "--bucket", BUCKET, "--no-wait", state=state)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "image" and result["import_task_id"].startswith("import-ami-")
    assert "fstab-device-names" in result["via_reason"]
    assert "static-network" in result["via_reason"]
    assert "road: image (--via auto: ImportImage takes it" in outcome.stderr
    assert attempt_of(state, "ubuntu-static.raw").via == "image"


@pytest.mark.parametrize("name", ["gpt-uefi.stream.vmdk", "vm.ova"])
def test_a_system_that_cannot_be_identified_takes_the_image_road(
    granted: Lab, disks: DiskFixtures, tmp_path: Path, name: str
) -> None:
    """The sample disks' roots hold an fstab and nothing that names a system: the image road,
    as without the check."""
    outcome = run_auto(
        granted, str(disks.path(name)), "--bucket", BUCKET, "--no-wait", state=tmp_path / "s"
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "image" and result["import_task_id"].startswith("import-ami-")
    assert "could not be read or identified" in result["via_reason"]


def test_windows_takes_the_image_road(granted: Lab, os_images: OsImages, tmp_path: Path) -> None:
    outcome = run_auto(
        granted,
        str(os_images.path("windows2019")),
        "--bucket",
        BUCKET,
        "--no-wait",
        state=tmp_path / "s",
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "image" and result["import_task_id"].startswith("import-ami-")
    assert result["via_reason"].startswith("--via auto: Windows")


@pytest.mark.parametrize("road", ["direct", "snapshot"])
def test_a_windows_read_on_the_disk_is_refused_off_the_image_road(
    granted: Lab, os_images: OsImages, tmp_path: Path, road: str
) -> None:
    """No --platform: the Windows is read on the disk, and neither registering road takes it
    (it would register the disk unchanged as a Linux/UNIX AMI)."""
    disk = str(os_images.path("windows2019"))
    outcome = run_via(granted, road, disk, "--bucket", BUCKET, state=tmp_path / "s")
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    assert "platform-unsupported" in outcome.stderr
    assert "Windows Server 2019 Datacenter is Windows" in outcome.stderr
    assert own_snapshots(granted) == [] and snapshot_tasks(granted) == []
    assert objects(granted) == []


def test_a_system_no_road_takes_is_refused_with_what_each_road_lacks(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """debian8: ImportImage does not take Debian 8, and the kernel has no ENA driver, which
    the roads that leave the guest as it is need: refused (exit 1), nothing uploaded."""
    state = tmp_path / "s"
    outcome = run_auto(
        granted, str(os_images.path("debian8")), "--bucket", BUCKET, "--json", state=state
    )
    assert outcome.status == ExitStatus.PROBLEMS
    assert "--via auto: no road takes" in outcome.stderr
    assert "image: os-unsupported; snapshot: no-ena-driver; direct: no-ena-driver" in outcome.stderr
    document = json.loads(outcome.stdout)
    assert (document["status"], document["error_code"]) == ("failed", "no-road")
    assert objects(granted) == [] and image_tasks(granted) == []
    with StateDB.open(state) as db:
        (entry,) = db.entries()
        assert entry.phase is Phase.FAILED and not entry.attempt.road_recorded


def test_startsnapshot_refused_for_permissions_falls_back_to_the_snapshot_road(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """The credentials may not use the EBS direct APIs (AccessDeniedException at the first
    StartSnapshot, before any block): a bucket and the role are there, so the snapshot
    road; the fallback is said, recorded and in the result."""
    faults(granted, "POST", {"deny": 1, "deny_operation": "StartSnapshot"})
    state = tmp_path / "s"
    disk = str(os_images.path("debian12"))
    outcome = run_auto(granted, disk, "--bucket", BUCKET, "--name", "deb", state=state)
    faults(granted, "DELETE")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "snapshot"
    assert "StartSnapshot was refused for permissions" in result["via_reason"]
    assert "the snapshot road: a bucket and the role are there" in result["via_reason"]
    assert "road: direct (--via auto" in outcome.stderr
    assert "road: snapshot (--via auto: StartSnapshot was refused" in outcome.stderr
    assert len(snapshot_tasks(granted)) == 1 and image_tasks(granted) == []
    attempt = attempt_of(state, "deb")
    assert (attempt.via, attempt.via_reason) == ("snapshot", result["via_reason"])
    again = run_auto(granted, disk, "--bucket", BUCKET, "--name", "deb", state=state)
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout)["image_id"] == result["image_id"]
    assert len(snapshot_tasks(granted)) == 1


def test_startsnapshot_refused_falls_back_to_the_image_road_when_the_snapshot_road_is_stopped(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """debian12 in a VHDX (the emulator's sample writer, around the fixture's bytes): the
    direct road takes it and is chosen; ImportSnapshot does not take VHDX, so after the
    refusal the image road, which does."""
    disk = tmp_path / "deb.vhdx"
    raw = os_images.path("debian12")
    disk.write_bytes(samples.vhdx(raw.stat().st_size, data=raw.read_bytes()))
    faults(granted, "POST", {"deny": 1, "deny_operation": "StartSnapshot"})
    outcome = run_auto(granted, str(disk), "--bucket", BUCKET, "--no-wait", state=tmp_path / "s")
    faults(granted, "DELETE")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "image" and result["import_task_id"].startswith("import-ami-")
    assert "road: direct (--via auto: ready for Nitro" in outcome.stderr
    assert "; the image road: ImportImage takes it" in result["via_reason"]
    assert snapshot_tasks(granted) == []


def test_startsnapshot_refused_without_a_bucket_to_fall_back_to_fails_with_the_reason(
    lab: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    faults(lab, "POST", {"deny": 1, "deny_operation": "StartSnapshot"})
    outcome = run_auto(lab, str(os_images.path("debian12")), state=tmp_path / "s")
    faults(lab, "DELETE")
    assert outcome.status == ExitStatus.PROBLEMS
    assert "the EBS direct APIs refused the direct road" in outcome.stderr
    assert "no bucket was given" in outcome.stderr
    assert snapshot_tasks(lab) == [] and image_tasks(lab) == []


def test_a_rerun_keeps_the_road_recorded_and_refuses_another_one_given(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """The attempt recorded the image road (an earlier version's choice) and stopped before
    hashing: a rerun with --via auto keeps it, though the check now recommends direct; an
    explicit --via direct while the entry is under way is refused (exit 2)."""
    disk = str(os_images.path("debian12"))
    state = tmp_path / "s"
    with StateDB.open(state) as db:
        db.put_entry(EntrySpec("deb", (disk,), ImportOptions(bucket=BUCKET, via="auto")))
        claim = db.claim("deb")
        db.set_phase(claim, Phase.CHECKING)
        db.record_via(claim, "image", "--via auto: an earlier version's choice")
        db.release(claim)
    refused = vmimport(
        granted.endpoint,
        "import",
        disk,
        "--name",
        "deb",
        "--via",
        "direct",
        "--state",
        str(state),
    )
    assert refused.status == ExitStatus.USAGE
    assert "under way on the image road" in refused.stderr
    outcome = run_auto(granted, disk, "--bucket", BUCKET, "--name", "deb", "--no-wait", state=state)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["via"] == "image", outcome.stderr
    assert result["import_task_id"].startswith("import-ami-")
    assert result["via_reason"] == "--via auto: an earlier version's choice"
    assert "road: direct" not in outcome.stderr


def write_manifest(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"defaults": {"via": "auto"}, "entries": entries}))
    return path


def test_a_batch_with_via_auto_shows_the_roads_takes_them_and_records_them(
    lab: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """defaults: via: auto.  --dry-run reads the local disks as check does and says the road
    each would take and why; the run takes it (debian12: direct) or refuses the entry
    (debian8); the results (version 3) and --status give the road and its reason."""
    manifest = write_manifest(
        tmp_path / "m.yaml",
        [
            {"name": "deb", "disks": [str(os_images.path("debian12"))]},
            {"name": "old", "disks": [str(os_images.path("debian8"))]},
        ],
    )
    planned = run_batch(lab, manifest, "--dry-run", "--json")
    assert planned.status == ExitStatus.OK, planned.stderr
    steps = {step["entry"]: step for step in json.loads(planned.stdout)}
    assert steps["deb"]["action"] == "upload"
    assert steps["deb"]["detail"].startswith("--via auto: direct (ready for Nitro")
    assert "into EBS snapshots (--via direct)" in steps["deb"]["detail"]
    assert steps["old"]["detail"].startswith("--via auto: no road takes it as it is")
    outcome = run_batch(lab, manifest)
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    assert "deb: road: direct (--via auto: ready for Nitro as it is" in outcome.stderr
    assert "failed: old: --via auto: no road takes" in outcome.stderr
    document = json.loads((tmp_path / "m.yaml.results.json").read_text())
    assert document["version"] == RESULTS_VERSION == 3
    rows = {row["entry"]: row for row in document["entries"]}
    assert (rows["deb"]["status"], rows["deb"]["via"]) == ("done", "direct")
    assert rows["deb"]["via_reason"].startswith("--via auto: ready for Nitro")
    assert (rows["old"]["status"], rows["old"]["error_code"]) == ("failed", "no-road")
    assert rows["old"]["via_reason"] is None
    csv_header = (tmp_path / "m.yaml.results.csv").read_text().splitlines()[0]
    assert csv_header.endswith(",via,via_reason,snapshot_tasks")
    status = run_batch(lab, manifest, "--status", "--json")
    shown = {row["entry"]: row for row in json.loads(status.stdout)}
    assert (shown["deb"]["via"], shown["deb"]["via_reason"]) == (
        "direct",
        rows["deb"]["via_reason"],
    )


def test_import_dry_run_shows_the_road_and_does_nothing(
    lab: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """import --dry-run --via auto: the road the check would choose from the disks alone and
    why, the road's steps; no state database is created, nothing is sent or uploaded; once
    the import is done, the plan is to skip it."""
    state = tmp_path / "s"
    ready, static = str(os_images.path("debian12")), str(os_images.path("ubuntu-static"))
    planned = run_auto(lab, ready, "--dry-run", "--json", state=state)
    assert planned.status == ExitStatus.OK, planned.stderr
    (step,) = json.loads(planned.stdout)
    assert (step["entry"], step["action"]) == ("debian12.raw", "upload")
    assert step["detail"].startswith("--via auto: direct (ready for Nitro as it is")
    assert "into EBS snapshots (--via direct), then RegisterImage" in step["detail"]
    assert "dry run: nothing was done" in planned.stderr
    assert not state.exists()
    other = run_auto(lab, static, "--bucket", BUCKET, "--dry-run", state=state)
    assert "--via auto: image (ImportImage takes it and changes what it needs" in other.stdout
    assert f"s3://{BUCKET}/vmimport/<16 hex of its SHA-256>/ubuntu-static.raw" in other.stdout
    assert not state.exists()
    assert lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    done = run_auto(lab, ready, state=state)
    assert done.status == ExitStatus.OK, done.stderr
    again = run_auto(lab, ready, "--dry-run", "--json", state=state)
    (step,) = json.loads(again.stdout)
    image_id = json.loads(done.stdout)["image_id"]
    assert step["action"] == "skip" and step["detail"].startswith(f"done: {image_id}")
