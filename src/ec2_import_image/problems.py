"""What a check finds: a problem with a code, a fixed severity, where it was found and what to do.

Shared by everything that judges an import before or after it runs: the
disk-image checks (``diskimage``), the account checks of ``vmimport``, the
emulator's verdicts.  A report lists problems; a problem of severity
``error`` means the import would fail as things stand, ``warning`` that it
may fail or give an image that does not boot.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(NamedTuple):
    """One finding of a check, as the report shows it."""

    #: a stable, documented code (``vmdk-not-stream-optimized``, ``role-trust``...)
    code: str
    severity: Severity
    #: what it was found in: a disk (``web.ova!disk1.vmdk``), ``role:vmimport``, ``s3://b/k``...
    source: str
    message: str
    remedy: str
