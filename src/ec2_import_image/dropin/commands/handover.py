"""Command lines this tool does not serve, handed to the real AWS CLI.

The drop-in parses every command line as v2 does; where it would refuse a
command v2.36.7 has and this tool does not implement (``s3 ls``, ``iam
create-role``, ``configure``, ``ec2 run-instances``, ``ec2 wait
image-available``, ``help config-vars``...), it hands the line to the AWS CLI
that ``fallback.find_fallback`` finds.  So are ``aws help``, ``aws ec2 help``
and ``aws ec2 wait help``, whose pages list everything v2 has, which only the
AWS CLI itself can show (without an AWS CLI, this tool shows its own pages).
Unknown command words (typos, commands newer than v2.36.7) go to AWS CLI v2
only: otherwise this tool answers with v2.36.7's invalid-choice error.

What is handed over is the command line as typed: before alias expansion,
before any ``file://`` value or stdin is read.  A console-script process is
replaced by the AWS CLI (``os.execve``), so that signals, the terminal and its
pager behave as if the user had run it; an in-process run (``entry.main``)
runs it as a child on the run's streams and returns its exit status.  The
environment is passed untouched but for ``EC2_IMPORT_IMAGE_HANDOVER``, the
loop guard.  Nothing here imports botocore.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from ec2_import_image.debuglog import log
from ec2_import_image.dropin.cli.commandline import (
    SERVICE,
    WAIT,
    UnknownCommandError,
    UnsupportedCommandError,
)
from ec2_import_image.dropin.errors import GeneralError, ParamValidationError
from ec2_import_image.dropin.fallback import (
    FALLBACK_VARIABLE,
    HANDOVER_MARKER,
    Fallback,
    NoFallback,
    find_fallback,
    major_version,
    marker_for,
)
from ec2_import_image.dropin.programs import AWS
from ec2_import_image.environment import Environment

#: the help pages that list all of v2's commands, services or waiters
V2_WIDE_HELP = frozenset({(), (SERVICE,), (SERVICE, WAIT)})
INSTALL_URL = "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
#: the exit status a shell reports for a child killed by signal N is 128 + N
SIGNAL_BASE = 128


def instead_of(error: ParamValidationError, argv: Sequence[str], env: Environment) -> int:
    """Run ``argv`` on the AWS CLI instead of reporting ``error``; raise what to report if not.

    ``error`` is an ``UnsupportedCommandError`` (handed to any AWS CLI found,
    else refused with a line on how to get one) or an ``UnknownCommandError``
    (handed to AWS CLI v2 only, else reported as it is).
    """
    if env.program != AWS:  # ec2-import-image has no fallback
        raise error
    fallback = find_fallback(env.environ, env.console_script, argv)
    if isinstance(error, UnknownCommandError):
        if fallback.path is None or major_version(fallback.path, env.environ) != 2:
            raise error
        return hand_over(fallback.path, argv, env)
    if fallback.path is None:
        raise UnsupportedCommandError(f"{error.message}\n{refusal_hint(fallback)}")
    return hand_over(fallback.path, argv, env)


def for_help(
    words: tuple[str, ...], argv: Sequence[str], env: Environment, *, through_alias: bool
) -> int | None:
    """The AWS CLI's own page for ``aws help``, ``aws ec2 help``, ``aws ec2 wait help``.

    None when this tool shows its page: another page, no AWS CLI, a run
    started by a hand-over, or a page reached through one of the user's
    aliases (``[command ec2]`` ``ii = help``) when the AWS CLI is not v2: v1
    expands no alias below the top level, and would answer ``aws ec2 ii`` with
    a usage error where v2 shows the page.  A fallback variable naming no AWS
    CLI is refused.
    """
    if env.program != AWS or words not in V2_WIDE_HELP:
        return None
    fallback = find_fallback(env.environ, env.console_script, argv)
    if fallback.path is None:
        if fallback.reason in (NoFallback.NOT_EXECUTABLE, NoFallback.SELF):
            raise ParamValidationError(refusal_hint(fallback))
        return None
    if through_alias and major_version(fallback.path, env.environ) != 2:
        return None
    return hand_over(fallback.path, argv, env)


def refusal_hint(fallback: Fallback) -> str:
    """One line: why no AWS CLI ran the command, and how to get one."""
    if fallback.reason is NoFallback.LOOP:
        return (
            f"This run was started by ec2-import-image handing this command line to "
            f"'{fallback.detail}' ({HANDOVER_MARKER} is set), which runs this tool again: "
            f"a loop, stopped here. Set {FALLBACK_VARIABLE} to the path of the AWS CLI's aws."
        )
    if fallback.reason is NoFallback.NOT_EXECUTABLE:
        return (
            f"{FALLBACK_VARIABLE} names '{fallback.detail}', which is not an executable file: "
            "set it to the path of the AWS CLI's aws."
        )
    if fallback.reason is NoFallback.SELF:
        return (
            f"{FALLBACK_VARIABLE} names '{fallback.detail}', which is this tool: "
            "set it to the path of the AWS CLI's aws."
        )
    if fallback.reason is NoFallback.DISABLED:
        return (
            f"{FALLBACK_VARIABLE} is set empty, which turns the hand-over to the AWS CLI off: "
            "unset it to use the first aws on PATH that is not this tool, or set it to "
            "the path of the AWS CLI's aws."
        )
    return (
        f"To run it, install the AWS CLI v2 ({INSTALL_URL}) on PATH as well, "
        f"or set {FALLBACK_VARIABLE} to the path of the AWS CLI's aws."
    )


def hand_over(path: str, argv: Sequence[str], env: Environment) -> int:
    """Run ``path`` with ``argv``; its exit status (a console-script process never returns)."""
    log.debug("Handing the command line over to the AWS CLI: %s", path)
    environ = {**env.environ, HANDOVER_MARKER: marker_for(path, argv, env.environ)}
    if env.may_exec:
        _exec(path, argv, env, environ)
    from ec2_import_image.dropin.commands.external import run_program

    rc = run_program([path, *argv], env, environ)
    return SIGNAL_BASE - rc if rc < 0 else rc


#: signals Python ignores at start-up, which an exec'd program would inherit ignored
_PYTHON_IGNORED = ("SIGPIPE", "SIGXFSZ")


def _exec(path: str, argv: Sequence[str], env: Environment, environ: Mapping[str, str]) -> None:
    """Replace this process with ``path``: what was written is flushed, stdin is untouched."""
    for stream in (env.stdout, env.stderr, sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    restored = []
    for name in _PYTHON_IGNORED:
        number = getattr(signal, name, None)
        if number is not None:
            restored.append((number, signal.signal(number, signal.SIG_DFL)))
    try:
        os.execve(path, [path, *argv], environ)
    except OSError as error:
        for number, handler in restored:
            signal.signal(number, handler)
        raise GeneralError(f"Could not run the AWS CLI at {path}: {error.strerror}") from None
