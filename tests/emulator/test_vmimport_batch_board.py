"""What a person watching ``vmimport batch`` sees, against the emulator: a rerun's table starts
from the recorded state, every summary names the failed entries with cause and fix, and at
most ``--max-active`` entries ever wait for an import slot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ec2_import_emulator import samples as images
from ec2_import_image.vmimport.engine.scheduler import Scheduler
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.records import Phase
from tests.emulator.conftest import Lab
from tests.emulator.test_vmimport_batch import results, run_batch, write_manifest
from tests.support.diskfixtures import DiskFixtures

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    return DiskFixtures(tmp_path_factory.mktemp("disks"))


def last_table(stderr: str) -> dict[str, list[str]]:
    """The rows of the last drawing of the live table, by entry."""
    lines = ANSI.sub("", stderr).replace("\r", "\n").split("\n")
    top = max(i for i, line in enumerate(lines) if line.startswith("┏"))
    bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("└"))
    return {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[1:-1]]
        for line in lines[top:bottom]
        if line.startswith("│")
    }


def test_a_rerun_shows_the_recorded_state_and_names_each_failure_with_cause_and_fix(
    lab: Lab, fixtures: DiskFixtures, tmp_path: Path
) -> None:
    lab.grant()
    manifest = write_manifest(tmp_path, fixtures, 3, broken={1})
    first = run_batch(lab, manifest)
    assert first.status == ExitStatus.PROBLEMS, first.stderr
    found = results(manifest)
    failed = found["vm-01"]
    # the summary of the run the entry failed in names it, its cause and its fix
    summary = first.stderr[first.stderr.index("2 of 3 imported, 1 failed") :]
    assert f"failed: vm-01: {failed['message']}\n  cause: {failed['cause']}\n" in summary
    assert f"  fix: {failed['remedy']}\n" in summary
    rerun = run_batch(lab, manifest, tty=True, variables={"COLUMNS": "120", "LINES": "30"})
    assert rerun.status == ExitStatus.PROBLEMS, rerun.stderr
    rows = last_table(rerun.stderr)
    for name in ("vm-00", "vm-02"):
        assert rows[name][:2] == [name, "done"] and rows[name][-1] == found[name]["image_id"]
        assert rows[name][3] == ""  # nothing ran for it in this run
    assert rows["vm-01"][1] == "failed"
    assert rows["vm-01"][-1].startswith("vmimport check found vmdk-not-stream-optimized")
    # and so does the summary of a run it did not fail in
    again = rerun.stderr[rerun.stderr.index("2 of 3 imported, 1 failed") :]
    assert f"failed: vm-01: {failed['message']}\n  cause: {failed['cause']}\n" in again


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int, int]]]:
    """(queued, preparing, max_active) after each turn's claims, for every scheduler run."""
    seen: list[tuple[int, int, int]] = []
    claim = Scheduler._claim

    def counted(self: Scheduler) -> None:
        claim(self)
        queued = sum(1 for held in self.held.values() if held.phase is Phase.QUEUED)
        seen.append((queued, self._in_flight, self.options.max_active))

    monkeypatch.setattr(Scheduler, "_claim", counted)
    yield seen


@pytest.mark.parametrize("limits", [(1, 2, 0), (3, 2, 3), (2, 4, 0)], ids=str)
def test_at_most_max_active_entries_wait_for_a_slot_counting_those_being_prepared(
    lab: Lab,
    fixtures: DiskFixtures,
    tmp_path: Path,
    turns: list[tuple[int, int, int]],
    limits: tuple[int, int, int],
) -> None:
    """``limits``: --max-active, --parallel-uploads, and the import tasks another hand has
    running in the account when the batch starts (they hold the slots a while: the case the
    review met, four entries "queued for an import slot" under --max-active 3)."""
    max_active, uploads, busy = limits
    lab.grant()
    for index in range(busy):
        lab.start("RAW", images.raw_mbr(), f"other-{index}.raw")
    manifest = write_manifest(tmp_path, fixtures, 6, broken=set())
    argv = ["--max-active", str(max_active), "--parallel-uploads", str(uploads)]
    outcome = run_batch(lab, manifest, *argv)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert turns, "the scheduler ran no turn"
    assert all(queued + preparing <= limit for queued, preparing, limit in turns), turns
    # preparations still overlap with imports: the bound is reached, not undercut
    assert max(queued + preparing for queued, preparing, _ in turns) == max_active
    assert all(preparing <= uploads for _, preparing, _ in turns)
