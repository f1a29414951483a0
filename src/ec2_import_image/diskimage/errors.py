"""The one error family the disk-image readers raise.

A malformed structure inside an image is a fact about the image, not a bug:
readers raise :class:`FormatError` and the inspection records it as a finding.
:class:`SourceError` means the bytes could not be read at all (a file that
vanished, an S3 ranged GET that failed): the check cannot be completed.
"""

from __future__ import annotations


class DiskImageError(Exception):
    """Anything the disk-image readers report; never a traceback for a user."""


class FormatError(DiskImageError):
    """A structure in the image is malformed or points where it cannot."""


class SourceError(DiskImageError):
    """The source's bytes could not be read."""
