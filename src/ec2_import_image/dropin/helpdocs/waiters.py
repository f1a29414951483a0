"""The waiters of ``aws ec2 wait`` that this tool runs, as help and completion see them.

The parser (``cli.commandline``) declares the waiter (``IMPORT_WAITER``, and
the operation it polls) and the option table its options
(``cli.options.waiter_options``); this module names them for the pages and
completion, with the waiter's text.
"""

from __future__ import annotations

from ec2_import_image.dropin.cli.commandline import IMPORT_WAITER, WAIT, WAITER_OPERATION
from ec2_import_image.model import Operation, load_model

__all__ = ["WAIT", "WAITER_TEXT", "tool_waiters"]

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
    """Waiter name -> the operation it polls."""
    return {IMPORT_WAITER: load_model().operation(WAITER_OPERATION)}
