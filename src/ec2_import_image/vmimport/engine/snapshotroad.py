"""The snapshot road's tasks: one ImportSnapshot per disk, started at most once, waited for.

The road's disks are the entry's disks in order, each disk of an OVA one of
them (in the OVF descriptor's order: ``engine.volumes``, through ``engine.members``).
For each disk (by its position from 0) the ClientToken is recorded in the state
database (``snapshot_tasks``) before anything is sent, and the task is, in this
order: the one the state database recorded for this attempt under that token,
the one the account holds for the import's identity and the disk
(``discovery.discover_snapshot_tasks``: its tags), or a new one
(``starting.start_snapshot_import`` with the disk's request and ClientToken,
``snapshotrequest``), so a rerun after ``kill -9``, with or without its state
database, adopts the tasks it started rather than starting more; the token
makes even a start repeated before anything was recorded answer the same task.

The tasks are then waited for one after the other with the wait of ImportImage
tasks (``waiting.wait_for_task`` with the ``SNAPSHOT`` kind: the shared pacing,
transient failures borne, ``--max-wait`` over all the disks together).  What a
wait ends with is for the engine to act on: every task ``completed`` (its
snapshot per disk, ``snapshot_ids``), or the first ``deleted`` one
(``first_failure``), explained as an image task's failure is.  Each task, each
change of its status and its snapshot are recorded per disk as they are known
(``--status`` and the results files show them).  A caller that does not wait
(``EntryWork.waits`` false: ``import --no-wait``) gets the tasks back once every
disk's task has started (``underway.Underway``), unless one poll finds them all ended;
a rerun waits for the recorded tasks, then registers.

``SnapshotRoad`` is the road's steps for the engine (``road.RoadSteps``):
``discover`` the AMI registered for the identity by this road; ``deliver`` the
disks on S3 (``EntryWork.upload_disks``, each disk of an OVA as its own object),
their tasks started (in a batch, each under ``--max-active`` with the image tasks:
``slots``) and waited for (``snapshots``), then the AMI registered
from their snapshots in disk order (``registering``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.records import ContainerFormat, DiskReport
from ec2_import_image.importtasks.tasks import FAILURE, SNAPSHOT, Task, fields, status, task_id
from ec2_import_image.roads import Road, roads_taking
from ec2_import_image.vmimport import register
from ec2_import_image.vmimport.engine.discovery import (
    Discovered,
    discover_snapshot_tasks,
    find_registered,
)
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.identity import Identity, client_token
from ec2_import_image.vmimport.engine.registering import register_snapshots
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.engine.snapshotrequest import snapshot_format, snapshot_request
from ec2_import_image.vmimport.engine.starting import start_retrying, start_snapshot_import
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.engine.waiting import (
    ENDED,
    GaveUp,
    WaitLimits,
    poll_tasks,
    wait_for_task,
)
from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.spec import ImportOptions
from ec2_import_image.vmimport.state.records import Phase

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

    from ec2_import_image.vmimport.engine.entry import EntryWork


#: how a disk's task is started: given the call that starts it, answers its task
Gate = Callable[[Callable[[], Task]], Task]


def ungated(begin: Callable[[], Task]) -> Task:
    """A start no count holds back (a single import)."""
    return begin()


class DiskTask(NamedTuple):
    """One disk's ImportSnapshot: its position (from 0), request and ClientToken."""

    position: int
    request: dict[str, Any]
    token: str


class Started(NamedTuple):
    """A disk's task and how this run came by it."""

    position: int
    task: Task
    #: "recorded" (the state database), "found" (its tags) or "started" (by this run)
    how: str

    @property
    def fresh(self) -> bool:
        return self.how == "started"


def disk_tasks(
    identity: Identity,
    options: ImportOptions,
    disks: Sequence[DiskObject],
    formats: Sequence[str],
    tags: Sequence[tuple[str, str]],
    *,
    attempt: int,
) -> list[DiskTask]:
    """Each disk's ImportSnapshot request and token for this attempt."""
    planned = []
    for position, (disk, fmt) in enumerate(zip(disks, formats, strict=True)):
        request = snapshot_request(options, disk, fmt, tags, position)
        planned.append(DiskTask(position, request, client_token(identity, request, attempt)))
    return planned


