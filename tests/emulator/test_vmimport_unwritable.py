"""A state database or results files ``vmimport batch`` cannot write: a full disk, a read-only
file system.  Exit 3 naming the file and the cause, never an internal error, no temporary file
left behind; ``--status`` and ``--dry-run`` of a state file on a read-only file system work.

Tests run as root, for whom permissions prove nothing: the faults are real or injected where
they happen.  SQLite's ``max_page_count`` makes it answer SQLITE_FULL; a temporary file that is
a link to ``/dev/full`` makes writing it fail with ENOSPC; a read-only bind mount and a full
``tmpfs`` are made in a user and mount namespace of the child process (``unshare -rm``: the
tests that need one are skipped where the kernel refuses it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state import store
from tests.emulator.conftest import Lab
from tests.emulator.test_vmimport_batch import results, run_batch, write_manifest
from tests.emulator.test_vmimport_batch_state import finished_batch
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import child_environ

ROOT = Path(__file__).resolve().parents[2]


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_a_full_state_database_is_exit_3_with_its_path_and_cause(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 3, broken=set())
    state = tmp_path / "vms.yaml.state.sqlite"
    prepare = store._prepare

    def no_more_pages(conn: Any, path: str, *rest: Any) -> None:
        prepare(conn, path, *rest)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite: SQLITE_FULL past it

    monkeypatch.setattr(store, "_prepare", no_more_pages)
    before = listing(tmp_path)
    outcome = run_batch(lab, manifest, "--description", "x" * 5000)  # rows past one page
    assert outcome.status == ExitStatus.INCOMPLETE
    assert outcome.stderr == (
        f"vmimport: error: cannot write the state database {state}: database or disk is full\n"
    )
    assert listing(tmp_path) == sorted([*before, state.name])  # no -wal, -shm or .tmp left


def test_results_that_cannot_be_written_are_exit_3_with_their_path_and_cause(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 1, broken=set())
    temporary = tmp_path / f".vms.yaml.results.json.{os.getpid()}.tmp"
    temporary.symlink_to("/dev/full")  # the results file's temporary name: writes fail, ENOSPC
    outcome = run_batch(lab, manifest)
    assert outcome.status == ExitStatus.INCOMPLETE
    json_path = tmp_path / "vms.yaml.results.json"
    assert outcome.stderr.endswith(
        f"vmimport: error: cannot write the results file {json_path}: No space left on device\n"
    )
    assert "internal error" not in outcome.stderr
    assert not temporary.exists() and not json_path.exists()
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _namespaces() -> bool:
    try:
        probe = subprocess.run(
            ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
            check=False,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces(), reason="needs unshare -rm and mounts in a user namespace"
)


def in_namespace(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``sh -c SCRIPT`` in a new user and mount namespace; ``$VMIMPORT`` runs vmimport."""
    environ = {
        **child_environ(),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "VMIMPORT": f"{sys.executable} -m ec2_import_image.vmimport",
    }
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *arguments],
        check=False,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
    )


@needs_namespaces
def test_status_and_dry_run_read_a_state_on_a_read_only_file_system(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    area = tmp_path / "area"
    finished_batch(lab, fixtures, area, 2)
    before = listing(area)
    read_only = 'mount --bind -o ro "$1" "$1" && $VMIMPORT --endpoint-url "$2" batch "$1/vms.yaml"'
    status = in_namespace(f"{read_only} --status --json", str(area), lab.endpoint)
    assert status.returncode == ExitStatus.OK, status.stderr
    assert [row["phase"] for row in json.loads(status.stdout)] == ["done", "done"]
    plan = in_namespace(f"{read_only} --dry-run --json", str(area), lab.endpoint)
    assert plan.returncode == ExitStatus.OK, plan.stderr
    assert [step["action"] for step in json.loads(plan.stdout)] == ["skip", "skip"]
    run = in_namespace(read_only, str(area), lab.endpoint)
    assert run.returncode == ExitStatus.INCOMPLETE
    state = area / "vms.yaml.state.sqlite"
    assert run.stderr == (
        f"vmimport: error: cannot write the state database {state}: Read-only file system\n"
    )
    assert listing(area) == before  # nothing was created: no -wal, no -shm


@needs_namespaces
def test_a_state_on_a_full_file_system_is_exit_3_with_nothing_left_behind(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    area = tmp_path / "area"
    manifest = finished_batch(lab, fixtures, area, 2)
    full = tmp_path / "full"
    full.mkdir()
    script = (
        'mount -t tmpfs -o size=4m tmpfs "$3" && cp -a "$1"/. "$3"/ '
        '&& { dd if=/dev/zero of="$3/filler" bs=4k 2>/dev/null; true; } '
        '&& { $VMIMPORT --endpoint-url "$2" batch "$3/vms.yaml"; status=$?; } '
        '; ls -a "$3"; exit $status'
    )
    run = in_namespace(script, str(area), lab.endpoint, str(full))
    assert run.returncode == ExitStatus.INCOMPLETE, run.stderr
    state = full / "vms.yaml.state.sqlite"
    assert f"vmimport: error: cannot write the state database {state}: No space left on" in (
        run.stderr
    )
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    # SQLite's journal files beside the database may stay (they belong to the database; the
    # next run that can write removes them); no file of vmimport's is left half-written
    left = set(run.stdout.split()) - {"vms.yaml.state.sqlite-wal", "vms.yaml.state.sqlite-shm"}
    assert left == {".", "..", "filler", *(p.name for p in area.iterdir())}
    assert results(manifest)  # the first run's results, untouched
