"""``vmimport batch``'s use of the engine: many entries, held under the quota, to their ends.

One loop in the calling thread decides; a few worker threads prepare
entries (check, hash, upload: ``EntryWork.prepare``), so that uploads overlap
with imports, at most ``uploads`` at a time.  The loop, each turn:

1. takes what the workers finished: an entry uploaded is *queued* for a slot;
   one whose work the account already holds waits or finishes; a failure is
   recorded and explained, and the other entries go on;
2. renews the leases of the entries it holds (``state.claims``);
3. polls the tasks it waits for, all in one DescribeImportImageTasks (in
   chunks), on a capped back-off; transient failures are borne for
   ``--max-transient-seconds``; a task that ends is finished (AMI and
   snapshots tagged, uploads deleted) or failed (explained);
4. starts queued entries, in manifest order, while the account has fewer than
   ``--max-active`` active import tasks (every active task of the account
   counts, not only this batch's, image and snapshot tasks together);
   ResourceCountLimitExceeded backs off.  The snapshot road starts its
   ImportSnapshot tasks in the workers, through the same gate (``slots``:
   the count and the starts it allows under one lock, so that the two never
   together pass ``--max-active``);
5. claims further entries (manifest order; ``StateDB.claim_next`` skips those
   another live process holds) while fewer than ``uploads`` are being
   prepared and fewer than ``max_active`` are queued or being prepared
   (``waiting_for_slots``: every preparation in flight may end queued, so
   counting only the queued let ``max_active + uploads - 1`` wait for a slot
   where the documentation promises at most ``max_active``);
6. sleeps until the next thing is due (or a worker finishes).

An entry that has ended ``DONE`` is claimed once per run too: a worker
identifies its disks again (``changes``, the detection ``import`` makes: stat
first, a disk hashed only when its stat matches no reusable hash).  Disks that
changed since the import are said (the board, the entry's note in the results
and ``--status``): the AMI holds the old content; with ``--reimport-changed``
the entry's next attempt imports the new content.  A disk that is gone is a
note, never an error: a finished entry needs nothing of it.  Neither makes
the run fail.

A finished entry's AMI is then taken where the manifest asks (``distribute``: its
name, copies, shares, flags) in a thread of ``_distributions``, phase
``distributing``: copies take minutes, and the loop goes on meanwhile; the entry
is held (its lease renewed) until that ends.  A finished entry whose AMI no
longer exists (``vmimport gc``, or by hand) is imported again (the next
attempt), never returned dead.

It ends when every entry of the manifest has ended (``DONE`` or ``FAILED``,
failed ones not retried) or was set aside because its work could not be
completed in this run (a rerun continues it).  Entries another process holds
are waited for: two batches on one manifest end together.  Never twice: an
entry's ClientToken is per entry and attempt, so a second process (with or
without the same state file) that reaches ImportImage gets the task the first
started, and one that starts later finds it by its tags before uploading.

Time is the run's injected clock and sleep.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ec2_import_image import diagnostics
from ec2_import_image.importtasks.faults import classify
from ec2_import_image.importtasks.pacing import POLLING, Pacer, Pacing
from ec2_import_image.importtasks.tasks import FAILURE, SUCCESS, Task, status, task_id
from ec2_import_image.vmimport.distribute.background import Background
from ec2_import_image.vmimport.engine.board import SET_ASIDE, Board, EntryLine
from ec2_import_image.vmimport.engine.changes import Found
from ec2_import_image.vmimport.engine.entry import EngineSettings, EntryWork, Services
from ec2_import_image.vmimport.engine.errors import EntryFailed, QuotaFull, TransientStart
from ec2_import_image.vmimport.engine.quota import (
    DEFAULT_MAX_ACTIVE,
    DEFAULT_UPLOADS,
    active_task_ids,
    free_slots,
)
from ec2_import_image.vmimport.engine.request import Prepared
from ec2_import_image.vmimport.engine.slots import NoSlot, Slots
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.engine.waiting import FRESH_SECONDS, poll_tasks
from ec2_import_image.vmimport.errors import Incomplete, VmimportError, bear, from_aws
from ec2_import_image.vmimport.spec import ImportSpec
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.errors import LostClaim
from ec2_import_image.vmimport.state.records import Entry, Phase
from ec2_import_image.vmimport.upload.errors import UploadCancelled

LOG = logging.getLogger("ec2_import_image.vmimport")
#: the longest a turn waits for a worker before looking at the clock again (real seconds)
WORKER_WAIT = 0.5


class BatchOptions(NamedTuple):
    max_active: int = DEFAULT_MAX_ACTIVE
    uploads: int = DEFAULT_UPLOADS
    poll_interval: float = POLLING.cap
    max_transient: float = POLLING.patience
    retry_failed: bool = False
    #: import again the finished entries whose disks changed since (else only said)
    reimport_changed: bool = False


class _Held:
    """An entry this process works on."""

    def __init__(self, work: EntryWork) -> None:
        self.work = work
        #: what the loop does with it: ``PREPARING`` (a worker's), ``QUEUED`` (for an import
        #: slot), ``WAITING`` (its task polled), ``DISTRIBUTING`` (``_distributions``)
        self.phase = Phase.PREPARING
        self.prepared: Prepared | None = None
        self.task_id: str | None = None
        #: when this run started its task (a moment of "no such task" is then normal)
        self.started: float | None = None


class _Distributed(NamedTuple):
    """What a finished entry's distribution ended with (its result, or the exception)."""

    outcome: object