def start_tasks(
    ec2: EC2Client,
    identity: Identity,
    planned: Sequence[DiskTask],
    recorded: Mapping[int, str],
    *,
    on_started: Callable[[Started], None],
    gate: Gate = ungated,
) -> list[Started]:
    """Every disk's task: recorded, found by its tags, or started (see the module).

    ``on_started`` is told of each disk's task as soon as it is known (the
    engine records it before the next disk's call).  Each start goes through ``gate``
    (the batch's ``slots.Slots``: ``--max-active``).  ``QuotaFull`` and
    ``TransientStart`` stop the starts: the disks started so far are recorded
    and found again on the next try.
    """
    found: dict[int, Task] = {}
    if any(disk.position not in recorded for disk in planned):
        found = discover_snapshot_tasks(ec2, identity, len(planned))
    tasks: list[Started] = []
    for disk in planned:
        known = recorded.get(disk.position)
        if known is not None:
            started = Started(disk.position, {"ImportTaskId": known}, "recorded")
        elif disk.position in found:
            started = Started(disk.position, found[disk.position], "found")
        else:
            task = gate(partial(start_snapshot_import, ec2, disk.request, disk.token))
            started = Started(disk.position, task, "started")
        on_started(started)
        tasks.append(started)
    return tasks


def wait_tasks(
    ec2: EC2Client,
    tasks: Sequence[Started],
    *,
    limits: WaitLimits,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    on_state: Callable[[Task], None],
    note: Callable[[str], None],
) -> dict[int, Task]:
    """Each disk's task once it ended (by position); stops at the first that failed.

    ``--max-wait`` counts for all of them together (``GaveUp``); a task the
    service no longer knows is ``Incomplete`` (a rerun finds its snapshot, or
    starts the disk again under a new attempt).
    """
    began = clock()
    ended: dict[int, Task] = {}
    for started in tasks:
        remaining = limits
        if limits.max_wait is not None:
            left = limits.max_wait - (clock() - began)
            if left <= 0:
                raise GaveUp(
                    f"stopped waiting for the snapshot tasks after {round(clock() - began)} s "
                    f"(--max-wait {round(limits.max_wait)}); the imports go on in AWS: run "
                    "the same command again to continue"
                )
            remaining = limits._replace(max_wait=left)
        name = task_id(started.task)
        task = wait_for_task(
            ec2,
            name,
            limits=remaining,
            clock=clock,
            sleep=sleep,
            on_state=on_state,
            note=note,
            fresh=started.fresh,
            kind=SNAPSHOT,
        )
        if task is None:
            raise Incomplete(
                f"the snapshot task {name} of disk {started.position + 1} is no longer known "
                "to the service: run again to look for its snapshot or import the disk anew"
            )
        ended[started.position] = task
        if status(task) == FAILURE:
            break
    return ended


def first_failure(ended: Mapping[int, Task]) -> Task | None:
    """The first disk's task that ended ``deleted``, if any."""
    for position in sorted(ended):
        if status(ended[position]) == FAILURE:
            return ended[position]
    return None


def snapshot_ids(ended: Mapping[int, Task]) -> list[str]:
    """Each disk's snapshot, in disk order (every task completed)."""
    return [str(fields(ended[position]).get("SnapshotId", "")) for position in sorted(ended)]


def _report(work: EntryWork, source: str) -> DiskReport | None:
    """The check's report of a disk of the road (an OVA's disk by its ``OVA!member`` name)."""
    for report in work.reports.values():
        for disk in report.all_disks():
            if disk.source == source:
                return disk
    return None


def _format(work: EntryWork, source: str) -> str:
    """The disk's ImportSnapshot Format: the one given (for a DISK itself, not a disk inside
    an OVA), else the one its bytes show."""
    given = work.spec.options.format if source in work.sources else None
    report = _report(work, source)
    container = ContainerFormat(given.value) if given is not None else None
    if container is None and report is not None:
        container = report.format
    fmt = None if container is None else snapshot_format(container)
    if fmt is not None:
        return fmt
    named = "cannot be read" if container is None else f"is {container.value}"
    taking = ", ".join(road.value for road in roads_taking(container)) if container else ""
    raise EntryFailed(
        Diagnostic(
            FailureCode.CHECK,
            f"the format of {source} {named}: ImportSnapshot takes VHD, VMDK and RAW",
            context="The snapshot road imports each disk with ImportSnapshot.",
            hint=f"Take a road that takes it (--via {taking.replace(', ', ' or --via ')})."
            if taking
            else "Convert the disk to VMDK, VHD or RAW.",
        )
    )


class _Recorder:
    """What the state database learns of the disks' tasks: each task as it is known, each
    change of its status (and its snapshot), and a line of history per disk."""

    def __init__(self, work: EntryWork) -> None:
        self.work = work
        self.positions: dict[str, int] = {}
        self.seen: dict[int, tuple[str, str | None]] = {}

    def started(self, started: Started) -> None:
        work, name = self.work, task_id(started.task)
        self.positions[name] = started.position
        if started.how != "recorded":
            work.db.record_snapshot_task(work.claim, started.position, name)
        line = f"disk {started.position + 1}: {started.how} {name}"
        work.db.add_event(work.claim, line)
        work.reporter.step(line)

    def state(self, task: Task) -> None:
        position = self.positions.get(task_id(task))
        if position is not None:
            snapshot = fields(task).get("SnapshotId")
            now = (status(task), str(snapshot) if snapshot else None)
            if self.seen.get(position) != now:
                self.seen[position] = now
                self.work.db.record_snapshot_status(self.work.claim, position, *now)
        self.work.observe(task)


