"""The snapshot road's ImportSnapshot task per disk and attempt (``snapshot_tasks``).

One row per (entry, attempt, disk): the disk's ClientToken, written before
ImportSnapshot is sent, then the task id it answered, then the task's status as
each poll sees it change, and the snapshot it made.  A rerun of the attempt
waits for the recorded tasks (``engine.snapshotroad``) before it looks for
tasks by their tags; ``Attempt.snapshot_tasks`` is what ``--status`` and the
results files show.  Another attempt has rows of its own: the earlier ones stay,
as the attempts do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ec2_import_image.vmimport.state.records import SnapshotTask
from ec2_import_image.vmimport.state.store import Claim, Store

_CURRENT = "(SELECT attempt FROM entries WHERE id = ?)"


def read_tasks(conn: sqlite3.Connection, entry_id: int, attempt: int) -> tuple[SnapshotTask, ...]:
    """The attempt's tasks in disk order."""
    rows = conn.execute(
        "SELECT disk, source, client_token, task_id, status, snapshot_id FROM snapshot_tasks "
        "WHERE entry_id = ? AND attempt = ? ORDER BY disk",
        (entry_id, attempt),
    )
    return tuple(
        SnapshotTask(
            disk=int(r["disk"]),
            source=r["source"],
            client_token=r["client_token"],
            task_id=r["task_id"],
            status=r["status"],
            snapshot_id=r["snapshot_id"],
        )
        for r in rows
    )


class SnapshotTaskStore(Store):
    """The snapshot road's tasks: a mixin of ``StateDB``."""

    def snapshot_tasks(self, claim: Claim) -> tuple[SnapshotTask, ...]:
        """The current attempt's tasks in disk order."""
        with self._read() as conn:
            attempt = conn.execute(
                "SELECT attempt FROM entries WHERE id = ?", (claim.entry_id,)
            ).fetchone()[0]
            return read_tasks(conn, claim.entry_id, int(attempt))

    def record_snapshot_tokens(self, claim: Claim, disks: Sequence[tuple[int, str, str]]) -> None:
        """Each disk's (position, source, ClientToken) for the current attempt, before any
        ImportSnapshot is sent; a disk already recorded keeps its row (its task and status)
        unless its token differs (another request: the row starts again)."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            for disk, source, token in disks:
                conn.execute(
                    "INSERT INTO snapshot_tasks (entry_id, attempt, disk, source, client_token, "
                    f"updated_at) VALUES (?, {_CURRENT}, ?, ?, ?, ?) "
                    "ON CONFLICT (entry_id, attempt, disk) DO UPDATE SET source = excluded.source, "
                    "client_token = excluded.client_token, task_id = NULL, status = NULL, "
                    "snapshot_id = NULL, updated_at = excluded.updated_at "
                    "WHERE client_token != excluded.client_token",
                    (claim.entry_id, claim.entry_id, disk, source, token, now),
                )

    def record_snapshot_task(self, claim: Claim, disk: int, task_id: str) -> None:
        """The task ImportSnapshot answered for the disk (or the one found by its tags)."""
        self._update_task(claim, disk, "task_id = ?", (task_id,))

    def record_snapshot_status(
        self, claim: Claim, disk: int, status: str, snapshot_id: str | None
    ) -> None:
        """The disk's task as a poll saw it: its status, and its snapshot once it has one."""
        self._update_task(
            claim, disk, "status = ?, snapshot_id = coalesce(?, snapshot_id)", (status, snapshot_id)
        )

    def _update_task(
        self, claim: Claim, disk: int, assignments: str, values: tuple[object, ...]
    ) -> None:
        with self._write() as conn:
            now = self._fence(conn, claim)
            conn.execute(
                f"UPDATE snapshot_tasks SET {assignments}, updated_at = ? "
                f"WHERE entry_id = ? AND attempt = {_CURRENT} AND disk = ?",
                (*values, now, claim.entry_id, claim.entry_id, disk),
            )
