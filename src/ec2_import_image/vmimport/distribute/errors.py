"""The distribution's failures: what could not be done, why, and the fix.

Each thing that could not be done is a ``Diagnostic`` (``refusal``): its code
(``Refused``), the step as message, the Region as subject, why as context, the
fix as hint; a person reads it in one line (``diagnostics.sentence``).

The import itself is done when the distribution runs: its AMI exists and its
entry stays ``done``.  A step the service refuses for a reason a rerun cannot
change (an AMI under ``aws/ebs`` to share, a name another AMI holds, a copy
that failed) is ``DistributionFailed`` (exit 1); a step that could not be
completed (the endpoint, throttling beyond patience, ``--max-wait``) is an
``Incomplete`` (exit 3), and a rerun continues.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from ec2_import_image.diagnostics import Diagnostic, sentence
from ec2_import_image.vmimport.errors import Failed


class Refused(StrEnum):
    """What kind of step could not be done."""

    #: the plan cannot do a step (a grantee, a Region or a key it cannot use)
    BLOCKED = "step-blocked"
    #: the service refused a step (sharing, tagging, naming)
    REFUSED = "step-refused"
    #: the import's AMI is not available to copy under its name
    AMI_UNAVAILABLE = "ami-unavailable"
    #: another AMI holds the name in the Region
    NAME_TAKEN = "ami-name-taken"
    #: CopyImage refused the copy
    COPY_REFUSED = "copy-refused"
    #: the copy ended failed (or disappeared)
    COPY_FAILED = "copy-failed"
    #: an AMI to deregister is protected, and vmimport did not protect it
    PROTECTED = "deregistration-protected"
    #: an AMI's deregistration protection is still in its cooldown
    COOLDOWN = "deregistration-cooldown"


def refusal(code: Refused, region: str, what: str, cause: str, fix: str = "") -> Diagnostic:
    """One thing that could not be done: where, what, why, and the fix (if there is one)."""
    return Diagnostic(code, what, subject=region, context=cause, hint=fix or None)


class DistributionFailed(Failed):
    """Steps the service refused (the AMI exists; the entry stays done)."""

    def __init__(self, refusals: Sequence[Diagnostic]) -> None:
        self.refusals = tuple(refusals)
        lines = [sentence(refusal) for refusal in self.refusals]
        head = "the AMI exists, but not everything asked of it could be done"
        super().__init__(f"{head}: " + (lines[0] if len(lines) == 1 else "\n  ".join(["", *lines])))
