"""The waiters of ``aws ec2 wait`` that this tool runs, as help and completion see them.

The parser (``cli.commandline``) owns the waiters; this module only reads what
it declares (``IMPORT_WAITER``, ``cli.options.waiter_options``) without
depending on them, so that pages and completion keep working with a parser
that has no waiter.
"""

from __future__ import annotations

from ec2_import_image.dropin.cli.options import OperationOption, operation_options
from ec2_import_image.model import Operation, load_model

WAIT = "wait"
#: the operation every waiter of this tool polls
WAITER_OPERATION = "DescribeImportImageTasks"
WAITER_TEXT = (
    "Wait until import image tasks are completed, describing them again and again with a "
    "growing delay, with their progress on standard error; exit 0 then. With "
    "--import-task-ids, the tasks named (a task id the service does not know fails at "
    "once); without, the tasks that are active when the command starts and match --filters "
    "(tasks that ended earlier do not count; with none active, the command says so and "
    "exits 0 at once). The wait fails (exit 255) when one of the tasks is deleted, with its "
    "status message and, for the failures users commonly meet, their cause and remedy; "
    "when --max-wait runs out; when polls keep failing for --max-transient-seconds; or at "
    "once on an error that does not pass. Every such end prints the commands that resume "
    "waiting or cancel the tasks still running. The other options are those of "
    "describe-import-image-tasks. This waiter is an extension of this tool: the AWS CLI has "
    "no waiter for image imports."
)


def tool_waiters() -> dict[str, Operation]:
    """Waiter name -> the operation it polls; empty when the parser has no waiter."""
    from ec2_import_image.dropin.cli import commandline

    name = getattr(commandline, "IMPORT_WAITER", None)
    if not isinstance(name, str):
        return {}
    return {name: load_model().operation(WAITER_OPERATION)}


def waiter_options(operation: Operation) -> list[OperationOption]:
    """The options of a waiter on ``operation``: the parser's list when it has one."""
    from ec2_import_image.dropin.cli import options

    own = getattr(options, "waiter_options", None)
    if callable(own):
        return list(own(operation))
    kinds = ("member", "cli-input-json", "cli-input-yaml", "skeleton")
    return [o for o in operation_options(operation) if o.kind in kinds]
