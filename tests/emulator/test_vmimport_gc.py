"""``vmimport gc`` against the emulator: the newest kept per name and Region, the rest removed
with their snapshots; what is not this tool's, not this owner's, shared, protected or in use is
never touched; the state databases learn what was removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.distribution import ImageState
from tests.emulator.conftest import REGION, Lab
from tests.emulator.test_vmimport_distribute import (
    ACCOUNT,
    MOTO,
    WEST,
    own_images,
    run_import,
    snapshots_of,
)
from tests.emulator.test_vmimport_import import tags_of
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import Outcome, vmimport


@pytest.fixture
def versions(disks: DiskFixtures, tmp_path: Path) -> list[Path]:
    """Four disks of one VM, each another content (a sector more at the end)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    source = disks.path("gpt-uefi.stream.vmdk").read_bytes()
    found = []
    for number in range(4):
        path = folder / f"v{number}" / "web.vmdk"
        path.parent.mkdir()
        path.write_bytes(source + b"\0" * 512 * number)
        found.append(path)
    return found


def gc(lab: Lab, *argv: str) -> Outcome:
    return vmimport(
        lab.endpoint, "gc", *argv, clock=lab.clock, sleep=lab.clock.advance, variables=MOTO
    )


def snapshots(lab: Lab, region: str) -> set[str]:
    reply = lab.client("ec2", region).describe_snapshots(OwnerIds=["self"])
    return {snapshot["SnapshotId"] for snapshot in reply["Snapshots"]}


def three_imports(lab: Lab, versions: list[Path], state: Path, *extra: str) -> list[dict[str, Any]]:
    """Three imports of ``web-1``, each of newer content, copied to us-west-2."""
    results = []
    for disk in versions[:3]:
        outcome = run_import(
            lab, str(disk), "--name", "web-1", "--copy-to-region", WEST, *extra, state=state
        )
        assert outcome.status == ExitStatus.OK, outcome.stderr
        results.append(json.loads(outcome.stdout))
        lab.elapse(3600)
    return results


def hand_made(lab: Lab, region: str, source: str) -> str:
    """An AMI without vmimport's tags (a copy made by hand)."""
    ec2 = lab.client("ec2", region)
    image_id = str(
        ec2.copy_image(SourceImageId=source, SourceRegion=region, Name="web-1 by hand")["ImageId"]
    )
    lab.elapse(900)
    return image_id


