"""The ``vmimport`` click application: its global options, its commands, the one catch.

A genuine click application (the drop-in, whose command line follows v2's
argparse rules, uses click only for completion and embedding): one command
per module under ``commands/``, imported only when it runs or is listed.
The global options AWS users expect (``--region``, ``--profile``,
``--endpoint-url``, ``--debug``) and ``--json`` are accepted before or after
the command name; a value given after wins.

``run(argv, env)`` runs a command line in-process with an injected
environment and returns the exit status: every failure ends there, as one
line on stderr and a status from ``errors.ERROR_TABLE``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import click

from ec2_import_image import __version__
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport.context import GlobalOptions, Run, SessionFactory, default_session
from ec2_import_image.vmimport.errors import ExitStatus, VmimportError, from_aws, status_for
from ec2_import_image.vmimport.signals import sigterm_stops, terminated

PROGRAM = "vmimport"
LOG = logging.getLogger("ec2_import_image.vmimport")

#: command name -> "module:attribute", imported on first use (``LazyGroup``)
COMMANDS: dict[str, str] = {
    "batch": "ec2_import_image.vmimport.commands.batch:batch",
    "check": "ec2_import_image.vmimport.commands.check:check",
    "explain": "ec2_import_image.vmimport.commands.explain:explain",
    "gc": "ec2_import_image.vmimport.commands.gc:gc",
    "import": "ec2_import_image.vmimport.commands.importing:import_image",
    "setup-role": "ec2_import_image.vmimport.commands.setup_role:setup_role",
}

EPILOG = """\
Exit status: 0 no problem of severity error; 1 problems of severity error (or a failed
import); 2 usage error; 3 the work could not be completed (no credentials or Region,
endpoint unreachable, access denied while reading what must be checked); 4 an internal
error of vmimport (a bug: --debug shows its traceback); 130 interrupted (Ctrl-C); 143
terminated (SIGTERM).
"""

F = TypeVar("F", bound=Callable[..., Any])


def _global_option_decorators(regions: bool = False) -> list[Callable[[F], F]]:
    """``regions``: ``--region`` may be repeated (a command that works in several Regions)."""
    return [
        click.option(
            "--region",
            metavar="REGION",
            multiple=regions,
            help="An AWS Region (repeatable)."
            if regions
            else "The AWS Region (default: as the AWS CLI).",
        ),
        click.option("--profile", metavar="NAME", help="A profile of the AWS config files."),
        click.option(
            "--endpoint-url",
            metavar="URL",
            help="Send every service's requests to this URL (e.g. ec2-import-emulator).",
        ),
        click.option("--debug", is_flag=True, default=False, help="Log requests on stderr."),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=False,
            help="Print the machine-readable report (JSON) on stdout.",
        ),
    ]


def global_options(function: F, *, regions: bool = False) -> F:
    for decorator in reversed(_global_option_decorators(regions)):
        function = decorator(function)
    return function


def _merge(run: Run, given: dict[str, Any]) -> None:
    json_output = given.pop("json_output", False)
    run.options = run.options.merged(json=json_output, **given)


def command(function: Callable[..., Any]) -> Callable[..., Any]:
    """A command's callback: the global options given after its name merged, then ``function(run,
    ...)``; its return value (an exit status) is the run's."""
    return _command(function, regions=False)


def command_in_regions(function: Callable[..., Any]) -> Callable[..., Any]:
    """``command`` whose ``--region`` may be repeated: ``function(run, regions=(...), ...)``
    (the run's Region is the first given)."""
    return _command(function, regions=True)


def _command(function: Callable[..., Any], *, regions: bool) -> Callable[..., Any]:
    @functools.wraps(function)
    def callback(**kwargs: Any) -> Any:
        run = click.get_current_context().find_object(Run)
        assert run is not None
        given = {name: kwargs.pop(name) for name in _GLOBAL_NAMES}
        if regions:
            chosen = tuple(dict.fromkeys(given["region"] or ()))
            given["region"] = chosen[0] if chosen else None
            kwargs["regions"] = chosen
        _merge(run, given)
        with _debug_log(run):
            return function(run, **kwargs)

    return global_options(callback, regions=regions)


