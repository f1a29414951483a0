"""``vmimport import``'s use of the engine: one entry, from where its state says, to its end.

A rerun of an entry that has ended:

- ``DONE``: the disks are identified again (``changes``: the detection
  ``batch`` makes too; hashes are reused while the files are unchanged); the
  same identity returns the recorded result, no byte sent and no import
  started, unless its AMI no longer exists (deregistered by ``vmimport gc``
  or by hand: a new import, the next attempt, said); other content under the
  same name is a new import (the next attempt), since ``import`` is asked for
  this one VM by name;
- ``FAILED`` before the service ran a task (a check error, an upload, a
  refused ImportImage): tried again, as the command was run again;
- ``FAILED`` with a task (the service failed it): the same failure is reported
  again, since the same ClientToken would return the same failed task, unless
  the disks changed or ``--retry-failed`` starts the next attempt.

Then prepare, start (backing off while the Region's quota of active tasks is
full, or ImportImage fails transiently), wait (unless ``--no-wait``:
``EntryWork.waits`` false, which the roads that start their own tasks follow too:
the snapshot road returns its tasks once started, the direct road its snapshots once
written and CompleteSnapshot accepted: ``underway.Underway``), finish.
Errors that leave the entry resumable (an interrupted upload, the wait's
limits) are recorded and raised: a rerun continues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ec2_import_image import diagnostics
from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.importtasks.tasks import FAILURE, SUCCESS, Task, status, task_id
from ec2_import_image.vmimport.engine.changes import Found
from ec2_import_image.vmimport.engine.entry import EntryWork
from ec2_import_image.vmimport.engine.errors import (
    EntryFailed,
    FailureCode,
)
from ec2_import_image.vmimport.engine.request import Prepared
from ec2_import_image.vmimport.engine.results import ImportResult
from ec2_import_image.vmimport.engine.starting import start_retrying
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.engine.waiting import WaitLimits, poll_tasks, wait_for_task
from ec2_import_image.vmimport.errors import VmimportError, from_aws
from ec2_import_image.vmimport.state.records import Phase


class SingleOptions(NamedTuple):
    limits: WaitLimits = WaitLimits()
    retry_failed: bool = False
    #: the options that differ from those of the entry's ended import (said, never applied
    #: to it: an import is known by its name and its disks)
    changed_options: tuple[str, ...] = ()
    #: stores the command line's spec as the entry's, once a new attempt starts with it
    adopt_spec: Callable[[], object] | None = None


class Clock(NamedTuple):
    now: Callable[[], float]
    sleep: Callable[[float], None]


def import_one(work: EntryWork, options: SingleOptions, clock: Clock) -> ImportResult:
    """Run the entry to its end (or, with ``--no-wait``: ``EntryWork.waits`` false, to its
    task's start, or its road's tasks')."""
    try:
        return _drive(work, options, clock)
    except EntryFailed as failure:
        work.fail(failure)
        raise
    except VmimportError as error:
        work.remember(error.message)
        raise
    except Exception as error:
        known = from_aws(error)
        if known is not None:  # botocore's: the work could not be completed
            work.remember(known.message)
            raise known from None
        # a bug: recorded as one (``internal-error``), and raised on to be reported
        work.remember(f"internal error: {type(error).__name__}: {error}", internal=True)
        raise


def _rerun(work: EntryWork, options: SingleOptions) -> ImportResult | None:
    """An entry that has ended: its result, its failure again, or the next attempt."""
    entry = work.entry()
    changed = "; ".join(options.changed_options)
    if entry.phase is Phase.DONE:
        # the disks are arguments of the command line: there (``manifest``), never MISSING
        if work.recheck().found is Found.SAME:
            gone = work.image_gone()
            if gone is not None:  # never a dead AMI: deregistered by vmimport gc, or by hand
                _new_attempt(work, options, f"{gone}: a new import")
                return None
            work.reporter.step(f"already imported: {entry.attempt.image_id}")
            if changed:
                work.reporter.step(
                    f"these options differ from that import's, and are not applied to it: "
                    f"{changed} (an import is known by its name and its disks: give another "
                    "--name to import them again with these options)"
                )
            return work.result()
        _new_attempt(work, options, "the disks changed since they were imported: a new import")
        return None
    recorded = entry.attempt.identity
    same = work.identify(record=False).sha256 == recorded
    if same and entry.attempt.import_task_id and not options.retry_failed:
        if changed:
            why_again = (
                f"(these options differ from the failed import's: {changed}; --retry-failed "
                "starts a new import with them)"
            )
        else:
            why_again = "(the same import would fail the same way: --retry-failed starts a new one)"
        raise EntryFailed(
            entry.last_error or Diagnostic(FailureCode.TASK, "the import failed"), [why_again]
        )
    if options.retry_failed:
        why = "--retry-failed"
    else:
        why = "the disks changed" if recorded is not None and not same else "trying again"
    _new_attempt(work, options, why)
    return None


def _new_attempt(work: EntryWork, options: SingleOptions, why: str) -> None:
    """The next attempt, with the command line's options from now on."""
    if options.adopt_spec is not None:
        options.adopt_spec()
    work.restart(why)


def _drive(work: EntryWork, options: SingleOptions, clock: Clock) -> ImportResult:
    if work.resume_point().final:
        done = _rerun(work, options)
        if done is not None:
            return done
    while True:
        point = work.resume_point()
        if point is Phase.PREPARING:
            prepared = work.prepare()
            if isinstance(prepared, Underway):  # the road's work left running (--no-wait)
                return work.underway_result(prepared)
            if isinstance(prepared, Prepared):
                task = _start(work, prepared, options.limits, clock)
                if not work.waits:
                    return work.started_result(task)
                _wait(work, task, options.limits, clock, fresh=True)
        elif point is Phase.WAITING:
            task_id = work.entry().attempt.import_task_id
            assert task_id is not None
            if not work.waits:
                found = poll_tasks(work.services.ec2, [task_id])[task_id]
                if found is not None and status(found) not in (SUCCESS, FAILURE):
                    return work.started_result(found)
            _wait(work, {"ImportTaskId": task_id}, options.limits, clock, fresh=False)
        elif point is Phase.FINISHING:
            return work.finish()
        else:  # an entry ended during this run
            raise AssertionError(f"unexpected resume point {point}")


def _start(work: EntryWork, prepared: Prepared, limits: WaitLimits, clock: Clock) -> Task:
    """ImportImage, tried again while the quota is full or the call fails transiently."""
    return start_retrying(
        lambda: work.start(prepared),
        "ImportImage",
        limits=limits,
        clock=clock.now,
        sleep=clock.sleep,
        step=work.reporter.step,
    )


def _wait(work: EntryWork, task: Task, limits: WaitLimits, clock: Clock, *, fresh: bool) -> None:
    """Wait for the task; its end recorded (completed: on to finishing; deleted: failed)."""
    name = task_id(task)
    work.reporter.step(f"waiting for {name}")
    ended = wait_for_task(
        work.services.ec2,
        name,
        limits=limits,
        clock=clock.now,
        sleep=clock.sleep,
        on_state=work.observe,
        note=work.reporter.step,
        fresh=fresh,
    )
    if ended is None:
        work.lost()
    elif status(ended) == SUCCESS:
        work.completed(ended)
    else:
        raise work.task_failed(ended)


def failure_lines(failure: EntryFailed) -> list[str]:
    """What a person reads of a failed entry: the message, the cause, the remedy, details."""
    return [
        failure.info.message,
        *diagnostics.body(failure.info, indent=""),
        *failure.details,
    ]
