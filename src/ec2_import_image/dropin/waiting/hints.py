"""The commands that resume waiting or cancel, written to work when pasted.

A task lives in one Region of one account, behind one endpoint: the hints
carry the options that reach it (``--region`` as resolved, ``--endpoint-url``,
``--profile``, and the TLS options that reaching that endpoint needed),
shell-quoted, so that a command copied from a CI log into another shell finds
the same task.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from ec2_import_image.dropin.cli.globalopts import GlobalOptions

PROGRAM = "aws"
RESUME = ("ec2", "wait", "image-import-completed", "--import-task-ids")
CANCEL = ("ec2", "cancel-import-task", "--import-task-id")


def reach_options(
    given: GlobalOptions, region: str | None, environ: Mapping[str, str]
) -> tuple[str, ...]:
    """The global options a pasted command needs to reach the run's tasks."""
    options: list[str] = []
    if region:
        options += ["--region", region]
    if given.endpoint_url:
        options += ["--endpoint-url", given.endpoint_url]
    profile = given.profile or environ.get("AWS_PROFILE")
    if profile:
        options += ["--profile", profile]
    if not given.verify_ssl:
        options.append("--no-verify-ssl")
    if given.ca_bundle:
        options += ["--ca-bundle", given.ca_bundle]
    return tuple(options)


def command(*words: str) -> str:
    return shlex.join([PROGRAM, *words])


def resume_command(task_ids: Sequence[str], options: Sequence[str]) -> str:
    return command(*RESUME, *task_ids, *options)


def cancel_commands(task_ids: Sequence[str], options: Sequence[str]) -> list[str]:
    return [command(*CANCEL, task, *options) for task in task_ids]


def hint_lines(task_ids: Sequence[str], options: Sequence[str]) -> list[str]:
    """``To wait again:`` and ``To cancel ...:`` with their commands, indented."""
    if not task_ids:
        return []
    several = len(task_ids) > 1
    return [
        "To wait again:",
        f"  {resume_command(task_ids, options)}",
        "To cancel the imports:" if several else "To cancel the import:",
        *(f"  {line}" for line in cancel_commands(task_ids, options)),
    ]
