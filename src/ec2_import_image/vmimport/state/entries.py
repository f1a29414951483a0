"""Entries: their specs, their claims, their phases, attempts, errors and history.

Reads build the typed records of ``records``; every write through a
``Claim`` is fenced (``Store._fence``): it commits only while the claim is
still this process's.  Claims and leases are described in ``claims``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.vmimport.state.claims import Owner, is_free
from ec2_import_image.vmimport.state.errors import Busy, StateError, UnknownEntry
from ec2_import_image.vmimport.state.records import (
    Attempt,
    Entry,
    EntryChange,
    EntrySpec,
    Event,
    Holder,
    ImportOptions,
    Phase,
)
from ec2_import_image.vmimport.state.snapshottasks import read_tasks
from ec2_import_image.vmimport.state.store import Claim, Store, maybe_utc, utc


def _options_json(options: ImportOptions) -> str:
    values = options._asdict()
    values["license_specifications"] = list(options.license_specifications)
    values["tags"] = [list(pair) for pair in options.tags]
    return json.dumps(values, sort_keys=True)


def _options_from_json(text: str) -> ImportOptions:
    stored: dict[str, Any] = json.loads(text)
    known = {k: v for k, v in stored.items() if k in ImportOptions._fields}
    known["license_specifications"] = tuple(known.get("license_specifications", ()))
    known["tags"] = tuple((str(k), str(v)) for k, v in known.get("tags", ()))
    return ImportOptions(**known)


_ENTRY_COLUMNS = (
    "e.id, e.name, e.position, e.options, e.phase, e.attempt, e.claim_owner, e.claim_expires, "
    "e.error_code, e.error_message, e.error_cause, e.error_remedy, "
    "e.created_at, e.updated_at, a.client_token, a.import_task_id, a.image_id, a.snapshot_ids, "
    "a.started_at AS attempt_started_at, a.finished_at AS attempt_finished_at, a.identity, "
    "e.note, a.via, a.via_reason"
)
#: the rows of ``disks`` that are the entry's own disks (not an OVA's further disks: ``db``)
OWN_DISKS = "member_of IS NULL"
_NO_ERROR = (
    "error_code = NULL, error_message = NULL, error_cause = NULL, error_remedy = NULL, "
    "error_at = NULL, error_phase = NULL"
)
_ENTRY_QUERY = (
    f"SELECT {_ENTRY_COLUMNS} FROM entries e "
    "LEFT JOIN attempts a ON a.entry_id = e.id AND a.number = e.attempt"
)


class EntryStore(Store):
    """Entries, their claims and their steps."""

    # ------------------------------------------------------------------ entries

    def put_entry(self, spec: EntrySpec, position: int | None = None) -> EntryChange:
        """Store an entry's spec: new, the same as stored, or changed (see ``put_entries``)."""
        return self.put_entries([spec], [position])[spec.name]

    def put_entries(
        self, specs: Sequence[EntrySpec], positions: Sequence[int | None] | None = None
    ) -> dict[str, EntryChange]:
        """Store the specs in one transaction (a manifest's entries, in order).

        A new entry starts ``pending`` at attempt 1.  A changed spec replaces the
        stored one; a disk whose source changed loses its digest, upload and
        object (the upload's parts stay in S3 until a bucket lifecycle rule
        removes them).  Changing an entry another live process holds is refused
        (``Busy``).
        """
        changes: dict[str, EntryChange] = {}
        wanted = list(positions) if positions is not None else [None] * len(specs)
        with self._write() as conn:
            now = self._clock()
            for spec, position in zip(specs, wanted, strict=True):
                changes[spec.name] = self._put(conn, spec, position, now)
        return changes

    def _put(
        self, conn: sqlite3.Connection, spec: EntrySpec, position: int | None, now: float
    ) -> EntryChange:
        row = conn.execute(
            "SELECT id, options, claim_owner, claim_expires FROM entries WHERE name = ?",
            (spec.name,),
        ).fetchone()
        options = _options_json(spec.options)
        if row is None:
            if position is None:
                last = conn.execute("SELECT max(position) FROM entries").fetchone()[0]
                position = 0 if last is None else int(last) + 1
            entry_id = conn.execute(
                "INSERT INTO entries (name, position, options, phase, attempt, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (spec.name, position, options, str(Phase.PENDING), now, now),
            ).lastrowid
            conn.execute(
                "INSERT INTO attempts (entry_id, number, started_at) VALUES (?, 1, ?)",
                (entry_id, now),
            )
            conn.executemany(
                "INSERT INTO disks (entry_id, position, source) VALUES (?, ?, ?)",
                [(entry_id, i, source) for i, source in enumerate(spec.disks)],
            )
            self._event(conn, int(entry_id or 0), now, "entry added")
            return EntryChange.NEW
        entry_id = int(row["id"])
        if position is not None:
            conn.execute("UPDATE entries SET position = ? WHERE id = ?", (position, entry_id))
        stored = [
            r["source"]
            for r in conn.execute(
                f"SELECT source FROM disks WHERE entry_id = ? AND {OWN_DISKS} ORDER BY position",
                (entry_id,),
            )
        ]
        same = row["options"] == options or _options_from_json(row["options"]) == spec.options
        if same and tuple(stored) == spec.disks:
            return EntryChange.SAME
        if not is_free(row["claim_owner"], row["claim_expires"], now, self.owner):
            raise Busy(spec.name, self._holder(row["claim_owner"], row["claim_expires"]))
        conn.execute(
            "UPDATE entries SET options = ?, updated_at = ? WHERE id = ?",
            (options, now, entry_id),
        )
        # an OVA's further disks (``db.member_position``) go with the OVA's row when it
        # changes, and when a new DISK takes their row's position; the others are kept, with
        # their uploads and snapshots, as the OVA's own row is
        kept = {i for i, source in enumerate(spec.disks) if i < len(stored) and stored[i] == source}
        dropped = [
            (entry_id, int(r["position"]))
            for r in conn.execute(
                f"SELECT position, member_of FROM disks WHERE entry_id = ? AND NOT {OWN_DISKS}",
                (entry_id,),
            )
            if int(r["member_of"]) not in kept or int(r["position"]) < len(spec.disks)
        ]
        for table in ("parts", "disks"):
            conn.executemany(f"DELETE FROM {table} WHERE entry_id = ? AND position = ?", dropped)
        for i, source in enumerate(spec.disks):
            if i < len(stored) and stored[i] == source:
                continue
            conn.execute("DELETE FROM parts WHERE entry_id = ? AND position = ?", (entry_id, i))
            conn.execute("DELETE FROM disks WHERE entry_id = ? AND position = ?", (entry_id, i))
            conn.execute(
                "INSERT INTO disks (entry_id, position, source) VALUES (?, ?, ?)",
                (entry_id, i, source),
            )
        gone = [
            (entry_id, int(r["position"]))
            for r in conn.execute(
                f"SELECT position FROM disks WHERE entry_id = ? AND {OWN_DISKS} AND position >= ?",
                (entry_id, len(spec.disks)),
            )
        ]
        for table in ("parts", "disks"):
            conn.executemany(f"DELETE FROM {table} WHERE entry_id = ? AND position = ?", gone)
        self._event(conn, entry_id, now, "entry changed")
        return EntryChange.CHANGED

    @staticmethod
    def _holder(owner: str | None, expires: float | None) -> Holder:
        who = Owner.decode(owner or "?:0:?")
        return Holder(who.host, who.pid, who.token, utc(expires or 0.0))

    def _entry(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Entry:
        disks = tuple(
            r["source"]
            for r in conn.execute(
                f"SELECT source FROM disks WHERE entry_id = ? AND {OWN_DISKS} ORDER BY position",
                (row["id"],),
            )
        )
        error = (
            None
            if row["error_code"] is None
            else Diagnostic(
                row["error_code"],
                row["error_message"] or "",
                context=row["error_cause"],
                hint=row["error_remedy"],
            )
        )
        attempt = Attempt(
            number=int(row["attempt"]),
            client_token=row["client_token"],
            import_task_id=row["import_task_id"],
            image_id=row["image_id"],
            snapshot_ids=tuple(json.loads(row["snapshot_ids"] or "[]")),
            started=maybe_utc(row["attempt_started_at"]),
            finished=maybe_utc(row["attempt_finished_at"]),
            identity=row["identity"],
            via=row["via"],
            via_reason=row["via_reason"],
            snapshot_tasks=read_tasks(conn, int(row["id"]), int(row["attempt"])),
        )
        holder = (
            None
            if row["claim_owner"] is None
            else self._holder(row["claim_owner"], row["claim_expires"])
        )
        return Entry(
            name=row["name"],
            position=int(row["position"]),
            spec=EntrySpec(row["name"], disks, _options_from_json(row["options"])),
            phase=Phase(row["phase"]),
            attempt=attempt,
            last_error=error,
            holder=holder,
            created=utc(row["created_at"]),
            updated=utc(row["updated_at"]),
            note=row["note"],
        )

    def entry(self, name: str) -> Entry:
        """The entry of that name (``UnknownEntry`` when there is none)."""
        with self._read() as conn:
            row = conn.execute(f"{_ENTRY_QUERY} WHERE e.name = ?", (name,)).fetchone()
            if row is None:
                raise UnknownEntry(f"no entry named {name} in {self.path}")
            return self._entry(conn, row)

    def entries(self) -> list[Entry]:
        """Every entry, in manifest order."""
        with self._read() as conn:
            rows = conn.execute(f"{_ENTRY_QUERY} ORDER BY e.position, e.id").fetchall()
            return [self._entry(conn, row) for row in rows]

    def _entry_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM entries WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UnknownEntry(f"no entry named {name} in {self.path}")
        return int(row["id"])

    def _rows_of(self, name: str, query: str) -> list[Any]:
        """The rows ``query`` selects for the named entry (its id is the one parameter)."""
        with self._read() as conn:
            return conn.execute(query, (self._entry_id(conn, name),)).fetchall()

    def events(self, name: str) -> list[Event]:
        """The entry's history, oldest first."""
        rows = self._rows_of(
            name,
            "SELECT at, attempt, phase, message, progress FROM events "
            "WHERE entry_id = ? ORDER BY id",
        )
        return [
            Event(
                name,
                utc(r["at"]),
                int(r["attempt"]),
                Phase(r["phase"]),
                r["message"],
                r["progress"],
            )
            for r in rows
        ]

    def attempts(self, name: str) -> list[Attempt]:
        """Every attempt of the entry, the first first."""
        with self._read() as conn:
            entry_id = self._entry_id(conn, name)
            rows = conn.execute(
                "SELECT number, client_token, import_task_id, image_id, snapshot_ids, "
                "started_at, finished_at, identity, via, via_reason FROM attempts "
                "WHERE entry_id = ? "
                "ORDER BY number",
                (entry_id,),
            ).fetchall()
            tasks = {int(r["number"]): read_tasks(conn, entry_id, int(r["number"])) for r in rows}
        return [
            Attempt(
                number=int(r["number"]),
                client_token=r["client_token"],
                import_task_id=r["import_task_id"],
                image_id=r["image_id"],
                snapshot_ids=tuple(json.loads(r["snapshot_ids"])),
                started=maybe_utc(r["started_at"]),
                finished=maybe_utc(r["finished_at"]),
                identity=r["identity"],
                via=r["via"],
                via_reason=r["via_reason"],
                snapshot_tasks=tasks[int(r["number"])],
            )
            for r in rows
        ]

    # ------------------------------------------------------------------- claims

    def claim(self, name: str) -> Claim:
        """Claim the named entry for this process (``Busy`` when another live process holds
        it; a claim this process holds is renewed)."""
        with self._write() as conn:
            now = self._clock()
            row = conn.execute(
                "SELECT id, claim_owner, claim_expires FROM entries WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise UnknownEntry(f"no entry named {name} in {self.path}")
            owner, expires = row["claim_owner"], row["claim_expires"]
            if not is_free(owner, expires, now, self.owner):
                raise Busy(name, self._holder(owner, expires))
            return self._take(conn, name, int(row["id"]), owner, now)

    def claim_next(self, want: Callable[[Entry], bool] | None = None) -> Claim | None:
        """Claim the first entry (manifest order) that no live process holds, this one
        included (threads sharing a database each get their own), and that ``want`` accepts
        (by default: any whose phase is not final); None when there is none."""
        accept = want or (lambda entry: not entry.phase.final)
        with self._write() as conn:
            now = self._clock()
            mine = self.owner.encode()
            for row in conn.execute(f"{_ENTRY_QUERY} ORDER BY e.position, e.id").fetchall():
                owner = row["claim_owner"]
                if owner == mine or not is_free(owner, row["claim_expires"], now, self.owner):
                    continue
                entry = self._entry(conn, row)
                if accept(entry):
                    return self._take(conn, entry.name, int(row["id"]), owner, now)
        return None

    def _take(
        self, conn: sqlite3.Connection, name: str, entry_id: int, previous: str | None, now: float
    ) -> Claim:
        mine = self.owner.encode()
        conn.execute(
            "UPDATE entries SET claim_owner = ?, claim_expires = ?, updated_at = ? WHERE id = ?",
            (mine, now + self.lease_seconds, now, entry_id),
        )
        if previous is not None and previous != mine:
            stale = Owner.decode(previous)
            self._event(conn, entry_id, now, f"taken over from process {stale.pid} on {stale.host}")
        return Claim(name, entry_id, mine)

    def renew(self, claim: Claim) -> None:
        """Extend the claim's lease (``LostClaim`` when another process took it)."""
        with self._write() as conn:
            self._fence(conn, claim)

    def release(self, claim: Claim) -> None:
        """Give the entry up (nothing happens when the claim was lost)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE entries SET claim_owner = NULL, claim_expires = NULL "
                "WHERE id = ? AND claim_owner = ?",
                (claim.entry_id, claim.owner),
            )

    def release_all(self) -> None:
        """Give up every entry this process's database holds (a batch's end: also the claim
        an interruption caught between the claim and its record in the caller's books)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE entries SET claim_owner = NULL, claim_expires = NULL WHERE claim_owner = ?",
                (self.owner.encode(),),
            )

    @contextlib.contextmanager
    def hold(self, claim: Claim, interval: float | None = None) -> Iterator[Claim]:
        """Renew the claim in the background while the body runs (long waits), then release it.

        A renewal that finds the claim lost stops the heartbeat; the body's next
        write through the claim raises ``LostClaim``.
        """
        stop = threading.Event()
        period = interval if interval is not None else self.lease_seconds / 3

        def beat() -> None:
            while not stop.wait(period):
                try:
                    self.renew(claim)
                except StateError:
                    return

        thread = threading.Thread(target=beat, name=f"lease {claim.name}", daemon=True)
        thread.start()
        try:
            yield claim
        finally:
            stop.set()
            thread.join()
            with contextlib.suppress(StateError, sqlite3.Error):
                self.release(claim)

    # --------------------------------------------------- an entry's progress

    def set_phase(
        self, claim: Claim, phase: Phase, message: str | None = None, progress: float | None = None
    ) -> None:
        """Move the entry to ``phase`` and record it in the history; a final phase ends the
        current attempt (its ``finished`` time).

        The last error is cleared by progress past the phase it stopped the entry in
        (an upload's error once the import starts, a wait's once the AMI is finished;
        ``DONE`` always): it no longer says what holds the entry.  Entering that phase
        again (a rerun trying once more) keeps it, and ``FAILED`` keeps it.  A phase the
        database does not store (``Phase.stored``: a run's own) is refused.
        """
        if not phase.stored:
            raise ValueError(f"the state database does not store the phase {phase}")
        with self._write() as conn:
            now = self._fence(conn, claim)
            conn.execute("UPDATE entries SET phase = ? WHERE id = ?", (str(phase), claim.entry_id))
            stopped = conn.execute(
                "SELECT error_code, error_phase FROM entries WHERE id = ?", (claim.entry_id,)
            ).fetchone()
            if stopped[0] is not None and (
                phase is Phase.DONE or phase.passes(Phase(stopped[1] or Phase.PENDING))
            ):
                conn.execute(f"UPDATE entries SET {_NO_ERROR} WHERE id = ?", (claim.entry_id,))
            if phase.final:
                conn.execute(
                    "UPDATE attempts SET finished_at = ? WHERE entry_id = ? AND number = "
                    "(SELECT attempt FROM entries WHERE id = ?)",
                    (now, claim.entry_id, claim.entry_id),
                )
            self._event(conn, claim.entry_id, now, message or str(phase), progress)

    def add_event(self, claim: Claim, message: str, progress: float | None = None) -> None:
        """Record a line of history (a task's progress, a step) in the current phase."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            self._event(conn, claim.entry_id, now, message, progress)

    def record_error(self, claim: Claim, error: Diagnostic) -> None:
        """Remember the entry's last error (its code, message, context as the cause and hint as
        the remedy), at the clock's time."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            conn.execute(
                "UPDATE entries SET error_code = ?, error_message = ?, error_cause = ?, "
                "error_remedy = ?, error_at = ?, error_phase = phase WHERE id = ?",
                (error.code, error.message, error.context, error.hint, now, claim.entry_id),
            )
            self._event(conn, claim.entry_id, now, f"error: {error.code}: {error.message}")

    def clear_error(self, claim: Claim) -> None:
        with self._write() as conn:
            self._fence(conn, claim)
            conn.execute(f"UPDATE entries SET {_NO_ERROR} WHERE id = ?", (claim.entry_id,))

    def set_note(self, claim: Claim, note: str | None) -> None:
        """What this run found about a finished entry's disks (None: nothing to say); a new
        note is a line of the history too."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            before = conn.execute(
                "SELECT note FROM entries WHERE id = ?", (claim.entry_id,)
            ).fetchone()[0]
            conn.execute("UPDATE entries SET note = ? WHERE id = ?", (note, claim.entry_id))
            if note is not None and note != before:
                self._event(conn, claim.entry_id, now, f"note: {note}")

    def _update_attempt(self, claim: Claim, assignments: str, values: Sequence[Any]) -> None:
        with self._write() as conn:
            self._fence(conn, claim)
            conn.execute(
                f"UPDATE attempts SET {assignments} WHERE entry_id = ? AND number = "
                "(SELECT attempt FROM entries WHERE id = ?)",
                (*values, claim.entry_id, claim.entry_id),
            )

    def record_identity(self, claim: Claim, identity: str) -> None:
        """The identity (``vmimport:sha256``) the current attempt imports, once its disks are
        hashed."""
        self._update_attempt(claim, "identity = ?", (identity,))

    def record_token(self, claim: Claim, client_token: str) -> None:
        """The current attempt's ClientToken: recorded before ImportImage is sent."""
        self._update_attempt(claim, "client_token = ?", (client_token,))

    def record_via(self, claim: Claim, via: str, reason: str) -> None:
        """The road the current attempt takes (``roads.Road``; ``image`` until recorded: the
        engine records it once the check has chosen it) and why (``--via auto``'s reason, a
        fallback's, or the road given): from then on the attempt's road
        (``Attempt.road_recorded``)."""
        self._update_attempt(claim, "via = ?, via_reason = ?", (via, reason))

    def record_task(self, claim: Claim, import_task_id: str) -> None:
        self._update_attempt(claim, "import_task_id = ?", (import_task_id,))

    def record_result(self, claim: Claim, image_id: str, snapshot_ids: Iterable[str]) -> None:
        """The AMI and snapshots the current attempt produced."""
        self._update_attempt(
            claim, "image_id = ?, snapshot_ids = ?", (image_id, json.dumps(list(snapshot_ids)))
        )

    def restart(self, claim: Claim) -> Attempt:
        """Begin the next attempt (``--retry-failed``, changed disks): a new number, hence a
        new token; phase ``pending``, the last error and the note cleared; earlier attempts
        stay in the history."""
        with self._write() as conn:
            now = self._fence(conn, claim)
            number = 1 + int(
                conn.execute(
                    "SELECT attempt FROM entries WHERE id = ?", (claim.entry_id,)
                ).fetchone()[0]
            )
            conn.execute(
                f"UPDATE entries SET attempt = ?, phase = ?, note = NULL, {_NO_ERROR} WHERE id = ?",
                (number, str(Phase.PENDING), claim.entry_id),
            )
            conn.execute(
                "INSERT INTO attempts (entry_id, number, started_at) VALUES (?, ?, ?)",
                (claim.entry_id, number, now),
            )
            self._event(conn, claim.entry_id, now, f"attempt {number}")
        return Attempt(number=number, started=utc(now))
