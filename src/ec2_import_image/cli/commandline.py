"""From argv to an ``Invocation``: the three passes of v2's command line.

1. global options and the command word (``ec2``), anywhere on the line;
2. the operation word (``import-image``) among what is left;
3. the operation's own options, plus ``help``.

Whatever the last pass leaves over is v2's ``Unknown options`` error.  Values
are kept as the words the user typed: turning them into request parameters is
``ec2_import_image.params``' job.  Nothing here imports botocore.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, NamedTuple

from ec2_import_image.cli.argparsing import (
    OPTIONAL,
    ArgParser,
    Argument,
    ArgumentError,
    ParseResult,
    VersionRequested,
)
from ec2_import_image.cli.options import (
    OperationOption,
    global_arguments,
    operation_options,
    waiter_options,
)
from ec2_import_image.errors import ParamValidationError, UnknownOptionsError
from ec2_import_image.model import Operation, load_model

AWS = "aws"
SHORT = "ec2-import-image"
SERVICE = "ec2"
#: the operation the short program runs
SHORT_OPERATION = "import-image"
WAIT = "wait"
#: the waiter this tool adds to ``aws ec2 wait``
IMPORT_WAITER = "image-import-completed"

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
    """A command v2 has but this tool does not implement."""


class Invocation:
    """What the command line asks for."""

    def __init__(
        self,
        program: str,
        globals_: dict[str, Any],
        action: str,
        *,
        words: tuple[str, ...] = (),
        operation: Operation | None = None,
        options: list[OperationOption] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self.program = program
        #: parsed global options by destination (see ``options.global_arguments``)
        self.globals = globals_
        #: "version", "help", "operation" or "wait"
        self.action = action
        #: the command words that were given: (), ("ec2",) or ("ec2", "import-image")
        self.words = words
        self.operation = operation
        self.options: list[OperationOption] = [] if options is None else options
        #: parsed operation options by destination
        self.values: dict[str, Any] = {} if values is None else values

    def _key(self) -> tuple[Any, ...]:
        op = None if self.operation is None else self.operation.name
        return (self.program, self.globals, self.action, self.words, op, self.options, self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invocation) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Invocation({self.action!r}, words={self.words!r})"


@cache
def known_commands() -> dict[str, list[str]]:
    """v2.36.7's command words: its service commands and EC2 operations."""
    path = os.path.join(os.path.dirname(__file__), "known_commands.json")
    with open(path, encoding="utf-8") as handle:
        data: dict[str, list[str]] = json.load(handle)
    return data


def _usage_error(error: ArgumentError, program: str) -> ParamValidationError:
    return ParamValidationError(f"{error}\n\n{usage(program)}")


def _parse(parser: ArgParser, args: list[str], program: str) -> ParseResult:
    try:
        return parser.parse_known_args(args)
    except ArgumentError as error:
        raise _usage_error(error, program) from None


class TopLevel(NamedTuple):
    """The first pass: global options and the command word; the rest for the next passes."""

    program: str
    globals: dict[str, Any]
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


def parse_top_level(argv: list[str], program: str = AWS) -> TopLevel:
    """The global options and the command word, anywhere on the line (v2's main parser)."""
    args = [SERVICE, SHORT_OPERATION, *argv] if program == SHORT else list(argv)
    main = ArgParser(
        [
            *global_arguments(),
            Argument("command", choices=known_commands()["commands"], required=True),
        ]
    )
    try:
        top = main.parse_known_args(args)
    except VersionRequested:
        return TopLevel(program, {}, None, [])
    except ArgumentError as error:
        raise _usage_error(error, program) from None
    parsed_globals = {k: v for k, v in top.values.items() if k not in ("command", "version")}
    return TopLevel(program, parsed_globals, top.values["command"], top.extras)


def parse_command_line(argv: list[str], program: str = AWS) -> Invocation:
    """Parse argv (without the program name) as v2 would: all three passes.

    Raises ``ParamValidationError`` for argument errors (with the usage block
    appended, as v2 prints them) and ``UnknownOptionsError`` for what no pass
    consumed.
    """
    return parse_command(parse_top_level(argv, program))


