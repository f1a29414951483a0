"""A failure message explained as ``vmimport`` words it: the shared table's diagnostic, or, for
a message the table does not know, one that points to ``vmimport check``.

``vmimport explain`` prints it; ``import`` and ``batch`` keep its cause and remedy with a
failed entry (the state database, the results files).
"""

from __future__ import annotations

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.failures import explain

#: the StatusMessage of a task the user cancelled (CancelReason's default): not a failure
CANCELLED = "User initiated task cancellation"
#: the code of a message the table does not know
UNKNOWN_CODE = "unknown-failure"
UNKNOWN_CAUSE = "This message is not in the table of known failures."
UNKNOWN_REMEDY = (
    "Run vmimport check on the disk images (and with --bucket, on the account) to find what the "
    "service would refuse; the VM Import/Export User Guide's troubleshooting page lists more "
    "messages."
)


def explained(message: str) -> Diagnostic:
    """The diagnostic of ``message``: the table's (its link the source that says so), or the
    unknown message's (no link)."""
    known = explain(message)
    if known is None:
        return Diagnostic(UNKNOWN_CODE, message, context=UNKNOWN_CAUSE, hint=UNKNOWN_REMEDY)
    return known
