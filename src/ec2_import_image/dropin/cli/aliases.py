"""The user's CLI aliases (``~/.aws/cli/alias``), expanded as AWS CLI v2 expands them.

The file is INI, read as botocore reads configuration (no interpolation, option
names lower-cased, ``[DEFAULT]`` values in every section, a value continued on
indented lines).  Its location depends on ``HOME`` only; no variable moves it.
A file that cannot be parsed ends every command (``Unable to parse config
file: PATH``, 255), as v2 reads it before it parses the command line.

``[toplevel]`` aliases are command words (``ii = ec2 import-image``);
``[command ec2]`` aliases are operation words, ``[command ec2 wait]`` waiter
words and ``[command ec2 import-image]`` words among that operation's options.
An alias's value is split as a shell would; its global options are parsed by
v2's main parser and laid over the user's (``--debug`` and ``--profile`` are
refused), and its other words come before the user's remaining ones.  A value
starting with ``!`` is a shell command (an external alias): the user's
remaining words are quoted onto it and the shell's exit code is the command's.
"""

from __future__ import annotations

import configparser
import os
import shlex
from collections.abc import Collection, Mapping
from typing import NamedTuple

from ec2_import_image.dropin.cli.commandline import (
    SERVICE,
    TopLevel,
    known_commands,
    main_parser,
    parse_known,
)
from ec2_import_image.dropin.cli.globalopts import GlobalOptions, laid_over, resolved
from ec2_import_image.dropin.cli.options import GLOBAL_OPTIONS, OptionKind
from ec2_import_image.dropin.errors import GeneralError
from ec2_import_image.environment import expand_user

#: the global options v2 forbids in an alias (it has already acted on the user's)
REFUSED_GLOBALS = ("debug", "profile")
#: settings v2 takes from the user's options when its session starts, before it runs an alias:
#: an alias's value for them has no effect
SESSION_GLOBALS = ("ca_bundle", "no_cli_pager", "cli_binary_format")
#: v2 sets its clients' time-outs again from every alias it runs, to their defaults when the
#: alias gives none (the user's ``--cli-read-timeout`` is lost on the way)
TIMEOUT_GLOBALS = ("read_timeout", "connect_timeout")
#: v2 follows an alias to an alias by recursion until Python's limit stops it: after 480
#: top-level aliases, or 240 below the top level (each takes twice the stack), for a command
#: that needs little stack itself (a command that sends a request fails a few dozen earlier)
RECURSION_BUDGET = 480
RECURSION_MESSAGE = "maximum recursion depth exceeded while calling a Python object"


class Alias(NamedTuple):
    name: str
    #: the value, without the blank lines around it
    value: str

    @property
    def external(self) -> bool:
        return self.value.startswith("!")

    def words(self) -> list[str]:
        """The value split as a shell would, as v2 splits it (with its message when it cannot)."""
        try:
            words = shlex.split(self.value)
        except ValueError as error:
            raise GeneralError(
                f'Value of alias "{self.name}" could not be parsed. '
                f"Received error: {error} when parsing:\n{self.value}"
            ) from None
        return [word.strip(os.linesep) for word in words]

    def shell_command(self, args: list[str]) -> str:
        """An external alias's command line: its value after ``!``, then the words, quoted."""
        return " ".join([self.value[1:], *(shlex.quote(arg) for arg in args)])


class ExternalAlias(Exception):
    """The command line runs an external alias: ``command`` is for the shell."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


class AliasTable:
    """The aliases of the file: ``[toplevel]`` and the ``[command WORD...]`` sections."""

    def __init__(
        self,
        toplevel: Mapping[str, str] | None = None,
        commands: Mapping[tuple[str, ...], Mapping[str, str]] | None = None,
    ) -> None:
        self._toplevel = dict(toplevel or {})
        self._commands = {lineage: dict(values) for lineage, values in (commands or {}).items()}

    def section(self, lineage: tuple[str, ...] = ()) -> dict[str, str]:
        """The aliases among the words after ``lineage``; ``()`` for the top level."""
        if not lineage:
            return self._toplevel
        return self._commands.get(lineage, {})

    def alias(self, lineage: tuple[str, ...], name: str) -> Alias:
        return Alias(name, self.section(lineage)[name])


def alias_path(environ: Mapping[str, str]) -> str:
    """``~/.aws/cli/alias``, with ``~`` from ``HOME`` as Python's ``expanduser`` takes it."""
    relative = os.path.join(".aws", "cli", "alias")
    home = environ.get("HOME")
    if home is None:
        return expand_user(os.path.join("~", relative), environ)
    return home.rstrip(os.sep) + os.sep + relative


