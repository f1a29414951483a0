"""Import image tasks as the waiters read them: statuses, one-line states, all pages of a poll."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: DescribeImportImageTasks' task statuses that matter to the waiter
ACTIVE = "active"
SUCCESS = "completed"
FAILURE = "deleted"

Task = Mapping[str, Any]
Describe = Callable[..., Mapping[str, Any]]


def task_id(task: Task) -> str:
    return str(task.get("ImportTaskId", ""))


def status(task: Task) -> str:
    return str(task.get("Status", ""))


def state_text(task: Task) -> str:
    """A task's state in words, e.g. ``active, converting (28%)``."""
    parts = [status(task)]
    if task.get("StatusMessage"):
        parts.append(str(task["StatusMessage"]))
    text = ", ".join(p for p in parts if p)
    if task.get("Progress"):
        text += f" ({task['Progress']}%)"
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


def describe_all(describe: Describe, params: Mapping[str, Any]) -> list[Task]:
    """Every task of every page of one DescribeImportImageTasks poll.

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
        tasks.extend(response.get("ImportImageTasks") or [])
        token = response.get("NextToken")
        if not token or token in seen:
            return tasks
        seen.add(str(token))
        request["NextToken"] = token
