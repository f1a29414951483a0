"""From argv to an ``Invocation``: the three passes of v2's command line.

1. global options and the command word (``ec2``), anywhere on the line;
2. the operation word (``import-image``) among what is left;
3. the operation's own options, plus ``help``.

Whatever the last pass leaves over is v2's ``Unknown options`` error.  Values
are kept as the words the user typed: turning them into request parameters is
``ec2_import_image.dropin.params``' job.  Nothing here imports botocore.

A pass whose word names one of the user's aliases hands it to ``CommandAliases``
(``cli/aliases.py`` expands them) and parses what the alias stands for instead.
``cli/parse.py`` runs the passes as a run does, aliases and v2's checks of the
global options included.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from ec2_import_image.dropin.cli.argparsing import (
    OPTIONAL,
    ArgParser,
    Argument,
    ArgumentError,
    InvalidChoiceError,
    ParseResult,
    VersionRequested,
)
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.cli.options import (
    GLOBAL_OPTIONS,
    Option,
    OptionKind,
    operation_options,
    waiter_options,
)
from ec2_import_image.dropin.errors import ParamValidationError, UnknownOptionsError
from ec2_import_image.dropin.programs import AWS, SHORT
from ec2_import_image.dropin.record import Record
from ec2_import_image.model import Operation, load_model

SERVICE = "ec2"
#: the operation the short program runs
SHORT_OPERATION = "import-image"
WAIT = "wait"
#: the waiter this tool adds to ``aws ec2 wait``, and the operation it polls
IMPORT_WAITER = "image-import-completed"
WAITER_OPERATION = "DescribeImportImageTasks"

HELP_BLURB = (
    "To see help text, you can run:\n"
    "\n"
    "  {prog} help\n"
    "  {prog} <command> help\n"
    "  {prog} <command> <subcommand> help\n"
)
SHORT_HELP_BLURB = "To see help text, you can run:\n\n  {prog} help\n"


def usage(program: str) -> str:
    """The usage block v2 prints with argument errors (ends with a newline)."""
    if program == SHORT:
        return f"usage: {program} [options] [parameters]\n" + SHORT_HELP_BLURB.format(prog=program)
    return (
        f"usage: {program} [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
        + HELP_BLURB.format(prog=program)
    )


class UnsupportedCommandError(ParamValidationError):
    """A command v2 has but this tool does not implement (the AWS CLI may run it)."""


class UnknownCommandError(ParamValidationError):
    """A command, operation, waiter or help topic word v2.36.7 does not know.

    A typo, or a command newer than v2.36.7: the message is v2.36.7's invalid
    choice; a newer AWS CLI v2 may know the word (``commands/handover.py``).
    """


class CommandKind(enum.Enum):
    """What kind of thing a command line asks for."""

    VERSION = "version"
    HELP = "help"
    #: call an operation
    OPERATION = "operation"
    #: run a waiter (``ec2 wait image-import-completed``)
    WAIT = "wait"


#: the values of an invocation without operation options
NO_VALUES: Mapping[str, Any] = MappingProxyType({})


class Invocation(Record):
    """What the command line asks for."""

    __slots__ = (
        "globals",
        "kind",
        "operation",
        "options",
        "program",
        "through_alias",
        "values",
        "words",
    )
    program: str
    #: the global options, resolved, with those of the aliases expanded on the way laid over
    globals: GlobalOptions
    kind: CommandKind
    #: the command words that were given: (), ("ec2",) or ("ec2", "import-image")
    words: tuple[str, ...]
    operation: Operation | None
    #: the operation's options (``CommandKind.OPERATION``) or the waiter's (``CommandKind.WAIT``)
    options: tuple[Option, ...]
    #: parsed operation options by destination
    values: Mapping[str, Any]
    #: one of the user's aliases was expanded on the way
    through_alias: bool

    def __init__(
        self,
        program: str,
        globals: GlobalOptions,
        kind: CommandKind,
        *,
        words: tuple[str, ...] = (),
        operation: Operation | None = None,
        options: tuple[Option, ...] = (),
        values: Mapping[str, Any] = NO_VALUES,
        through_alias: bool = False,
    ) -> None:
        self._fill(locals())


@cache
def known_commands() -> dict[str, list[str]]:
    """v2.36.7's command words: its service commands and EC2 operations."""
    path = os.path.join(os.path.dirname(__file__), "known_commands.json")
    with open(path, encoding="utf-8") as handle:
        data: dict[str, list[str]] = json.load(handle)
    return data


