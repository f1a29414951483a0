"""The one error family the disk-image readers raise.

A malformed structure inside an image is a fact about the image, not a bug:
readers raise :class:`FormatError` and the inspection records it as a finding.
:class:`SourceError` means the bytes could not be read at all (a file that
vanished, an S3 ranged GET that failed): the check cannot be completed.
:class:`UnsupportedError` means the structures are sound but use a feature the
readers refuse (an encrypted qcow2, a backing file, an extent in another file
with no way to open it): its message says why and what to do instead.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager


class DiskImageError(Exception):
    """Anything the disk-image readers report; never a traceback for a user."""


class FormatError(DiskImageError):
    """A structure in the image is malformed or points where it cannot."""


class SourceError(DiskImageError):
    """The source's bytes could not be read."""


class UnsupportedError(DiskImageError):
    """The image is well formed but uses a feature the readers do not read; the message
    says which, and how to turn the image into one they do."""


@contextmanager
def typed() -> Iterator[None]:
    """Turn a parser's slip on malformed bytes into the readers' own error."""
    try:
        yield
    except (
        struct.error,
        ValueError,
        IndexError,
        KeyError,
        OverflowError,
        ZeroDivisionError,
    ) as exc:
        raise FormatError(f"malformed structure ({type(exc).__name__}: {exc})") from exc
