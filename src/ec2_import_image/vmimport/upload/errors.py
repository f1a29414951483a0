"""The upload's failures: one line each, and what to do about it.

Every one is an ``Incomplete`` (exit 3): the work could not be completed, and
a rerun continues from what the state database holds.
"""

from __future__ import annotations

from ec2_import_image.vmimport.errors import Incomplete


class UploadError(Incomplete):
    """An upload could not be completed (after botocore's own retries)."""


class UploadCancelled(UploadError):
    """The upload was stopped from outside (the caller's cancel event)."""


class FileChanged(UploadError):
    """The local file changed while it was read: its hash or upload would be wrong."""


class ObjectConflict(UploadError):
    """An object this tool did not upload is at the key, and it is not this disk."""


class VerificationFailed(UploadError):
    """The completed object is not what was sent (size or SHA-256 metadata)."""
