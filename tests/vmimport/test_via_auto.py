"""``--via auto`` without AWS: the road is check's recommended road, judged from the same
report (``check_image``); the fallback rule after StartSnapshot is refused; the manifest key;
the plan's words; the refusal of another road for an entry under way.

The end-to-end runs (import and batch on the emulator, the fallback on a refused
StartSnapshot, reruns) are tests/emulator/test_vmimport_auto.py.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from ec2_import_image.guestos.judge import ROAD_SEVERITY, RoadVerdicts
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import ROADS, Road
from ec2_import_image.vmimport.context import GlobalOptions, Run
from ec2_import_image.vmimport.engine.plan import Choice, Looking, plan_entry
from ec2_import_image.vmimport.engine.roadchoice import road_conflict, road_taken
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.manifest import entry_from_options
from ec2_import_image.vmimport.preflight import CheckRequest, check_image
from ec2_import_image.vmimport.roadverdicts import fallback_after_denial, lacks
from ec2_import_image.vmimport.spec import Auto, ImportOptions, ImportSpec
from ec2_import_image.vmimport.state.records import Attempt, Entry, EntrySpec, Phase
from tests.guestos.test_judge import VERDICTS
from tests.support.osfixtures import OsImages
from tests.support.vmimport_run import environment, session_factory

C = ProblemCode


@pytest.mark.parametrize("verdict", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_auto_judges_the_disk_for_the_road_check_recommends(
    os_images: OsImages, verdict: tuple[str, dict[Road, list[ProblemCode]], Road | None]
) -> None:
    """One report: its problems are those of the recommended road (the image road's when
    none is), and that road is the one the same report's verdicts recommend."""
    name, blocking, recommended = verdict
    run = Run(environment(), GlobalOptions(), session_factory)
    report = check_image(run, CheckRequest(disks=(str(os_images.path(name)),), via=Auto.AUTO))
    if name == "luks":  # the encrypted volume stops every road: none is recommended
        recommended = None
    assert report.roads.recommended is recommended, report.roads.reason
    assert report.road is (recommended or Road.IMAGE)
    for problem in report.problems:
        code = ProblemCode(problem.code)
        if code in ROAD_SEVERITY:
            assert problem.severity is ROAD_SEVERITY[code][report.road]
    # the road it takes meets no error of the system's
    taken_errors = [p.code for p in report.problems if ProblemCode(p.code) in ROAD_SEVERITY]
    assert recommended is None or not [
        code for code in taken_errors if code in blocking.get(recommended, [])
    ]


def verdicts(**blocking: list[ProblemCode]) -> RoadVerdicts:
    return RoadVerdicts(
        {road: tuple(blocking.get(road.value, [])) for road in ROADS}, Road.DIRECT, "ready"
    )


def test_the_fallback_is_the_snapshot_road_when_nothing_stops_it() -> None:
    found = fallback_after_denial(verdicts(), bucket=True)
    assert found.road is Road.SNAPSHOT and "a bucket and the role are there" in found.reason


def test_the_fallback_is_the_image_road_when_the_snapshot_road_is_stopped() -> None:
    """A VHDX: ImportSnapshot does not take it, ImportImage does."""
    found = fallback_after_denial(verdicts(snapshot=[C.UNSUPPORTED_FORMAT]), bucket=True)
    assert found.road is Road.IMAGE


def test_no_fallback_without_a_bucket_or_with_both_roads_stopped() -> None:
    assert fallback_after_denial(verdicts(), bucket=False).road is None
    stopped = verdicts(snapshot=[C.ROLE_MISSING], image=[C.ROLE_MISSING])
    found = fallback_after_denial(stopped, bucket=True)
    assert found.road is None
    assert "image: role-missing; snapshot: role-missing; direct: nothing" in found.reason
    assert lacks(stopped) in found.reason


def test_the_manifest_takes_via_auto_without_a_bucket_and_with_registerimage_options(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "web.raw"
    disk.write_bytes(b"\0" * 512)
    spec = entry_from_options(
        {"name": "web", "disks": [str(disk)], "via": "AUTO", "tpm": True}, tmp_path
    )
    assert spec.options.via is Auto.AUTO and spec.options.tpm
    with pytest.raises(UsageError, match="'bogus' is not one of: image, snapshot, direct, auto"):
        entry_from_options({"name": "web", "disks": [str(disk)], "via": "bogus"}, tmp_path)


SPEC = ImportSpec("web", (), ImportOptions(via=Auto.AUTO))


NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)


def entry(phase: Phase, via: str = "image", reason: str | None = None) -> Entry:
    attempt = Attempt(1, via=via, via_reason=reason)
    return Entry("web", 0, EntrySpec("web", ()), phase, attempt, None, None, NOW, NOW)


def test_a_recorded_road_is_kept_and_another_given_is_refused_while_under_way() -> None:
    under_way = entry(Phase.UPLOADING, "direct", "--via auto: ready")
    assert road_taken(SPEC, under_way) is Road.DIRECT
    assert road_conflict(SPEC, under_way) is None  # auto keeps it
    image = SPEC._replace(options=ImportOptions(via=Road.IMAGE))
    refused = road_conflict(image, under_way)
    assert refused is not None and "under way on the direct road (--via auto: ready)" in refused
    assert road_conflict(image, entry(Phase.FAILED, "direct", "--via auto: ready")) is None
    assert road_conflict(image, entry(Phase.CHECKING)) is None  # nothing recorded yet
    assert road_taken(SPEC, entry(Phase.CHECKING)) is Auto.AUTO


def test_the_plan_says_the_road_auto_would_take_and_the_recorded_one() -> None:
    fresh = plan_entry(SPEC, None, (), Looking(), Choice(Road.DIRECT, "ready for Nitro"))
    assert fresh.detail.startswith("--via auto: direct (ready for Nitro; from the disks alone")
    assert "into EBS snapshots (--via direct)" in fresh.detail
    refused = plan_entry(SPEC, None, (), Looking(), Choice(None, "no road takes it"))
    assert refused.detail == (
        "--via auto: no road takes it as it is (no road takes it): a run refuses it"
    )
    unknown = plan_entry(SPEC, None, (), Looking())
    assert "chosen by the check a run makes before the upload" in unknown.detail
    waiting = entry(Phase.WAITING, "image", "--via auto: Windows")
    waiting = waiting._replace(attempt=waiting.attempt._replace(import_task_id="import-ami-1"))
    step = plan_entry(SPEC, waiting, (), Looking())
    assert step.detail == "wait for import-ami-1 (road image: --via auto: Windows)"
