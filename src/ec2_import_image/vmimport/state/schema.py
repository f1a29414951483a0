"""The state database's schema, its version, and forward migration.

The file is marked twice in its SQLite header: ``application_id`` says it is a
``vmimport`` state database (any other program's database is refused), and
``user_version`` is the schema version.  ``MIGRATIONS`` lists, in order, the
steps from an empty file to the current version; opening a database applies
the steps it lacks inside one ``BEGIN IMMEDIATE`` transaction, so two processes
opening the same old file migrate it once, and a crash mid-way leaves it at
its old version.  A database whose version is above the last step was written
by a newer ``vmimport``: it is refused with a message, never rewritten.

The SQL keeps to what SQLite 3.31 (the oldest a supported Python is likely to
be linked with) understands: no ``STRICT`` tables, no ``RETURNING``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from ec2_import_image.vmimport.state.errors import NewerSchema, NotAStateFile

#: "VMIS" in the SQLite header's application_id field
APPLICATION_ID = 0x564D4953


class Migration(NamedTuple):
    """The statements that take a database from ``version - 1`` to ``version``."""

    version: int
    summary: str
    statements: tuple[str, ...]


_V1 = (
    # One row per entry: an image to import (a `vmimport import`, or a manifest's entry).
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        position INTEGER NOT NULL,
        options TEXT NOT NULL,
        phase TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        claim_owner TEXT,
        claim_expires REAL,
        error_code TEXT,
        error_message TEXT,
        error_cause TEXT,
        error_remedy TEXT,
        error_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    # Each attempt's ClientToken, task and results; the entry's `attempt` is the current one.
    """CREATE TABLE attempts (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        client_token TEXT,
        import_task_id TEXT,
        image_id TEXT,
        snapshot_ids TEXT NOT NULL DEFAULT '[]',
        started_at REAL NOT NULL,
        finished_at REAL,
        PRIMARY KEY (entry_id, number)
    )""",
    # The disks of an entry in order: digest, multipart upload, S3 object.
    """CREATE TABLE disks (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        source TEXT NOT NULL,
        path TEXT,
        device INTEGER,
        inode INTEGER,
        size INTEGER,
        mtime_ns INTEGER,
        sha256 TEXT,
        upload_id TEXT,
        upload_bucket TEXT,
        upload_key TEXT,
        upload_sha256 TEXT,
        part_size INTEGER,
        checksum_algorithm TEXT,
        upload_started_at REAL,
        object_bucket TEXT,
        object_key TEXT,
        object_size INTEGER,
        object_sha256 TEXT,
        object_state TEXT NOT NULL DEFAULT 'absent',
        PRIMARY KEY (entry_id, position)
    )""",
    # The parts S3 acknowledged for a disk's current multipart upload.
    """CREATE TABLE parts (
        entry_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        upload_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        checksum TEXT,
        PRIMARY KEY (entry_id, position, number),
        FOREIGN KEY (entry_id, position) REFERENCES disks(entry_id, position) ON DELETE CASCADE
    )""",
    # The phase and progress history.
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        attempt INTEGER NOT NULL,
        phase TEXT NOT NULL,
        message TEXT NOT NULL,
        progress REAL
    )""",
    "CREATE INDEX events_by_entry ON events(entry_id, id)",
    # SHA-256s of local files by what stat says of them (see upload.hashing).
    """CREATE TABLE file_hashes (
        path TEXT NOT NULL,
        device INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        hashed_at REAL NOT NULL,
        PRIMARY KEY (path, device, inode, size, mtime_ns)
    )""",
)

_V2 = (
    # The identity an attempt imports (its `vmimport:sha256` tag): the tags of the AMI it
    # finishes, and whether a rerun's disks are still the ones imported.
    "ALTER TABLE attempts ADD COLUMN identity TEXT",
)

