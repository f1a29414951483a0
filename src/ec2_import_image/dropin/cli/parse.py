"""A run's command line, parsed as the run parses it: argv and Environment -> ``Invocation``.

The one parse of the drop-in: ``app.run_command`` calls it, and the tests call
it.  In v2's order, because it decides which of several errors a line gets:

1. the alias file is read (``~/.aws/cli/alias``; the short program has none);
2. the first pass: the global options and the command word (``commandline``);
   ``--version`` ends the parse there;
3. the global options are resolved (``globalopts.resolved``), and the checks
   v2 makes when its session starts run: ``AWS_CLI_OUTPUT_ENCODING``, the
   profile's CLI settings;
4. the aliases are expanded, their global options laid over the user's, and
   the passes after the first run (``commandline.parse_command``).

A command this tool does not serve raises ``UnsupportedCommandError`` or
``UnknownCommandError``, an external alias ``ExternalAlias``: the caller runs
them elsewhere.  ``state.globals`` follows the global options as they are
resolved and laid over, so that an error raised on the way is reported in the
format they ask for.
"""

from __future__ import annotations

from ec2_import_image.dropin.cli.aliases import AliasExpander, AliasTable, load_aliases
from ec2_import_image.dropin.cli.argparsing import VersionRequested
from ec2_import_image.dropin.cli.commandline import (
    CommandKind,
    Invocation,
    parse_command,
    parse_top_level,
)
from ec2_import_image.dropin.cli.globalopts import GlobalOptions, resolved
from ec2_import_image.dropin.errors import ConfigurationError, GeneralError
from ec2_import_image.dropin.programs import AWS
from ec2_import_image.dropin.runstate import RunState
from ec2_import_image.environment import Environment


def parse_invocation(
    argv: list[str], env: Environment, state: RunState | None = None
) -> Invocation:
    """Parse ``argv`` (without the program name) as a run of ``env.program`` does."""
    state = RunState(env) if state is None else state
    program = env.program
    # v2 reads the alias file first; the short program has no aliases
    aliases = load_aliases(env.environ) if program == AWS else AliasTable()
    top = parse_top_level(argv, program, list(aliases.section()))
    if top.command is None:
        return Invocation(program, GlobalOptions(), CommandKind.VERSION)
    state.globals = top.globals  # an error in their resolution is reported by them
    state.globals = resolved(top.globals)
    check_output_encoding(env)
    check_profile_settings(state, state.globals)
    expander = AliasExpander(aliases, program, state.globals)
    try:
        return parse_command(expander.expand_toplevel(top), expander)
    except VersionRequested:  # `--version` in an alias
        return Invocation(program, expander.globals, CommandKind.VERSION, through_alias=True)
    finally:
        state.globals = expander.globals


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


def check_profile_settings(state: RunState, options: GlobalOptions) -> None:
    """v2 checks the profile's CLI settings when its session starts, for every command."""
    problem = state.config.cli_settings_problem(options.profile, options.cli_binary_format)
    if problem is None:
        return
    error = ConfigurationError if problem.configuration else GeneralError
    raise error(problem.message)
