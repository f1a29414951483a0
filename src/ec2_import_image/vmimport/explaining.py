"""A failure message explained as ``vmimport`` words it: the shared table's cause, remedy and
source, or, for a message the table does not know, a pointer to ``vmimport check``.

``vmimport explain`` prints it; ``import`` and ``batch`` keep it with a failed
entry (the state database, the results files).
"""

from __future__ import annotations

from typing import NamedTuple

from ec2_import_image.failures import explain

#: the StatusMessage of a task the user cancelled (CancelReason's default): not a failure
CANCELLED = "User initiated task cancellation"
UNKNOWN_CAUSE = "This message is not in the table of known failures."
UNKNOWN_REMEDY = (
    "Run vmimport check on the disk images (and with --bucket, on the account) to find what the "
    "service would refuse; the VM Import/Export User Guide's troubleshooting page lists more "
    "messages."
)


class Explained(NamedTuple):
    cause: str
    remedy: str
    #: where the table's entry comes from; None for a message it does not know
    source: str | None


def explained(message: str) -> Explained:
    known = explain(message)
    if known is None:
        return Explained(UNKNOWN_CAUSE, UNKNOWN_REMEDY, None)
    return Explained(known.cause, known.remedy, known.source)