_V3 = (
    # A file's identity includes its change time (which `touch -r` cannot set back): rows
    # written before have none, and are never reused for it.
    "ALTER TABLE disks ADD COLUMN ctime_ns INTEGER",
    "ALTER TABLE file_hashes ADD COLUMN ctime_ns INTEGER",
    # The SHA-256 of each part of the hash pass's layout (base64, newline-separated): what each
    # UploadPart carries as its ChecksumSHA256, so that S3 refuses bytes that are not these.
    "ALTER TABLE disks ADD COLUMN hashed_part_size INTEGER",
    "ALTER TABLE disks ADD COLUMN part_sha256s TEXT",
    "ALTER TABLE file_hashes ADD COLUMN part_size INTEGER",
    "ALTER TABLE file_hashes ADD COLUMN part_sha256s TEXT",
    # What a run found about a finished entry's disks (changed since the import, or gone).
    "ALTER TABLE entries ADD COLUMN note TEXT",
    # The phase an entry's last error stopped it in: progress past it clears the error.
    "ALTER TABLE entries ADD COLUMN error_phase TEXT",
)

_V4 = (
    # The database's own id, made at its creation (or at this migration): the value of the
    # `vmimport:owner` tag of the AMIs its imports make, which scopes `vmimport gc`.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT INTO meta (key, value) VALUES ('owner', lower(hex(randomblob(8))))",
    # An attempt's AMIs Region by Region (see state.distribution): the import's own
    # (`original`), the copy that names it (`named`), the copies in other Regions (`copy`),
    # each with its snapshots, its state and the ClientToken of the CopyImage that made it.
    """CREATE TABLE images (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        region TEXT NOT NULL,
        role TEXT NOT NULL,
        image_id TEXT,
        snapshot_ids TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL,
        copy_token TEXT,
        source_image_id TEXT,
        name TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (entry_id, attempt, region, role)
    )""",
    # What was applied to each of those AMIs: tags, IMDS, shares (one row per grantee),
    # create-volume permissions, deprecation, deregistration protection.
    """CREATE TABLE applied (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        region TEXT NOT NULL,
        image_id TEXT NOT NULL,
        step TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        value TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL,
        PRIMARY KEY (entry_id, attempt, region, image_id, step, target)
    )""",
)

_V5 = (
    # The EBS snapshot each disk is written into with the EBS direct APIs (the direct road):
    # its id, the ClientToken StartSnapshot was sent, its state, what it was completed with.
    """CREATE TABLE disk_snapshots (
        entry_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        snapshot_id TEXT NOT NULL,
        client_token TEXT NOT NULL,
        volume_size INTEGER NOT NULL,
        block_size INTEGER NOT NULL,
        state TEXT NOT NULL,
        encrypted INTEGER,
        kms_key_arn TEXT,
        timeout_minutes INTEGER,
        started_at REAL NOT NULL,
        completed_at REAL,
        changed_blocks INTEGER,
        checksum TEXT,
        message TEXT,
        PRIMARY KEY (entry_id, position),
        FOREIGN KEY (entry_id, position) REFERENCES disks(entry_id, position) ON DELETE CASCADE
    )""",
    # The blocks EBS acknowledged for a disk's snapshot (index, 32-byte SHA-256), committed in
    # batches: what a rerun does not write again, and what CompleteSnapshot's count and
    # aggregated checksum are made of.
    """CREATE TABLE snapshot_blocks (
        entry_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        snapshot_id TEXT NOT NULL,
        block_index INTEGER NOT NULL,
        sha256 BLOB NOT NULL,
        PRIMARY KEY (entry_id, position, block_index),
        FOREIGN KEY (entry_id, position) REFERENCES disks(entry_id, position) ON DELETE CASCADE
    ) WITHOUT ROWID""",
)

_V6 = (
    # The road each attempt takes to its AMI (`roads.Road`: image, snapshot, direct); every
    # attempt made before roads existed took the image road.
    "ALTER TABLE attempts ADD COLUMN via TEXT NOT NULL DEFAULT 'image'",
)

