"""Import tasks: their state on the emulator's clock, and the store that keeps them.

Nothing runs in the background.  A task's state is computed from its age
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

from ec2_import_emulator import errors, lifecycle
from ec2_import_emulator.aws_state import (
    AwsState,
    CreatedImage,
    DiskOrigin,
    ImageSpec,
    device_name,
)
from ec2_import_emulator.formats import DiskImage, Inspection
from ec2_import_emulator.validate import ImportRequest
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
    """What DescribeImportImageTasks shows of a task at one moment."""

    status: str
    message: str | None
    progress: int | None
    #: the age whose phase the details show (frozen when the task ended early)
    stage_age: float


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

    @property
    def failure(self) -> str | None:
        for inspection in self.inspections:
            if inspection.failure is not None:
                return inspection.failure
        return None

    def disks(self) -> list[DiskImage]:
        """Every disk the import converts, in order (an OVA gives several)."""
        return [disk for inspection in self.inspections for disk in inspection.disks]

    def state_at(self, age: float) -> State:
        if self.cancelled_age is not None:
            ended = age >= self.cancelled_age + lifecycle.DELETING_FOR
            return State(
                DELETED if ended else DELETING, self.cancel_message, None, self.cancelled_age
            )
        if self.broken:
            return State(DELETED, BROKEN_MESSAGE, None, lifecycle.start_of(lifecycle.PREPARING_AMI))
        failure = self.failure
        if failure is not None and age >= lifecycle.FAILED_AT:
            return State(DELETED, failure, None, lifecycle.start_of(lifecycle.VALIDATING))
        if age >= lifecycle.COMPLETED_AT:
            return State(COMPLETED, None, None, age)
        phase = lifecycle.phase_at(age)
        return State(ACTIVE, phase.message, lifecycle.progress_at(age), age)

    @property
    def platform(self) -> str:
        return self.request.platform or "Linux"

    @property
    def architecture(self) -> str:
        return self.request.architecture or "x86_64"

    @property
    def license_type(self) -> str | None:
        if self.request.license_type or self.request.usage_operation:
            return self.request.license_type
        return "AWS" if self.platform == "Windows" else "BYOL"

    @property
    def usage_operation(self) -> str:
        if self.request.usage_operation:
            return self.request.usage_operation
        if self.platform == "Windows":
            return "RunInstances:0800" if self.license_type == "BYOL" else "RunInstances:0002"
        return "RunInstances"

    def origins(self) -> tuple[DiskOrigin, ...]:
        """Where each converted disk's bytes are: its S3 object (and OVA member) or snapshot."""
        found: list[DiskOrigin] = []
        for source, inspection in zip(self.request.disks, self.inspections, strict=True):
            for disk in inspection.disks:
                found.append(
                    DiskOrigin(
                        source.device_name or device_name(len(found)),
                        bucket=source.bucket,
                        key=source.key,
                        member=disk.name or None,
                        snapshot_id=source.snapshot_id,
                    )
                )
        return tuple(found)

    @property
    def boot_mode(self) -> str:
        if self.request.boot_mode:
            return self.request.boot_mode
        disks = self.disks()
        return "uefi" if disks and disks[0].boot_mode is BootMode.UEFI else "legacy-bios"

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
            origins=self.origins(),
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
    """Every task, per account and Region, behind one lock."""

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
        self._tasks: dict[tuple[str, str], list[Task]] = {}
        self._tokens: dict[tuple[str, str, str], Task] = {}

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's lock (re-entrant) across several steps."""
        with self._lock:
            yield

    # -- the clock ------------------------------------------------------------

    def age(self, task: Task) -> float:
        return max(0.0, (self._clock() - task.created) * self._speed)

    def state(self, task: Task) -> State:
        return task.state_at(self.age(task))

    def _all(self) -> Iterator[Task]:
        for tasks in self._tasks.values():
            yield from tasks

    def advance(self) -> None:
        """Register the images that the clock says exist by now; forget tasks 7 days old.

        The service keeps a task (and its ClientToken) for 7 days; the AMI an
        import registered stays, with its tags.
        """
        with self._lock:
            for task in self._all():
                self._materialize(task)
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

    def _materialize(self, task: Task) -> None:
        age = self.age(task)
        if task.cancelled_age is not None or task.broken:
            return
        if task.failure is not None and age >= lifecycle.FAILED_AT:
            return
        try:
            if task.image is None and lifecycle.reached(age, lifecycle.PREPARING_AMI):
                task.image = self._state.create_image(task.account, task.region, task.image_spec())
            if task.image is not None and not task.available and age >= lifecycle.COMPLETED_AT:
                self._state.make_available(task.account, task.region, task.image.image_id)
                task.available = True
        except Exception:
            LOG.exception("registering the image of %s failed", task.task_id)
            task.broken = True

    def reset(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._tokens.clear()

    # -- the operations -------------------------------------------------------

    def known(self, account: str, region: str, request: ImportRequest) -> Task | None:
        """The task an earlier ImportImage with this ClientToken started.

        The same token with other parameters is EC2's IdempotentParameterMismatch.
        """
        if request.client_token is None:
            return None
        with self._lock:
            self._forget_old_tasks()
            task = self._tokens.get((account, region, request.client_token))
        if task is not None and task.request != request:
            raise errors.token_reused(request.client_token)
        return task

    def ensure_capacity(self, account: str, region: str) -> None:
        """ResourceCountLimitExceeded when the Region has its quota of active tasks."""
        with self._lock:
            self.advance()
            tasks = self._tasks.get((account, region), [])
            active = sum(1 for task in tasks if self.state(task).status == ACTIVE)
            if active >= self._max_active:
                raise errors.task_limit(self._max_active)

    def start(
        self,
        account: str,
        region: str,
        request: ImportRequest,
        inspections: Sequence[Inspection],
    ) -> Task:
        with self._lock:
            known = self.known(account, region, request)
            if known is not None:
                return known
            self.ensure_capacity(account, region)
            task = Task(new_task_id(), account, region, request, tuple(inspections), self._clock())
            self._tasks.setdefault((account, region), []).append(task)
            if request.client_token is not None:
                self._tokens[(account, region, request.client_token)] = task
            return task

    def _find(self, account: str, region: str, task_id: str) -> Task:
        if not well_formed(task_id):
            raise errors.malformed_task_id(task_id)
        for task in self._tasks.get((account, region), []):
            if task.task_id == task_id:
                return task
        raise errors.unknown_task(task_id)

    def describe(
        self,
        account: str,
        region: str,
        *,
        task_ids: Iterable[str] = (),
        states: Iterable[str] | None = None,
        tag_filters: Sequence[TagFilter] = (),
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[tuple[Task, State]], str | None]:
        """One page of tasks (creation order) and the token of the next page."""
        with self._lock:
            self.advance()
            wanted = {self._find(account, region, task_id).task_id for task_id in task_ids}
            allowed = None if states is None else set(states)
            tasks = self._tasks.get((account, region), [])
            offset = 0 if next_token is None else decode_token(next_token)
            if offset > len(tasks):
                raise errors.invalid_next_token(next_token or "")
            page: list[tuple[Task, State]] = []
            for index in range(offset, len(tasks)):
                task = tasks[index]
                if wanted and task.task_id not in wanted:
                    continue
                state = self.state(task)
                if allowed is not None and state.status not in allowed:
                    continue
                if not all(f.matches(task.request.tags) for f in tag_filters):
                    continue
                if max_results is not None and len(page) == max_results:
                    return page, encode_token(index)
                page.append((task, state))
            return page, None

    def cancel(self, account: str, region: str, task_id: str, reason: str | None) -> str:
        """Cancel an active task; answers its previous state."""
        with self._lock:
            self.advance()
            task = self._find(account, region, task_id)
            state = self.state(task)
            if state.status != ACTIVE:
                raise errors.not_cancellable(task_id, state.status)
            task.cancelled_age = self.age(task)
            task.cancel_message = reason or DEFAULT_CANCEL_MESSAGE
            if task.image is not None:
                self._state.discard_image(task.account, task.region, task.image)
            return state.status

    def current(self, task: Task) -> State:
        with self._lock:
            return self.state(task)