#: the name of the main parser's command word argument
COMMAND = "command"


def _usage_error(
    error: ArgumentError, program: str, *, command_word: bool = False
) -> ParamValidationError:
    """v2's parameter error with the usage block; an unknown command word is told apart."""
    text = f"{error}\n\n{usage(program)}"
    if command_word and isinstance(error, InvalidChoiceError):
        return UnknownCommandError(text)
    return ParamValidationError(text)


def parse_known(
    parser: ArgParser, args: list[str], program: str, *, command_word: bool = False
) -> ParseResult:
    """One pass; an argument error becomes v2's parameter error with the usage block.

    ``command_word``: the parser's one positional is a command word (an
    operation, a waiter, a help topic), whose invalid choice is an
    ``UnknownCommandError``.
    """
    try:
        return parser.parse_known_args(args)
    except ArgumentError as error:
        raise _usage_error(error, program, command_word=command_word) from None


def global_arguments() -> list[Argument]:
    """v2's main parser's options: the global options, then ``--version`` (added last)."""
    arguments = [o.argument() for o in GLOBAL_OPTIONS if o.kind is OptionKind.GLOBAL]
    arguments += [o.argument() for o in GLOBAL_OPTIONS if o.kind is OptionKind.VERSION]
    return arguments


def main_parser(aliases: Sequence[str] = ()) -> ArgParser:
    """v2's main parser: the global options and the command word (its commands and aliases)."""
    commands = known_commands()["commands"]
    choices = [*commands, *(name for name in aliases if name not in commands)]
    return ArgParser([*global_arguments(), Argument(COMMAND, choices=choices, required=True)])


class CommandAliases(Protocol):
    """The user's aliases below the top level, as ``cli/aliases.py`` expands them."""

    @property
    def globals(self) -> GlobalOptions:
        """The global options with those of the aliases expanded so far laid over them."""

    @property
    def expanded(self) -> bool:
        """Whether one of the user's aliases has been expanded on this line."""

    def names(self, lineage: tuple[str, ...]) -> Collection[str]:
        """The aliases among the words that follow ``lineage`` (``("ec2",)``...)."""

    def expand(self, lineage: tuple[str, ...], name: str, args: list[str]) -> list[str]:
        """The words alias ``name`` stands for, then ``args``; its global options applied."""


def _follow_aliases(
    aliases: CommandAliases | None,
    lineage: tuple[str, ...],
    found: tuple[str | None, list[str]],
    real: Collection[str],
    reparse: Callable[[list[str]], tuple[str | None, list[str]]],
    *,
    ignored: Collection[str] = (),
) -> tuple[str | None, list[str], bool]:
    """v2's alias commands at one level: the word and its arguments once no alias is left.

    An alias's words followed by the rest are the level's arguments again, parsed
    afresh; an alias named after a real command (it shadows it) runs that command
    with those arguments but the first, as v2 does.  Returns the word, its
    arguments and whether a shadowing alias led to it.
    """
    word, rest = found
    if aliases is None:
        return word, rest, False
    names = [name for name in aliases.names(lineage) if name not in ignored]
    while word is not None and word in names:
        args = aliases.expand(lineage, word, rest)
        if word in real:
            return word, args[1:], True
        word, rest = reparse(args)
    return word, rest, False


class TopLevel(NamedTuple):
    """The first pass: global options and the command word; the rest for the next passes."""

    program: str
    #: as parsed, not yet resolved (``globalopts.resolved``)
    globals: GlobalOptions
    #: the command word (``ec2``, ``help``...), None when ``--version`` was asked for
    command: str | None
    rest: list[str]


def first_pass(argv: list[str], program: str = AWS) -> tuple[str | None, bool]:
    """v2's first look at the line, before anything else: ``--profile`` and ``--debug``.

    Its errors have their own usage line (``usage: aws [--profile PROFILE] [--debug]``).
    """
    parser = ArgParser(
        [
            Argument("profile", ("--profile",)),
            Argument("debug", ("--debug",), action="store_true", default=False),
        ]
    )
    try:
        parsed = parser.parse_known_args(argv)
    except ArgumentError as error:
        raise ParamValidationError(
            f"{error}\n\nusage: {program} [--profile PROFILE] [--debug]\n"
        ) from None
    return parsed.values["profile"], bool(parsed.values["debug"])


