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

Failures.  A database that cannot be written (a full disk, a read-only file
system) is a ``StateError`` naming the file and the cause ("cannot write the
state database /x/state.sqlite: No space left on device"), never an internal
error: SQLite says ``SQLITE_FULL`` or ``SQLITE_READONLY`` without the
operating system's error, so the cause is told from the file system
(``os.statvfs``: no free block, or mounted read-only) when it says so, else
in SQLite's words.  A transaction that fails is rolled back; nothing is left
half-written.

Reading only (``open_readonly``: ``batch --status`` and ``--dry-run``).  Such a
process may be unable to write the file, its ``-wal``/``-shm`` files or their
directory (a read-only file system, another user's file), and must not change
anything even when it could.  SQLite's rules for a WAL database
(https://www.sqlite.org/wal.html, "Read-Only Databases"; since 3.22.0): a
read-only connection (``mode=ro``) needs the ``-shm`` and ``-wal`` files to
exist, or to be able to create them, and creates them if it can (they stay
after it closes); a connection with ``immutable=1`` takes no lock and reads
the database file alone, which holds every committed transaction only when
there is no ``-wal`` file: the last connection's clean close checkpoints the
WAL into the database and deletes both files.  So: when a ``-wal`` file exists
(a batch running, or one killed), the file is read with ``mode=ro``, through
the WAL and under the writers' locks (with a ``-shm`` file it cannot write,
SQLite keeps the WAL index in memory); when none exists, with
``immutable=1``, which needs nothing but read access and creates nothing, and
if a ``-wal`` file appeared meanwhile (a batch started), once more with
``mode=ro``.  What was read is copied into memory (SQLite's backup) and
migrated there, so an older schema is read without writing the file.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import os
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
#: SQLite's primary result codes of what the file system may have refused: SQLITE_READONLY,
#: SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN (https://www.sqlite.org/rescode.html)
_FILE_SYSTEM_CODES = frozenset({8, 10, 13, 14})


def disk_name(conn: sqlite3.Connection, entry_id: int, position: int) -> str:
    """The disk of the row at ``position`` in the entry's history: ``disk 2`` (a DISK
    argument), or ``disk 1.2`` (the second disk of the OVA that is the first DISK)."""
    row = conn.execute(
        "SELECT member_of, member FROM disks WHERE entry_id = ? AND position = ?",
        (entry_id, position),
    ).fetchone()
    if row is None or row["member_of"] is None:
        return f"disk {position + 1}"
    return f"disk {int(row['member_of']) + 1}.{int(row['member']) + 1}"


def unwritable(error: sqlite3.Error, path: str) -> str | None:
    """The operating system's words when the file's file system is read-only or full and
    SQLite failed in a way that may be why; None otherwise."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int) or code & 0xFF not in _FILE_SYSTEM_CODES:
        return None
    try:
        found = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return None
    if found.f_flag & os.ST_RDONLY:
        return os.strerror(errno.EROFS)
    if found.f_bavail == 0:
        return os.strerror(errno.ENOSPC)
    return None


def cause(error: sqlite3.Error, path: str) -> str:
    """Why SQLite failed, in the operating system's words when the file system tells."""
    return unwritable(error, path) or str(error)


def _readonly_uri(path: Path, immutable: bool) -> str:
    from urllib.parse import quote

    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    return f"file:{quote(str(path.resolve()))}?{query}"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


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
        # rows are read by column name (and still by position): sqlite3.Row
        conn.row_factory = sqlite3.Row
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
        except OSError as error:
            raise StateError(
                f"cannot open the state database {where}: {error.strerror or error}"
            ) from None
        except sqlite3.Error as error:
            raise StateError(
                f"cannot open the state database {where}: {cause(error, str(where))}"
            ) from None
        try:
            _prepare(conn, str(where), migrations, busy_timeout)
        except sqlite3.Error as error:
            conn.close()
            refused = unwritable(error, str(where))
            if refused is not None:
                raise StateError(f"cannot write the state database {where}: {refused}") from None
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

    @classmethod
    def open_readonly(
        cls,
        path: Path | str,
        *,
        clock: Clock = time.time,
        migrations: Sequence[schema.Migration] = schema.MIGRATIONS,
    ) -> Self:
        """The database as it is, read without writing anything (see "Reading only" above);
        a copy in memory that refuses writes."""
        where = Path(path)
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            for immutable in (not _wal(where).exists(), False):
                source = sqlite3.connect(_readonly_uri(where, immutable), uri=True)
                try:
                    schema.check_version(source, str(where), migrations)
                    source.backup(memory)
                finally:
                    source.close()
                if not immutable or not _wal(where).exists():
                    break
            schema.migrate(memory, str(where), migrations)
            memory.execute("PRAGMA query_only = ON")
        except sqlite3.Error as error:
            memory.close()
            raise StateError(
                f"cannot read the state database {where}: {cause(error, str(where))}"
            ) from None
        except BaseException:
            memory.close()
            raise
        return cls(
            memory, str(where), clock=clock, owner=Owner.this_process(), lease_seconds=DEFAULT_LEASE
        )

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- transactions

    @contextlib.contextmanager
    def _transaction(self, begin: str, doing: str) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the body ends, rolled back when it raises.

        SQLite's own failures (busy beyond the time-out, disk full, a read-only
        file system, I/O errors) become a ``StateError`` with a one-line message
        naming the file and the cause.
        """
        with self._lock:
            try:
                self._conn.execute(begin)
            except sqlite3.OperationalError as error:
                if "locked" in str(error) or "busy" in str(error):
                    raise StateError(f"state database {self.path} is busy: {error}") from None
                raise self._failed(doing, error) from None
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise self._failed(doing, error) from None
            except BaseException:
                self._rollback()
                raise

    def _failed(self, doing: str, error: sqlite3.Error) -> StateError:
        why = cause(error, self.path)
        return StateError(f"cannot {doing} the state database {self.path}: {why}")

    def _rollback(self) -> None:
        # SQLite may have rolled back already (disk full); a rollback that fails leaves the
        # transaction to the journal, which undoes it when the file is next opened
        with contextlib.suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN IMMEDIATE", "write")

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN", "read")

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
            (entry_id, now, row["attempt"], row["phase"], message, progress),
        )

    def _disk_event(
        self, conn: sqlite3.Connection, claim: Claim, position: int, now: float, message: str
    ) -> None:
        """A line of the history of the disk in row ``position``, named as ``disk_name`` says."""
        name = disk_name(conn, claim.entry_id, position)
        self._event(conn, claim.entry_id, now, f"{name}: {message}")
