"""The waiting loop: poll until every task is completed, one fails, or a limit runs out.

Polls are DescribeImportImageTasks calls (every page, each call with
botocore's own retries) paced by the shared policy (``importtasks.pacing``: a
delay from 2 s, times 1.5, at most 30 s).  A poll that fails transiently (see
``faults``) is said on stderr and tried again with a delay that doubles, up to
the same cap; the wait gives up when failures have lasted
``--max-transient-seconds`` (the policy's ``PatienceExhausted``, said in v2's
waiter wording) or when ``--max-wait`` runs out, polling once more at that
limit so that the end drawn is the task's state then.  A permanent failure
ends the wait at once.

Every end but success says which tasks are still running, with the commands
that resume waiting and cancel (``hints``); Ctrl-C too, after one last poll
that shows where the tasks stand.  A task that ends ``deleted`` fails the
wait with v2's waiter wording, its StatusMessage and, for the failures users
commonly meet, the cause and remedy from the shared table
(``ec2_import_image.failures``).

Time comes from the run's ``Environment`` (``clock``, ``sleep``), so tests
run the loop on a fake clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ec2_import_image.dropin.cli.options import OptionKind
from ec2_import_image.dropin.errors import CliError, GeneralError
from ec2_import_image.dropin.waiting.display import Reporter, make_reporter
from ec2_import_image.dropin.waiting.hints import hint_lines
from ec2_import_image.environment import Environment
from ec2_import_image.importtasks.faults import Fault, MissingTasks, classify
from ec2_import_image.importtasks.pacing import POLLING, Pacer, Pacing, PatienceExhausted
from ec2_import_image.importtasks.tasks import (
    ACTIVE,
    FAILURE,
    SUCCESS,
    Describe,
    Task,
    by_id,
    describe_all,
    state_line,
    status,
    task_id,
)

WAITER_NAME = "ImageImportCompleted"
#: v2's waiter wording when a waiter runs out of attempts
MAX_ATTEMPTS = "Max attempts exceeded"
TERMINAL_FAILURE = (
    'Waiter encountered a terminal failure state: For expression "ImportImageTasks[].Status" '
    f'we matched expected path: "{FAILURE}" at least once'
)
DEFAULT_MAX_WAIT = 14400
DEFAULT_MAX_TRANSIENT = int(POLLING.patience)


class WaiterFailed(GeneralError):
    """A waited-for task failed, or waiting gave up: v2's waiter failure (255)."""


class Limits(NamedTuple):
    """How long waiting may last (``--max-wait``) and fail (``--max-transient-seconds``)."""

    max_wait: int = DEFAULT_MAX_WAIT
    max_transient: int = DEFAULT_MAX_TRANSIENT

    @classmethod
    def given(cls, values: Mapping[OptionKind, int]) -> Limits:
        """The limits from the options given (by option kind), defaults for the others."""
        return cls(
            values.get(OptionKind.MAX_WAIT, DEFAULT_MAX_WAIT),
            values.get(OptionKind.MAX_TRANSIENT, DEFAULT_MAX_TRANSIENT),
        )


class Selection(NamedTuple):
    """What to wait for, and the request of the first poll.

    Without task ids, the tasks waited for are those the first poll finds
    active (tasks that ended earlier are history, not failures); with ids, the
    named tasks (those among them that match ``--filters``, if given).  After
    the first poll, polls name the tasks waited for and nothing else.
    """

    params: Mapping[str, Any]
    #: the tasks named (``--import-task-ids``) or created by this run
    task_ids: tuple[str, ...] = ()
    #: the tasks were created by this run (``import-image --wait``)
    own: bool = False
    #: ``--filters`` narrows the tasks named
    filtered: bool = False


