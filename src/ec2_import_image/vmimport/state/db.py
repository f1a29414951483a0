"""The state database: an embedded SQLite file that remembers every step of every entry.

``vmimport import`` keeps one in ``${XDG_STATE_HOME:-~/.local/state}/vmimport/``,
``vmimport batch`` one beside its manifest (``paths``); both use this schema
(``schema``).  ``StateDB`` is the whole interface:

- ``store``: opening, durability (WAL, ``synchronous=FULL``), transactions;
- ``entries``: specs, claims (``claim``, ``claim_next``, ``hold``), phases,
  attempts (ClientToken, task, AMI), errors, history;
- ``distribution``: the database's owner id, each attempt's AMIs by Region
  and what was applied to them (names, copies, shares, flags);
- here: each entry's disks (digest, multipart upload and its parts, S3
  object) and the hash cache, and ``DiskJournal``, what the upload writes
  through;
- ``snapshots``: each disk's EBS snapshot and its acknowledged blocks (the
  direct road), and ``SnapshotJournal``, what ``upload.ebsdirect`` writes
  through.

A disk is a row of ``disks``: each DISK argument's, and one for each further
disk of an OVA (``member_position``), which both the upload and the snapshot
journals of that disk are keyed by.

Records in and out are the typed records of ``records``; times come from the
injected ``clock`` (seconds since the epoch, ``time.time`` by default).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from ec2_import_image.vmimport.state.distribution import DistributionStore
from ec2_import_image.vmimport.state.entries import OWN_DISKS, EntryStore
from ec2_import_image.vmimport.state.errors import StateError, UnknownEntry
from ec2_import_image.vmimport.state.records import (
    DiskState,
    FileDigest,
    FileIdentity,
    MultipartUpload,
    ObjectState,
    Part,
    PartHashes,
    StoredObject,
)
from ec2_import_image.vmimport.state.snapshots import SnapshotJournal, SnapshotStore
from ec2_import_image.vmimport.state.snapshottasks import SnapshotTaskStore
from ec2_import_image.vmimport.state.store import Claim, disk_name, maybe_utc

_DISK_COLUMNS = (
    "position, source, path, device, inode, size, mtime_ns, sha256, upload_id, upload_bucket, "
    "upload_key, upload_sha256, part_size, checksum_algorithm, upload_started_at, "
    "object_bucket, object_key, object_size, object_sha256, object_state, ctime_ns, "
    "hashed_part_size, part_sha256s"
)

_CLEAR_UPLOAD = (
    "upload_id = NULL, upload_bucket = NULL, upload_key = NULL, upload_sha256 = NULL, "
    "part_size = NULL, checksum_algorithm = NULL, upload_started_at = NULL"
)


def _part_hashes(part_size: int | None, text: str | None) -> PartHashes | None:
    """Part hashes as stored: the part size and the base64 SHA-256s, one a line."""
    if part_size is None or text is None:
        return None
    return PartHashes(int(part_size), tuple(text.split("\n")) if text else ())


def _part_columns(digest: FileDigest) -> tuple[int | None, str | None]:
    if digest.parts is None:
        return None, None
    return digest.parts.part_size, "\n".join(digest.parts.sha256s)


def _clear_parts(conn: sqlite3.Connection, claim: Claim, position: int) -> None:
    conn.execute(
        "DELETE FROM parts WHERE entry_id = ? AND position = ?", (claim.entry_id, position)
    )


class StateDB(EntryStore, DistributionStore, SnapshotStore, SnapshotTaskStore):
    """One open state database: ``StateDB.open(path)``; close it (or use ``with``)."""

    def disks(self, name: str, *, members: bool = False) -> list[DiskState]:
        """The entry's disks in order, with what is known of each; ``members``: with the rows
        of an OVA's further disks (``member_position``) after them."""
        own = "" if members else f" AND {OWN_DISKS}"
        with self._read() as conn:
            entry_id = self._entry_id(conn, name)
            rows = conn.execute(
                f"SELECT {_DISK_COLUMNS} FROM disks WHERE entry_id = ?{own} ORDER BY position",
                (entry_id,),
            ).fetchall()
            return [self._disk(conn, entry_id, row) for row in rows]

    def member_position(self, claim: Claim, position: int, member: int, source: str) -> int:
        """The row of the disk ``member`` (from 0) of the OVA at ``position``: the one way the
        state names a disk of an OVA, for its upload journal (``journal``) and its snapshot
        journal (``snapshot_journal``).  The OVA's own row for its first disk, else a row of
        its own, made on first use after the entry's rows (``put_entry`` drops it with the
        OVA's row, or when a new DISK takes its position)."""
        if member == 0:
            return position
        with self._write() as conn:
            self._fence(conn, claim)
            row = conn.execute(
                "SELECT position FROM disks WHERE entry_id = ? AND member_of = ? AND member = ?",
                (claim.entry_id, position, member),
            ).fetchone()
            if row is not None:
                return int(row["position"])
            last = conn.execute(
                "SELECT max(position) FROM disks WHERE entry_id = ?", (claim.entry_id,)
            ).fetchone()[0]
            made = 0 if last is None else int(last) + 1
            conn.execute(
                "INSERT INTO disks (entry_id, position, source, member_of, member) "
                "VALUES (?, ?, ?, ?, ?)",
                (claim.entry_id, made, source, position, member),
            )
            return made

    def disk(self, claim: Claim, position: int) -> DiskState:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_DISK_COLUMNS} FROM disks WHERE entry_id = ? AND position = ?",
                (claim.entry_id, position),
            ).fetchone()
            if row is None:
                raise UnknownEntry(f"{claim.name} has no disk {position + 1}")
            return self._disk(conn, claim.entry_id, row)

    @staticmethod
    def _disk(conn: sqlite3.Connection, entry_id: int, row: sqlite3.Row) -> DiskState:
        position = int(row["position"])
        digest = None
        if row["sha256"] is not None:
            identity = FileIdentity(
                row["path"],
                row["device"],
                row["inode"],
                row["size"],
                row["mtime_ns"],
                row["ctime_ns"],
            )
            parts_hashed = _part_hashes(row["hashed_part_size"], row["part_sha256s"])
            digest = FileDigest(identity, row["sha256"], parts_hashed)
        upload = None
        if row["upload_id"] is not None:
            parts = tuple(
                Part(int(r["number"]), int(r["size"]), r["etag"], r["checksum"])
                for r in conn.execute(
                    "SELECT number, size, etag, checksum FROM parts "
                    "WHERE entry_id = ? AND position = ? AND upload_id = ? ORDER BY number",
                    (entry_id, position, row["upload_id"]),
                )
            )
            upload = MultipartUpload(
                upload_id=row["upload_id"],
                bucket=row["upload_bucket"],
                key=row["upload_key"],
                sha256=row["upload_sha256"],
                part_size=int(row["part_size"]),
                checksum_algorithm=row["checksum_algorithm"],
                started=maybe_utc(row["upload_started_at"]),
                parts=parts,
            )
        stored = None
        if row["object_bucket"] is not None:
            stored = StoredObject(
                row["object_bucket"],
                row["object_key"],
                row["object_size"],
                row["object_sha256"],
                ObjectState(row["object_state"]),
            )
        return DiskState(position, row["source"], digest, upload, stored)

    def _update_disk(
        self,
        claim: Claim,
        position: int,
        assignments: str,
        values: Sequence[Any],
        note: str | None = None,
    ) -> None:
        with self._write() as conn:
            now = self._fence(conn, claim)
            changed = conn.execute(
                f"UPDATE disks SET {assignments} WHERE entry_id = ? AND position = ?",
                (*values, claim.entry_id, position),
            )
            if changed.rowcount != 1:
                raise UnknownEntry(f"{claim.name} has no disk {position + 1}")
            if note:
                self._disk_event(conn, claim, position, now, note)

    def record_digest(self, claim: Claim, position: int, digest: FileDigest) -> None:
        """The disk's file as hashed (path, stat identity, SHA-256, its parts' SHA-256s)."""
        i = digest.identity
        self._update_disk(
            claim,
            position,
            "path = ?, device = ?, inode = ?, size = ?, mtime_ns = ?, ctime_ns = ?, sha256 = ?, "
            "hashed_part_size = ?, part_sha256s = ?",
            (*i, digest.sha256, *_part_columns(digest)),
            note=f"sha256 {digest.sha256}",
        )

    def record_upload(self, claim: Claim, position: int, upload: MultipartUpload) -> None:
        """A multipart upload was created for the disk (its parts start empty)."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            _clear_parts(conn, claim, position)
            conn.execute(
                "UPDATE disks SET upload_id = ?, upload_bucket = ?, upload_key = ?, "
                "upload_sha256 = ?, part_size = ?, checksum_algorithm = ?, upload_started_at = ? "
                "WHERE entry_id = ? AND position = ?",
                (
                    upload.upload_id,
                    upload.bucket,
                    upload.key,
                    upload.sha256,
                    upload.part_size,
                    upload.checksum_algorithm,
                    upload.started.timestamp() if upload.started else now,
                    claim.entry_id,
                    position,
                ),
            )
            conn.executemany(
                "INSERT INTO parts (entry_id, position, upload_id, number, size, etag, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(claim.entry_id, position, upload.upload_id, *part) for part in upload.parts],
            )
            self._disk_event(
                conn,
                claim,
                position,
                now,
                f"multipart upload to s3://{upload.bucket}/{upload.key}",
            )

    def record_parts(
        self, claim: Claim, position: int, upload_id: str, parts: Sequence[Part]
    ) -> None:
        """Parts S3 acknowledged for the disk's current upload (one commit for all of them)."""
        with self._write() as conn:
            self._fence(conn, claim)
            current = conn.execute(
                "SELECT upload_id FROM disks WHERE entry_id = ? AND position = ?",
                (claim.entry_id, position),
            ).fetchone()
            if current is None or current["upload_id"] != upload_id:
                raise StateError(
                    f"{claim.name} {disk_name(conn, claim.entry_id, position)}: upload "
                    f"{upload_id} is not the current one"
                )
            conn.executemany(
                "INSERT OR REPLACE INTO parts "
                "(entry_id, position, upload_id, number, size, etag, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(claim.entry_id, position, upload_id, *part) for part in parts],
            )

    def forget_parts(self, claim: Claim, position: int, numbers: Iterable[int]) -> None:
        """Parts recorded for the disk that S3 does not have (they will be sent again)."""
        with self._write() as conn:
            self._fence(conn, claim)
            conn.executemany(
                "DELETE FROM parts WHERE entry_id = ? AND position = ? AND number = ?",
                [(claim.entry_id, position, n) for n in numbers],
            )

    def forget_upload(self, claim: Claim, position: int, reason: str) -> None:
        """The disk's multipart upload is gone (S3 forgot it, or it was aborted)."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            _clear_parts(conn, claim, position)
            conn.execute(
                f"UPDATE disks SET {_CLEAR_UPLOAD} WHERE entry_id = ? AND position = ?",
                (claim.entry_id, position),
            )
            self._disk_event(conn, claim, position, now, reason)

    def disk_note(self, claim: Claim, position: int, message: str) -> None:
        """A line of the disk's history."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            self._disk_event(conn, claim, position, now, message)

    def record_object(self, claim: Claim, position: int, stored: StoredObject) -> None:
        """The disk's S3 object: found there, uploaded by this tool, or deleted by it.

        An object recorded as ``UPLOADED`` or ``DELETED`` is this tool's; one
        recorded as ``FOUND`` is never deleted.  The multipart upload, done, is
        cleared.
        """
        with self._write() as conn:
            now = self._fence(conn, claim)
            _clear_parts(conn, claim, position)
            conn.execute(
                f"UPDATE disks SET {_CLEAR_UPLOAD}, object_bucket = ?, object_key = ?, "
                "object_size = ?, object_sha256 = ?, object_state = ? "
                "WHERE entry_id = ? AND position = ?",
                (
                    stored.bucket,
                    stored.key,
                    stored.size,
                    stored.sha256,
                    str(stored.state),
                    claim.entry_id,
                    position,
                ),
            )
            self._disk_event(
                conn, claim, position, now, f"s3://{stored.bucket}/{stored.key} {stored.state}"
            )

    def journal(self, claim: Claim, position: int) -> DiskJournal:
        """The disk's journal, as the upload writes it."""
        return DiskJournal(self, claim, position)

    def snapshot_journal(
        self, claim: Claim, position: int, *, replacement: int = 0
    ) -> SnapshotJournal:
        """The disk's snapshot journal, as ``upload.ebsdirect`` writes it (``position``: the
        disk's row, an OVA's further disk's from ``member_position``; ``replacement``: the
        number a snapshot it starts gets)."""
        return SnapshotJournal(self, claim, position, replacement=replacement)

    # --------------------------------------------------------------- hash cache

    def cached_digest(self, identity: FileIdentity) -> FileDigest | None:
        """The digest recorded for a file with exactly this path and stat identity (its change
        time included: a row written without one never matches)."""
        if identity.ctime_ns is None:
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT sha256, part_size, part_sha256s FROM file_hashes WHERE path = ? "
                "AND device = ? AND inode = ? AND size = ? AND mtime_ns = ? AND ctime_ns = ?",
                tuple(identity),
            ).fetchone()
        if row is None:
            return None
        return FileDigest(
            identity, str(row["sha256"]), _part_hashes(row["part_size"], row["part_sha256s"])
        )

    def remember_sha256(self, digest: FileDigest) -> None:
        """Record a file's digest for reuse; older hashes of the same path are dropped.  A
        span's digest (an OVA's member) is not a file's: it is not recorded."""
        if digest.span is not None:
            return
        with self._write() as conn:
            conn.execute("DELETE FROM file_hashes WHERE path = ?", (digest.identity.path,))
            conn.execute(
                "INSERT INTO file_hashes (path, device, inode, size, mtime_ns, ctime_ns, sha256, "
                "part_size, part_sha256s, hashed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*digest.identity, digest.sha256, *_part_columns(digest), self._clock()),
            )

    def forget_sha256(self, path: str) -> None:
        """The file's recorded hash is not to be reused (its bytes were found to differ)."""
        with self._write() as conn:
            conn.execute("DELETE FROM file_hashes WHERE path = ?", (path,))