def test_keep_one_plans_two_removals_per_region_and_yes_leaves_the_newest(
    granted: Lab, versions: list[Path], tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    results = three_imports(granted, versions, state)
    other = run_import(
        granted,
        str(versions[3]),
        "--name",
        "web-1",
        "--owner",
        "another-team",
        "--copy-to-region",
        WEST,
        state=tmp_path / "theirs.sqlite",
    )
    assert other.status == ExitStatus.OK, other.stderr
    theirs = json.loads(other.stdout)["images"]
    by_hand = {r: hand_made(granted, r, results[0]["images"][r]) for r in (REGION, WEST)}
    before = {r: snapshots(granted, r) for r in (REGION, WEST)}

    keep_one = ("web-*", "--keep", "1", "--state", str(state), "--region", REGION, "--region", WEST)
    planned = gc(granted, *keep_one, "--json")
    assert planned.status == ExitStatus.OK, planned.stderr
    document = json.loads(planned.stdout)
    assert document["dry_run"] is True
    for region in (REGION, WEST):
        verdicts = sorted(
            (d["image_id"], d["verdict"]) for d in document["decisions"] if d["region"] == region
        )
        expected = sorted(
            [(r["images"][region], "remove") for r in results[:2]]
            + [(results[2]["images"][region], "keep")]
        )
        assert verdicts == expected
    assert "dry run: nothing was removed" in planned.stderr
    assert {r: snapshots(granted, r) for r in (REGION, WEST)} == before

    removed = gc(granted, *keep_one, "--yes")
    assert removed.status == ExitStatus.OK, removed.stderr
    for region in (REGION, WEST):
        left = {image["ImageId"]: image for image in own_images(granted, region)}
        assert set(left) == {results[2]["images"][region], theirs[region], by_hand[region]}
        ours = left[results[2]["images"][region]]
        assert tags_of(left[by_hand[region]]) == {}
        kept = set(snapshots_of(ours))
        gone = before[region] - snapshots(granted, region)
        assert kept <= snapshots(granted, region) and len(gone) == 2  # one snapshot each
    assert removed.stderr.count("removed: ") == 4
    with StateDB.open(state) as db:
        for attempt in (1, 2):
            rows = db.region_images("web-1", attempt=attempt)
            assert rows and all(
                row.state is ImageState.DEREGISTERED for row in rows if row.image_id
            )
        assert db.entry("web-1").note is None  # its current AMI is kept
    assert "recorded" in removed.stderr


def test_keep_zero_needs_its_flag_and_the_next_import_is_a_new_one(
    granted: Lab, versions: list[Path], tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(versions[0]), "--name", "web-1", state=state)
    assert first.status == ExitStatus.OK, first.stderr
    dead = json.loads(first.stdout)["image_id"]
    refused = gc(granted, "web-1", "--keep", "0", "--state", str(state), "--yes")
    assert refused.status == ExitStatus.USAGE and "--allow-keep-zero" in refused.stderr
    assert gc(granted, "--keep", "1").status == ExitStatus.USAGE  # a pattern is required
    done = gc(granted, "web-1", "--keep", "0", "--allow-keep-zero", "--state", str(state), "--yes")
    assert done.status == ExitStatus.OK, done.stderr
    assert own_images(granted, REGION) == []
    with StateDB.open(state) as db:
        assert db.entry("web-1").note is not None and dead in (db.entry("web-1").note or "")
    again = run_import(granted, str(versions[0]), "--name", "web-1", state=state)
    assert again.status == ExitStatus.OK, again.stderr
    alive = json.loads(again.stdout)["image_id"]
    assert alive != dead and f"its AMI {dead} no longer exists" in again.stderr
    assert [image["ImageId"] for image in own_images(granted, REGION)] == [alive]


def test_shared_protected_and_used_amis_are_reported_not_forced(
    granted: Lab, versions: list[Path], tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    outcomes = []
    for disk, extra in zip(
        versions,
        [("--share-with", ACCOUNT), ("--deregistration-protection",), (), ()],
        strict=True,
    ):
        outcome = run_import(granted, str(disk), "--name", "web-1", *extra, state=state)
        assert outcome.status == ExitStatus.OK, outcome.stderr
        outcomes.append(json.loads(outcome.stdout)["image_id"])
        granted.elapse(3600)
    shared, protected, used, newest = outcomes
    granted.ec2.run_instances(ImageId=used, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    planned = gc(granted, "web-1", "--keep", "1", "--state", str(state), "--json")
    assert planned.status == ExitStatus.OK, planned.stderr
    verdicts = {d["image_id"]: d["verdict"] for d in json.loads(planned.stdout)["decisions"]}
    assert verdicts == {
        shared: "skip-shared",
        protected: "skip-protected",
        used: "skip-in-use",
        newest: "keep",
    }
    forced = gc(granted, "web-1", "--keep", "1", "--state", str(state), "--include-shared", "--yes")
    assert forced.status == ExitStatus.OK, forced.stderr
    left = {image["ImageId"] for image in own_images(granted, REGION)}
    assert left == {protected, used, newest}


def test_without_a_state_database_or_owner_nothing_can_be_told(
    granted: Lab, tmp_path: Path
) -> None:
    outcome = vmimport(
        granted.endpoint,
        "gc",
        "web-*",
        "--keep",
        "1",
        variables={**MOTO, "XDG_STATE_HOME": str(tmp_path / "empty")},
    )
    assert outcome.status == ExitStatus.USAGE
    assert "give --owner" in outcome.stderr
    listed = vmimport(
        granted.endpoint, "gc", "web-*", "--keep", "1", "--owner", "nobody", variables=MOTO
    )
    assert listed.status == ExitStatus.OK, listed.stderr
    assert "0 AMI(s) of this tool match" in listed.stderr
