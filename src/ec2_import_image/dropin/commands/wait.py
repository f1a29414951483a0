"""Waiting for import image tasks: ``import-image --wait`` and ``ec2 wait image-import-completed``.

Both are extensions: the AWS CLI has no waiter for image imports, so scripts
poll, often for a StatusMessage of "completed" that a completed task never
has.  Here the tasks are described with back-off until every one is
``completed`` (success) or one is ``deleted`` (failure, reported with the
wording of v2's waiter failures, the task's StatusMessage and, for failures
users commonly meet, what usually fixes them).  Progress goes to stderr: a
progress bar on a terminal, else one plain line per change.  Ctrl-C stops
waiting (exit 130) and says how to resume waiting or cancel the task.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from ec2_import_image.dropin.errors import GeneralError

WAITER_NAME = "ImageImportCompleted"
SUCCESS = "completed"
FAILURE = "deleted"
#: back-off between two polls, in seconds
FIRST_DELAY = 2.0
BACKOFF = 1.5
MAX_DELAY = 30.0

#: failures users commonly meet (a fragment of the StatusMessage) -> what usually fixes them
KNOWN_FAILURES: tuple[tuple[str, str], ...] = (
    (
        "vmimport",
        "Create the service role (default name vmimport) with a trust policy for "
        "vmie.amazonaws.com (external id vmimport) and a policy allowing it to read the bucket.",
    ),
    (
        "Unsupported VMDK File Format",
        "VM Import reads stream-optimized VMDKs only: export the VM as OVA, or convert the "
        "disk (qemu-img convert -O vmdk -o subformat=streamOptimized).",
    ),
    (
        "Footers not identical",
        "The VHD's footer copies differ: the file is damaged or was uploaded before it was "
        "fully written. Export and upload it again.",
    ),
    (
        "OVA with chunked disk files",
        "Export the OVA without splitting its disks into chunks.",
    ),
    (
        "Unknown OS",
        "The disk holds no operating system VM Import supports, or not on its first disk: "
        "check the OS list of the VM Import/Export user guide and the disk order.",
    ),
    (
        "kernel",
        "The kernel is not one VM Import supports: update or change it before exporting.",
    ),
    (
        "Disk validation failed",
        "The disk image could not be read as the declared format: check the Format of each "
        "disk container against the file (QCOW2, for one, is not accepted).",
    ),
    (
        "KMS key",
        "Allow the vmimport role to use the KMS key (kms:Decrypt, kms:GenerateDataKey*).",
    ),
)


class WaiterFailed(GeneralError):
    """A waited-for task failed, or the service refused a poll: v2's waiter failure (255)."""


def failure_hint(status_message: str) -> str | None:
    for fragment, hint in KNOWN_FAILURES:
        if fragment.lower() in status_message.lower():
            return hint
    return None


def _failure(task: Mapping[str, Any]) -> WaiterFailed:
    lines = [
        f"Waiter {WAITER_NAME} failed: Waiter encountered a terminal failure state: For "
        f'expression "ImportImageTasks[].Status" we matched expected path: "{FAILURE}" at '
        "least once",
    ]
    message = str(task.get("StatusMessage") or "")
    if message:
        lines.append(f"{task.get('ImportTaskId', '')}: {message}")
        hint = failure_hint(message)
        if hint is not None:
            lines.append(f"What usually fixes it: {hint}")
    return WaiterFailed("\n".join(lines))


def describe_line(task: Mapping[str, Any]) -> str:
    """One plain line for a task's state, e.g. ``import-ami-0...: active, converting (28%)``."""
    parts = [str(task.get("Status", ""))]
    if task.get("StatusMessage"):
        parts.append(str(task["StatusMessage"]))
    line = f"{task.get('ImportTaskId', '')}: {', '.join(p for p in parts if p)}"
    if task.get("Progress"):
        line += f" ({task['Progress']}%)"
    return line


class PlainReporter:
    """One line on stderr each time a task's status, message or progress changes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last: dict[str, str] = {}

    def update(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        for task in tasks:
            line = describe_line(task)
            key = str(task.get("ImportTaskId", ""))
            if self._last.get(key) != line:
                self._last[key] = line
                self._stream.write(line + "\n")
                self._stream.flush()

    def close(self) -> None:
        pass


class BarReporter:
    """A progress bar per task on a terminal: percentage, status message, elapsed time."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.fields[task_id]}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._bars: dict[str, Any] = {}
        self._stopped = False
        self._progress.start()

    def update(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        for task in tasks:
            key = str(task.get("ImportTaskId", ""))
            status = str(task.get("Status", ""))
            label = str(task.get("StatusMessage") or status)
            done = 100.0 if status == SUCCESS else float(task.get("Progress") or 0)
            if key not in self._bars:
                self._bars[key] = self._progress.add_task(label, total=100.0, task_id=key)
            self._progress.update(self._bars[key], completed=done, description=label)

    def close(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._progress.stop()


def wait_for_tasks(
    describe: Callable[..., Mapping[str, Any]],
    params: Mapping[str, Any],
    stderr: TextIO,
    *,
    show_bar: bool,
    sleep: Callable[[float], None] | None = None,
) -> list[Mapping[str, Any]]:
    """Poll ``describe(**params)`` until every task completed; return the tasks."""
    from botocore.exceptions import ClientError

    reporter: PlainReporter | BarReporter = (
        BarReporter(stderr) if show_bar else PlainReporter(stderr)
    )
    delay = FIRST_DELAY
    task_ids: list[str] = list(params.get("ImportTaskIds") or [])
    try:
        while True:
            try:
                response = describe(**params)
            except ClientError as error:
                info = error.response.get("Error", {})
                raise WaiterFailed(
                    f"Waiter {WAITER_NAME} failed: An error occurred "
                    f"({info.get('Code', 'Unknown')}): {info.get('Message', '')}"
                ) from None
            tasks = list(response.get("ImportImageTasks", []))
            task_ids = task_ids or [str(t.get("ImportTaskId", "")) for t in tasks]
            reporter.update(tasks)
            failed = [t for t in tasks if t.get("Status") == FAILURE]
            if failed:
                raise _failure(failed[0])
            if tasks and all(t.get("Status") == SUCCESS for t in tasks):
                return tasks
            (sleep or time.sleep)(delay)
            delay = min(delay * BACKOFF, MAX_DELAY)
    except KeyboardInterrupt:
        reporter.close()
        _explain_interrupt(stderr, task_ids)
        raise
    finally:
        reporter.close()


def _explain_interrupt(stderr: TextIO, task_ids: Sequence[str]) -> None:
    ids = " ".join(task_ids) or "<import task id>"
    stderr.write(
        "\nStopped waiting; the import goes on. To wait again:\n"
        f"  aws ec2 wait image-import-completed --import-task-ids {ids}\n"
        "To cancel it:\n"
    )
    for task_id in task_ids or ["<import task id>"]:
        stderr.write(f"  aws ec2 cancel-import-task --import-task-id {task_id}\n")
    stderr.flush()
