"""``vmimport batch --dry-run`` and ``--status``: the plan and the state, without doing anything.

Both read only the manifest, the state database (a missing state file is not
created) and what ``stat`` says of the local disks: nothing is sent to AWS,
nothing is written, no disk is read (but, for ``--dry-run``, the local disks of a
``via: auto`` entry whose road is not recorded yet, which the caller reads as ``check``
does and hands in as a ``Choice``).  The plan says what a run would do with
each entry:

- ``upload`` (its local disks, with their total size, then import), or
  ``import`` (disks on S3), or ``resume`` (an upload or a start under way);
  each says its road's calls when they are not ImportImage's: the direct
  road's EBS snapshots and RegisterImage, the snapshot road's ImportSnapshot
  per disk and RegisterImage (``--status`` shows each entry's road, ``via``);
- ``wait`` (its task is running), ``finish`` (its AMI exists: tag, clean up);
- ``skip`` (done, or failed and not retried), ``retry`` (failed, and
  ``--retry-failed`` starts the next attempt);
- ``changed`` (done, but its disks changed since: the AMI holds the old
  content, and the run says so), ``reimport`` (the same with
  ``--reimport-changed``: the next attempt imports the new content); a disk
  whose stat matches no hash on record is not read to tell: "changed (stat
  differs; a run hashes it to be sure)" (``changes.look``);
- ``missing`` (the entry still needs its disks and one is not there: a run
  refuses the manifest, exit 2).  A finished entry's missing disk is a note.

An unfinished entry's road is the one its attempt recorded (``roadchoice``), with why
when ``--via auto`` chose it; a ``via: auto`` entry not started says the road its disks
alone would give (``Choice``) or that the run's check chooses it.

A run also asks the account before uploading: an entry whose task or AMI it
finds by its tags is adopted then, not imported again; the plan cannot know.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.roads import TABLE, Road
from ec2_import_image.vmimport.engine import changes, roadchoice
from ec2_import_image.vmimport.engine.changes import Found, HashCache
from ec2_import_image.vmimport.engine.results import COLUMNS, Status, entry_row
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.spec import Auto, ImportSpec
from ec2_import_image.vmimport.state.records import DiskState, Entry, Phase
from ec2_import_image.vmimport.upload.keys import entry_key
from ec2_import_image.vmimport.upload.progress import human_size


class PlannedAction(StrEnum):
    """What a run would do with one entry (``--plan``: each step's ``action``)."""

    UPLOAD = "upload"
    IMPORT = "import"
    RESUME = "resume"
    WAIT = "wait"
    FINISH = "finish"
    SKIP = "skip"
    RETRY = "retry"
    CHANGED = "changed"
    REIMPORT = "reimport"
    MISSING = "missing"


class Looking(NamedTuple):
    """What the plan is asked for (the run's options), and the hashes on record."""

    retry_failed: bool = False
    reimport_changed: bool = False
    cache: HashCache | None = None
    #: uploads named by content (``import``: ``PREFIX<16 hex of the SHA-256>/<file name>``),
    #: not by entry (``batch``)
    content_keys: bool = False


class Choice(NamedTuple):
    """The road ``--via auto`` would choose for an entry, from its disks alone (``batch
    --dry-run``: ``check``'s verdicts without the account), and why; None: no road."""

    road: Road | None
    reason: str


class Step(NamedTuple):
    entry: str
    action: PlannedAction
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"entry": self.entry, "action": self.action.value, "detail": self.detail}


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _fresh(spec: ImportSpec, choice: Choice | None, looking: Looking) -> Step:
    step = _fresh_on(spec, choice.road if choice else spec.options.via, looking)
    if spec.options.via is not Auto.AUTO:
        return step
    if choice is None:
        detail = (
            "--via auto: the road is chosen by the check a run makes before the upload "
            "(vmimport check DISK... shows it)"
        )
        return Step(spec.name, step.action, detail)
    if choice.road is None:
        detail = f"--via auto: no road takes it as it is ({choice.reason}): a run refuses it"
        return Step(spec.name, step.action, detail)
    said = (
        f"--via auto: {choice.road.value} ({choice.reason}; from the disks alone: a run "
        "checks the account too)"
    )
    return Step(spec.name, step.action, f"{said}: {step.detail}")


def _each_disk(spec: ImportSpec) -> str | None:
    """The disks of a road that takes an OVA's disks one by one, when a DISK is an OVA: each
    disk of it.  An OVA is known by its name here (the plan reads no disk); None: no OVA."""
    if not any(disk.location.lower().endswith(".ova") for disk in spec.disks):
        return None
    if len(spec.disks) == 1:
        return "each disk of the OVA"
    return f"each disk of the {len(spec.disks)} DISKs (an OVA's disks each)"


