"""Import tasks: their state on the emulator's clock, and the store that keeps them.

Nothing runs in the background but the check of each import's guest (``oscheck``, a
thread per task: a task waits at the end of ``converting`` until it has its verdict).
A task's state is computed from its age
(real seconds since it started times the speed) whenever it is looked at, and
``TaskStore.advance`` -- called before every request the emulator serves --
carries out what the age implies: the snapshots and the pending AMI once the
task reaches ``preparing ami``, the AMI available once it completes.  So a
DescribeImages that follows a completion sees the AMI whoever asks first.
"""

from __future__ import annotations

import base64
import fnmatch
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar, Protocol

from ec2_import_emulator import diskcontent, errors, lifecycle, oscheck
from ec2_import_emulator.aws_state import (
    AwsState,
    CreatedImage,
    ImageSpec,
    device_name,
)
from ec2_import_emulator.formats import DiskImage, Inspection
from ec2_import_emulator.validate import ImportRequest
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.records import BootMode

LOG = logging.getLogger("ec2_import_emulator")

ACTIVE, COMPLETED, DELETING, DELETED = "active", "completed", "deleting", "deleted"
TASK_STATES = (ACTIVE, COMPLETED, DELETING, DELETED)
DEFAULT_CANCEL_MESSAGE = "User initiated task cancellation"
BROKEN_MESSAGE = "ServerError: the emulator failed to register the image (see its log)"
_TASK_ID = re.compile(r"^import-(?:ami|snap)-[0-9a-f]{8,17}$")


def new_task_id() -> str:
    return f"import-ami-{secrets.token_hex(9)[:17]}"


def well_formed(task_id: str) -> bool:
    return bool(_TASK_ID.match(task_id))


class TagFilter:
    """A ``tag:KEY`` filter (values with EC2's ``*`` and ``?`` wildcards), or ``tag-key``."""

    def __init__(self, key: str | None, values: Sequence[str]) -> None:
        #: None for ``tag-key`` (the values are keys)
        self.key = key
        self.values = tuple(values)

    def _match(self, text: str) -> bool:
        return any(fnmatch.fnmatchcase(text, pattern) for pattern in self.values)

    def matches(self, tags: Sequence[tuple[str, str]]) -> bool:
        if self.key is None:
            return any(self._match(key) for key, _ in tags)
        return any(key == self.key and self._match(value) for key, value in tags)


@dataclass(frozen=True)
class State:
    """What DescribeImportImageTasks (or DescribeImportSnapshotTasks) shows of a task at one
    moment."""

    status: str
    message: str | None
    progress: int | None
    #: the age whose phase the details show (frozen when the task ended early)
    stage_age: float


def cancelled_state(cancelled_age: float, message: str | None, age: float) -> State:
    """A cancelled task: ``deleting`` for a while, then ``deleted``, with the cancel reason."""
    ended = age >= cancelled_age + lifecycle.DELETING_FOR
    return State(DELETED if ended else DELETING, message, None, cancelled_age)


class ImportTask(Protocol):
    """What the store needs of a task of either kind (image: ``Task``; snapshot:
    ``snapshottasks.SnapshotTask``)."""

    #: ``image`` or ``snapshot``: the Describe action that lists it, its ClientTokens' space
    KIND: ClassVar[str]
    task_id: str
    account: str
    region: str
    created: float
    cancelled_age: float | None
    cancel_message: str | None

    @property
    def request(self) -> object: ...

    @property
    def client_token(self) -> str | None: ...

    @property
    def tags(self) -> Sequence[tuple[str, str]]: ...

    def state_at(self, age: float) -> State: ...

    def materialize(self, state: AwsState, age: float) -> None:
        """Carry out what the task's age implies in the account (snapshots, images)."""
        ...

    def discard(self, state: AwsState) -> None:
        """Remove what the task made, when it is cancelled."""
        ...


