"""Polling import tasks: one poll of many tasks (``batch``), and the wait for one (``import``).

Both kinds of task are polled the same way (``importtasks.tasks.TaskKind``:
ImportImage's by DescribeImportImageTasks, the snapshot road's by
DescribeImportSnapshotTasks, whose unknown ids get the same error code).

``poll_tasks`` asks the kind's Describe operation about the tasks named, in
chunks, every page of each.  The service refuses a whole request when one of
the ids is unknown to it (a task it forgot after 7 days); then the chunk is
asked again id by id, and an unknown task is answered None so that its
entry can look for its AMI instead.

``wait_for_task`` polls one task until it ends (``completed`` or
``deleted``), on the run's clock and the shared pacing policy
(``importtasks.pacing``: delays up to ``--poll-interval``, transient failures
borne for ``--max-transient-seconds``), a permanent failure at once, and
``--max-wait`` (the import goes on in AWS: a rerun continues the wait).  Right
after ImportImage answered, the service may deny for a moment that the new
task exists: for the run's own task that is transient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ec2_import_image.awserrors import error_code
from ec2_import_image.importtasks.faults import UNKNOWN_TASK, MissingTasks, classify
from ec2_import_image.importtasks.pacing import POLLING, Pacer, Pacing
from ec2_import_image.importtasks.tasks import (
    FAILURE,
    IMAGE,
    SUCCESS,
    Task,
    TaskKind,
    by_id,
    describe_all,
    status,
)
from ec2_import_image.vmimport.errors import Incomplete, bear

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

#: task ids per Describe request
CHUNK = 50
#: seconds after ImportImage during which "no such task" is the service catching up
FRESH_SECONDS = 60.0
#: the statuses an import ends in
ENDED = (SUCCESS, FAILURE)


class WaitLimits(NamedTuple):
    """``--max-wait`` (None: no limit), ``--max-transient-seconds``, ``--poll-interval``."""

    max_wait: float | None = None
    max_transient: float = POLLING.patience
    poll_interval: float = POLLING.cap

    def pacer(self, clock: Callable[[], float]) -> Pacer:
        """A wait at this pace: the shared policy, capped and borne as the options say."""
        return Pacer(Pacing(cap=self.poll_interval, patience=self.max_transient), clock)


class GaveUp(Incomplete):
    """``--max-wait`` ran out; the import goes on in AWS."""


def _unknown_task(error: BaseException) -> bool:
    return (error_code(error) or "").startswith(UNKNOWN_TASK)


def _describe(ec2: EC2Client, ids: Sequence[str], kind: TaskKind) -> dict[str, Task]:
    found = by_id(describe_all(kind.describe(ec2), {"ImportTaskIds": list(ids)}, kind.key))
    missing = [name for name in ids if name not in found]
    if missing:
        raise MissingTasks(f"The reply lists no task {', '.join(missing)}.")
    return found


def poll_tasks(
    ec2: EC2Client, ids: Sequence[str], kind: TaskKind = IMAGE
) -> dict[str, Task | None]:
    """The tasks' states by id; None for a task the service does not know (any more)."""
    states: dict[str, Task | None] = {}
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        try:
            states.update(_describe(ec2, chunk, kind))
        except Exception as error:
            if not _unknown_task(error):
                raise
            if len(chunk) == 1:
                states[chunk[0]] = None
                continue
            for name in chunk:
                try:
                    states.update(_describe(ec2, [name], kind))
                except Exception as single:
                    if not _unknown_task(single):
                        raise
                    states[name] = None
    return states


def wait_for_task(
    ec2: EC2Client,
    task_id: str,
    *,
    limits: WaitLimits,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    on_state: Callable[[Task], None],
    note: Callable[[str], None],
    fresh: bool = False,
    kind: TaskKind = IMAGE,
) -> Task | None:
    """The task once it ended; None when the service does not know it (see the module).

    ``fresh``: the task was started by this run (a moment of "no such task" is
    the service catching up).
    """
    began = clock()
    pacer = limits.pacer(clock)
    while True:
        try:
            task = poll_tasks(ec2, [task_id], kind)[task_id]
        except Exception as error:
            fault = classify(error, own_tasks=fresh)
            if not fault.transient:
                raise Incomplete(f"polling {task_id} failed: {fault.reason}") from None
            lasted = bear(pacer, f"polling {task_id}", fault.reason)
            note(f"polling {task_id} failed ({fault.reason}); failing for {round(lasted)} s")
        else:
            if task is None and not (fresh and clock() - began < FRESH_SECONDS):
                return None
            outage = pacer.succeeded()
            if outage is not None:
                note(f"polling works again after {round(outage)} s of failed polls")
            if task is not None:
                on_state(task)
                if status(task) in ENDED:
                    return task
        waited = clock() - began
        if limits.max_wait is not None and waited >= limits.max_wait:
            raise GaveUp(
                f"stopped waiting for {task_id} after {round(waited)} s (--max-wait "
                f"{round(limits.max_wait)}); the import goes on in AWS: run the same command "
                "again to continue"
            )
        sleep(pacer.pause(None if limits.max_wait is None else began + limits.max_wait))
