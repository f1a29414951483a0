"""The direct road's failures (an EBS snapshot written with the EBS direct APIs), one line each.

Each is an ``UploadError`` (``Incomplete``, exit 3) whose message says what happened and what
to do, so that one reaching a person unhandled still reads right; the engine tells them apart:

- ``SnapshotQuotaFull``: StartSnapshot (or a block) refused with
  ``ConcurrentLimitExceededException`` or ``ServiceQuotaExceededException``: no failure, the
  account's limit is reached for now: wait and try again (as ImportImage's
  ``ResourceCountLimitExceeded``, ``engine.errors.QuotaFull``); a snapshot already started
  stays, and a rerun within its Timeout goes on writing it;
- ``SnapshotAccessDenied``: ``AccessDeniedException`` (``snapshot_id`` None: at StartSnapshot,
  before any block was written: the account or the caller may not use the EBS direct APIs
  or the KMS key, and another road may be taken);
- ``SnapshotConflict``: the ClientToken was used for a StartSnapshot with other parameters;
- ``SnapshotUnusable`` (``SnapshotExpired``: the snapshot is in ``error``, past its Timeout, or
  gone; ``SnapshotFailed``: it went to ``error`` after CompleteSnapshot, or EBS refused to
  complete it): delete ``snapshot_id`` and start again under a new ClientToken;
- ``BlockRefused``: EBS refused a block's bytes against its SHA-256 although the disk still
  holds them (damaged on the way): run again to resume.

A disk whose bytes changed while they were written is ``errors.FileChanged``; a stop asked by
the caller is ``errors.UploadCancelled``.
"""

from __future__ import annotations

from ec2_import_image.vmimport.upload.errors import UploadError


class SnapshotError(UploadError):
    """A failure of the direct road; ``snapshot_id`` is the snapshot concerned, if any."""

    def __init__(self, message: str, snapshot_id: str | None = None) -> None:
        super().__init__(message)
        self.snapshot_id = snapshot_id


class SnapshotQuotaFull(SnapshotError):
    """The account's limit of concurrent snapshots or requests is reached: try again later."""


class SnapshotAccessDenied(SnapshotError):
    """EBS answered ``AccessDeniedException`` (``reason``: its ``Reason``, e.g.
    ``UNAUTHORIZED_ACCOUNT`` or ``DEPENDENCY_ACCESS_DENIED`` for the KMS key)."""

    def __init__(
        self, message: str, snapshot_id: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message, snapshot_id)
        self.reason = reason


class SnapshotConflict(SnapshotError):
    """The ClientToken was already used for a StartSnapshot with other parameters."""


class SnapshotUnusable(SnapshotError):
    """The snapshot cannot become the disk's: delete it and start anew under a new token."""


class SnapshotExpired(SnapshotUnusable):
    """The snapshot is in ``error`` (past its Timeout without a write) or no longer exists."""


class SnapshotFailed(SnapshotUnusable):
    """The snapshot went to ``error`` after CompleteSnapshot, or EBS refused to complete it."""


class BlockRefused(SnapshotError):
    """EBS refused a block's bytes, which the disk still holds: damaged on the way."""
