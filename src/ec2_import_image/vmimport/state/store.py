"""The state database's connection: opening, durability settings, transactions, fencing.

Durability.  Every method that changes something runs in its own
``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction and returns only after the
commit: a step is recorded before the next one starts, so ``kill -9`` at any
moment loses at most the step in flight, which a rerun redoes (each step is
idempotent against AWS: parts are listed again, ImportImage carries a
ClientToken).  The journal is ``WAL`` (readers never block the writer, a
commit is one append to the ``-wal`` file) with ``synchronous=FULL``: each
commit is fsynced, so an operating-system crash or a power cut loses nothing
either.  ``NORMAL`` would be as safe against ``kill -9`` (the WAL is written
before the commit returns; only its fsync is deferred) and consistent after a
power cut, but could forget the last steps; the cost of ``FULL`` here is one
fsync per step, and steps are few (a batch of parts of at least 32 MiB, a
phase, a poll of a task): milliseconds against seconds of work
(docs/performance.md).

Concurrency.  One connection per database object, in autocommit mode with
explicit transactions, shared by threads under a lock.  Between processes,
SQLite's write lock serializes transactions (``BEGIN IMMEDIATE`` takes it
before the first read, so a read-check-write is atomic); ``busy_timeout``
makes a writer wait for another's transaction instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Self

from ec2_import_image.vmimport.state import schema
from ec2_import_image.vmimport.state.claims import Owner
from ec2_import_image.vmimport.state.errors import LostClaim, StateError

Clock = Callable[[], float]

#: seconds a claim lasts without renewal
DEFAULT_LEASE = 120.0
#: seconds a writer waits for another process's transaction before giving up
DEFAULT_BUSY_TIMEOUT = 30.0


class Claim(NamedTuple):
    """This process's right to work on an entry, until released or lost."""

    name: str
    entry_id: int
    owner: str


def utc(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def maybe_utc(seconds: float | None) -> datetime.datetime | None:
    return None if seconds is None else utc(seconds)


#: seconds between two tries of a set-up another process's lock refused
_RETRY = 0.02


def _prepare(
    conn: sqlite3.Connection, path: str, migrations: Sequence[schema.Migration], patience: float
) -> None:
    """The version checked, WAL and the pragmas set, the schema migrated.

    Processes opening one new file at once (two batches on one manifest)
    contend for it: switching a file to WAL takes a lock SQLite does not wait
    for, so the set-up is tried again, for as long as a writer would wait
    (``busy_timeout``), while SQLite answers that the file is locked.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            schema.check_version(conn, path, migrations)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            schema.migrate(conn, path, migrations)
            return
        except sqlite3.OperationalError as error:
            locked = "locked" in str(error) or "busy" in str(error)
            if not locked or time.monotonic() >= deadline:
                raise
            time.sleep(_RETRY)


class Store:
    """The connection, its transactions and the clock; ``StateDB`` is the class to use."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str,
        *,
        clock: Clock,
        owner: Owner,
        lease_seconds: float,
    ) -> None:
        self._conn = conn
        self.path = path
        self._clock = clock
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        clock: Clock = time.time,
        lease_seconds: float = DEFAULT_LEASE,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: Sequence[schema.Migration] = schema.MIGRATIONS,
        owner: Owner | None = None,
    ) -> Self:
        """Open (creating it and its directory when missing) and migrate a state database."""
        where = Path(path)
        try:
            where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            conn = sqlite3.connect(
                str(where), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StateError(f"cannot open the state database {where}: {error}") from None
        try:
            _prepare(conn, str(where), migrations, busy_timeout)
        except sqlite3.Error as error:
            conn.close()
            raise StateError(f"cannot use the state database {where}: {error}") from None
        except BaseException:
            conn.close()
            raise
        return cls(
            conn,
            str(where),
            clock=clock,
            owner=owner or Owner.this_process(),
            lease_seconds=lease_seconds,
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- transactions

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the body ends, rolled back when it raises.

        SQLite's own failures (busy beyond the time-out, disk full, I/O errors)
        become a ``StateError`` with a one-line message.
        """
        with self._lock:
            try:
                self._conn.execute(begin)
            except sqlite3.OperationalError as error:
                raise StateError(f"state database {self.path} is busy: {error}") from None
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise StateError(f"state database {self.path}: {error}") from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:  # SQLite may have rolled back already (disk full)
            self._conn.execute("ROLLBACK")

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN")

    def _fence(self, conn: sqlite3.Connection, claim: Claim) -> float:
        """Check the claim is still ours and renew its lease; answers now."""
        now = self._clock()
        renewed = conn.execute(
            "UPDATE entries SET claim_expires = ?, updated_at = ? WHERE id = ? AND claim_owner = ?",
            (now + self.lease_seconds, now, claim.entry_id, claim.owner),
        )
        if renewed.rowcount != 1:
            raise LostClaim(claim.name)
        return now

    def _event(
        self,
        conn: sqlite3.Connection,
        entry_id: int,
        now: float,
        message: str,
        progress: float | None = None,
    ) -> None:
        row = conn.execute(
            "SELECT phase, attempt FROM entries WHERE id = ?", (entry_id,)
        ).fetchone()
        conn.execute(
            "INSERT INTO events (entry_id, at, attempt, phase, message, progress) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (entry_id, now, row[1], row[0], message, progress),
        )