class DiskJournal:
    """One disk of one claimed entry, as ``upload`` records its progress."""

    def __init__(self, db: StateDB, claim: Claim, position: int) -> None:
        self.db = db
        self.claim = claim
        self.position = position

    def state(self) -> DiskState:
        return self.db.disk(self.claim, self.position)

    def upload_started(self, upload: MultipartUpload) -> None:
        self.db.record_upload(self.claim, self.position, upload)

    def parts_done(self, upload_id: str, parts: Sequence[Part]) -> None:
        self.db.record_parts(self.claim, self.position, upload_id, parts)

    def parts_missing(self, numbers: Iterable[int]) -> None:
        self.db.forget_parts(self.claim, self.position, numbers)

    def upload_forgotten(self, reason: str) -> None:
        self.db.forget_upload(self.claim, self.position, reason)

    def object_stored(self, stored: StoredObject) -> None:
        self.db.record_object(self.claim, self.position, stored)

    def note(self, message: str) -> None:
        self.db.disk_note(self.claim, self.position, message)

    def cached_digest(self, identity: FileIdentity) -> FileDigest | None:
        return self.db.cached_digest(identity)

    def digest_known(self, digest: FileDigest, reusable: bool) -> None:
        self.db.record_digest(self.claim, self.position, digest)
        if reusable:
            self.db.remember_sha256(digest)

    def digest_confirmed(self, digest: FileDigest) -> None:
        """The digest is proven to hold: S3 checked every part's bytes against it after the
        file's timestamps had settled (see ``upload.hashing``); it may be reused."""
        self.db.remember_sha256(digest)

    def digest_wrong(self, path: str) -> None:
        """The file's bytes are not the ones hashed (S3 refused a part): never reuse its hash."""
        self.db.forget_sha256(path)
