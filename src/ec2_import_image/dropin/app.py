"""The path of one call: argv -> invocation -> request -> botocore -> output.

Each step lives in its own module; this one only sequences them and hands any
failure to ``report``, the single place errors are caught.  Paths that send
nothing (usage errors, input skeletons, parameter errors found before sending)
never import botocore.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ec2_import_image import __version__
from ec2_import_image.awsconfig import files as config
from ec2_import_image.dropin.cli.aliases import ExternalAlias
from ec2_import_image.dropin.cli.commandline import (
    CommandKind,
    UnknownCommandError,
    UnsupportedCommandError,
    first_pass,
)
from ec2_import_image.dropin.cli.parse import parse_invocation
from ec2_import_image.dropin.errors import (
    ERROR_TABLE,
    ExitStatus,
    GeneralError,
    ParamValidationError,
)
from ec2_import_image.dropin.plugins import missing_plugin
from ec2_import_image.dropin.report import report_error
from ec2_import_image.dropin.runstate import RunState
from ec2_import_image.environment import Environment

REFERENCE_VERSION = "2.36.7"
PARAMETER_ERROR_RC = ERROR_TABLE[ParamValidationError].rc


def version_string() -> str:
    import platform

    return (
        f"aws-cli/{REFERENCE_VERSION} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()} ec2-import-image/{__version__}"
    )


def run(argv: list[str], env: Environment) -> int:
    """Run one command line; return the exit code.  Never raises.

    The order of the steps is v2's, because it decides which of several errors
    a line gets: ``--profile`` and ``--debug`` are looked for first, then the
    configuration files are read (a file that cannot be parsed, or a plugin
    that cannot be imported, ends every command), then the auto-prompt
    decides, then the command line is parsed.  Everything the run holds is in
    its ``RunState``: a second run in the same process starts afresh.
    """
    from ec2_import_image.dropin.commands.prompt import (
        AutoPrompt,
        auto_prompt_mode,
        prompt_for_args,
    )

    state = RunState(env)
    try:
        _, debug = first_pass(argv, env.program)
        problem = config.parse_problem(env.environ) or missing_plugin(state.config)
        if problem is not None:
            raise GeneralError(problem)
        mode = auto_prompt_mode(argv, state.config)
        if mode is AutoPrompt.ON:
            argv = prompt_for_args(argv, env)
        elif mode is AutoPrompt.ON_PARTIAL:
            with _debug_log(state, debug, argv):
                rc = run_command(argv, state, quiet_parameter_errors=True)
            if rc != PARAMETER_ERROR_RC:
                return rc
            argv = prompt_for_args(argv, env)
            _, debug = first_pass(argv, env.program)
    except BaseException as error:  # the one place errors are caught
        return report_error(error, state)
    with _debug_log(state, debug, argv):
        return run_command(argv, state)


def run_command(argv: list[str], state: RunState, *, quiet_parameter_errors: bool = False) -> int:
    """Parse and run one command line; return the exit code.

    A command this tool does not serve goes to the AWS CLI (``commands/handover.py``)
    as ``argv`` has it, where the parse finds it out.
    """
    env = state.env
    state.globals = None
    try:
        try:
            invocation = parse_invocation(argv, env, state)
        except (UnsupportedCommandError, UnknownCommandError) as unserved:
            from ec2_import_image.dropin.commands.handover import instead_of

            return instead_of(unserved, argv, env)
        except ExternalAlias as alias:
            from ec2_import_image.dropin.commands.external import run_external

            return run_external(alias.command, env)
        if invocation.kind is CommandKind.VERSION:
            env.stdout.write(version_string() + "\n")
            return ExitStatus.SUCCESS
        if invocation.kind is CommandKind.HELP:
            from ec2_import_image.dropin.commands.handover import for_help

            handed = for_help(invocation.words, argv, env, through_alias=invocation.through_alias)
            if handed is not None:
                return handed
            from ec2_import_image.dropin.commands.help import show_help

            return show_help(invocation, env)
        from ec2_import_image.dropin.commands.operation import run_operation

        return run_operation(invocation, state)
    except BaseException as error:  # the one place errors are caught
        if quiet_parameter_errors and isinstance(error, ParamValidationError):
            return PARAMETER_ERROR_RC
        return report_error(error, state)


@contextlib.contextmanager
def _debug_log(state: RunState, enabled: bool, argv: list[str]) -> Iterator[None]:
    """``--debug``: v2's debug log on stderr for the run (logging is imported only then)."""
    if not enabled:
        yield
        return
    from ec2_import_image.debuglog import debug_logging, log

    with debug_logging(state.env.stderr, True) as formatter:
        state.debug_log = formatter
        log.debug("CLI version: %s", version_string())
        log.debug("Arguments entered to CLI: %s", argv)
        try:
            yield
        finally:
            state.debug_log = None