def load_aliases(environ: Mapping[str, str]) -> AliasTable:
    """The alias file as v2 reads it; no file is no aliases, an unreadable one too."""
    path = alias_path(environ)
    if not os.path.exists(path):
        return AliasTable()
    if not os.path.isfile(path):
        raise GeneralError(f"The specified config file ({path}) could not be found.")
    parser = configparser.RawConfigParser()
    try:
        parser.read([path], encoding="utf-8")  # skips a file it cannot open, as botocore
    except (configparser.Error, UnicodeDecodeError):
        raise GeneralError(f"Unable to parse config file: {path}") from None
    toplevel: dict[str, str] = {}
    commands: dict[tuple[str, ...], dict[str, str]] = {}
    for section in parser.sections():
        values = {name: parser.get(section, name).strip() for name in parser.options(section)}
        if section == "toplevel":
            toplevel = values
        elif section.startswith("command "):
            commands[tuple(section.split()[1:])] = values
    return AliasTable(toplevel, commands)


class AliasExpander:
    """Expands the aliases of one command line, laying their global options over ``globals``.

    ``globals`` starts as the user's global options, resolved; each alias that
    gives global options replaces it with a new record.  Every set of global
    options an alias gives is resolved as the user's were (``--query``
    compiled, ``--endpoint-url``, time-outs).
    """

    def __init__(self, table: AliasTable, program: str, globals_: GlobalOptions) -> None:
        self.table = table
        self.program = program
        self.globals = globals_
        self._depth = 0

    def names(self, lineage: tuple[str, ...]) -> Collection[str]:
        return self.table.section(lineage).keys()

    @property
    def expanded(self) -> bool:
        """Whether one of the user's aliases has been expanded on this line."""
        return self._depth > 0

    def expand_toplevel(self, top: TopLevel) -> TopLevel:
        """The command word and its arguments once no top-level alias is left.

        The command an alias names is taken from its own words; an alias named
        after a real command (``ec2 = ec2 --output text``) runs that command when
        its value names it.  Raises ``ExternalAlias`` for a shell command.
        """
        aliases = self.table.section()
        commands = known_commands()["commands"]
        while top.command is not None and top.command in aliases:
            alias = self._next(top.command, ())
            if alias.external:
                raise ExternalAlias(alias.shell_command(top.rest))
            command, words = self._apply(alias, alias.words())
            top = TopLevel(top.program, self.globals, command, [*words, *top.rest])
            if command == alias.name and command in commands:
                break
        return top

    def expand(self, lineage: tuple[str, ...], name: str, args: list[str]) -> list[str]:
        """An alias below the top level: its words (global options applied), then ``args``."""
        alias = self._next(name, lineage)
        if alias.external:
            raise ExternalAlias(alias.shell_command(args))
        # v2 parses the alias's words after the command word the line runs
        _, words = self._apply(alias, [SERVICE, *alias.words()])
        return [*words, *args]

    def _next(self, name: str, lineage: tuple[str, ...]) -> Alias:
        self._depth += 2 if lineage else 1
        if self._depth > RECURSION_BUDGET:
            raise GeneralError(RECURSION_MESSAGE)
        return self.table.alias(lineage, name)

    def _apply(self, alias: Alias, words: list[str]) -> tuple[str, list[str]]:
        """Parse ``words`` with v2's main parser; apply the global options the alias gives.

        Returns the command word and the words that are not global options.
        """
        parser = main_parser(list(self.table.section()))
        parsed = parse_known(parser, words, self.program)
        given: list[str] = []
        for option in GLOBAL_OPTIONS:
            value = parsed.values.get(option.dest)
            if option.kind is OptionKind.VERSION or value == option.default:
                continue
            if option.dest in REFUSED_GLOBALS:
                raise GeneralError(
                    f'Global parameter "--{option.dest}" detected in alias "{alias.name}" '
                    "which is not supported in subcommand aliases."
                )
            given.append(option.dest)
        alias_globals = resolved(GlobalOptions.parsed(parsed.values))
        self.globals = laid_over(
            self.globals, alias_globals, given, kept=SESSION_GLOBALS, reset=TIMEOUT_GLOBALS
        )
        return str(parsed.values["command"]), list(parsed.extras)