def _fresh_on(spec: ImportSpec, road: Road | Auto | None, looking: Looking) -> Step:
    local = [disk.location for disk in spec.disks if not disk.is_s3]
    if isinstance(road, Road) and not TABLE[road].bucket:
        total = sum(_size(path) for path in local)
        disks = _each_disk(spec) or f"{len(spec.disks)} disk(s)"
        return Step(
            spec.name,
            PlannedAction.UPLOAD,
            f"write {disks}, {human_size(total)} local, into EBS snapshots "
            f"(--via {road.value}), then RegisterImage",
        )
    then = _then(spec, road)
    if not local:
        sources = ", ".join(disk.location for disk in spec.disks)
        detail = f"import from {sources}" + ("" if then is None else f", {then}")
        return Step(spec.name, PlannedAction.IMPORT, detail)
    total = sum(_size(path) for path in local)
    bucket = spec.options.bucket or "?"
    keys = ", ".join(f"s3://{bucket}/{_key(spec, path, looking)}" for path in local)
    detail = f"upload {len(local)} disk(s), {human_size(total)}, to {keys}"
    return Step(spec.name, PlannedAction.UPLOAD, detail + ("" if then is None else f", {then}"))


def _key(spec: ImportSpec, path: str, looking: Looking) -> str:
    if looking.content_keys:  # the SHA-256 is known once a run has hashed the disk
        return f"{spec.options.prefix}<16 hex of its SHA-256>/{os.path.basename(path)}"
    return entry_key(spec.options.prefix, spec.name, path)


def _then(spec: ImportSpec, road: Road | Auto | None) -> str | None:
    """What a road that imports from S3 does after the upload, when it is not ImportImage (the
    image road: None, said as "import")."""
    if road is not Road.SNAPSHOT:
        return None
    return f"then {_tasks(spec)}, and RegisterImage (--via snapshot)"


def _tasks(spec: ImportSpec) -> str:
    """The snapshot road's ImportSnapshot tasks, one per disk (``_each_disk``)."""
    each = _each_disk(spec)
    if each is not None:
        return f"an ImportSnapshot task for {each}"
    return f"{len(spec.disks)} ImportSnapshot task(s), one per disk"


def _uploads(disks: Sequence[DiskState]) -> str:
    parts = [
        f"disk {disk.position + 1}: {len(disk.upload.parts)} part(s) on S3"
        for disk in disks
        if disk.upload is not None
    ]
    return "; ".join(parts)


def _locations(spec: ImportSpec) -> list[str]:
    return [disk.location for disk in spec.disks]


def missing_note(spec: ImportSpec, entry: Entry | None, retry_failed: bool) -> str | None:
    """The disks an entry still needs that are not there (None when nothing is missing)."""
    if not changes.needs_disks(entry, retry_failed=retry_failed):
        return None
    gone = changes.missing(_locations(spec))
    if not gone:
        return None
    return f"{', '.join(gone)}: no such file (a run refuses the manifest until it is there)"


def _done(
    spec: ImportSpec, entry: Entry, disks: Sequence[DiskState], looking: Looking
) -> tuple[PlannedAction, str]:
    image = entry.attempt.image_id
    change = changes.look(_locations(spec), entry, disks, looking.cache)
    note = change.note(reimport=looking.reimport_changed)
    if change.found in (Found.CHANGED, Found.UNSURE):
        action = PlannedAction.REIMPORT if looking.reimport_changed else PlannedAction.CHANGED
        return action, f"done: {image}; {note}"
    if change.found is Found.UNCONFIRMED:
        names = ", ".join(change.disks)
        return PlannedAction.SKIP, (
            f"done: {image} (a run hashes {names} once more to confirm it: its hash was made "
            "too soon after it was written)"
        )
    return PlannedAction.SKIP, f"done: {image}" + (f" ({note})" if note else "")


def road_taken(spec: ImportSpec, entry: Entry | None) -> Road | Auto:
    """The road a run takes (``roadchoice.road_taken``); a road another version recorded is
    shown as the manifest's (a run refuses it)."""
    try:
        return roadchoice.road_taken(spec, entry)
    except UsageError:
        return spec.options.via


def plan_entry(
    spec: ImportSpec,
    entry: Entry | None,
    disks: Sequence[DiskState],
    looking: Looking,
    choice: Choice | None = None,
) -> Step:
    """What a run would do with one entry (``choice``: the road ``--via auto`` would choose
    from the disks alone, for an entry without a road recorded)."""
    step = _planned(spec, entry, disks, looking, choice)
    recorded = entry is not None and entry.attempt.road_recorded
    if entry is None or entry.phase.final or not recorded or step.action is PlannedAction.MISSING:
        return step
    if entry.phase is Phase.PENDING or entry.attempt.via_reason == f"--via {entry.attempt.via}":
        return step
    return Step(
        step.entry,
        step.action,
        f"{step.detail} (road {entry.attempt.via}: {entry.attempt.via_reason})",
    )


