"""Each disk's EBS snapshot (the direct road) and the blocks EBS acknowledged for it.

One row per disk in ``disk_snapshots`` (its id, the ClientToken StartSnapshot was
sent, its ``SnapshotState``, its encryption, what CompleteSnapshot was sent) and
one row per acknowledged block in ``snapshot_blocks`` (index, 32-byte SHA-256).

Blocks are committed in batches, not one transaction each: a 100 GiB disk is
about 200,000 blocks, and a commit is an fsync (``store``: ``synchronous=FULL``,
1 to 1.5 ms here): the writer (``upload.ebsdirect``) commits every few hundred
blocks or every few seconds, whichever comes first.  A crash loses at most the
batch in flight, and a rerun writes those blocks again: PutSnapshotBlock
overwrites a block ("If the specified block contains data, the existing data is
overwritten", EBS direct APIs reference), so writing it twice changes nothing.

The blocks are read back page by page (``written_blocks``, in index order), never
all at once: what CompleteSnapshot's count and aggregated checksum are made of,
and which blocks a rerun skips.  Starting another snapshot for a disk (a new
ClientToken) replaces the row and drops the old snapshot's blocks.

A disk is a row of the entry's ``disks``, by its position: a DISK argument's own row, or
the row of an OVA's further disk (``db.StateDB.member_position``), the one its upload on
the snapshot road is journaled in too; the entry's history names it as
``store.disk_name`` says.
Each row keeps how many times the disk's snapshot was replaced (``replacement``), which its
ClientToken is made of.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ec2_import_image.vmimport.state.errors import StateError
from ec2_import_image.vmimport.state.records import DiskSnapshot, SnapshotState, WrittenBlock
from ec2_import_image.vmimport.state.store import Claim, Store, disk_name, maybe_utc

if TYPE_CHECKING:
    from ec2_import_image.vmimport.state.db import StateDB

_COLUMNS = (
    "snapshot_id, client_token, volume_size, block_size, state, encrypted, kms_key_arn, "
    "timeout_minutes, started_at, completed_at, changed_blocks, checksum, message"
)
#: blocks read back per page
PAGE = 4096


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _record(conn: sqlite3.Connection, claim: Claim, position: int) -> DiskSnapshot | None:
    row = conn.execute(
        f"SELECT {_COLUMNS}, replacement FROM disk_snapshots WHERE entry_id = ? AND position = ?",
        (claim.entry_id, position),
    ).fetchone()
    if row is None:
        return None
    written = conn.execute(
        "SELECT count(*) FROM snapshot_blocks WHERE entry_id = ? AND position = ? "
        "AND snapshot_id = ?",
        (claim.entry_id, position, row["snapshot_id"]),
    ).fetchone()[0]
    return DiskSnapshot(
        snapshot_id=row["snapshot_id"],
        client_token=row["client_token"],
        volume_size=int(row["volume_size"]),
        block_size=int(row["block_size"]),
        state=SnapshotState(row["state"]),
        encrypted=_flag(row["encrypted"]),
        kms_key_arn=row["kms_key_arn"],
        timeout_minutes=row["timeout_minutes"],
        started=maybe_utc(row["started_at"]),
        completed=maybe_utc(row["completed_at"]),
        changed_blocks=row["changed_blocks"],
        checksum=row["checksum"],
        message=row["message"],
        written=int(written),
        replacement=int(row["replacement"]),
    )


class SnapshotStore(Store):
    """The disks' snapshots: a mixin of ``StateDB``.  ``position`` is the disk's row (see the
    module)."""

    def disk_snapshot(self, claim: Claim, position: int) -> DiskSnapshot | None:
        """The snapshot recorded for the disk (None when none was started)."""
        with self._read() as conn:
            return _record(conn, claim, position)

    def any_snapshot_recorded(self, claim: Claim) -> bool:
        """Whether any disk of the entry (an OVA's disks included) has a snapshot recorded."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM disk_snapshots WHERE entry_id = ? LIMIT 1", (claim.entry_id,)
            ).fetchone()
            return row is not None

    def record_snapshot(self, claim: Claim, position: int, snapshot: DiskSnapshot) -> None:
        """A snapshot was started for the disk: it replaces any earlier one and its blocks."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            conn.execute(
                "DELETE FROM snapshot_blocks WHERE entry_id = ? AND position = ? "
                "AND snapshot_id != ?",
                (claim.entry_id, position, snapshot.snapshot_id),
            )
            conn.execute(
                f"INSERT OR REPLACE INTO disk_snapshots (entry_id, position, {_COLUMNS}, "
                "replacement) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    claim.entry_id,
                    position,
                    snapshot.snapshot_id,
                    snapshot.client_token,
                    snapshot.volume_size,
                    snapshot.block_size,
                    str(snapshot.state),
                    None if snapshot.encrypted is None else int(snapshot.encrypted),
                    snapshot.kms_key_arn,
                    snapshot.timeout_minutes,
                    snapshot.started.timestamp() if snapshot.started else now,
                    snapshot.completed.timestamp() if snapshot.completed else None,
                    snapshot.changed_blocks,
                    snapshot.checksum,
                    snapshot.message,
                    snapshot.replacement,
                ),
            )
            replaced = f", replacement {snapshot.replacement}" if snapshot.replacement else ""
            self._disk_event(
                conn,
                claim,
                position,
                now,
                f"snapshot {snapshot.snapshot_id} {snapshot.state} "
                f"({snapshot.volume_size} GiB{replaced})",
            )

    def _require_current_snapshot(
        self, conn: sqlite3.Connection, claim: Claim, position: int, snapshot_id: str
    ) -> None:
        row = conn.execute(
            "SELECT snapshot_id FROM disk_snapshots WHERE entry_id = ? AND position = ?",
            (claim.entry_id, position),
        ).fetchone()
        if row is None or row["snapshot_id"] != snapshot_id:
            raise StateError(
                f"{claim.name} {disk_name(conn, claim.entry_id, position)}: snapshot "
                f"{snapshot_id} is not the current one"
            )

    def record_blocks(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        blocks: Sequence[WrittenBlock],
    ) -> None:
        """Blocks EBS acknowledged for the disk's snapshot (one commit for all of them)."""
        if not blocks:
            return
        with self._write() as conn:
            self._fence(conn, claim)
            self._require_current_snapshot(conn, claim, position, snapshot_id)
            conn.executemany(
                "INSERT OR REPLACE INTO snapshot_blocks "
                "(entry_id, position, snapshot_id, block_index, sha256) VALUES (?, ?, ?, ?, ?)",
                [
                    (claim.entry_id, position, snapshot_id, block.index, block.sha256)
                    for block in blocks
                ],
            )

    def written_blocks(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        after: int = -1,
        limit: int = PAGE,
    ) -> list[WrittenBlock]:
        """Up to ``limit`` recorded blocks of the snapshot with an index above ``after``, in
        index order (a page: call again from the last index)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT block_index, sha256 FROM snapshot_blocks WHERE entry_id = ? "
                "AND position = ? AND snapshot_id = ? AND block_index > ? "
                "ORDER BY block_index LIMIT ?",
                (claim.entry_id, position, snapshot_id, after, limit),
            ).fetchall()
        return [WrittenBlock(int(index), bytes(digest)) for index, digest in rows]

    def _set_snapshot(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        *,
        assignments: str,
        values: Sequence[Any],
        note: str,
    ) -> None:
        with self._write() as conn:
            now = self._fence(conn, claim)
            self._require_current_snapshot(conn, claim, position, snapshot_id)
            conn.execute(
                f"UPDATE disk_snapshots SET {assignments} WHERE entry_id = ? AND position = ?",
                (*values, claim.entry_id, position),
            )
            self._disk_event(conn, claim, position, now, note)

    def snapshot_completing(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        changed_blocks: int,
        checksum: str,
    ) -> None:
        """CompleteSnapshot is about to be sent with this count and aggregated checksum."""
        self._set_snapshot(
            claim,
            position,
            snapshot_id,
            assignments="state = ?, changed_blocks = ?, checksum = ?",
            values=(str(SnapshotState.COMPLETING), changed_blocks, checksum),
            note=f"snapshot {snapshot_id} completing ({changed_blocks} blocks)",
        )

    def snapshot_completed(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        encrypted: bool | None,
        kms_key_arn: str | None,
    ) -> None:
        """The snapshot is ``completed``, with this encryption."""
        self._set_snapshot(
            claim,
            position,
            snapshot_id,
            assignments="state = ?, completed_at = ?, encrypted = ?, "
            "kms_key_arn = coalesce(?, kms_key_arn)",
            values=(
                str(SnapshotState.COMPLETED),
                self._clock(),
                None if encrypted is None else int(encrypted),
                kms_key_arn,
            ),
            note=f"snapshot {snapshot_id} completed",
        )

    def snapshot_encryption(
        self,
        claim: Claim,
        position: int,
        snapshot_id: str,
        encrypted: bool,
        kms_key_arn: str | None,
    ) -> None:
        """What the snapshot's encryption was found to be."""
        self._set_snapshot(
            claim,
            position,
            snapshot_id,
            assignments="encrypted = ?, kms_key_arn = coalesce(?, kms_key_arn)",
            values=(int(encrypted), kms_key_arn),
            note=f"snapshot {snapshot_id} is {'encrypted' if encrypted else 'not encrypted'}",
        )

    def snapshot_expired(self, claim: Claim, position: int, snapshot_id: str, message: str) -> None:
        """The snapshot was found in ``error`` (or gone): it cannot be written or used."""
        self._set_snapshot(
            claim,
            position,
            snapshot_id,
            assignments="state = ?, message = ?",
            values=(str(SnapshotState.EXPIRED), message),
            note=f"snapshot {snapshot_id} expired: {message}",
        )

    def forget_snapshot(self, claim: Claim, position: int, reason: str) -> None:
        """The disk has no snapshot any more (deleted by the caller, or to start anew)."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            for table in ("snapshot_blocks", "disk_snapshots"):
                conn.execute(
                    f"DELETE FROM {table} WHERE entry_id = ? AND position = ?",
                    (claim.entry_id, position),
                )
            self._disk_event(conn, claim, position, now, reason)


class SnapshotJournal:
    """One disk of one claimed entry (its row: see the module), as the EBS direct writer
    records its progress.

    ``replacement`` is the number a snapshot this journal records as started is given (how
    many times the disk's snapshot was replaced: its ClientToken was made with it)."""

    def __init__(self, db: StateDB, claim: Claim, position: int, *, replacement: int = 0) -> None:
        self.db = db
        self.claim = claim
        self.position = position
        self.replacement = replacement

    def snapshot(self) -> DiskSnapshot | None:
        return self.db.disk_snapshot(self.claim, self.position)

    def snapshot_started(self, snapshot: DiskSnapshot) -> None:
        self.db.record_snapshot(
            self.claim, self.position, snapshot._replace(replacement=self.replacement)
        )

    def blocks_written(self, snapshot_id: str, blocks: Sequence[WrittenBlock]) -> None:
        self.db.record_blocks(self.claim, self.position, snapshot_id, blocks)

    def written_blocks(self, snapshot_id: str, after: int, limit: int) -> Sequence[WrittenBlock]:
        return self.db.written_blocks(self.claim, self.position, snapshot_id, after, limit)

    def snapshot_encryption(
        self, snapshot_id: str, encrypted: bool, kms_key_arn: str | None
    ) -> None:
        self.db.snapshot_encryption(self.claim, self.position, snapshot_id, encrypted, kms_key_arn)

    def snapshot_completing(self, snapshot_id: str, changed_blocks: int, checksum: str) -> None:
        self.db.snapshot_completing(
            self.claim, self.position, snapshot_id, changed_blocks, checksum
        )

    def snapshot_completed(
        self, snapshot_id: str, encrypted: bool | None, kms_key_arn: str | None
    ) -> None:
        self.db.snapshot_completed(self.claim, self.position, snapshot_id, encrypted, kms_key_arn)

    def snapshot_expired(self, snapshot_id: str, message: str) -> None:
        self.db.snapshot_expired(self.claim, self.position, snapshot_id, message)

    def snapshot_forgotten(self, reason: str) -> None:
        self.db.forget_snapshot(self.claim, self.position, reason)

    def note(self, message: str) -> None:
        self.db.disk_note(self.claim, self.position, message)