def parse_command(top: TopLevel) -> Invocation:
    """The passes after the first: the operation word, then the operation's options."""
    program, parsed_globals = top.program, top.globals
    if top.command is None:
        return Invocation(program, {}, "version")
    if top.command == "help":
        return _parse_help_topic(program, parsed_globals, top.rest)
    if top.command != SERVICE:
        raise UnsupportedCommandError(_unsupported(program, top.command))
    commands = known_commands()
    service = ArgParser([Argument("operation", choices=commands["ec2_operations"], required=True)])
    second = _parse(service, top.rest, program)
    op_name = second.values["operation"]
    if op_name == "help":
        return Invocation(program, parsed_globals, "help", words=(SERVICE,))
    if op_name == WAIT:
        return _parse_wait(program, parsed_globals, second.extras)
    operation = load_model().operation_by_cli_name(op_name)
    if operation is None:
        raise UnsupportedCommandError(_unsupported(program, f"{SERVICE} {op_name}"))
    return _parse_operation(
        program=program,
        parsed_globals=parsed_globals,
        words=(SERVICE, op_name),
        operation=operation,
        remaining=second.extras,
        action="operation",
    )


def _parse_operation(
    *,
    program: str,
    parsed_globals: dict[str, Any],
    words: tuple[str, ...],
    operation: Operation,
    remaining: list[str],
    action: str,
) -> Invocation:
    """The last pass: the options of an operation (or of a waiter on it), and ``help``."""
    if remaining == ["help"]:
        return Invocation(program, parsed_globals, "help", words=words, operation=operation)
    options = operation_options(operation) if action == "operation" else waiter_options(operation)
    parser = ArgParser([*(o.argument() for o in options), Argument("help", nargs=OPTIONAL)])
    third = _parse(parser, remaining, program)
    help_word = third.values.pop("help")
    if help_word == "help":
        return Invocation(program, parsed_globals, "help", words=words, operation=operation)
    extras = list(third.extras)
    if help_word is not None:
        extras.append(help_word)
    if extras:
        raise UnknownOptionsError(f"Unknown options: {', '.join(extras)}")
    return Invocation(
        program,
        parsed_globals,
        action,
        words=words,
        operation=operation,
        options=options,
        values=third.values,
    )


def _parse_help_topic(
    program: str, parsed_globals: dict[str, Any], remaining: list[str]
) -> Invocation:
    """``aws help [topic]``: v2's help topics are the only words ``help`` takes."""
    if remaining and remaining != ["help"]:
        topics = known_commands()["help_topics"]
        parsed = _parse(
            ArgParser([Argument("subcommand", nargs=OPTIONAL, choices=topics)]), remaining, program
        )
        topic = parsed.values["subcommand"]
        if topic is not None:
            raise UnsupportedCommandError(_unsupported(program, f"help {topic}"))
    return Invocation(program, parsed_globals, "help")


def _parse_wait(program: str, parsed_globals: dict[str, Any], remaining: list[str]) -> Invocation:
    """``ec2 wait <waiter>``: v2's EC2 waiters, of which this tool adds and runs one.

    ``image-import-completed`` waits for import image tasks, an extension (the
    AWS CLI has no waiter for them); its options are those of
    describe-import-image-tasks, as v2's waiters take their operation's.
    """
    choices = [*known_commands()["ec2_waiters"], IMPORT_WAITER, "help"]
    parser = ArgParser([Argument("subcommand", nargs=OPTIONAL, choices=choices)])
    parsed = _parse(parser, remaining, program)
    waiter = parsed.values["subcommand"]
    if waiter is None:
        raise ParamValidationError(
            f"usage: {program} [options] {SERVICE} {WAIT} <subcommand> [parameters]\n"
            f"{program}: [ERROR]: too few arguments"
        )
    if waiter == "help":
        return Invocation(program, parsed_globals, "help", words=(SERVICE, WAIT))
    if waiter != IMPORT_WAITER:
        raise UnsupportedCommandError(_unsupported(program, f"{SERVICE} {WAIT} {waiter}"))
    rest = list(remaining)
    rest.remove(waiter)
    operation = load_model().operation("DescribeImportImageTasks")
    return _parse_operation(
        program=program,
        parsed_globals=parsed_globals,
        words=(SERVICE, WAIT, waiter),
        operation=operation,
        remaining=rest,
        action="wait",
    )


def _unsupported(program: str, command: str) -> str:
    return (
        f"'{program} {command}' is an AWS CLI command that this tool does not implement: "
        "ec2-import-image implements the VM Import commands only "
        "(ec2 import-image, ec2 describe-import-image-tasks, ec2 cancel-import-task, "
        f"ec2 wait {IMPORT_WAITER})."
    )
