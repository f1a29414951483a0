"""``vmimport batch --dry-run`` and ``--status``: the plan and the state, without doing anything.

Both read only the manifest and the state database (a missing state file is
not created): nothing is sent to AWS and nothing is written.  The plan says
what a run would do with each entry:

- ``upload`` (its local disks, with their total size, then import), or
  ``import`` (disks on S3), or ``resume`` (an upload or a start under way);
- ``wait`` (its task is running), ``finish`` (its AMI exists: tag, clean up);
- ``skip`` (done, or failed and not retried), ``retry`` (failed, and
  ``--retry-failed`` starts the next attempt).

A run also asks the account before uploading: an entry whose task or AMI it
finds by its tags is adopted then, not imported again; the plan cannot know.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.vmimport.engine.results import COLUMNS, Status, entry_row
from ec2_import_image.vmimport.spec import ImportSpec
from ec2_import_image.vmimport.state.records import DiskState, Entry, Phase
from ec2_import_image.vmimport.upload.keys import entry_key
from ec2_import_image.vmimport.upload.progress import human_size


class Action(StrEnum):
    UPLOAD = "upload"
    IMPORT = "import"
    RESUME = "resume"
    WAIT = "wait"
    FINISH = "finish"
    SKIP = "skip"
    RETRY = "retry"


class Step(NamedTuple):
    entry: str
    action: Action
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"entry": self.entry, "action": self.action.value, "detail": self.detail}


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _fresh(spec: ImportSpec) -> Step:
    local = [disk.location for disk in spec.disks if not disk.is_s3]
    if not local:
        sources = ", ".join(disk.location for disk in spec.disks)
        return Step(spec.name, Action.IMPORT, f"import from {sources}")
    total = sum(_size(path) for path in local)
    bucket = spec.options.bucket or "?"
    keys = ", ".join(
        f"s3://{bucket}/{entry_key(spec.options.prefix, spec.name, path)}" for path in local
    )
    return Step(
        spec.name, Action.UPLOAD, f"upload {len(local)} disk(s), {human_size(total)}, to {keys}"
    )


def _uploads(disks: Sequence[DiskState]) -> str:
    parts = [
        f"disk {disk.position + 1}: {len(disk.upload.parts)} part(s) on S3"
        for disk in disks
        if disk.upload is not None
    ]
    return "; ".join(parts)


def plan_entry(
    spec: ImportSpec, entry: Entry | None, disks: Sequence[DiskState], retry: bool
) -> Step:
    """What a run would do with one entry."""
    if entry is None or entry.phase is Phase.PENDING:
        return _fresh(spec)
    name, attempt = spec.name, entry.attempt
    if entry.phase is Phase.DONE:
        return Step(name, Action.SKIP, f"done: {attempt.image_id}")
    if entry.phase is Phase.FAILED:
        message = entry.last_error.message if entry.last_error else "failed"
        if retry:
            return Step(name, Action.RETRY, f"attempt {attempt.number + 1} (was: {message})")
        return Step(name, Action.SKIP, f"failed: {message} (--retry-failed starts it again)")
    if attempt.image_id:
        return Step(name, Action.FINISH, f"tag {attempt.image_id}, delete the uploads")
    if attempt.import_task_id:
        return Step(name, Action.WAIT, f"wait for {attempt.import_task_id}")
    under_way = _uploads(disks)
    detail = f"{entry.phase.value}" + (f" ({under_way})" if under_way else "")
    return Step(name, Action.RESUME, f"resume from {detail}, then import")


def plan(
    specs: Sequence[ImportSpec],
    entries: Mapping[str, Entry],
    disks: Mapping[str, Sequence[DiskState]],
    retry: bool,
) -> list[Step]:
    return [
        plan_entry(spec, entries.get(spec.name), disks.get(spec.name, ()), retry) for spec in specs
    ]


#: ``--status``'s table for a person: short headers over the keys of its JSON rows, which
#: are the results file's names (``image_id``, ``import_task_id``...) and ``updated``
STATUS_COLUMNS = (
    ("entry", "entry"),
    ("phase", "phase"),
    ("attempt", "attempt"),
    ("task", "import_task_id"),
    ("AMI", "image_id"),
    ("updated", "updated"),
    ("error", "message"),
)


def status_row(spec: ImportSpec, entry: Entry | None) -> dict[str, Any]:
    """One entry's state, as ``--status`` shows it: its row of the results file (an entry
    the state database does not know yet is pending, without an attempt), and when it was
    last updated."""
    if entry is None:
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update(entry=spec.name, status=Status.PENDING.value, phase=Phase.PENDING.value)
        row["snapshot_ids"] = []
        row["updated"] = None
        return row
    row = entry_row(entry)
    row["updated"] = entry.updated.isoformat(timespec="seconds")
    return row
