"""What each road to an AMI would meet, for ``vmimport check``'s ``roads`` and
``recommended_road``: the check's own errors and the operating system's, per road.

The disks and the account are judged for each road by that road's own checks
(``roadcheck``: the formats, variants, architectures and platforms it takes, the role and
bucket it uses or not); the operating system by ``guestos.judge`` (``roads``: its blocking
codes per road and the road it recommends).  A local disk checked without an account has
the disk's verdict alone.

The recommended road is the operating system's when nothing else stops it; when the
check's own errors stop it, the first road (image, snapshot, direct) that nothing stops is
recommended, and the reason says what stops the other; when every road is stopped, none.

``vmimport import``/``batch --via auto`` take the recommended road of the check they run
before the upload (the same report ``check`` prints: one rule), refuse an image no road
takes with what each lacks (``lacks``), and, when the EBS direct APIs refuse StartSnapshot
for permissions before any block is written, take ``fallback_after_denial``'s road.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.guestos.judge import ROAD_SEVERITY, RoadVerdicts, roads
from ec2_import_image.guestos.osreport import OsReport, OsStatus
from ec2_import_image.problems import ProblemCode
from ec2_import_image.roads import ROADS, Road

#: what the roads are told when the operating system was not read at all
_NOT_READ = OsReport(status=OsStatus.NO_FILESYSTEM)


def road_verdicts(
    per_road: Mapping[Road, Sequence[Diagnostic]], guest: OsReport | None
) -> RoadVerdicts:
    """Each road's blocking codes and the road to take (see the module); ``per_road``: the
    disks' and the account's problems as each road's checks give them."""
    system = roads(guest if guest is not None else _NOT_READ)
    blocking: dict[Road, tuple[ProblemCode, ...]] = {}
    for road in ROADS:
        codes = [
            ProblemCode(problem.code)
            for problem in per_road.get(road, ())
            if problem.severity is Severity.ERROR and ProblemCode(problem.code) not in ROAD_SEVERITY
        ]
        blocking[road] = tuple(dict.fromkeys(codes + list(system.blocking[road])))
    recommended, reason = system.recommended, system.reason
    if recommended is not None and blocking[recommended]:
        stopped = ", ".join(code.value for code in blocking[recommended])
        open_road = next((road for road in ROADS if not blocking[road]), None)
        if open_road is None:
            reason = f"{reason}; but the {recommended.value} road is stopped by {stopped}"
        else:
            reason = (
                f"the {recommended.value} road is stopped by {stopped}; the "
                f"{open_road.value} road meets nothing that stops it"
            )
        recommended = open_road
    return RoadVerdicts(blocking, recommended, reason)


def lacks(verdicts: RoadVerdicts) -> str:
    """What stops each road, as a person reads it: ``image: os-unsupported; snapshot: ...``."""
    return "; ".join(
        f"{road.value}: " + (", ".join(code.value for code in codes) if codes else "nothing")
        for road, codes in verdicts.blocking.items()
    )


class Fallback(NamedTuple):
    """The road taken when the direct road is refused (None: none can be), and why."""

    road: Road | None
    reason: str


def fallback_after_denial(verdicts: RoadVerdicts, *, bucket: bool) -> Fallback:
    """The road ``--via auto`` takes when StartSnapshot is refused for permissions before any
    block is written: the snapshot road when nothing stops it (a bucket, and the role as the
    account checks found it), else the image road when nothing stops it; none without a
    bucket to upload to (``bucket``: one was given, or every disk is on S3)."""
    if not bucket:
        return Fallback(
            None,
            "no bucket was given, which the snapshot and image roads upload the disks to "
            "(give --bucket to let --via auto take one of them)",
        )
    for road, why in (
        (Road.SNAPSHOT, "a bucket and the role are there: the disk goes in as it boots"),
        (Road.IMAGE, "ImportImage takes it"),
    ):
        if verdicts.ok(road):
            return Fallback(road, f"the {road.value} road: {why}")
    return Fallback(None, f"the other roads are stopped too ({lacks(verdicts)})")
