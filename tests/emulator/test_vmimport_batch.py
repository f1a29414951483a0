"""``vmimport batch`` in-process against the emulator (speed 1, a manual clock the run's
sleep turns): a manifest's entries imported under the quota, failures explained, the
plan, the state, retries, the results files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import Phase
from tests.emulator.conftest import BUCKET, Lab
from tests.emulator.test_vmimport_import import objects, tags_of, tasks
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import Outcome, vmimport

GOOD = "mbr-linux.stream.vmdk"
BROKEN = "gpt-uefi.sparse.vmdk"


def write_manifest(folder: Path, fixtures: DiskFixtures, count: int, broken: set[int]) -> Path:
    """A manifest of ``count`` entries ``vm-00``...; those in ``broken`` have a disk the check
    refuses (a monolithicSparse VMDK)."""
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    lines = ["defaults:", f"  bucket: {BUCKET}", "  tags: {project: dc-exit}", "entries:"]
    for index in range(count):
        name = f"vm-{index:02d}"
        target = exports / f"{name}.vmdk"
        shutil.copyfile(fixtures.path(BROKEN if index in broken else GOOD), target)
        lines += [f"  - name: {name}", f"    disks: [exports/{name}.vmdk]"]
    manifest = folder / "vms.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    return DiskFixtures(tmp_path_factory.mktemp("disks"))


def run_batch(lab: Lab, manifest: Path, *argv: str, **options: Any) -> Outcome:
    return vmimport(
        lab.endpoint,
        "batch",
        str(manifest),
        *argv,
        clock=lab.clock,
        sleep=lab.clock.advance,
        **options,
    )


def tasks_of(lab: Lab, name: str) -> list[dict[str, Any]]:
    reply = lab.ec2.describe_import_image_tasks(
        Filters=[{"Name": "tag:vmimport:name", "Values": [name]}]
    )
    return list(reply["ImportImageTasks"])


def images_of(lab: Lab, name: str) -> list[dict[str, Any]]:
    reply = lab.ec2.describe_images(
        Owners=["self"], Filters=[{"Name": "tag:vmimport:name", "Values": [name]}]
    )
    return list(reply["Images"])


def results(manifest: Path) -> dict[str, dict[str, Any]]:
    document = json.loads(manifest.with_name(manifest.name + ".results.json").read_text())
    return {row["entry"]: row for row in document["entries"]}


def test_a_batch_under_the_quota_with_one_broken_disk(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 10, broken={3})
    active_seen: list[int] = []

    def sleep(seconds: float) -> None:
        active = lab.ec2.describe_import_image_tasks(
            Filters=[{"Name": "task-state", "Values": ["active"]}]
        )["ImportImageTasks"]
        active_seen.append(len(active))
        lab.clock.advance(seconds)

    outcome = vmimport(
        lab.endpoint,
        "batch",
        str(manifest),
        "--max-active",
        "2",
        clock=lab.clock,
        sleep=sleep,
    )
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    assert max(active_seen) == 2
    found = results(manifest)
    assert list(found) == [f"vm-{i:02d}" for i in range(10)]
    for index in range(10):
        name = f"vm-{index:02d}"
        row = found[name]
        if index == 3:
            assert (row["status"], row["error_code"], row["image_id"]) == (
                "failed",
                "check-failed",
                None,
            )
            assert "monolithicSparse" in row["cause"] and "qemu-img convert" in row["remedy"]
            assert tasks_of(lab, name) == [] and images_of(lab, name) == []
            continue
        (task,) = tasks_of(lab, name)
        (image,) = images_of(lab, name)
        assert row["status"] == "done" and row["image_id"] == image["ImageId"]
        assert row["import_task_id"] == task["ImportTaskId"]
        tags = tags_of(image)
        assert tags.pop("vmimport:owner") and tags.pop("vmimport:imported-at")
        assert tags.pop("vmimport:via") == "image" and row["via"] == "image"
        assert tags == {
            "Name": name,
            "project": "dc-exit",
            "vmimport:name": name,
            "vmimport:sha256": tags_of(task)["vmimport:sha256"],
        }
    assert len(tasks(lab)) == 9
    assert objects(lab) == []  # every upload deleted once its AMI existed
    assert "9 of 10 imported, 1 failed" in outcome.stderr
    assert "vm-03: failed: vmimport check found vmdk-not-stream-optimized" in outcome.stderr
    with (tmp_path / "vms.yaml.results.csv").open(newline="") as rows:
        table = list(csv.DictReader(rows))
    assert [row["entry"] for row in table] == list(found)
    assert table[0]["snapshot_ids"] == ";".join(found["vm-00"]["snapshot_ids"])
    assert table[3]["error_code"] == "check-failed"


def test_entries_share_file_names_without_colliding(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copyfile(fixtures.path(GOOD), tmp_path / folder / "disk.vmdk")
    manifest = tmp_path / "vms.csv"
    manifest.write_text("name,disks,keep_upload\nweb,a/disk.vmdk,true\ndb,b/disk.vmdk,yes\n")
    outcome = run_batch(lab, manifest, "--bucket", BUCKET, "--prefix", "mig/")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert sorted(objects(lab)) == ["mig/db/disk.vmdk", "mig/web/disk.vmdk"]


def test_resource_count_limit_exceeded_backs_off(
    make_lab: Any, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab = make_lab(max_active_tasks=2)
    lab.role()
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 4, broken=set())
    outcome = run_batch(lab, manifest, "--max-active", "5")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "ResourceCountLimitExceeded" in outcome.stderr and "backing off" in outcome.stderr
    for index in range(4):
        assert len(tasks_of(lab, f"vm-{index:02d}")) == 1


def test_other_active_tasks_of_the_account_count(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    other = lab.start("vmdk", fixtures.path(GOOD).read_bytes(), key="hand-made.vmdk")
    manifest = write_manifest(tmp_path, fixtures, 2, broken=set())
    other_when_ours_started: list[str] = []

    def sleep(seconds: float) -> None:
        if not other_when_ours_started and len(tasks(lab)) > 1:
            other_when_ours_started.append(lab.task(other)["Status"])
        lab.clock.advance(seconds)

    outcome = vmimport(
        lab.endpoint, "batch", str(manifest), "--max-active", "1", clock=lab.clock, sleep=sleep
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "1 import task(s) active in the Region (--max-active 1)" in outcome.stderr
    assert other_when_ours_started == ["completed"]


def test_dry_run_and_status_do_nothing(lab: Lab, fixtures: DiskFixtures, tmp_path: Path) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 3, broken={1})
    plan = run_batch(lab, manifest, "--dry-run")
    assert plan.status == ExitStatus.OK
    lines = plan.stdout.splitlines()
    assert lines[0].split() == ["entry", "action", "detail"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["vm-00", "upload"],
        ["vm-01", "upload"],
        ["vm-02", "upload"],
    ]
    assert f"s3://{BUCKET}/vmimport/vm-00/vm-00.vmdk" in lines[1]
    assert not (tmp_path / "vms.yaml.state.sqlite").exists()
    status = run_batch(lab, manifest, "--status", "--json")
    assert [row["phase"] for row in json.loads(status.stdout)] == ["pending"] * 3
    assert tasks(lab) == [] and objects(lab) == []

    assert run_batch(lab, manifest).status == ExitStatus.PROBLEMS
    after = json.loads(run_batch(lab, manifest, "--dry-run", "--json").stdout)
    assert [(step["entry"], step["action"]) for step in after] == [
        ("vm-00", "skip"),
        ("vm-01", "skip"),
        ("vm-02", "skip"),
    ]
    retried = json.loads(run_batch(lab, manifest, "--dry-run", "--json", "--retry-failed").stdout)
    assert retried[1]["action"] == "retry" and retried[1]["detail"].startswith("attempt 2")
    shown = run_batch(lab, manifest, "--status")
    rows = [line.split()[:3] for line in shown.stdout.splitlines()[1:]]
    assert rows == [["vm-00", "done", "1"], ["vm-01", "failed", "1"], ["vm-02", "done", "1"]]


def test_retry_failed_starts_the_next_attempt(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 2, broken={1})
    assert run_batch(lab, manifest).status == ExitStatus.PROBLEMS
    shutil.copyfile(fixtures.path(GOOD), tmp_path / "exports" / "vm-01.vmdk")  # repaired
    again = run_batch(lab, manifest)
    assert again.status == ExitStatus.PROBLEMS  # failed entries wait for --retry-failed
    assert tasks_of(lab, "vm-01") == []
    retried = run_batch(lab, manifest, "--retry-failed", "--json")
    assert retried.status == ExitStatus.OK, retried.stderr
    assert "vm-01: attempt 2: --retry-failed" in retried.stderr
    document = json.loads(retried.stdout)
    assert [row["status"] for row in document["entries"]] == ["done", "done"]
    assert len(tasks_of(lab, "vm-01")) == 1 and len(tasks_of(lab, "vm-00")) == 1
    assert results(manifest)["vm-01"]["attempt"] == 2


def test_a_failed_task_is_explained_and_retried_with_a_new_token(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 1, broken={0})
    failed = run_batch(lab, manifest, "--skip-check")
    assert failed.status == ExitStatus.PROBLEMS
    row = results(manifest)["vm-00"]
    assert row["error_code"] == "import-failed"
    assert "Unsupported VMDK File Format" in row["message"] and row["remedy"]
    (first,) = tasks_of(lab, "vm-00")
    shutil.copyfile(fixtures.path(GOOD), tmp_path / "exports" / "vm-00.vmdk")
    retried = run_batch(lab, manifest, "--retry-failed")
    assert retried.status == ExitStatus.OK, retried.stderr
    statuses = sorted(task["Status"] for task in tasks_of(lab, "vm-00"))
    assert statuses == ["completed", "deleted"]
    with StateDB.open(tmp_path / "vms.yaml.state.sqlite") as db:
        first_attempt, second = db.attempts("vm-00")
        assert first_attempt.import_task_id == first["ImportTaskId"]
        assert first_attempt.client_token != second.client_token
        assert db.entry("vm-00").phase is Phase.DONE


def test_a_bad_manifest_is_refused_with_every_problem(lab: Lab, tmp_path: Path) -> None:
    manifest = tmp_path / "vms.yaml"
    manifest.write_text("entries:\n  - name: a\n    disks: [nope.vmdk]\n  - disks: []\n")
    outcome = run_batch(lab, manifest)
    assert outcome.status == ExitStatus.USAGE
    assert "has 4 problems" in outcome.stderr
    assert f"entries[0] (a): disks: 'nope.vmdk': no such file ({tmp_path}" in outcome.stderr
    assert "entries[0] (a): bucket: required" in outcome.stderr
    assert "entries[1]: name: required" in outcome.stderr
    assert not (tmp_path / "vms.yaml.state.sqlite").exists()


def test_the_live_table_on_a_terminal(lab: Lab, fixtures: DiskFixtures, tmp_path: Path) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 2, broken=set())
    outcome = run_batch(lab, manifest, tty=True)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "AMI or error" in outcome.stderr and "ami-" in outcome.stderr


def test_ctrl_c_keeps_the_state_writes_the_results_and_a_rerun_finishes(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 3, broken=set())

    def interrupt_once_started(seconds: float) -> None:
        lab.clock.advance(seconds)
        if tasks(lab):
            raise KeyboardInterrupt

    stopped = vmimport(
        lab.endpoint,
        "batch",
        str(manifest),
        "--max-active",
        "1",
        clock=lab.clock,
        sleep=interrupt_once_started,
    )
    assert stopped.status == ExitStatus.INTERRUPTED
    assert "imports already started go on in AWS" in stopped.stderr
    assert [row["status"] for row in results(manifest).values()].count("done") == 0
    (first,) = tasks(lab)
    finished = run_batch(lab, manifest, "--max-active", "1")
    assert finished.status == ExitStatus.OK, finished.stderr
    name = tags_of(first)["vmimport:name"]
    assert results(manifest)[name]["import_task_id"] == first["ImportTaskId"]
    assert len(tasks(lab)) == 3


def test_only_runs_this_hosts_entries(lab: Lab, fixtures: DiskFixtures, tmp_path: Path) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 3, broken=set())
    (tmp_path / "exports" / "vm-01.vmdk").unlink()  # on another host
    refused = run_batch(lab, manifest)
    assert refused.status == ExitStatus.USAGE and "vm-01.vmdk': no such file" in refused.stderr
    outcome = run_batch(lab, manifest, "--only", "vm-00", "--only", "vm-0[2-9]")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert list(results(manifest)) == ["vm-00", "vm-02"]
    assert tasks_of(lab, "vm-01") == [] and len(tasks(lab)) == 2
    nothing = run_batch(lab, manifest, "--only", "db-*")
    assert nothing.status == ExitStatus.USAGE and "no entry of" in nothing.stderr