def parse_top_level(argv: list[str], program: str = AWS, aliases: Sequence[str] = ()) -> TopLevel:
    """The global options and the command word, anywhere on the line (v2's main parser).

    ``aliases`` are the user's top-level aliases, command words as well.
    """
    args = [SERVICE, SHORT_OPERATION, *argv] if program == SHORT else list(argv)
    main = main_parser(aliases)
    try:
        top = main.parse_known_args(args)
    except VersionRequested:
        return TopLevel(program, GlobalOptions(), None, [])
    except ArgumentError as error:
        raise _usage_error(error, program, command_word=error.argument == COMMAND) from None
    return TopLevel(program, GlobalOptions.parsed(top.values), top.values[COMMAND], top.extras)


class _Line:
    """The passes after the first: the program, its global options, the aliases below."""

    __slots__ = ("aliases", "top")

    def __init__(self, top: TopLevel, aliases: CommandAliases | None) -> None:
        self.top = top
        self.aliases = aliases

    @property
    def program(self) -> str:
        return self.top.program

    def invocation(self, kind: CommandKind, **fields: Any) -> Invocation:
        """The invocation, with the global options as the aliases expanded so far left them."""
        if self.aliases is None:
            return Invocation(self.program, self.top.globals, kind, **fields)
        return Invocation(
            self.program,
            self.aliases.globals,
            kind,
            through_alias=self.aliases.expanded,
            **fields,
        )


def parse_command(top: TopLevel, aliases: CommandAliases | None = None) -> Invocation:
    """The passes after the first: the operation word, then the operation's options.

    ``top`` has its top-level alias expanded already; ``aliases`` expands those
    of the words below (``[command ec2]``, ``[command ec2 wait]``...).
    """
    line = _Line(top, aliases)
    program = top.program
    if top.command is None:
        return line.invocation(CommandKind.VERSION)
    if top.command == "help":
        return _parse_help_topic(line, top.rest)
    if top.command != SERVICE:
        raise UnsupportedCommandError(_unsupported(program, top.command))
    operations = known_commands()["ec2_operations"]
    lineage = (SERVICE,)
    names = () if aliases is None else aliases.names(lineage)
    choices = [*operations, *(name for name in names if name not in operations)]

    def operation_word(args: list[str]) -> tuple[str | None, list[str]]:
        service = ArgParser([Argument("operation", choices=choices, required=True)])
        second = parse_known(service, args, program, command_word=True)
        return second.values["operation"], second.extras

    # v2 puts its own `help` over an alias of that name
    op_name, rest, shadowed = _follow_aliases(
        aliases, lineage, operation_word(top.rest), operations, operation_word, ignored=("help",)
    )
    assert op_name is not None  # the operation word is required
    if op_name == "help":
        return line.invocation(CommandKind.HELP, words=(SERVICE,))
    # a command reached through an alias that shadows it has lost its parent: `wait`, not `ec2 wait`
    own_lineage = (op_name,) if shadowed else (SERVICE, op_name)
    if op_name == WAIT:
        return _parse_wait(line, rest, own_lineage)
    operation = load_model().operation_by_cli_name(op_name)
    if operation is None:
        raise UnsupportedCommandError(_unsupported(program, f"{SERVICE} {op_name}"))
    return _parse_operation(
        line,
        words=(SERVICE, op_name),
        operation=operation,
        remaining=rest,
        kind=CommandKind.OPERATION,
        lineage=own_lineage,
    )


