"""What the engine hands back: ``import``'s result on stdout, ``batch``'s results files.

``ImportResult`` is the JSON ``vmimport import`` prints: ``{"image_id",
"import_task_id", "snapshot_ids", "disks": [{"source", "bucket", "key",
"sha256", "size"}], "boot_mode", "platform", "architecture", "images",
"shared", "via", "via_reason", "snapshot_tasks"}`` (``images``: the AMI in each Region,
``shared``: the grantees, from ``distribute.results``; ``snapshot_tasks``: the snapshot
road's ImportSnapshot task per disk).

A batch writes its results beside the manifest after every run (also an
interrupted one): ``MANIFEST.results.json`` (``{"manifest", "entries":
[...]}``) and ``MANIFEST.results.csv`` (the same columns, snapshots joined by
``;``): for each entry its name, status (``done``, ``failed``, ``pending``,
``in-progress``), AMI, snapshots, import task, attempt, for a failure its
code, message, cause and remedy, a note (a finished entry's disks that
changed or are gone), and its AMI per Region and grantees (``images``,
``shared``: ``distribute.results``), the road it takes (``via``: image, snapshot,
direct) and why (``via_reason``: ``--via auto``'s choice or fallback, or the road given;
empty until the check chose it), and the snapshot road's ImportSnapshot task per disk
(``snapshot_tasks``, in disk order; ``;``-joined in the CSV; empty on the other roads).
The JSON document says its ``version`` (``RESULTS_VERSION``: 2 since ``via``, 3 since
``via_reason`` and ``snapshot_tasks``; a file without one is version 1); the CSV's columns
are ``COLUMNS``, new ones appended.
Each file is written to a temporary name and renamed,
so a reader never sees half a file; a file that cannot be written (a full
disk, a read-only file system) is an ``Incomplete`` error naming it and the
cause, and leaves no temporary file behind.

No run loses what an earlier run recorded (``merged_rows``): an entry's row
comes from the state database the run used; an entry that database does not
know (a run with ``--only`` and another ``--state``, another host's share)
keeps its row from the results file as it was; an entry no longer in the
manifest has no row.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from ec2_import_image.diagnostics import Keys, to_json
from ec2_import_image.vmimport.distribute.results import flat as distribution_cells
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.state.records import DiskState, Entry, Phase, SnapshotTask

RESULTS_SUFFIX = ".results"
#: the results files' version: 2 added ``via`` (the road) to each entry, 3 ``via_reason`` and
#: ``snapshot_tasks``
RESULTS_VERSION = 3


class ImportResult(NamedTuple):
    image_id: str | None
    import_task_id: str | None
    snapshot_ids: tuple[str, ...]
    disks: tuple[DiskObject, ...]
    boot_mode: str | None
    platform: str | None
    architecture: str | None
    #: (Region, AMI) of the import's AMIs, its own Region's included (``distribute``)
    images: tuple[tuple[str, str], ...] = ()
    #: the account ids, organization and OU ARNs the AMIs are shared with
    shared: tuple[str, ...] = ()
    #: the road the import took (``roads.Road``), and why
    via: str = "image"
    via_reason: str | None = None
    #: the snapshot road's ImportSnapshot task per disk, in disk order
    snapshot_tasks: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "import_task_id": self.import_task_id,
            "snapshot_ids": list(self.snapshot_ids),
            "disks": [disk.to_json() for disk in self.disks],
            "boot_mode": self.boot_mode,
            "platform": self.platform,
            "architecture": self.architecture,
            "images": dict(self.images),
            "shared": list(self.shared),
            "via": self.via,
            "via_reason": self.via_reason,
            "snapshot_tasks": list(self.snapshot_tasks),
        }


def task_ids(tasks: Sequence[SnapshotTask]) -> tuple[str, ...]:
    """The snapshot road's task ids in disk order (a disk whose task is not known yet: "")."""
    return tuple(task.task_id or "" for task in tasks)


