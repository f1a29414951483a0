"""``vmimport batch`` keeps what it says true across runs: a disk changed after ``done`` is
said (and imported again only when asked), a deleted disk of a finished entry blocks nothing,
the results files lose no row an earlier run recorded, an error that no longer holds is
cleared, an entry whose upload fails is set aside and finished by the next run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from botocore.exceptions import EndpointConnectionError

from ec2_import_image.awsconfig.session import full_session
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport.context import GlobalOptions
from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.test_vmimport_batch import (
    images_of,
    results,
    run_batch,
    tasks_of,
    write_manifest,
)
from tests.emulator.test_vmimport_import import tasks
from tests.support.diskfixtures import DiskFixtures
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

#: another disk the check accepts, for a disk replaced with other content
OTHER = "gpt-uefi.stream.vmdk"


def plan_of(lab: Lab, manifest: Path, *argv: str) -> dict[str, dict[str, str]]:
    outcome = run_batch(lab, manifest, "--dry-run", "--json", *argv)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    return {step["entry"]: step for step in json.loads(outcome.stdout)}


def status_of(lab: Lab, manifest: Path) -> dict[str, dict[str, Any]]:
    outcome = run_batch(lab, manifest, "--status", "--json")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    return {row["entry"]: row for row in json.loads(outcome.stdout)}


def finished_batch(lab: Lab, fixtures: DiskFixtures, folder: Path, count: int) -> Path:
    """A manifest of ``count`` good entries in ``folder`` (made if need be), run to its end;
    answers its path."""
    folder.mkdir(exist_ok=True)
    lab.grant()
    manifest = write_manifest(folder, fixtures, count, broken=set())
    assert run_batch(lab, manifest).status == ExitStatus.OK
    return manifest


def test_a_disk_changed_after_done_is_said_and_imported_again_only_when_asked(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = finished_batch(lab, fixtures, tmp_path, 2)
    first = results(manifest)["vm-01"]["image_id"]
    assert [step["action"] for step in plan_of(lab, manifest).values()] == ["skip", "skip"]

    shutil.copyfile(fixtures.path(OTHER), tmp_path / "exports" / "vm-01.vmdk")
    planned = plan_of(lab, manifest)
    assert planned["vm-00"]["action"] == "skip"
    assert planned["vm-01"]["action"] == "changed"
    unsure = (
        "changed (stat differs; a run hashes it to be sure): the AMI may hold the old content "
        "of vm-01.vmdk"
    )
    assert planned["vm-01"]["detail"] == f"done: {first}; {unsure}"
    assert status_of(lab, manifest)["vm-01"]["note"] == unsure

    said = run_batch(lab, manifest)
    assert said.status == ExitStatus.OK, said.stderr
    changed = (
        "changed: the AMI holds the old content (vm-01.vmdk changed since); "
        "--reimport-changed imports it again"
    )
    assert f"vm-01: {changed}" in said.stderr
    row = results(manifest)["vm-01"]
    assert (row["status"], row["image_id"], row["note"]) == ("done", first, changed)
    assert len(tasks_of(lab, "vm-01")) == 1  # nothing imported again
    # now hashed: the plan knows, without hashing
    again = plan_of(lab, manifest)["vm-01"]
    assert (again["action"], again["detail"]) == ("changed", f"done: {first}; {changed}")
    assert plan_of(lab, manifest, "--reimport-changed")["vm-01"]["action"] == "reimport"

    reimported = run_batch(lab, manifest, "--reimport-changed")
    assert reimported.status == ExitStatus.OK, reimported.stderr
    assert "vm-01: attempt 2: the disks changed since they were imported" in reimported.stderr
    row = results(manifest)["vm-01"]
    assert (row["status"], row["attempt"], row["note"]) == ("done", 2, None)
    assert row["image_id"] != first
    assert len(tasks_of(lab, "vm-01")) == 2 and len(tasks_of(lab, "vm-00")) == 1
    assert plan_of(lab, manifest)["vm-01"]["action"] == "skip"


def test_a_deleted_disk_of_a_done_entry_is_a_note_and_blocks_nothing(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = finished_batch(lab, fixtures, tmp_path, 2)
    (tmp_path / "exports" / "vm-01.vmdk").unlink()
    gone = "vm-01.vmdk no longer there: the AMI holds what it was (nothing needs it now)"
    assert status_of(lab, manifest)["vm-01"]["note"] == gone
    planned = plan_of(lab, manifest)["vm-01"]
    image = results(manifest)["vm-01"]["image_id"]
    assert (planned["action"], planned["detail"]) == ("skip", f"done: {image} ({gone})")
    outcome = run_batch(lab, manifest)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert f"vm-01: {gone}" in outcome.stderr
    assert results(manifest)["vm-01"]["note"] == gone
    assert len(tasks(lab)) == 2

    # an entry that still needs its disk and lacks it: the plan says so, a run refuses
    with manifest.open("a") as more:
        more.write("  - name: vm-02\n    disks: [exports/vm-02.vmdk]\n")
    assert plan_of(lab, manifest)["vm-02"]["action"] == "missing"
    refused = run_batch(lab, manifest)
    assert refused.status == ExitStatus.USAGE
    assert "entries[2] (vm-02): disks: 'exports/vm-02.vmdk': no such file" in refused.stderr
    assert "vm-01" not in refused.stderr


def test_results_keep_what_earlier_runs_recorded(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    manifest = finished_batch(lab, fixtures, tmp_path, 3)
    full = results(manifest)
    assert [row["status"] for row in full.values()] == ["done"] * 3

    only = run_batch(lab, manifest, "--only", "vm-00")
    assert only.status == ExitStatus.OK, only.stderr
    assert results(manifest) == full

    other = tmp_path / "other.sqlite"  # another host's state: it knows vm-00 and vm-01 only
    elsewhere = run_batch(lab, manifest, "--only", "vm-0[01]", "--state", str(other))
    assert elsewhere.status == ExitStatus.OK, elsewhere.stderr
    kept = results(manifest)
    assert list(kept) == ["vm-00", "vm-01", "vm-02"]
    assert [row["status"] for row in kept.values()] == ["done"] * 3
    assert kept["vm-02"] == full["vm-02"]  # this state does not know it: as recorded
    for name in ("vm-00", "vm-01"):  # found by their tags, finished: the same AMIs
        assert kept[name]["image_id"] == full[name]["image_id"]
        assert len(images_of(lab, name)) == 1
    assert len(tasks(lab)) == 3

    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join(lines[:-2]) + "\n")  # vm-02 leaves the manifest
    assert run_batch(lab, manifest).status == ExitStatus.OK
    assert list(results(manifest)) == ["vm-00", "vm-01"]


class FailingUploads:
    """Sessions whose UploadPart of keys containing ``part`` fails as a lost connection."""

    def __init__(self, part: str) -> None:
        self.part = part

    def _fail(self, **event: Any) -> None:
        if self.part in str(event["params"].get("Key", "")):
            raise EndpointConnectionError(endpoint_url="http://s3.invalid")

    def __call__(self, options: GlobalOptions, env: Environment) -> Any:
        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        session.register("provide-client-params.s3.UploadPart", self._fail)
        return session


def test_an_entry_set_aside_is_finished_by_the_next_run_without_its_old_error(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 2, broken=set())
    failing = run_batch(lab, manifest, sessions=FailingUploads("/vm-01/"))
    assert failing.status == ExitStatus.INCOMPLETE, failing.stderr
    assert "vm-01: set aside: the upload of vm-01.vmdk to s3://" in failing.stderr
    assert "1 of 2 imported, 0 failed, 1 to continue in another run" in failing.stderr
    row = results(manifest)["vm-01"]
    assert (row["status"], row["phase"], row["error_code"]) == (
        "in-progress",
        "uploading",
        "upload-failed",
    )
    assert "Could not connect to the endpoint URL" in row["message"]
    assert "Could not connect" in status_of(lab, manifest)["vm-01"]["message"]
    assert tasks_of(lab, "vm-01") == [] and results(manifest)["vm-00"]["status"] == "done"

    finished = run_batch(lab, manifest)
    assert finished.status == ExitStatus.OK, finished.stderr
    row = results(manifest)["vm-01"]
    assert (row["status"], row["error_code"], row["message"]) == ("done", None, None)
    assert status_of(lab, manifest)["vm-01"]["message"] is None
    assert len(tasks_of(lab, "vm-01")) == 1
    assert lab.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