class Waiter:
    """One wait: its tasks, their last known states, the failures under way."""

    def __init__(
        self,
        describe: Describe,
        env: Environment,
        limits: Limits,
        reach: Sequence[str] = (),
        reporter: Reporter | None = None,
    ) -> None:
        self._describe = describe
        self._env = env
        self._limits = limits
        #: the global options that reach the tasks, for the hints
        self._reach = tuple(reach)
        self._reporter = reporter
        self._selection = Selection({})
        self._waited: list[str] | None = None
        self._seen: dict[str, Task] = {}
        self._pacer = Pacer(Pacing(patience=limits.max_transient), env.clock)
        #: the last failed poll, while polls fail (the pacer knows since when)
        self._fault: Fault | None = None
        self._start = 0.0

    # -- the loop ----------------------------------------------------------
    def wait(self, selection: Selection, initial: Sequence[Task] = ()) -> list[Task]:
        """Wait; return the tasks once all are completed ([] when there was none to wait for)."""
        reporter = self._reporter or make_reporter(self._env)
        self._reporter = reporter
        self._selection = selection
        self._waited = list(selection.task_ids) if selection.own else None
        self._seen = by_id(initial)
        self._pacer = Pacer(self._pacer.pacing, self._env.clock)  # each wait from the first delay
        self._start = self._env.clock()
        try:
            if initial:
                reporter.update(initial)
            return self._loop()
        except KeyboardInterrupt:
            self._interrupted()
            raise
        finally:
            reporter.close()

    def _loop(self) -> list[Task]:
        if self._selection.own:  # the task was just created: give it a moment
            self._env.sleep(self._pacer.within(self._pacer.delay, self._limit()))
        while True:
            began = self._env.clock()
            exhausted: PatienceExhausted | None = None
            try:
                found = self._fetch()
            except Exception as error:
                fault = classify(error, own_tasks=self._selection.own)
                if not fault.transient:
                    raise self._permanent(fault) from None
                self._fault = fault
                try:
                    self._pacer.failed(began)
                except PatienceExhausted as out:
                    exhausted = out
            else:
                outage = self._pacer.succeeded()
                if outage is not None:
                    self._note(f"Polling works again after {_seconds(outage)} s of failed polls.")
                self._fault = None
                done = self._evaluate(found)
                if done is not None:
                    return done
            self._check_limits(exhausted)
            pause = self._pacer.pause(self._limit())
            if self._fault is not None:
                self._note_failure(self._fault, pause)
            self._env.sleep(pause)

    def _fetch(self) -> dict[str, Task]:
        """One poll: every page; the tasks waited for chosen on the first one."""
        request = self._selection.params if self._waited is None else self._by_ids()
        found = by_id(describe_all(self._describe, request))
        waited = self._choose(found) if self._waited is None else self._waited
        missing = [name for name in waited if name not in found]
        if missing:
            raise MissingTasks(f"The reply lists no task {', '.join(missing)}.")
        if self._waited is None:
            self._waited = waited
            self._announce(waited)
        return found

    def _by_ids(self) -> dict[str, Any]:
        return {"ImportTaskIds": list(self._waited or ())}

    def _choose(self, found: Mapping[str, Task]) -> list[str]:
        named = self._selection.task_ids
        if named and self._selection.filtered:
            return [name for name in named if name in found]
        if named:
            return list(named)
        return [name for name, task in found.items() if status(task) == ACTIVE]

    def _announce(self, waited: Sequence[str]) -> None:
        filters = " matches the filters" if self._selection.params.get("Filters") else " is active"
        if not waited and self._selection.task_ids:
            self._note("None of the import tasks named matches the filters: nothing to wait for.")
        elif not waited:
            self._note(f"No import image task{filters}: nothing to wait for.")
        elif not self._selection.task_ids:
            plural = "s" if len(waited) > 1 else ""
            self._note(f"Waiting for {len(waited)} active import task{plural}: {', '.join(waited)}")

    def _evaluate(self, found: Mapping[str, Task]) -> list[Task] | None:
        """The tasks when all are completed; None to go on; a failure when one was deleted."""
        waited = self._waited or []
        if not waited:
            return []
        states = [found[name] for name in waited]
        self._seen.update(by_id(states))
        self._reporter_update(states)
        failed = [task for task in states if status(task) == FAILURE]
        if failed:
            raise self._task_failed(failed[0])
        if all(status(task) == SUCCESS for task in states):
            return states
        return None

    # -- time ----------------------------------------------------------------
    def _limit(self) -> float:
        """When the next sleep must end, so that a limit falls on a poll."""
        limit = self._start + self._limits.max_wait
        gives_up_at = self._pacer.gives_up_at
        return limit if gives_up_at is None else min(limit, gives_up_at)

    def _check_limits(self, exhausted: PatienceExhausted | None) -> None:
        """``--max-wait`` first, then ``--max-transient-seconds`` (``exhausted``)."""
        now = self._env.clock()
        if now - self._start >= self._limits.max_wait:
            raise self._gave_up(
                MAX_ATTEMPTS,
                f"Stopped waiting after {_seconds(now - self._start)} s "
                f"(--max-wait {self._limits.max_wait})",
            )
        if exhausted is not None and self._fault is not None:
            raise self._gave_up(
                self._fault.reason,
                f"Polls have failed for {_seconds(exhausted.lasted)} s "
                f"(--max-transient-seconds {self._limits.max_transient})",
            )

    # -- how waiting ends ----------------------------------------------------
    def _unfinished(self) -> list[str]:
        names = self._waited if self._waited is not None else list(self._selection.task_ids)
        return [
            name for name in names if status(self._seen.get(name, {})) not in (SUCCESS, FAILURE)
        ]

    def _still_running(self, opening: str, names: Sequence[str]) -> list[str]:
        """``opening``, the state of each task, and the commands to resume or cancel."""
        if not names:
            return []
        goes_on = "the imports go on" if len(names) > 1 else "the import goes on"
        lines = [f"{opening}; {goes_on}:" if opening else f"{goes_on.capitalize()}:"]
        for name in names:
            task = self._seen.get(name)
            lines.append(f"  {state_line(task)}" if task else f"  {name}: no state known yet")
        return [*lines, *hint_lines(names, self._reach)]

    def _gave_up(self, reason: str, opening: str) -> WaiterFailed:
        lines = [f"Waiter {WAITER_NAME} failed: {reason}"]
        if self._fault is not None and reason != self._fault.reason:
            lines.append(f"The last poll failed: {self._fault.reason}")
        lines += self._still_running(opening, self._unfinished())
        return WaiterFailed("\n".join(lines))

    def _permanent(self, fault: Fault) -> CliError:
        """A poll the service refused for good: v2's waiter failure, or the error itself."""
        from botocore.exceptions import ClientError

        names = [] if fault.about_task_ids else self._unfinished()
        extra = self._still_running("", names)
        if isinstance(fault.error, ClientError):
            return WaiterFailed("\n".join([f"Waiter {WAITER_NAME} failed: {fault.reason}", *extra]))
        from ec2_import_image.dropin.service.errors import translate

        translated = translate(fault.error)
        if translated is None:  # not botocore's: the report shows it; the hints go first
            self._close_display()
            self._write(extra)
            raise fault.error
        if extra:
            translated.message = "\n".join([translated.message, *extra])
        return translated

    def _task_failed(self, task: Task) -> WaiterFailed:
        message = str(task.get("StatusMessage") or "")
        lines = [f"Waiter {WAITER_NAME} failed: {TERMINAL_FAILURE}"]
        lines.append(f"{task_id(task)}: {message or status(task)}")
        lines += explanation(message)
        others = [name for name in self._unfinished() if name != task_id(task)]
        lines += self._still_running("Stopped waiting for the other tasks", others)
        return WaiterFailed("\n".join(lines))

    def _interrupted(self) -> None:
        """Ctrl-C: one last look at the tasks, then where they stand and the commands."""
        if self._waited and self._fault is None:
            try:
                found = by_id(describe_all(self._describe, self._by_ids()))
                states = [found[name] for name in self._waited if name in found]
                self._seen.update(by_id(states))
                self._reporter_update(states)
            except (Exception, KeyboardInterrupt):
                pass  # a second Ctrl-C, or a failed poll: show what is known
        self._close_display()
        names = self._unfinished()
        if names:
            self._write(["", *self._still_running("Stopped waiting", names)])
        else:
            done = [state_line(self._seen[n]) for n in self._waited or [] if n in self._seen]
            self._write(["", "Stopped waiting." + (" The tasks have ended:" if done else "")])
            self._write([f"  {line}" for line in done])

    # -- output --------------------------------------------------------------
    def _reporter_update(self, states: Sequence[Task]) -> None:
        if self._reporter is not None:
            self._reporter.update(states)

    def _note(self, text: str) -> None:
        if self._reporter is not None:
            self._reporter.note(text)

    def _note_failure(self, fault: Fault, pause: float) -> None:
        failing = _seconds(self._env.clock() - (self._pacer.since or 0.0))
        self._note(
            f"Poll failed ({fault.reason}); trying again in {_seconds(pause)} s "
            f"(failing for {failing} s, giving up at {self._limits.max_transient} s)"
        )

    def _close_display(self) -> None:
        if self._reporter is not None:
            self._reporter.close()

    def _write(self, lines: Sequence[str]) -> None:
        if lines:
            self._env.stderr.write("".join(f"{line}\n" for line in lines))
            self._env.stderr.flush()


def explanation(message: str) -> list[str]:
    """Cause, remedy and source of a failure users commonly meet; [] for any other."""
    from ec2_import_image.diagnostics import DROPIN_WORDS, body
    from ec2_import_image.failures import explain

    known = explain(message)
    if known is None:
        return []
    return body(known, indent="", words=DROPIN_WORDS)


def _seconds(value: float) -> int:
    return round(value)