Outcome = Prepared | Phase | BaseException | _Distributed


class Summary(NamedTuple):
    done: int
    failed: int
    #: entries whose work could not be completed in this run (a rerun continues them)
    set_aside: tuple[str, ...]
    #: those of ``set_aside`` that met an internal error of vmimport (a bug)
    internal: tuple[str, ...] = ()
    #: why each of ``set_aside`` was (name, message)
    reasons: tuple[tuple[str, str], ...] = ()


class Scheduler:
    def __init__(
        self,
        db: StateDB,
        specs: Sequence[ImportSpec],
        *,
        services: Services,
        settings: EngineSettings,
        options: BatchOptions,
        board: Board,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.db = db
        self.specs = {spec.name: spec for spec in specs}
        self.services = services
        self.settings = settings
        self.options = options
        self.board = board
        self.clock = clock
        self.sleep = sleep
        self.cancel = threading.Event()
        self.held: dict[str, _Held] = {}
        self.set_aside: dict[str, str] = {}
        #: the finished entries whose disks this run looked at again
        self.rechecked: set[str] = set()
        self.internal: set[str] = set()
        self._jobs: queue.SimpleQueue[tuple[str, _Held] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._in_flight = 0
        #: ``--max-active``: the gate of this loop's ImportImage starts and of the snapshot
        #: road's ImportSnapshot starts in the workers (``slots``)
        self.slots = Slots(options.max_active)
        self._retry: dict[str, int] = {}
        pacing = Pacing(cap=options.poll_interval, patience=options.max_transient)
        #: the polls of the tasks waited for, and the starts of queued entries: each paced
        #: on the shared policy, each with its due time
        self._polls = Pacer(pacing, clock)
        self._starts = Pacer(pacing, clock)
        self._renew_at = 0.0
        self._waiting_note: str | None = None
        #: finished entries' distributions (copies take minutes: not in the loop's thread)
        self._distributions = Background(
            lambda name, outcome: self._results.put((name, _Distributed(outcome)))
        )

    # ------------------------------------------------------------------ the loop

    def run(self) -> Summary:
        if self.options.retry_failed:
            self._retry = {
                entry.name: entry.attempt.number
                for entry in self.db.entries()
                if entry.name in self.specs and entry.phase is Phase.FAILED
            }
        for number in range(max(1, self.options.uploads)):
            worker = threading.Thread(target=self._work, name=f"prepare {number}", daemon=True)
            worker.start()
            self._workers.append(worker)
        try:
            while True:
                self._collect(block=False)
                self._renew()
                self._poll()
                self._start_imports()
                self._claim()
                if self._finished():
                    break
                self._idle()
        finally:
            self._shut_down()
        return self._summary()

    def _summary(self) -> Summary:
        entries = [e for e in self.db.entries() if e.name in self.specs]
        done = sum(1 for entry in entries if entry.phase is Phase.DONE)
        failed = sum(1 for entry in entries if entry.phase is Phase.FAILED)
        internal = tuple(name for name in self.set_aside if name in self.internal)
        reasons = tuple(self.set_aside.items())
        return Summary(done, failed, tuple(self.set_aside), internal, reasons)

    def _shut_down(self) -> None:
        self.cancel.set()
        self._distributions.close()
        for _ in self._workers:
            self._jobs.put(None)
        for worker in self._workers:
            worker.join(timeout=10)
        # every claim this run took: a Ctrl-C or SIGTERM may land between ``claim_next`` and
        # the entry's record in ``held``; a worker still stopping loses its claim (its next
        # write raises LostClaim) and the rerun takes the entry
        with contextlib.suppress(Exception):
            self.db.release_all()
        self.held.clear()

    def _wanted(self, entry: Entry) -> bool:
        if entry.name not in self.specs or entry.name in self.set_aside:
            return False
        if entry.phase is Phase.FAILED:
            return self._retry.get(entry.name) == entry.attempt.number
        if entry.phase is Phase.DONE:
            return entry.name not in self.rechecked
        return True

    def _finished(self) -> bool:
        if self.held or self._in_flight:
            return False
        return not any(self._wanted(entry) for entry in self.db.entries())

    def _idle(self) -> None:
        now = self.clock()
        due = [self._renew_at]
        if any(h.phase is Phase.WAITING for h in self.held.values()):
            due.append(self._polls.due)
        if any(h.phase is Phase.QUEUED for h in self.held.values()):
            due.append(self._starts.due)
        if not self.held and not self._in_flight:
            due.append(now + self.options.poll_interval)  # entries another process holds
        pause = min(due) - now
        if self._in_flight or self._distributions.busy:
            if pause > 0:
                self._collect(block=True, timeout=min(pause, WORKER_WAIT))
            return
        if pause > 0:
            self.sleep(pause)

    # ------------------------------------------------------------------ workers

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            name, held = job
            try:
                outcome: Outcome = self._prepare(held.work)
            except BaseException as error:  # handed to the loop, which decides
                outcome = error
            self._results.put((name, outcome))

    def _prepare(self, work: EntryWork) -> Prepared | Phase:
        point = work.resume_point()
        if point is Phase.DONE:
            if not self._changed(work):
                gone = work.image_gone()
                if gone is None:
                    return Phase.DONE
                work.restart(f"{gone}: a new import")  # never a dead AMI (vmimport gc)
            point = work.resume_point()
        if point is Phase.FAILED:
            work.restart("--retry-failed")
            point = work.resume_point()
        if point is not Phase.PREPARING:
            return point
        prepared = work.prepare()
        # a batch waits for every road's work (its EntryWork.waits is true): never Underway
        assert not isinstance(prepared, Underway), prepared
        return prepared

    def _changed(self, work: EntryWork) -> bool:
        """A finished entry's disks looked at again (in a worker: hashing takes time); True
        when its next attempt is to import the new content (``--reimport-changed``)."""
        reimport = self.options.reimport_changed
        try:
            change = work.recheck()
        except UploadCancelled:
            raise
        except VmimportError as error:  # the entry is done: what it cannot tell is a note
            note: str | None = f"its disks could not be looked at again: {error.message}"
        else:
            if change.found is Found.CHANGED and reimport:
                work.restart("the disks changed since they were imported (--reimport-changed)")
                return True
            note = change.note(reimport=reimport)
        work.note(note)
        # its row shows the recorded AMI already: only the note, and no clock (nothing ran)
        self.board.update(work.name, line=note)
        return False

    def waiting_for_slots(self) -> int:
        """Entries queued for an import slot, or being prepared (each may end queued): never
        more than ``max_active``."""
        return self._count(Phase.QUEUED) + self._in_flight

    def _claim(self) -> None:
        while (
            self._in_flight < max(1, self.options.uploads)
            and self.waiting_for_slots() < max(1, self.options.max_active)
            and not self.cancel.is_set()
        ):
            claim = self.db.claim_next(self._wanted)
            if claim is None:
                return
            spec = self.specs[claim.name]
            self.rechecked.add(spec.name)
            work = EntryWork(
                self.db,
                claim,
                spec=spec,
                services=self.services,
                settings=self.settings,
                reporter=EntryLine(self.board, spec.name),
                cancel=self.cancel,
                slots=self.slots,
            )
            held = _Held(work)
            self.held[spec.name] = held
            self._in_flight += 1
            if work.entry().phase is not Phase.DONE:  # a finished one is only looked at again
                self.board.update(spec.name, phase=Phase.PREPARING.value)
            self._jobs.put((spec.name, held))

    def _count(self, phase: Phase) -> int:
        return sum(1 for held in self.held.values() if held.phase is phase)

    def _collect(self, *, block: bool, timeout: float = 0.0) -> None:
        while True:
            try:
                if block:
                    name, outcome = self._results.get(timeout=timeout)
                    block = False
                else:
                    name, outcome = self._results.get_nowait()
            except queue.Empty:
                return
            held = self.held.get(name)
            if isinstance(outcome, _Distributed):
                if held is not None:
                    self._distributed(held, outcome.outcome)
                continue
            self._in_flight -= 1
            if held is not None:
                self._prepared(held, outcome)

    def _prepared(self, held: _Held, outcome: Outcome) -> None:
        name = held.work.name
        if isinstance(outcome, Prepared):
            held.phase, held.prepared = Phase.QUEUED, outcome
            self.board.update(
                name, phase=Phase.QUEUED.value, line="uploaded: queued for an import slot"
            )
            self._starts.sooner(self.clock())
        elif outcome is Phase.WAITING:
            held.phase = Phase.WAITING
            held.task_id = held.work.entry().attempt.import_task_id
            self._polls.sooner(self.clock())
        elif outcome is Phase.FINISHING:
            self._finish(held)
        elif outcome is Phase.DONE:
            self._distribute(held)
        elif isinstance(outcome, Phase):
            self._drop(held)
        elif isinstance(outcome, BaseException):
            self._trouble(held, outcome)

    # ------------------------------------------------------------- what ends

    def _drop(self, held: _Held) -> None:
        self.held.pop(held.work.name, None)
        with contextlib.suppress(Exception):
            self.db.release(held.work.claim)

    def _trouble(self, held: _Held, error: BaseException) -> None:
        """An entry's error: a failure (recorded, explained), or its work set aside."""
        name = held.work.name
        if isinstance(error, EntryFailed):
            self._fail(held, error)
            return
        if isinstance(error, LostClaim):
            self.board.update(name, line="another process took this entry over")
            self._drop(held)
            return
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise error
        if isinstance(error, UploadCancelled) and self.cancel.is_set():
            self._drop(held)
            return
        known = error if isinstance(error, VmimportError) else from_aws(error)
        internal = known is None
        if known is not None:
            message = known.message
        else:
            LOG.debug("preparing %s failed", name, exc_info=error)
            message = f"internal error: {type(error).__name__}: {error}"
        with contextlib.suppress(Exception):
            held.work.remember(message, internal=internal)
        self.set_aside[name] = message
        if internal:
            self.internal.add(name)
        self.board.update(name, phase=SET_ASIDE, outcome=message, line=f"set aside: {message}")
        self._drop(held)

    def _fail(self, held: _Held, failure: EntryFailed) -> None:
        held.work.fail(failure)
        info = failure.info
        lines = [f"failed: {info.message}", *diagnostics.body(info)]
        lines.extend(f"  {detail}" for detail in failure.details)
        self.board.update(
            held.work.name, phase=Phase.FAILED.value, outcome=info.message, line="\n".join(lines)
        )
        self._drop(held)

    def _finish(self, held: _Held) -> None:
        try:
            result = held.work.finish(distribute=False)
        except EntryFailed as failure:
            self._fail(held, failure)
            return
        except VmimportError as error:
            self._trouble(held, error)
            return
        self.board.update(held.work.name, phase=Phase.DONE.value, outcome=result.image_id or "")
        self._distribute(held)
        self._starts.sooner(self.clock())  # a slot is free

    def _distribute(self, held: _Held) -> None:
        """A finished entry's AMI named, copied, shared as asked (``EntryWork.result``), in a
        thread of ``_distributions``; the entry is held (its lease renewed) until it ends."""
        if self.services.after is None:
            self._drop(held)
            return
        held.phase = Phase.DISTRIBUTING
        self._distributions.submit(held.work.name, held.work.result)

    def _distributed(self, held: _Held, outcome: object) -> None:
        if isinstance(outcome, BaseException):
            self._trouble(held, outcome)
            return
        image = getattr(outcome, "image_id", None)
        if image:
            self.board.update(held.work.name, outcome=image)
        self._drop(held)

    # ---------------------------------------------------------------- leases

    def _renew(self) -> None:
        now = self.clock()
        if now < self._renew_at:
            return
        self._renew_at = now + self.db.lease_seconds / 3
        for held in list(self.held.values()):
            try:
                self.db.renew(held.work.claim)
            except LostClaim as lost:
                if held.phase is not Phase.PREPARING:
                    self._trouble(held, lost)

    # ---------------------------------------------------------------- polls

    def _poll(self) -> None:
        waiting = {h.task_id: h for h in self.held.values() if h.phase is Phase.WAITING}
        now = self.clock()
        if not waiting or not self._polls.is_due(now):
            return
        try:
            states = poll_tasks(self.services.ec2, [name for name in waiting if name])
        except Exception as error:
            fault = classify(error, own_tasks=True)
            if not fault.transient:
                raise Incomplete(f"polling the import tasks failed: {fault.reason}") from None
            lasted = bear(self._polls, "polling the import tasks", fault.reason)
            pause = self._polls.later(now)
            self.board.note(
                f"polling the import tasks failed ({fault.reason}); failing for "
                f"{round(lasted)} s, trying again in {round(pause)} s"
            )
            return
        outage = self._polls.succeeded()
        if outage is not None:
            self.board.note(f"polling works again after {round(outage)} s of failed polls")
        for name, task in states.items():
            held = waiting[name]
            try:
                self._observed(held, task)
            except EntryFailed as failure:
                self._fail(held, failure)
            except VmimportError as error:
                self._trouble(held, error)
        self._polls.later(now)

    def _observed(self, held: _Held, task: Task | None) -> None:
        if task is None:
            fresh = held.started is not None and self.clock() - held.started < FRESH_SECONDS
            if fresh:
                return
            if held.work.lost() is Phase.FINISHING:
                self._finish(held)
            return
        held.work.observe(task)
        if status(task) == SUCCESS:
            held.work.completed(task)
            self._finish(held)
        elif status(task) == FAILURE:
            raise held.work.task_failed(task)

    # ---------------------------------------------------------------- starts

    def _start_imports(self) -> None:
        queued = [
            held
            for name in self.specs
            if (held := self.held.get(name)) is not None and held.phase is Phase.QUEUED
        ]
        now = self.clock()
        if not queued or not self._starts.is_due(now):
            return
        with self.slots.lock:  # no snapshot task starts between the count and these starts
            try:
                active = len(active_task_ids(self.services.ec2))
            except Exception as error:
                self._start_later(error)
                return
            free = free_slots(self.options.max_active, active)
            if not free:
                self._waiting_for_slots(active)
                return
            self._waiting_note = None
            for held in queued[:free]:
                if not self._start(held):
                    return
        self._starts.reset()
        self._starts.due = self.clock() + self._starts.delay

    def _waiting_for_slots(self, active: int) -> None:
        note = NoSlot(active, self.options.max_active).reason
        if note != self._waiting_note:
            self._waiting_note = note
            self.board.note(note)
        self._starts.succeeded()  # the count answered: no transient failure goes on
        self._starts.later()

    def _start_later(self, error: BaseException) -> None:
        fault = classify(error)
        if not fault.transient:
            raise Incomplete(f"counting the active import tasks failed: {fault.reason}") from None
        bear(self._starts, "starting imports", fault.reason)
        pause = self._starts.later()
        self.board.note(f"{fault.reason}: trying again in {round(pause)} s")

    def _start(self, held: _Held) -> bool:
        """Start one queued entry; False when no more should start now."""
        assert held.prepared is not None
        try:
            task = held.work.start(held.prepared)
        except QuotaFull as full:
            self._starts.succeeded()  # the service answered: no transient failure goes on
            pause = self._starts.later()
            self.board.note(
                f"ResourceCountLimitExceeded ({full}): backing off, trying again in "
                f"{round(pause)} s"
            )
            return False
        except TransientStart as transient:
            self._start_later(transient.fault.error)
            return False
        except EntryFailed as failure:
            self._fail(held, failure)
            return True
        except VmimportError as error:
            self._trouble(held, error)
            return True
        self._starts.succeeded()
        held.phase, held.prepared = Phase.WAITING, None
        held.task_id, held.started = task_id(task), self.clock()
        self._polls.reset()
        self._polls.sooner(self.clock() + self._polls.delay)
        return True