@dataclass
class Task:
    task_id: str
    account: str
    region: str
    request: ImportRequest
    inspections: tuple[Inspection, ...]
    created: float
    cancelled_age: float | None = None
    cancel_message: str | None = None
    image: CreatedImage | None = None
    available: bool = False
    broken: bool = False
    #: the check of the guest (``oscheck``), started with a task whose disks pass inspection
    os_check: oscheck.OsCheck | None = None

    @property
    def failure(self) -> str | None:
        """The StatusMessage of a disk that fails inspection (the task fails in validation)."""
        for inspection in self.inspections:
            if inspection.failure is not None:
                return inspection.failure
        return None

    @property
    def os_verdict(self) -> oscheck.OsVerdict | None:
        """The guest check's verdict; None while it runs (``NOT_READ`` without a check)."""
        if self.os_check is None:
            return oscheck.NOT_READ
        return self.os_check.verdict

    def checked_age(self, age: float) -> float:
        """The age the task shows: held at the end of ``converting`` while the check of its
        guest has no verdict."""
        if age >= lifecycle.OS_CHECKED_AT and self.os_verdict is None:
            return lifecycle.OS_WAITING_AT
        return age

    @property
    def os_failure(self) -> str | None:
        """The StatusMessage of a guest the service refuses (the task fails as converting
        ends), once the check has its verdict."""
        verdict = self.os_verdict
        return verdict.failure if verdict is not None else None

    def disks(self) -> list[DiskImage]:
        """Every disk the import converts, in order (an OVA gives several)."""
        return [disk for inspection in self.inspections for disk in inspection.disks]

    KIND: ClassVar[str] = "image"

    @property
    def client_token(self) -> str | None:
        return self.request.client_token

    @property
    def tags(self) -> Sequence[tuple[str, str]]:
        return self.request.tags

    def disk_sources(self) -> list[diskcontent.DiskSource]:
        """Where each converted disk's bytes are, in the order of ``disks``."""
        return [
            diskcontent.DiskSource(
                bucket=source.bucket,
                key=source.key,
                declared=source.format,
                member=disk.name or None,
                snapshot_id=source.snapshot_id,
            )
            for source, inspection in zip(self.request.disks, self.inspections, strict=True)
            for disk in inspection.disks
        ]

    def materialize(self, state: AwsState, age: float) -> None:
        """The snapshots (with the disks' content) and a pending AMI once the task reaches
        ``preparing ami``; the AMI available once it completes."""
        if self.cancelled_age is not None or self.broken:
            return
        if self.failure is not None and age >= lifecycle.FAILED_AT:
            return
        age = self.checked_age(age)
        if self.os_failure is not None and age >= lifecycle.OS_CHECKED_AT:
            return
        try:
            if self.image is None and lifecycle.reached(age, lifecycle.PREPARING_AMI):
                self.image = state.create_image(self.account, self.region, self.image_spec())
                for snapshot_id, source in zip(
                    self.image.snapshot_ids, self.disk_sources(), strict=False
                ):
                    diskcontent.store(state, self.account, self.region, snapshot_id, source)
            if self.image is not None and not self.available and age >= lifecycle.COMPLETED_AT:
                state.make_available(self.account, self.region, self.image.image_id)
                self.available = True
        except Exception:
            LOG.exception("registering the image of %s failed", self.task_id)
            self.broken = True

    def discard(self, state: AwsState) -> None:
        if self.image is not None:
            state.discard_image(self.account, self.region, self.image)

    def state_at(self, age: float) -> State:
        if self.cancelled_age is not None:
            return cancelled_state(self.cancelled_age, self.cancel_message, age)
        if self.broken:
            return State(DELETED, BROKEN_MESSAGE, None, lifecycle.start_of(lifecycle.PREPARING_AMI))
        failure = self.failure
        if failure is not None and age >= lifecycle.FAILED_AT:
            return State(DELETED, failure, None, lifecycle.start_of(lifecycle.VALIDATING))
        age = self.checked_age(age)
        os_failure = self.os_failure
        if os_failure is not None and age >= lifecycle.OS_CHECKED_AT:
            return State(DELETED, os_failure, None, lifecycle.OS_CHECKED_AT)
        if age >= lifecycle.COMPLETED_AT:
            return State(COMPLETED, None, None, age)
        phase = lifecycle.phase_at(age)
        return State(ACTIVE, phase.message, lifecycle.progress_at(age), age)

    @property
    def platform(self) -> str:
        """The request's Platform, else the system the check found, else Linux."""
        verdict = self.os_verdict
        found = verdict.platform if verdict is not None else None
        return self.request.platform or found or oscheck.LINUX

    @property
    def architecture(self) -> str:
        return self.request.architecture or "x86_64"

    @property
    def license_type(self) -> str | None:
        if self.request.license_type or self.request.usage_operation:
            return self.request.license_type
        return "AWS" if self.platform == oscheck.WINDOWS else "BYOL"

    @property
    def usage_operation(self) -> str:
        if self.request.usage_operation:
            return self.request.usage_operation
        if self.platform == oscheck.WINDOWS:
            return "RunInstances:0800" if self.license_type == "BYOL" else "RunInstances:0002"
        return "RunInstances"

    def device_names(self) -> tuple[str, ...]:
        """Each converted disk's device, in the order of ``disk_sources``."""
        names: list[str] = []
        for source, inspection in zip(self.request.disks, self.inspections, strict=True):
            names.extend(source.device_name or device_name(len(names)) for _ in inspection.disks)
        return tuple(names)

    @property
    def boot_mode(self) -> str:
        if self.request.boot_mode:
            return self.request.boot_mode
        disks = self.disks()
        return "uefi" if disks and disks[0].boot_mode is BootMode.UEFI else "legacy-bios"

    def check_guest(self, state: AwsState) -> None:
        """Start the check of the guest (``oscheck``) in its own thread, when the disks pass
        inspection."""
        if self.failure is not None or self.os_check is not None:
            return
        sources = self.disk_sources()

        def disks() -> list[Blob]:
            return [
                diskcontent.disk_blob(state, self.account, self.region, source)
                for source in sources
            ]

        self.os_check = oscheck.OsCheck(
            lambda: oscheck.read_verdict(disks, self.task_id), self.task_id
        )

    def image_spec(self) -> ImageSpec:
        description = self.request.description or f"AWS-VMImport service: {self.platform}"
        return ImageSpec(
            task_id=self.task_id,
            description=description,
            architecture=self.architecture,
            platform=self.platform,
            boot_mode=self.boot_mode,
            disk_sizes=tuple(disk.virtual_size for disk in self.disks()),
            encrypted=bool(self.request.encrypted),
            kms_key_id=self.request.kms_key_id,
            usage_operation=self.usage_operation,
            device_names=self.device_names(),
        )


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"tasks:{offset}".encode()).decode("ascii")


def decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
        prefix, _, number = text.partition(":")
        if prefix == "tasks" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeError):
        pass
    raise errors.invalid_next_token(token)


class TaskStore:
    """Every task of both kinds, per account and Region, behind one lock.

    Image and snapshot tasks count against one quota of active tasks per account and
    Region (modelled: no source says whether the service keeps one quota or two).
    """

    def __init__(
        self,
        state: AwsState,
        *,
        speed: float = 60.0,
        max_active_tasks: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state = state
        self._speed = speed
        self._max_active = max_active_tasks
        self._clock = clock
        self._lock = threading.RLock()
        self._tasks: dict[tuple[str, str], list[ImportTask]] = {}
        self._tokens: dict[tuple[str, str, str, str], ImportTask] = {}

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's lock (re-entrant) across several steps."""
        with self._lock:
            yield

    # -- the clock ------------------------------------------------------------

    def age(self, task: ImportTask) -> float:
        return max(0.0, (self._clock() - task.created) * self._speed)

    def state(self, task: ImportTask) -> State:
        return task.state_at(self.age(task))

    def _all(self) -> Iterator[ImportTask]:
        for tasks in self._tasks.values():
            yield from tasks

    def advance(self) -> None:
        """Carry out what the clock says exists by now (snapshots, images); forget tasks 7
        days old.

        The service keeps a task (and its ClientToken) for 7 days; the AMI or snapshot an
        import made stays, with its tags.
        """
        with self._lock:
            for task in self._all():
                task.materialize(self._state, self.age(task))
            self._forget_old_tasks()

    def _forget_old_tasks(self) -> None:
        for key, tasks in self._tasks.items():
            kept = [task for task in tasks if self.age(task) < lifecycle.TASK_MEMORY]
            if len(kept) != len(tasks):
                self._tasks[key] = kept
        remembered = {id(task) for task in self._all()}
        for token, task in list(self._tokens.items()):
            if id(task) not in remembered:
                del self._tokens[token]

    def reset(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._tokens.clear()

    # -- the operations -------------------------------------------------------

    def known(
        self, account: str, region: str, request: object, kind: str = Task.KIND
    ) -> ImportTask | None:
        """The task an earlier request of this kind with the request's ClientToken started.

        The same token with other parameters is EC2's IdempotentParameterMismatch.
        """
        token = getattr(request, "client_token", None)
        if token is None:
            return None
        with self._lock:
            self._forget_old_tasks()
            task = self._tokens.get((kind, account, region, token))
        if task is not None and task.request != request:
            raise errors.token_reused(token)
        return task

    def ensure_capacity(
        self,
        account: str,
        region: str,
        limit_error: Callable[[int], errors.ApiError] = errors.task_limit,
    ) -> None:
        """``limit_error`` when the Region has its quota of active tasks (both kinds)."""
        with self._lock:
            self.advance()
            tasks = self._tasks.get((account, region), [])
            active = sum(1 for task in tasks if self.state(task).status == ACTIVE)
            if active >= self._max_active:
                raise limit_error(self._max_active)

    def add(
        self,
        task: ImportTask,
        limit_error: Callable[[int], errors.ApiError] = errors.task_limit,
    ) -> ImportTask:
        """Start ``task`` (or answer the one its ClientToken started) within the quota."""
        with self._lock:
            known = self.known(task.account, task.region, task.request, task.KIND)
            if known is not None:
                return known
            self.ensure_capacity(task.account, task.region, limit_error)
            self._tasks.setdefault((task.account, task.region), []).append(task)
            if task.client_token is not None:
                key = (task.KIND, task.account, task.region, task.client_token)
                self._tokens[key] = task
            return task

    def start(
        self,
        account: str,
        region: str,
        request: ImportRequest,
        inspections: Sequence[Inspection],
    ) -> Task:
        with self._lock:
            known = self.known(account, region, request)
            if isinstance(known, Task):
                return known
            task = Task(new_task_id(), account, region, request, tuple(inspections), self._clock())
            added = self.add(task)
            assert isinstance(added, Task)
            if added is task:
                task.check_guest(self._state)
            return added

    def settle(self, timeout: float = 60.0) -> None:
        """Wait (up to ``timeout`` seconds each) until every guest check has its verdict: a
        test's manual clock calls it before it moves, so what a task shows at an age does
        not depend on how fast the threads ran."""
        with self._lock:
            checks = [
                task.os_check
                for task in self._all()
                if isinstance(task, Task) and task.os_check is not None
            ]
        for check in checks:
            check.wait(timeout)

    def _find(self, account: str, region: str, task_id: str, kind: str | None) -> ImportTask:
        if not well_formed(task_id):
            raise errors.malformed_task_id(task_id)
        for task in self._tasks.get((account, region), []):
            if task.task_id == task_id and kind in (None, task.KIND):
                return task
        raise errors.unknown_task(task_id)

    def describe(
        self,
        account: str,
        region: str,
        *,
        kind: str = Task.KIND,
        task_ids: Iterable[str] = (),
        states: Iterable[str] | None = None,
        tag_filters: Sequence[TagFilter] = (),
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[tuple[ImportTask, State]], str | None]:
        """One page of the tasks of ``kind`` (creation order) and the token of the next page."""
        with self._lock:
            self.advance()
            wanted = {self._find(account, region, task_id, kind).task_id for task_id in task_ids}
            allowed = None if states is None else set(states)
            tasks = self._tasks.get((account, region), [])
            offset = 0 if next_token is None else decode_token(next_token)
            if offset > len(tasks):
                raise errors.invalid_next_token(next_token or "")
            page: list[tuple[ImportTask, State]] = []
            for index in range(offset, len(tasks)):
                task = tasks[index]
                if kind != task.KIND or (wanted and task.task_id not in wanted):
                    continue
                state = self.state(task)
                if allowed is not None and state.status not in allowed:
                    continue
                if not all(f.matches(task.tags) for f in tag_filters):
                    continue
                if max_results is not None and len(page) == max_results:
                    return page, encode_token(index)
                page.append((task, state))
            return page, None

    def cancel(self, account: str, region: str, task_id: str, reason: str | None) -> str:
        """Cancel an active task of either kind; answers its previous state."""
        with self._lock:
            self.advance()
            task = self._find(account, region, task_id, None)
            state = self.state(task)
            if state.status != ACTIVE:
                raise errors.not_cancellable(task_id, state.status)
            task.cancelled_age = self.age(task)
            task.cancel_message = reason or DEFAULT_CANCEL_MESSAGE
            task.discard(self._state)
            return state.status

    def current(self, task: ImportTask) -> State:
        with self._lock:
            return self.state(task)