def disk_objects(disks: Sequence[DiskState]) -> tuple[DiskObject, ...]:
    """The disks as the state database knows them (their S3 objects, SHA-256s, sizes)."""
    found = []
    for disk in disks:
        stored = disk.object
        sha256 = disk.digest.sha256 if disk.digest is not None else None
        size = disk.digest.size if disk.digest is not None else None
        if stored is None:
            found.append(DiskObject(disk.source, "", "", sha256, size))
            continue
        found.append(
            DiskObject(
                disk.source,
                stored.bucket,
                stored.key,
                sha256 or stored.sha256,
                size if size is not None else stored.size,
            )
        )
    return tuple(found)


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"
    IN_PROGRESS = "in-progress"


def status_of(entry: Entry) -> Status:
    if entry.phase is Phase.DONE:
        return Status.DONE
    if entry.phase is Phase.FAILED:
        return Status.FAILED
    if entry.phase is Phase.PENDING:
        return Status.PENDING
    return Status.IN_PROGRESS


COLUMNS = (
    "entry",
    "status",
    "phase",
    "image_id",
    "snapshot_ids",
    "import_task_id",
    "attempt",
    "error_code",
    "message",
    "cause",
    "remedy",
    "note",
    "images",
    "shared",
    "via",
    "via_reason",
    "snapshot_tasks",
)


class ResultsNotWritten(Incomplete):
    """A results file could not be written (its path and the cause in the message)."""


def entry_row(entry: Entry) -> dict[str, Any]:
    """One entry's results (snapshots as a list)."""
    error = entry.last_error
    return {
        "entry": entry.name,
        "status": status_of(entry).value,
        "phase": entry.phase.value,
        "image_id": entry.attempt.image_id,
        "snapshot_ids": list(entry.attempt.snapshot_ids),
        "import_task_id": entry.attempt.import_task_id,
        "attempt": entry.attempt.number,
        **to_json(error, Keys.RESULTS),
        "note": entry.note,
        "images": {},
        "shared": [],
        "via": entry.attempt.via,
        "via_reason": entry.attempt.via_reason,
        "snapshot_tasks": list(task_ids(entry.attempt.snapshot_tasks)),
    }


def read_results(manifest: Path) -> dict[str, dict[str, Any]] | None:
    """The rows an earlier run wrote in ``MANIFEST.results.json``, by entry (empty when there
    is no such file; None when it cannot be read as one)."""
    json_path, _ = results_paths(manifest)
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    rows = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        return None
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("entry"), str):
            kept = {key: row.get(key) for key in COLUMNS}
            kept["snapshot_ids"] = list(row.get("snapshot_ids") or [])
            kept["images"] = dict(row.get("images") or {})
            kept["shared"] = list(row.get("shared") or [])
            kept["via"] = row.get("via") or "image"
            kept["snapshot_tasks"] = list(row.get("snapshot_tasks") or [])
            found[row["entry"]] = kept
    return found


def merged_rows(
    names: Sequence[str], entries: Mapping[str, Entry], previous: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The manifest's rows in its order: each from the state database, else as an earlier
    run recorded it; an entry known to neither has none."""
    rows = []
    for name in names:
        if name in entries:
            rows.append(entry_row(entries[name]))
        elif name in previous:
            rows.append(previous[name])
    return rows


def results_paths(manifest: Path) -> tuple[Path, Path]:
    """``MANIFEST.results.json`` and ``MANIFEST.results.csv`` beside the manifest."""
    base = manifest.name + RESULTS_SUFFIX
    return manifest.with_name(base + ".json"), manifest.with_name(base + ".csv")


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ResultsNotWritten(
            f"cannot write the results file {path}: {error.strerror or error}"
        ) from None


def results_json(manifest: Path, rows: Sequence[dict[str, Any]]) -> str:
    document = {"manifest": str(manifest), "version": RESULTS_VERSION, "entries": list(rows)}
    return json.dumps(document, indent=2) + "\n"


def write_results(manifest: Path, rows: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    """Write both results files; answers their paths."""
    json_path, csv_path = results_paths(manifest)
    _replace(json_path, results_json(manifest, rows))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {key: row.get(key) for key in COLUMNS}
        flat["snapshot_ids"] = ";".join(row["snapshot_ids"])
        flat["snapshot_tasks"] = ";".join(row.get("snapshot_tasks") or [])
        flat.update(distribution_cells(row))
        writer.writerow({key: "" if value is None else value for key, value in flat.items()})
    _replace(csv_path, buffer.getvalue())
    return json_path, csv_path