def _planned(
    spec: ImportSpec,
    entry: Entry | None,
    disks: Sequence[DiskState],
    looking: Looking,
    choice: Choice | None,
) -> Step:
    retry = looking.retry_failed
    gone = missing_note(spec, entry, retry)
    if gone is not None:
        return Step(spec.name, PlannedAction.MISSING, gone)
    if entry is None or entry.phase is Phase.PENDING:
        return _fresh(spec, choice, looking)
    name, attempt, point = spec.name, entry.attempt, entry.resumes_at
    if point is Phase.DONE:
        return Step(name, *_done(spec, entry, disks, looking))
    if point is Phase.FAILED:
        message = entry.last_error.message if entry.last_error else "failed"
        if retry:
            return Step(name, PlannedAction.RETRY, f"attempt {attempt.number + 1} (was: {message})")
        return Step(name, PlannedAction.SKIP, f"failed: {message} (--retry-failed starts it again)")
    if point is Phase.FINISHING:
        return Step(name, PlannedAction.FINISH, f"tag {attempt.image_id}, delete the uploads")
    if point is Phase.WAITING:
        return Step(name, PlannedAction.WAIT, f"wait for {attempt.import_task_id}")
    tasks = attempt.snapshot_tasks
    if tasks and all(task.task_id for task in tasks):  # the snapshot road's, all started
        ids = ", ".join(str(task.task_id) for task in tasks)
        return Step(
            name, PlannedAction.WAIT, f"wait for {ids}, then RegisterImage (--via snapshot)"
        )
    under_way = _uploads(disks)
    detail = f"{entry.phase.value}" + (f" ({under_way})" if under_way else "")
    then = _then(spec, road_taken(spec, entry))
    if then is None:
        return Step(name, PlannedAction.RESUME, f"resume from {detail}, then import")
    # the snapshot road's tasks are not the attempt's task: the state's, else their tags'
    found = "the tasks already started are found again (the state's, else by their tags)"
    return Step(name, PlannedAction.RESUME, f"resume from {detail}, {then}; {found}")


def plan(
    specs: Sequence[ImportSpec],
    entries: Mapping[str, Entry],
    disks: Mapping[str, Sequence[DiskState]],
    looking: Looking,
    choices: Mapping[str, Choice] | None = None,
) -> list[Step]:
    return [
        plan_entry(
            spec,
            entries.get(spec.name),
            disks.get(spec.name, ()),
            looking,
            (choices or {}).get(spec.name),
        )
        for spec in specs
    ]


#: ``--status``'s table for a person: short headers over the keys of its JSON rows, which
#: are the results file's names (``image_id``, ``import_task_id``...), ``updated`` and
#: ``note`` (a finished entry's changed or missing disks)
STATUS_COLUMNS = (
    ("entry", "entry"),
    ("phase", "phase"),
    ("attempt", "attempt"),
    ("via", "via"),
    ("task", "import_task_id"),
    ("AMI", "image_id"),
    ("updated", "updated"),
    ("error", "message"),
    ("note", "note"),
)


def status_note(
    spec: ImportSpec, entry: Entry | None, disks: Sequence[DiskState], looking: Looking
) -> str | None:
    """What ``--status`` says of an entry's disks: a finished entry's changed or missing disks
    (``changes.look``, stat only), or the disks an unfinished one still needs and lacks, or
    what an unfinished snapshot-road entry does (its tasks are not the attempt's one task:
    each disk's recorded task and status, once they are known)."""
    if entry is not None and entry.phase is Phase.DONE:
        return changes.look(_locations(spec), entry, disks, looking.cache).note(reimport=False)
    missing = missing_note(spec, entry, looking.retry_failed)
    final = entry is not None and entry.phase.final
    if missing is not None or final or road_taken(spec, entry) is not Road.SNAPSHOT:
        return missing
    tasks = entry.attempt.snapshot_tasks if entry is not None else ()
    if tasks:
        said = ", ".join(
            f"disk {task.disk + 1} {task.task_id or 'starting'}"
            + (f" ({task.status})" if task.status else "")
            for task in tasks
        )
        return f"ImportSnapshot tasks: {said}; then RegisterImage"
    return f"{_tasks(spec)}, then RegisterImage"


def status_row(spec: ImportSpec, entry: Entry | None, note: str | None = None) -> dict[str, Any]:
    """One entry's state, as ``--status`` shows it: its row of the results file (an entry
    the state database does not know yet is pending, without an attempt), when it was last
    updated, and ``note`` when one is given (what the disks say now) over the recorded one."""
    if entry is None:
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update(entry=spec.name, status=Status.PENDING.value, phase=Phase.PENDING.value)
        row["snapshot_ids"] = []
        row["snapshot_tasks"] = []
        row["updated"] = None
    else:
        row = entry_row(entry)
        row["updated"] = entry.updated.isoformat(timespec="seconds")
    if entry is None or not entry.phase.final:  # the road a run takes
        row["via"] = road_taken(spec, entry).value
        if not (entry is not None and entry.attempt.road_recorded):
            row["via_reason"] = None
    if note is not None:
        row["note"] = note
    return row
