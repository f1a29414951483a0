"""``vmimport explain TASK_ID... | --message TEXT``: why an import failed, and what fixes it.

The tasks are described (DescribeImportImageTasks; DescribeImportSnapshotTasks
for the snapshot road's ``import-snap-`` ids) and each failed one's
StatusMessage is looked up in the shared table of known failures
(``ec2_import_image.failures``): its diagnostic's cause, remedy, and the
source that says so, rendered by ``diagnostics``.  ``--message`` explains a
text (a StatusMessage or an error message pasted from a log) without calling
AWS.  A message the table does not know
says so and suggests ``vmimport check``.

Every task the service knows is explained, even when another id asked about
is not: an id the service calls malformed is a usage error (exit 2), one it
does not know (it forgets a task 7 days after it started) exit 3, each named
on stderr after the known ones are printed.  The service answers one error for
a whole DescribeImportImageTasks call, so when several ids were asked about
and it refuses them, each is asked about alone to tell which.

Exit status: 0 once everything asked about is reported, 2 usage (a malformed
id among them), 3 a task the service does not know, or the tasks could not be
described.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.diagnostics import Diagnostic, Keys, body, to_json
from ec2_import_image.importtasks.tasks import (
    IMAGE,
    SNAPSHOT,
    TaskKind,
    describe_all,
    status,
    status_message,
    task_id,
)
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import ExitStatus, Incomplete, UsageError
from ec2_import_image.vmimport.explaining import CANCELLED, explained

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client


class Explanation(NamedTuple):
    task_id: str | None
    status: str | None
    status_message: str | None
    #: the failure's diagnostic (``explaining.explained``), None when nothing failed
    diagnostic: Diagnostic | None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status,
            "status_message": self.status_message,
            **to_json(self.diagnostic, Keys.EXPLAIN),
        }


def _explained(task: Mapping[str, Any]) -> Explanation:
    state = status(task)
    message = status_message(task) or None
    failed = state in ("deleted", "deleting") and bool(message) and message != CANCELLED
    diagnostic = explained(str(message)) if failed else None
    return Explanation(task_id(task), state, message, diagnostic)


#: the error codes of an id the service refuses (``.Malformed``, or one it does not know)
TASK_ID_CODE = "InvalidConversionTaskId"
MALFORMED_CODE = f"{TASK_ID_CODE}.Malformed"
FORGOTTEN = (
    "the service keeps a task for 7 days; an older one is gone, but its StatusMessage can "
    "still be explained with --message"
)


class Unknown(NamedTuple):
    """An id the service refused: malformed, or a task it does not know."""

    task_id: str
    malformed: bool
    #: the service's message
    message: str

    def to_json(self) -> dict[str, Any]:
        reason = "malformed" if self.malformed else "not-found"
        return {"task_id": self.task_id, "reason": reason, "message": self.message}

    def sentence(self) -> str:
        said = self.message.rstrip(".")
        if self.malformed:
            return (
                f"{said} (an import task id is import-ami- or import-snap- and hexadecimal digits)"
            )
        return f"{said} ({FORGOTTEN})"


class Described(NamedTuple):
    #: the tasks found, in the order asked
    tasks: list[Mapping[str, Any]]
    unknown: list[Unknown]


#: the id prefix of ImportSnapshot's tasks (the snapshot road's)
SNAPSHOT_PREFIX = "import-snap-"


def _kind(name: str) -> TaskKind:
    return SNAPSHOT if name.startswith(SNAPSHOT_PREFIX) else IMAGE


def _describe(client: EC2Client, wanted: list[str], kind: TaskKind) -> Described:
    """One Describe of ``wanted`` (every page); an id refused: ``unknown`` (the service
    refuses the whole call, so several ids are then asked about one by one)."""
    from botocore.exceptions import ClientError

    found: dict[str, Mapping[str, Any]] = {}
    try:
        for task in describe_all(kind.describe(client), {"ImportTaskIds": wanted}, kind.key):
            found[task_id(task)] = task
    except ClientError as error:
        code = error_code(error) or ""
        if not code.startswith(TASK_ID_CODE):
            raise
        if len(wanted) > 1:
            each = [_describe(client, [name], kind) for name in wanted]
            return Described(
                [task for one in each for task in one.tasks],
                [item for one in each for item in one.unknown],
            )
        message = error_message(error) or f"the import task {wanted[0]} is unknown"
        return Described([], [Unknown(wanted[0], code == MALFORMED_CODE, message)])
    return Described([found[name] for name in wanted if name in found], [])


def describe_tasks(run: Run, task_ids: Iterable[str]) -> Described:
    """The tasks, in the order asked (every page followed), and the ids the service refused:
    image tasks and snapshot tasks, each kind by its own Describe."""
    wanted = list(dict.fromkeys(task_ids))
    client = run.client("ec2")
    tasks: dict[str, Mapping[str, Any]] = {}
    unknown: dict[str, Unknown] = {}
    for kind in (IMAGE, SNAPSHOT):
        ids = [name for name in wanted if _kind(name) == kind]
        if ids:
            described = _describe(client, ids, kind)
            tasks.update((task_id(task), task) for task in described.tasks)
            unknown.update((item.task_id, item) for item in described.unknown)
    return Described(
        [tasks[name] for name in wanted if name in tasks],
        [unknown[name] for name in wanted if name in unknown],
    )


def _unknown_error(unknown: list[Unknown]) -> UsageError | Incomplete:
    """The error of the ids refused: a usage error when one is malformed."""
    message = "; ".join(item.sentence() for item in unknown)
    return UsageError(message) if any(item.malformed for item in unknown) else Incomplete(message)


@click.command("explain")
@click.argument("task_ids", nargs=-1, metavar="[TASK_ID]...")
@click.option("--message", help="Explain this text (a StatusMessage) without calling AWS.")
@cli.command
def explain(run: Run, *, task_ids: tuple[str, ...], message: str | None) -> int:
    """Explain failed import tasks (or a failure message): the cause, the remedy, the source."""
    if bool(task_ids) == bool(message):
        raise UsageError("give import task ids, or --message TEXT (one or the other)")
    unknown: list[Unknown] = []
    if message is not None:
        explanations = [Explanation(None, None, message, explained(message))]
    else:
        described = describe_tasks(run, task_ids)
        explanations = [_explained(task) for task in described.tasks]
        unknown = described.unknown
    if run.options.json:
        document = {
            "tasks": [e.to_json() for e in explanations],
            "unknown": [item.to_json() for item in unknown],
        }
        json.dump(document, run.env.stdout, indent=2)
        run.env.stdout.write("\n")
    elif explanations:
        _render(run, explanations)
    if unknown:
        run.env.stdout.flush()
        raise _unknown_error(unknown)
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
        if item.diagnostic is None:
            console.print("  nothing failed" if item.status != "deleted" else "  cancelled")
            continue
        for line in body(item.diagnostic, decorated=True):
            console.print(line)
