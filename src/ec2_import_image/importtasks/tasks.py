"""Import tasks as the waiters read them: statuses, one-line states, all pages of a poll.

Two kinds of task share one reading (``TaskKind``): ImportImage's, whose
status fields are the task's own, and ImportSnapshot's, whose status fields
are in its ``SnapshotTaskDetail`` (``fields``); each kind has its Describe
operation and the key its replies list the tasks under.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

#: DescribeImportImageTasks' task statuses that matter to the waiter
ACTIVE = "active"
SUCCESS = "completed"
FAILURE = "deleted"

Task = Mapping[str, Any]
Describe = Callable[..., Mapping[str, Any]]


class TaskKind(NamedTuple):
    """A kind of import task: its Describe operation (the client's method name too) and the
    key its replies list the tasks under."""

    operation: str
    method: str
    key: str

    def describe(self, client: Any) -> Describe:
        """The client's Describe method of this kind."""
        method: Describe = getattr(client, self.method)
        return method


IMAGE = TaskKind("DescribeImportImageTasks", "describe_import_image_tasks", "ImportImageTasks")
SNAPSHOT = TaskKind(
    "DescribeImportSnapshotTasks", "describe_import_snapshot_tasks", "ImportSnapshotTasks"
)
#: where a snapshot task keeps its status fields
SNAPSHOT_DETAIL = "SnapshotTaskDetail"


def fields(task: Task) -> Mapping[str, Any]:
    """Where a task's status fields are: a snapshot task's detail, an image task itself."""
    detail = task.get(SNAPSHOT_DETAIL)
    return detail if isinstance(detail, Mapping) else task


def task_id(task: Task) -> str:
    return str(task.get("ImportTaskId", ""))


def status(task: Task) -> str:
    return str(fields(task).get("Status", ""))


def status_message(task: Task) -> str:
    """The task's StatusMessage ("" when it has none): why a ``deleted`` task failed."""
    return str(fields(task).get("StatusMessage") or "")


def state_text(task: Task) -> str:
    """A task's state in words, e.g. ``active, converting (28%)``."""
    shown = fields(task)
    parts = [status(task), status_message(task)]
    text = ", ".join(p for p in parts if p)
    if shown.get("Progress"):
        text += f" ({shown['Progress']}%)"
    return text


def state_line(task: Task) -> str:
    """One plain line for a task's state, e.g. ``import-ami-0...: active, converting (28%)``."""
    return f"{task_id(task)}: {state_text(task)}"


def by_id(tasks: Iterable[Task]) -> dict[str, Task]:
    """Tasks by id, in the order given (a task listed twice keeps its last state)."""
    found: dict[str, Task] = {}
    for task in tasks:
        found[task_id(task)] = task
    return found


def describe_all(describe: Describe, params: Mapping[str, Any], key: str = IMAGE.key) -> list[Task]:
    """Every task of every page of one Describe poll (tasks listed under ``key``).

    The service pages its answer (``MaxResults``, ``NextToken``) even when the
    tasks are named, so a poll follows ``NextToken`` until the last page: a task
    on a later page counts as much as one on the first.  A token that comes back
    a second time ends the poll rather than looping.
    """
    request = dict(params)
    tasks: list[Task] = []
    seen: set[str] = set()
    while True:
        response = describe(**request)
        tasks.extend(response.get(key) or [])
        token = response.get("NextToken")
        if not token or token in seen:
            return tasks
        seen.add(str(token))
        request["NextToken"] = token
