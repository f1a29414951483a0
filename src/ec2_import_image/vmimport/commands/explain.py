"""``vmimport explain TASK_ID... | --message TEXT``: why an import failed, and what fixes it.

The tasks are described (DescribeImportImageTasks) and each failed one's
StatusMessage is looked up in the shared table of known failures
(``ec2_import_image.failures``): its cause, its remedy, and the source that
says so.  ``--message`` explains a text (a StatusMessage or an error message
pasted from a log) without calling AWS.  A message the table does not know
says so and suggests ``vmimport check``.

Exit status: 0 once everything asked about is reported, 2 usage, 3 the tasks
could not be described.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import click

from ec2_import_image.failures import KnownFailure
from ec2_import_image.failures import explain as look_up
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import ExitStatus, Incomplete, UsageError
from ec2_import_image.vmimport.explaining import CANCELLED, UNKNOWN_CAUSE, UNKNOWN_REMEDY


class Explanation(NamedTuple):
    task_id: str | None
    status: str | None
    status_message: str | None
    #: the known failure, None when the message is unknown or nothing failed
    known: KnownFailure | None
    #: whether there is a failure to explain (a deleted task, or a --message)
    failed: bool

    def to_json(self) -> dict[str, Any]:
        cause = remedy = source = None
        if self.known is not None:
            cause, remedy, source = self.known.cause, self.known.remedy, self.known.source
        elif self.failed:
            cause, remedy = UNKNOWN_CAUSE, UNKNOWN_REMEDY
        return {
            "task_id": self.task_id,
            "status": self.status,
            "status_message": self.status_message,
            "cause": cause,
            "remedy": remedy,
            "source": source,
        }


def _explained(task: Mapping[str, Any]) -> Explanation:
    status = str(task.get("Status", ""))
    message = task.get("StatusMessage")
    failed = status in ("deleted", "deleting") and bool(message) and message != CANCELLED
    known = look_up(str(message)) if failed else None
    return Explanation(str(task.get("ImportTaskId", "")), status, message, known, failed)


def describe_tasks(run: Run, task_ids: Iterable[str]) -> list[Mapping[str, Any]]:
    """The tasks, in the order asked (every page followed)."""
    from botocore.exceptions import ClientError

    client = run.client("ec2")
    wanted = list(dict.fromkeys(task_ids))
    found: dict[str, Mapping[str, Any]] = {}
    paginator = client.get_paginator("describe_import_image_tasks")
    try:
        for page in paginator.paginate(ImportTaskIds=wanted):
            for task in page.get("ImportImageTasks", []):
                found[str(task.get("ImportTaskId"))] = task
    except ClientError as error:
        info = error.response.get("Error", {})
        if str(info.get("Code", "")).startswith("InvalidConversionTaskId"):
            raise Incomplete(
                f"{info.get('Message', 'unknown import task')} (the service keeps a task for "
                "7 days; an older one is gone, but its StatusMessage can still be explained "
                "with --message)"
            ) from None
        raise
    return [found[task_id] for task_id in wanted if task_id in found]


@click.command("explain")
@click.argument("task_ids", nargs=-1, metavar="[TASK_ID]...")
@click.option("--message", help="Explain this text (a StatusMessage) without calling AWS.")
@cli.command
def explain(run: Run, *, task_ids: tuple[str, ...], message: str | None) -> int:
    """Explain failed import tasks (or a failure message): the cause, the remedy, the source."""
    if bool(task_ids) == bool(message):
        raise UsageError("give import task ids, or --message TEXT (one or the other)")
    if message is not None:
        known = look_up(message)
        explanations = [Explanation(None, None, message, known, True)]
    else:
        explanations = [_explained(task) for task in describe_tasks(run, task_ids)]
    if run.options.json:
        json.dump({"tasks": [e.to_json() for e in explanations]}, run.env.stdout, indent=2)
        run.env.stdout.write("\n")
    else:
        _render(run, explanations)
    return ExitStatus.OK


def _render(run: Run, explanations: list[Explanation]) -> None:
    from rich.markup import escape

    console = run.console()
    for index, item in enumerate(explanations):
        if index:
            console.print("")
        if item.task_id is not None:
            console.print(f"[bold]{escape(item.task_id)}[/]: {escape(item.status or '')}")
        if item.status_message:
            console.print(f"  message: {escape(item.status_message)}")
        if not item.failed:
            console.print("  nothing failed" if item.status != "deleted" else "  cancelled")
            continue
        data = item.to_json()
        console.print(f"  cause: {escape(str(data['cause']))}")
        console.print(f"  fix: {escape(str(data['remedy']))}")
        if data["source"]:
            console.print(f"  source: {escape(str(data['source']))}")
