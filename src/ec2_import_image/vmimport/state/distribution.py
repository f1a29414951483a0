"""What the state database remembers of an import's AMIs after its finish, Region by Region.

Schema version 4 (``schema``) adds three tables:

- ``meta``: the database's own ``owner`` id, 16 random hex digits made when the
  database was created (or migrated): the value of the ``vmimport:owner`` tag
  its imports put on their AMIs, unless ``--owner`` says otherwise, so that
  ``vmimport gc`` touches only what this database's imports made;
- ``images``: per entry, attempt and Region, the AMIs the distribution made or
  keeps (``ImageRole``): the import's own (``original``), the copy that gives it
  its name (``named``), the copy in another Region (``copy``); each with its
  snapshots, state, the ClientToken of the CopyImage that made it (recorded
  before the CopyImage is sent: ``kill -9`` after the request and before its
  answer is recorded sends the same token again, which answers the same AMI)
  and its source;
- ``applied``: what was done to each AMI: its tags, IMDS, each share (one row
  per grantee, removed by an unshare), create-volume permissions, deprecation,
  deregistration protection.  ``--status`` and ``--dry-run`` read them; a run
  reads the account itself.

Every write goes through a ``Claim`` (fenced as every other step) and is a line
of the entry's history.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.vmimport.state.store import Claim, Store, utc


class ImageRole(StrEnum):
    """What an AMI of an import is to it."""

    #: the AMI the import registered (``import-ami-...``)
    ORIGINAL = "original"
    #: the copy in the import's own Region that gives it ``--ami-name``
    NAMED = "named"
    #: the copy in another Region
    COPY = "copy"


class ImageState(StrEnum):
    #: CopyImage is sent (or about to be): the token is recorded first
    COPYING = "copying"
    AVAILABLE = "available"
    #: deregistered by vmimport (the original once named, or by ``vmimport gc``)
    DEREGISTERED = "deregistered"
    #: the copy failed in AWS
    FAILED = "failed"


class RegionImage(NamedTuple):
    region: str
    role: ImageRole
    image_id: str | None
    state: ImageState
    snapshot_ids: tuple[str, ...] = ()
    copy_token: str | None = None
    source_image_id: str | None = None
    name: str | None = None
    updated: datetime.datetime | None = None


class Step(StrEnum):
    """What can be applied to an AMI (``applied.step``)."""

    TAG = "tag"
    IMDS = "imds"
    SHARE = "share"
    VOLUME = "volume"
    DEPRECATE = "deprecate"
    PROTECT = "protect"


class Applied(NamedTuple):
    """One thing applied to one AMI: ``target`` is the grantee of a share, else empty;
    ``value`` what was set (a deprecation time, the tags' digest...)."""

    region: str
    image_id: str
    step: Step
    target: str = ""
    value: str = ""
    at: datetime.datetime | None = None


_IMAGE_COLUMNS = (
    "region, role, image_id, state, snapshot_ids, copy_token, source_image_id, name, updated_at"
)


def _image(row: sqlite3.Row) -> RegionImage:
    return RegionImage(
        region=row["region"],
        role=ImageRole(row["role"]),
        image_id=row["image_id"],
        state=ImageState(row["state"]),
        snapshot_ids=tuple(json.loads(row["snapshot_ids"] or "[]")),
        copy_token=row["copy_token"],
        source_image_id=row["source_image_id"],
        name=row["name"],
        updated=utc(row["updated_at"]),
    )


class DistributionStore(Store):
    """The owner id, the AMIs by Region, what was applied (a part of ``StateDB``)."""

    def owner_id(self) -> str:
        """The database's own id (the default ``vmimport:owner`` tag)."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
        return str(row["value"])

    def _entry_and_attempt(self, conn: sqlite3.Connection, name: str) -> tuple[int, int]:
        row = conn.execute("SELECT id, attempt FROM entries WHERE name = ?", (name,)).fetchone()
        if row is None:
            from ec2_import_image.vmimport.state.errors import UnknownEntry

            raise UnknownEntry(f"no entry named {name} in {self.path}")
        return int(row["id"]), int(row["attempt"])

    def region_images(self, name: str, attempt: int | None = None) -> list[RegionImage]:
        """The AMIs of the entry's attempt (its current one by default), by Region."""
        with self._read() as conn:
            entry_id, current = self._entry_and_attempt(conn, name)
            rows = conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM images WHERE entry_id = ? AND attempt = ? "
                "ORDER BY region, role",
                (entry_id, current if attempt is None else attempt),
            ).fetchall()
        return [_image(row) for row in rows]

    def record_image(self, claim: Claim, image: RegionImage, note: str | None = None) -> None:
        """One AMI of the current attempt, as it is now (replaces the Region's row of its
        role); ``note``: the line of history (default: the AMI and its state)."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            attempt = self._entry_and_attempt(conn, claim.name)[1]
            conn.execute(
                "INSERT OR REPLACE INTO images (entry_id, attempt, region, role, image_id, state, "
                "snapshot_ids, copy_token, source_image_id, name, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    claim.entry_id,
                    attempt,
                    image.region,
                    str(image.role),
                    image.image_id,
                    str(image.state),
                    json.dumps(list(image.snapshot_ids)),
                    image.copy_token,
                    image.source_image_id,
                    image.name,
                    now,
                ),
            )
            shown = image.image_id or "(CopyImage sent)"
            line = note or f"{image.region}: {image.role} {shown} {image.state}"
            self._event(conn, claim.entry_id, now, line)

    def applied(self, name: str, attempt: int | None = None) -> list[Applied]:
        """What was applied to the AMIs of the entry's attempt (its current one by default)."""
        with self._read() as conn:
            entry_id, current = self._entry_and_attempt(conn, name)
            rows = conn.execute(
                "SELECT region, image_id, step, target, value, at FROM applied "
                "WHERE entry_id = ? AND attempt = ? ORDER BY region, image_id, step, target",
                (entry_id, current if attempt is None else attempt),
            ).fetchall()
        return [
            Applied(
                r["region"], r["image_id"], Step(r["step"]), r["target"], r["value"], utc(r["at"])
            )
            for r in rows
        ]

    def record_applied(self, claim: Claim, done: Applied, note: str) -> None:
        """One thing applied (replaces the same step and target's row), with its line of
        history."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            attempt = self._entry_and_attempt(conn, claim.name)[1]
            conn.execute(
                "INSERT OR REPLACE INTO applied (entry_id, attempt, region, image_id, step, "
                "target, value, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    claim.entry_id,
                    attempt,
                    done.region,
                    done.image_id,
                    str(done.step),
                    done.target,
                    done.value,
                    now,
                ),
            )
            self._event(conn, claim.entry_id, now, note)

    def forget_applied(self, claim: Claim, done: Applied, note: str) -> None:
        """What was applied is undone (an unshare); ``done``: its Region, AMI, step, target."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            attempt = self._entry_and_attempt(conn, claim.name)[1]
            conn.execute(
                "DELETE FROM applied WHERE entry_id = ? AND attempt = ? AND region = ? "
                "AND image_id = ? AND step = ? AND target = ?",
                (claim.entry_id, attempt, done.region, done.image_id, str(done.step), done.target),
            )
            self._event(conn, claim.entry_id, now, note)

    def entries_with_images(self, image_ids: Iterable[str]) -> dict[str, list[str]]:
        """The entries (by name) that recorded any of these AMIs, in any attempt, as the AMI
        of an attempt or of a Region; each with the ids it recorded."""
        wanted = list(dict.fromkeys(image_ids))
        found: dict[str, list[str]] = {}
        if not wanted:
            return found
        marks = ", ".join("?" for _ in wanted)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT e.name, a.image_id FROM attempts a JOIN entries e ON e.id = a.entry_id "
                f"WHERE a.image_id IN ({marks}) UNION "
                f"SELECT e.name, i.image_id FROM images i JOIN entries e ON e.id = i.entry_id "
                f"WHERE i.image_id IN ({marks}) AND i.state != ?",
                (*wanted, *wanted, str(ImageState.DEREGISTERED)),
            ).fetchall()
        for name, image_id in rows:
            found.setdefault(str(name), [])
            if image_id not in found[name]:
                found[name].append(str(image_id))
        return found

    def image_removed(self, claim: Claim, image_id: str, why: str) -> None:
        """An AMI the entry recorded was deregistered (``vmimport gc``): its rows say so, in
        every attempt, and the entry's history has ``why``."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            conn.execute(
                "UPDATE images SET state = ?, updated_at = ? WHERE entry_id = ? AND image_id = ?",
                (str(ImageState.DEREGISTERED), now, claim.entry_id, image_id),
            )
            conn.execute(
                "DELETE FROM applied WHERE entry_id = ? AND image_id = ?",
                (claim.entry_id, image_id),
            )
            self._event(conn, claim.entry_id, now, why)