def _parse_operation(
    line: _Line,
    *,
    words: tuple[str, ...],
    operation: Operation,
    remaining: list[str],
    kind: CommandKind,
    lineage: tuple[str, ...] = (),
) -> Invocation:
    """The last pass: the options of an operation (or of a waiter on it), and ``help``.

    Aliases under the operation (``[command ec2 import-image]``) are words among
    its options, as v2 makes them: once any exists, a free word must be one.
    """
    if remaining == ["help"]:
        return line.invocation(CommandKind.HELP, words=words, operation=operation)
    program, aliases = line.program, line.aliases
    options = (
        operation_options(operation) if kind is CommandKind.OPERATION else waiter_options(operation)
    )
    names = () if aliases is None else aliases.names(lineage)
    if aliases is not None and names:
        subcommand = Argument("subcommand", nargs=OPTIONAL, choices=list(names))
        parser = ArgParser([*(o.argument() for o in options), subcommand])
        word = parse_known(parser, remaining, program).values["subcommand"]
        if word is not None:
            args = list(remaining)
            args.remove(word)
            return _parse_operation(
                line,
                words=words,
                operation=operation,
                remaining=aliases.expand(lineage, word, args),
                kind=kind,
                lineage=lineage,
            )
    parser = ArgParser([*(o.argument() for o in options), Argument("help", nargs=OPTIONAL)])
    third = parse_known(parser, remaining, program)
    help_word = third.values.pop("help")
    if help_word == "help":
        return line.invocation(CommandKind.HELP, words=words, operation=operation)
    extras = list(third.extras)
    if help_word is not None:
        extras.append(help_word)
    if extras:
        raise UnknownOptionsError(f"Unknown options: {', '.join(extras)}")
    return line.invocation(
        kind, words=words, operation=operation, options=tuple(options), values=third.values
    )


def _parse_help_topic(line: _Line, remaining: list[str]) -> Invocation:
    """``aws help [topic]``: v2's help topics are the only words ``help`` takes."""
    if remaining and remaining != ["help"]:
        topics = known_commands()["help_topics"]
        parsed = parse_known(
            ArgParser([Argument("subcommand", nargs=OPTIONAL, choices=topics)]),
            remaining,
            line.program,
            command_word=True,
        )
        topic = parsed.values["subcommand"]
        if topic is not None:
            raise UnsupportedCommandError(_unsupported(line.program, f"help {topic}"))
    return line.invocation(CommandKind.HELP)


def _parse_wait(
    line: _Line, remaining: list[str], lineage: tuple[str, ...] = (SERVICE, WAIT)
) -> Invocation:
    """``ec2 wait <waiter>``: v2's EC2 waiters, of which this tool adds and runs one.

    ``image-import-completed`` waits for import image tasks, an extension (the
    AWS CLI has no waiter for them); its options are those of
    describe-import-image-tasks, as v2's waiters take their operation's.
    """
    program, aliases = line.program, line.aliases
    waiters = [*known_commands()["ec2_waiters"], IMPORT_WAITER]
    names = () if aliases is None else aliases.names(lineage)
    words = [*waiters, "help"]
    choices = [*words, *(name for name in names if name not in words)]

    def waiter_word(args: list[str]) -> tuple[str | None, list[str]]:
        parser = ArgParser([Argument("subcommand", nargs=OPTIONAL, choices=choices)])
        word = parse_known(parser, args, program, command_word=True).values["subcommand"]
        rest = list(args)
        if word is not None:
            rest.remove(word)
        return word, rest

    # v2 adds its waiters over the aliases of the same names
    waiter, rest, _ = _follow_aliases(
        aliases, lineage, waiter_word(remaining), (), waiter_word, ignored=words
    )
    if waiter is None:
        raise ParamValidationError(
            f"usage: {program} [options] {' '.join(lineage)} <subcommand> [parameters]\n"
            f"{program}: [ERROR]: too few arguments"
        )
    if waiter == "help":
        return line.invocation(CommandKind.HELP, words=(SERVICE, WAIT))
    if waiter != IMPORT_WAITER:
        raise UnsupportedCommandError(_unsupported(program, f"{SERVICE} {WAIT} {waiter}"))
    operation = load_model().operation(WAITER_OPERATION)
    return _parse_operation(
        line,
        words=(SERVICE, WAIT, waiter),
        operation=operation,
        remaining=rest,
        kind=CommandKind.WAIT,
        lineage=(*lineage, waiter),
    )


def _unsupported(program: str, command: str) -> str:
    return (
        f"'{program} {command}' is an AWS CLI command that this tool does not implement: "
        "ec2-import-image implements the VM Import commands only "
        "(ec2 import-image, ec2 describe-import-image-tasks, ec2 cancel-import-task, "
        f"ec2 wait {IMPORT_WAITER})."
    )
