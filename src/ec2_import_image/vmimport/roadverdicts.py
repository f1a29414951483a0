"""What each road to an AMI would meet, for ``vmimport check``'s ``roads`` and
``recommended_road``: the check's own errors and the operating system's, per road.

The operating system is judged per road by ``guestos.judge`` (``roads``: its blocking
codes and the road it recommends).  The check's other errors (the disks', the account's)
are added to every road they stop: the disk checks are today's, made for the image road,
and stop every road alike until each road has checks of its own; the account's role and
bucket codes stop the image and snapshot roads only, since the direct road uses neither
(it writes the disk with the caller's own credentials).  A local disk checked without an
account has the disk's verdict alone.

The recommended road is the operating system's when nothing else stops it; when the
check's own errors stop it, none is recommended and the reason says what stops it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.guestos.judge import ROAD_SEVERITY, ROADS, Road, RoadVerdicts, roads
from ec2_import_image.guestos.osreport import OsReport, OsStatus
from ec2_import_image.problems import ProblemCode

#: the service role's and the bucket's codes: the direct road has neither
_ROLE_AND_BUCKET = frozenset(
    {
        ProblemCode.ROLE_MISSING,
        ProblemCode.ROLE_TRUST,
        ProblemCode.ROLE_POLICY_S3,
        ProblemCode.ROLE_POLICY_EC2,
        ProblemCode.ROLE_POLICY_KMS,
        ProblemCode.BUCKET_REGION,
    }
)

#: what the roads are told when the operating system was not read at all
_NOT_READ = OsReport(status=OsStatus.NO_FILESYSTEM)


def _stops(code: ProblemCode, road: Road) -> bool:
    return not (road is Road.DIRECT and code in _ROLE_AND_BUCKET)


def road_verdicts(problems: Sequence[Diagnostic], guest: OsReport | None) -> RoadVerdicts:
    """Each road's blocking codes and the road to take (see the module)."""
    system = roads(guest if guest is not None else _NOT_READ)
    others = [
        ProblemCode(problem.code)
        for problem in problems
        if problem.severity is Severity.ERROR and ProblemCode(problem.code) not in ROAD_SEVERITY
    ]
    blocking: dict[Road, tuple[ProblemCode, ...]] = {}
    for road in ROADS:
        codes = [code for code in others if _stops(code, road)] + list(system.blocking[road])
        blocking[road] = tuple(dict.fromkeys(codes))
    recommended, reason = system.recommended, system.reason
    if recommended is not None and blocking[recommended]:
        stopped = ", ".join(code.value for code in blocking[recommended])
        reason = f"{reason}; but the {recommended.value} road is stopped by {stopped}"
        recommended = None
    return RoadVerdicts(blocking, recommended, reason)