def _recorded(work: EntryWork, planned: Sequence[DiskTask]) -> dict[int, str]:
    """The tasks this attempt recorded for its disks, under the tokens planned now."""
    tokens = {disk.position: disk.token for disk in planned}
    return {
        task.disk: task.task_id
        for task in work.db.snapshot_tasks(work.claim)
        if task.task_id is not None and tokens.get(task.disk) == task.client_token
    }


def _all_ended(ec2: EC2Client, tasks: Sequence[Started], on_state: Callable[[Task], None]) -> bool:
    """One poll of the tasks (``--no-wait``): whether every one has ended."""
    names = [task_id(started.task) for started in tasks]
    polled = poll_tasks(ec2, names, SNAPSHOT)
    ended = True
    for name in names:
        task = polled.get(name)
        if task is None:  # just started: the service may not list it yet
            ended = False
            continue
        on_state(task)
        ended = ended and status(task) in ENDED
    return ended


class SnapshotRoad:
    """ImportSnapshot per disk, then RegisterImage (see the module's docstring)."""

    road = Road.SNAPSHOT

    def discover(self, work: EntryWork, identity: Identity) -> Discovered | None:
        work.reporter.step(
            f"looking for AMIs tagged vmimport:sha256={identity.sha256[:16]}… by this road"
        )
        return find_registered(work.services.ec2, identity, self.road.value)

    def deliver(self, work: EntryWork, identity: Identity) -> Phase | Underway:
        """The disks' snapshots, then the AMI registered from them: ``FINISHING``; or, when
        the caller does not wait (``EntryWork.waits``), the tasks left running."""
        uefi = register.uefi_data(work.spec.options.uefi_data)  # refused before any upload
        snapshots = self.snapshots(work, identity)
        if isinstance(snapshots, Underway):
            return snapshots
        return register_snapshots(work, identity, snapshots, self.road, uefi)

    def snapshots(self, work: EntryWork, identity: Identity) -> list[str] | Underway:
        """The disks on S3 (each disk of an OVA as its own object), one ImportSnapshot task
        each (recorded, found or started: the token recorded first, the task after), waited
        for: their snapshots in disk order.  A task that failed ends the entry.  Without
        ``EntryWork.waits``, the tasks are polled once and, unless all ended, left running."""
        disks = work.upload_disks(members=True)
        formats = [_format(work, disk.source) for disk in disks]
        attempt = work.entry().attempt.number
        tags = identity.tags(work.spec.options.tags)
        planned = disk_tasks(identity, work.spec.options, disks, formats, tags, attempt=attempt)
        work.enter(Phase.IMPORTING, f"starting {len(planned)} ImportSnapshot task(s)")
        pairs = zip(planned, disks, strict=True)
        work.db.record_snapshot_tokens(
            work.claim, [(task.position, disk.source, task.token) for task, disk in pairs]
        )
        ec2 = work.services.ec2
        limits = work.settings.limits
        env = work.services.run.env
        recorder = _Recorder(work)
        slots = work.slots
        gate: Gate = ungated if slots is None else partial(slots.start, ec2)
        tasks = start_retrying(
            lambda: start_tasks(
                ec2,
                identity,
                planned,
                _recorded(work, planned),
                on_started=recorder.started,
                gate=gate,
            ),
            "ImportSnapshot",
            limits=limits,
            clock=env.clock,
            sleep=env.sleep,
            step=work.reporter.step,
        )
        if not work.waits and not _all_ended(ec2, tasks, recorder.state):
            names = tuple(task_id(started.task) for started in tasks)
            work.enter(
                Phase.WAITING,
                f"started {len(tasks)} snapshot task(s), not waiting for them (--no-wait): "
                + ", ".join(names),
            )
            return Underway(tasks=names)
        work.enter(Phase.WAITING, f"waiting for {len(tasks)} snapshot task(s)")
        ended = wait_tasks(
            ec2,
            tasks,
            limits=limits,
            clock=env.clock,
            sleep=env.sleep,
            on_state=recorder.state,
            note=work.reporter.step,
        )
        failed = first_failure(ended)
        if failed is not None:
            # the attempt's task: a rerun fails again rather than start anew (--retry-failed)
            work.db.record_task(work.claim, task_id(failed))
            raise work.task_failed(failed)
        return snapshot_ids(ended)