_GLOBAL_NAMES = ("region", "profile", "endpoint_url", "debug", "json_output")


@contextlib.contextmanager
def _debug_log(run: Run) -> Iterator[None]:
    if not run.options.debug:
        yield
        return
    from ec2_import_image.debuglog import debug_logging

    with debug_logging(run.env.stderr, True):
        LOG.debug("%s %s", PROGRAM, __version__)
        yield


class LazyGroup(click.Group):
    """A group whose commands are imported when they run or are listed.

    click's documented pattern ("Lazily Loading Subcommands" in its documentation's
    "Complex Applications",
    https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands):
    ``list_commands`` names the commands without importing them, ``get_command`` imports
    the one asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        run = ctx.find_object(Run)
        if run is not None:  # what a usage error found while parsing the command's line names
            run.command_path = f"{ctx.command_path} {cmd_name}"
        module_name, _, attribute = target.partition(":")
        found = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(found, click.Command)
        return found


@click.group(
    cls=LazyGroup,
    name=PROGRAM,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@global_options
@click.version_option(__version__, prog_name=PROGRAM, message="%(prog)s %(version)s")
@click.pass_context
def main_group(ctx: click.Context, /, **given: Any) -> None:
    """Import VM disk images into AMIs: check first, then import, one VM or hundreds."""
    run = ctx.find_object(Run)
    assert run is not None
    _merge(run, given)


@contextlib.contextmanager
def _streams(env: Environment) -> Iterator[None]:
    """click writes its help and messages to sys.stdout/sys.stderr: here, the run's streams."""
    with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
        yield


def _error_line(env: Environment, message: str) -> None:
    env.stderr.write(f"{PROGRAM}: error: {message}\n")
    env.stderr.flush()


def run(
    argv: Sequence[str],
    env: Environment,
    *,
    session_factory: SessionFactory = default_session,
) -> int:
    """Run one command line (without the program name); return the exit status. Never raises."""
    state = Run(env, GlobalOptions(), session_factory)
    try:
        with _streams(env), env.process_environment(), sigterm_stops():
            result = main_group.main(
                args=list(argv), prog_name=PROGRAM, standalone_mode=False, obj=state
            )
        return int(result) if isinstance(result, int) else ExitStatus.OK
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        _error_line(env, usage_message(error, state.command_path))
        return ExitStatus.USAGE
    except click.ClickException as error:
        _error_line(env, error.format_message())
        return ExitStatus.INCOMPLETE
    except (click.Abort, KeyboardInterrupt) as stopped:
        env.stderr.write("\n")
        if terminated(stopped):
            _error_line(env, "terminated (SIGTERM)")
            return ExitStatus.TERMINATED
        _error_line(env, "interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.INCOMPLETE
    except Exception as error:  # the one place errors are caught
        return _report(error, env, state.options.debug)


def usage_message(error: click.UsageError, command_path: str = PROGRAM) -> str:
    """click's usage error in ``vmimport``'s one format: its message (lower case, as every
    message of this program), then where the command's options are described.

    click would print its usage line, ``Try '... --help'`` and ``Error: ...``: three lines in
    another format than every other error of this program, which scripts read as the one
    ``vmimport: error: ...`` line."""
    message = error.format_message().strip().rstrip(".")
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    where = error.ctx.command_path if error.ctx is not None else command_path
    return f"{message} (see '{where} --help')"


def _report(error: Exception, env: Environment, debug: bool) -> int:
    known = error if isinstance(error, VmimportError) else from_aws(error)
    if known is not None:
        _error_line(env, known.message)
        return status_for(known)
    if debug:
        env.stderr.write("".join(traceback.format_exception(error)))
    _error_line(
        env,
        f"internal error of {PROGRAM} {__version__}: {type(error).__name__}: {error}"
        + ("" if debug else " (run again with --debug for the traceback, and report it)"),
    )
    return ExitStatus.INTERNAL


def console_main() -> None:
    """The ``vmimport`` console script."""
    status = run(sys.argv[1:], Environment(program=PROGRAM))
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    sys.exit(status)
