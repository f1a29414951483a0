"""How an entry fails, and the signals the engine's callers act on.

``EntryFailed`` is an entry's end: it carries the ``Diagnostic`` the state
database keeps (a code, the message, the failure table's cause and remedy)
and the lines a person reads.  ``import`` exits 1 on it; ``batch`` records it
and goes on with the other entries.  ``QuotaFull`` is no failure: the
Region's quota of active import tasks is reached, and the caller tries again
later.  ``TransientStart`` is an ImportImage call that failed in a way worth
another try (throttling, 5xx, a connection error).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.importtasks.faults import Fault
from ec2_import_image.vmimport.errors import Failed


class FailureCode(StrEnum):
    """What kind of end an entry met (its ``Diagnostic``'s code, the results' ``status`` detail)."""

    #: ``vmimport check`` found errors in the disks or the account (nothing was uploaded)
    CHECK = "check-failed"
    #: ``--via auto`` found no road that takes the image as it is (nothing was uploaded)
    NO_ROAD = "no-road"
    #: the disks could not be read, hashed or uploaded
    UPLOAD = "upload-failed"
    #: ImportImage refused the request (the role, the bucket, a parameter)
    REFUSED = "import-refused"
    #: the import task ended ``deleted`` (its StatusMessage says why)
    TASK = "import-failed"
    #: the import task was cancelled
    CANCELLED = "import-cancelled"
    #: the task disappeared and no AMI carries the entry's tags or is named after the task
    LOST = "import-lost"
    #: the work could not be completed (credentials, access, the endpoint): run again
    INCOMPLETE = "incomplete"
    #: anything else (an internal error of vmimport)
    INTERNAL = "internal-error"


class EntryFailed(Failed):
    """An entry ended without an AMI; ``info`` is what the state database keeps."""

    def __init__(self, info: Diagnostic, details: Sequence[str] = ()) -> None:
        super().__init__(info.message)
        self.info = info
        #: further lines for a person (a check's problems, one per line)
        self.details = tuple(details)


class QuotaFull(Exception):
    """ImportImage answered ResourceCountLimitExceeded: start this import later."""

    @property
    def reason(self) -> str:
        """Why the start waits, for a person."""
        return f"the Region's quota of active import tasks is reached ({self})"


class TransientStart(Exception):
    """ImportImage failed in a way worth another try."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.reason)
        self.fault = fault