_V7 = (
    # direct-gaps: a disk whose snapshot expired is written again into a snapshot of its own
    # under a new ClientToken (`replacement`: how many times this disk's snapshot was
    # replaced), the others kept.  A DISK that is an OVA of several disks is written as one
    # snapshot per disk of the OVA: each further disk's snapshot and blocks are keyed by that
    # disk's own row of `disks` (`member_of`, `member`: below), as its upload is.
    "ALTER TABLE disk_snapshots ADD COLUMN replacement INTEGER NOT NULL DEFAULT 0",
    # via-auto: why the attempt takes its road (`--via auto`'s reason, the fallback after the
    # EBS direct APIs were refused, or the road given), recorded once the check chose it:
    # NULL until then.  An attempt a version before this one hashed had its road recorded
    # with its identity (`record_via` came right after): its road is kept as given.
    "ALTER TABLE attempts ADD COLUMN via_reason TEXT",
    "UPDATE attempts SET via_reason = '--via ' || via WHERE identity IS NOT NULL",
    # snap-gaps: the snapshot road's ImportSnapshot task per disk and attempt (`disk`: the
    # road's disk from 0, an OVA's disks each one): its ClientToken (recorded before the
    # call), the task, its last status and the snapshot it made; a rerun waits for these
    # before looking for tasks by their tags.
    """CREATE TABLE snapshot_tasks (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        disk INTEGER NOT NULL,
        source TEXT NOT NULL,
        client_token TEXT NOT NULL,
        task_id TEXT,
        status TEXT,
        snapshot_id TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (entry_id, attempt, disk)
    )""",
    # snap-gaps: an OVA's disks after its first have a row of `disks` of their own (the first
    # disk's is the OVA's): `member_of` the OVA's position, `member` the disk's place in the
    # OVA (from 0); the entry's own disks have neither.  The snapshot road journals each
    # disk's upload (or copy by S3) there, the direct road its snapshot and blocks.
    "ALTER TABLE disks ADD COLUMN member_of INTEGER",
    "ALTER TABLE disks ADD COLUMN member INTEGER",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "entries, attempts, disks, parts, events", _V1),
    Migration(2, "attempts remember the identity they import", _V2),
    Migration(3, "file identities with ctime, part hashes, notes, error phases", _V3),
    Migration(4, "the database's owner id; each attempt's AMIs by Region, what was applied", _V4),
    Migration(5, "EBS snapshots written block by block, and their blocks", _V5),
    Migration(6, "the road each attempt takes (image, snapshot, direct)", _V6),
    Migration(7, "OVA disks, snapshot replacements, road reasons, snapshot tasks", _V7),
)


def current_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0


def _header(conn: sqlite3.Connection, path: str) -> tuple[int, int, int]:
    """(application_id, user_version, number of schema objects); refuses what is not SQLite.

    Read in one read transaction (unless the caller's is open): another process
    migrating the file at the same moment is seen before or after, never half.
    """
    own = not conn.in_transaction
    try:
        if own:
            conn.execute("BEGIN")
        try:
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            if own and conn.in_transaction:
                conn.execute("COMMIT")
    except sqlite3.OperationalError:
        raise  # locked or busy: the caller may try again
    except sqlite3.DatabaseError as error:
        raise NotAStateFile(f"{path} is not a vmimport state database ({error})") from None
    return int(app), int(version), int(objects)


def check_version(conn: sqlite3.Connection, path: str, migrations: Sequence[Migration]) -> int:
    """The database's schema version; refuses another program's file and a newer schema."""
    app, version, objects = _header(conn, path)
    if app != APPLICATION_ID and (app != 0 or objects != 0):
        raise NotAStateFile(f"{path} is not a vmimport state database (another program's file)")
    known = current_version(migrations)
    if version > known:
        raise NewerSchema(path, version, known)
    return version


def migrate(conn: sqlite3.Connection, path: str, migrations: Sequence[Migration]) -> int:
    """Bring the database to the last migration's version, in one write transaction.

    The connection is in autocommit mode (``isolation_level=None``): the
    transaction is explicit, and the header is read again once the write lock
    is held, so a concurrent opener's migration is seen and not repeated.
    """
    version = check_version(conn, path, migrations)
    if version == current_version(migrations):
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = check_version(conn, path, migrations)
        for step in migrations:
            if step.version <= version:
                continue
            for statement in step.statements:
                conn.execute(statement)
            version = step.version
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version
