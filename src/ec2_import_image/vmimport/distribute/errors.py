"""The distribution's failures: what could not be done, why, and the fix.

The import itself is done when the distribution runs: its AMI exists and its
entry stays ``done``.  A step the service refuses for a reason a rerun cannot
change (an AMI under ``aws/ebs`` to share, a name another AMI holds, a copy
that failed) is ``DistributionFailed`` (exit 1); a step that could not be
completed (the endpoint, throttling beyond patience, ``--max-wait``) is an
``Incomplete`` (exit 3), and a rerun continues.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ec2_import_image.vmimport.errors import Failed


class Refusal(NamedTuple):
    """One thing that could not be done: where, what, why, and the fix."""

    region: str
    what: str
    cause: str
    fix: str = ""

    def line(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.region}: {self.what}: {self.cause}{fix}"


class DistributionFailed(Failed):
    """Steps the service refused (the AMI exists; the entry stays done)."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        self.refusals = tuple(refusals)
        lines = [refusal.line() for refusal in self.refusals]
        head = "the AMI exists, but not everything asked of it could be done"
        super().__init__(f"{head}: " + (lines[0] if len(lines) == 1 else "\n  ".join(["", *lines])))
