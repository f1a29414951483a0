"""What a file-system reader recognises but does not read.

A malformed structure is a ``FormatError``; ``Unsupported`` (one of them, so a
caller that only cares whether the file could be read catches one family)
says the structure is well formed but of a kind the reader refuses: an
encrypted directory, a file on a real-time device, a feature flag it does not
know.  The message names the feature.
"""

from __future__ import annotations

from ec2_import_image.diskimage.errors import FormatError


class Unsupported(FormatError):
    """A feature the reader does not read (named in the message)."""
