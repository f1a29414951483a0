"""The path of one call: argv -> invocation -> request -> botocore -> output.

Each step lives in its own module; this one only sequences them and hands any
failure to ``report``, the single place errors are caught.  Paths that send
nothing (usage errors, input skeletons, parameter errors found before sending)
never import botocore.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from ec2_import_image import __version__
from ec2_import_image.awsconfig import files as config
from ec2_import_image.dropin.cli.aliases import (
    AliasExpander,
    AliasTable,
    ExternalAlias,
    load_aliases,
)
from ec2_import_image.dropin.cli.argparsing import VersionRequested
from ec2_import_image.dropin.cli.commandline import (
    UnknownCommandError,
    UnsupportedCommandError,
    first_pass,
    parse_command,
    parse_top_level,
)
from ec2_import_image.dropin.errors import (
    ERROR_TABLE,
    ConfigurationError,
    ExitStatus,
    GeneralError,
    ParamValidationError,
    crash_as_in_v2,
)
from ec2_import_image.dropin.plugins import missing_plugin
from ec2_import_image.dropin.programs import AWS
from ec2_import_image.dropin.report import report_error
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
    decides, then the command line is parsed.
    """
    from ec2_import_image.dropin.commands.prompt import auto_prompt_mode, prompt_for_args

    config.forget_files()
    try:
        _, debug = first_pass(argv, env.program)
        problem = config.parse_problem(env.environ) or missing_plugin(env.environ)
        if problem is not None:
            raise GeneralError(problem)
        mode = auto_prompt_mode(argv, env)
        if mode == "on":
            argv = prompt_for_args(argv, env)
        elif mode == "on-partial":
            with _debug_log(env, debug, argv):
                rc = run_command(argv, env, quiet_parameter_errors=True)
            if rc != PARAMETER_ERROR_RC:
                return rc
            argv = prompt_for_args(argv, env)
            _, debug = first_pass(argv, env.program)
    except BaseException as error:  # the one place errors are caught
        return report_error(error, env)
    with _debug_log(env, debug, argv):
        return run_command(argv, env)


def run_command(argv: list[str], env: Environment, *, quiet_parameter_errors: bool = False) -> int:
    """Parse and run one command line; return the exit code.

    A command this tool does not serve goes to the AWS CLI (``commands/handover.py``)
    as ``argv`` has it, where the parse finds it out.
    """
    globals_: dict[str, Any] | None = None
    try:
        # v2 reads the alias file first; the short program has no aliases
        aliases = load_aliases(env.environ) if env.program == AWS else AliasTable()
        try:
            top = parse_top_level(argv, env.program, list(aliases.section()))
        except UnknownCommandError as unknown:
            return _hand_over(unknown, argv, env)
        if top.command is None:
            env.stdout.write(version_string() + "\n")
            return ExitStatus.SUCCESS
        globals_ = top.globals
        resolve_globals(globals_)
        check_output_encoding(env)
        check_profile_settings(env, globals_)
        expander = AliasExpander(aliases, env.program, globals_, resolve_globals)
        try:
            invocation = parse_command(expander.expand_toplevel(top), expander)
        except (UnsupportedCommandError, UnknownCommandError) as unserved:
            return _hand_over(unserved, argv, env)
        except ExternalAlias as alias:
            from ec2_import_image.dropin.commands.external import run_external

            return run_external(alias.command, env)
        except VersionRequested:  # `--version` in an alias
            env.stdout.write(version_string() + "\n")
            return ExitStatus.SUCCESS
        if invocation.action == "help":
            from ec2_import_image.dropin.commands.handover import for_help

            handed = for_help(invocation.words, argv, env, through_alias=expander.expanded)
            if handed is not None:
                return handed
            from ec2_import_image.dropin.commands.help import show_help

            return show_help(invocation, env)
        from ec2_import_image.dropin.commands.operation import run_operation

        return run_operation(invocation, env)
    except BaseException as error:  # the one place errors are caught
        if quiet_parameter_errors and isinstance(error, ParamValidationError):
            return PARAMETER_ERROR_RC
        return report_error(error, env, globals_)


def _hand_over(error: ParamValidationError, argv: list[str], env: Environment) -> int:
    """The AWS CLI runs ``argv`` in place of ``error``, or the error (or a refusal) is raised."""
    from ec2_import_image.dropin.commands.handover import instead_of

    return instead_of(error, argv, env)


@contextlib.contextmanager
def _debug_log(env: Environment, enabled: bool, argv: list[str]) -> Iterator[None]:
    """``--debug``: v2's debug log on stderr for the run (logging is imported only then)."""
    if not enabled:
        yield
        return
    from ec2_import_image.debuglog import debug_logging, log

    with debug_logging(env.stderr, True):
        log.debug("CLI version: %s", version_string())
        log.debug("Arguments entered to CLI: %s", argv)
        yield


def check_output_encoding(env: Environment) -> None:
    """v2 refuses an ``AWS_CLI_OUTPUT_ENCODING`` that names no codec (255), after the globals."""
    encoding = env.environ.get("AWS_CLI_OUTPUT_ENCODING")
    if encoding is None:
        return
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise GeneralError(
            f"Unknown codec `{encoding}` specified for AWS_CLI_OUTPUT_ENCODING."
        ) from None


def check_profile_settings(env: Environment, globals_: dict[str, Any]) -> None:
    """v2 checks the profile's CLI settings when its session starts, for every command."""
    problem = config.cli_settings_problem(
        env.environ, globals_.get("profile"), globals_.get("cli_binary_format")
    )
    if problem is None:
        return
    kind, message = problem
    raise ConfigurationError(message) if kind == "configuration" else GeneralError(message)


def resolve_globals(globals_: dict[str, Any]) -> None:
    """v2's checks of global option values, in v2's order, before any command runs.

    ``--query`` is compiled (a syntax error is a parameter error),
    ``--endpoint-url`` needs a scheme, and the time-outs must be integers
    (``int()``'s own error, exit 255, as in v2).
    """
    query = globals_.get("query")
    if query is not None:
        import jmespath
        from jmespath.exceptions import JMESPathError

        try:
            with warnings.catch_warnings():
                # jmespath warns about `literal` strings; v2 never shows that warning
                warnings.simplefilter("ignore")
                globals_["query"] = jmespath.compile(query)
        except JMESPathError as error:
            raise ParamValidationError(f"Bad value for --query {query}: {error}") from None
    endpoint = globals_.get("endpoint_url")
    if endpoint is not None:
        from urllib.parse import urlparse

        if not urlparse(endpoint).scheme:
            raise ParamValidationError(
                f'Bad value for --endpoint-url "{endpoint}": scheme is missing.  '
                "Must be of the form http://<hostname>/ or https://<hostname>/"
            )
    for name in ("read_timeout", "connect_timeout"):
        value = globals_.get(name)
        if value is not None:
            try:
                int(value)
            except ValueError as error:
                raise crash_as_in_v2(error) from error
