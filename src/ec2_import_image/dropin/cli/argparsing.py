"""An option parser with the semantics of Python 3.11's argparse, as AWS CLI v2 uses it.

AWS CLI v2 parses its command line in three argparse passes (global options
and the command word, then the operation word, then the operation's options),
each with ``parse_known_args``.  Its observable behaviour follows from
argparse's algorithm: unique prefixes of long options are accepted, an
ambiguous prefix is an error raised while the arguments are first scanned,
``-x`` never counts as a value for an option but ``-1`` does, a word with a
space never counts as an option, unknown options are collected rather than
refused, and an optional positional argument swallows the first free word it
meets.  Later Python versions changed some of these corners, so the tool does
not rely on the stdlib module: this is an independent implementation of the
same algorithm, pinned to the behaviour v2.36.7 shows (it runs on Python 3.11).

Only what the AWS command line uses is implemented: long options (``--name``),
the ``store``/``store_true``/``store_false``/``version`` actions, ``nargs`` of
one value, ``?``, ``*`` and ``+``, positional words with choices.  One addition
argparse lacks: an option declared ``exact`` accepts no prefix of its name, so
that this tool's extensions (``--wait``...) leave v2's prefixes as v2 has them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

ONE = None  # nargs: exactly one value
OPTIONAL = "?"
ZERO_OR_MORE = "*"
ONE_OR_MORE = "+"

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


class ArgumentError(Exception):
    """A parse error; ``str()`` is argparse's ``argument NAME: message`` or a bare message."""

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.argument = argument

    def __str__(self) -> str:
        if self.argument is None:
            return self.message
        return f"argument {self.argument}: {self.message}"


class InvalidChoiceError(ArgumentError):
    """A word outside an argument's choices (``Found invalid choice ...``).

    Its own class so that callers can tell an unknown command word from the
    other argument errors.
    """


class VersionRequested(Exception):
    """``--version`` was seen while parsing; parsing stops there as in argparse."""


class Argument:
    """One option (``flags`` non-empty) or positional word (``flags`` empty)."""

    def __init__(
        self,
        dest: str,
        flags: tuple[str, ...] = (),
        *,
        action: str = "store",
        nargs: str | None = ONE,
        choices: Sequence[str] | None = None,
        default: Any = None,
        const: Any = None,
        required: bool = False,
        type: Callable[[str], Any] | None = None,
        type_name: str = "",
        metavar: str | None = None,
        exact: bool = False,
    ) -> None:
        self.dest = dest
        self.flags = flags
        #: store, store_true, store_false, store_const, version
        self.action = action
        self.nargs = (
            "0" if action in ("store_true", "store_false", "store_const", "version") else nargs
        )
        self.choices = choices
        self.default = default
        self.const = {"store_true": True, "store_false": False}.get(action, const)
        self.required = required
        #: converts one word; raising ValueError/TypeError gives argparse's "invalid X value"
        self.type = type
        self.type_name = type_name
        self.metavar = metavar
        #: matched by its whole name only: no prefix of it is accepted (this tool's
        #: own options, which must leave v2's unknown or ambiguous prefixes as they are)
        self.exact = exact

    def __repr__(self) -> str:
        return f"Argument({self.display_name!r}, action={self.action!r}, nargs={self.nargs!r})"

    @property
    def display_name(self) -> str:
        if self.flags:
            return "/".join(self.flags)
        return self.metavar or self.dest


class ParseResult(NamedTuple):
    values: dict[str, Any]
    extras: list[str]
    #: destinations given on the command line (even when given their default)
    seen: set[str]


def invalid_choice_message(value: str, choices: Sequence[str]) -> str:
    """v2's message for a value outside an argument's choices, with close matches.

    ``difflib`` (and ``heapq`` with it) is imported here, for the lines that need it:
    about half a millisecond that a run of a valid line does not spend.
    """
    from difflib import get_close_matches

    lines = [f"Found invalid choice '{value}'\n"]
    possible = get_close_matches(value, list(choices), cutoff=0.8)
    if possible:
        lines.append("Maybe you meant:\n")
        lines.extend(f"  * {word}" for word in possible)
    return "\n".join(lines)


def _nargs_pattern(arg: Argument) -> str:
    nargs = arg.nargs
    if nargs == "0":
        pattern = "(-*-*)"
    elif nargs is ONE:
        pattern = "(-*A-*)"
    elif nargs == OPTIONAL:
        pattern = "(-*A?-*)"
    elif nargs == ZERO_OR_MORE:
        pattern = "(-*[A-]*)"
    elif nargs == ONE_OR_MORE:
        pattern = "(-*A[A-]*)"
    else:  # pragma: no cover - no other nargs is declared
        raise ValueError(nargs)
    if arg.flags:
        pattern = pattern.replace("-*", "").replace("-", "")
    return pattern


_NARGS_ERRORS = {
    ONE: "expected one argument",
    OPTIONAL: "expected at most one argument",
    ONE_OR_MORE: "expected at least one argument",
}

OptionTuple = tuple[Argument | None, str, str | None]


class ArgParser:
    """A parser for one pass: its options and positional words, in declaration order."""

    def __init__(self, arguments: Sequence[Argument]) -> None:
        self.arguments = list(arguments)
        self._by_flag: dict[str, Argument] = {}
        for arg in self.arguments:
            for flag in arg.flags:
                self._by_flag[flag] = arg
        self._positionals = [a for a in self.arguments if not a.flags]

    # -- scanning ------------------------------------------------------------
    def _option_tuples(self, arg_string: str) -> list[OptionTuple]:
        result: list[OptionTuple] = []
        if arg_string.startswith("--"):
            if "=" in arg_string:
                prefix, explicit = arg_string.split("=", 1)
            else:
                prefix, explicit = arg_string, None
            for flag, arg in self._by_flag.items():
                if flag.startswith(prefix) and not arg.exact:
                    result.append((arg, flag, explicit))
        else:
            short_prefix, short_explicit = arg_string[:2], arg_string[2:]
            for flag, arg in self._by_flag.items():
                if arg.exact:
                    continue
                if flag == short_prefix:
                    result.append((arg, flag, short_explicit))
                elif flag.startswith(arg_string):
                    result.append((arg, flag, None))
        return result

    def _parse_optional(self, arg_string: str) -> OptionTuple | None:
        if not arg_string or arg_string[0] != "-":
            return None
        if arg_string in self._by_flag:
            return self._by_flag[arg_string], arg_string, None
        if len(arg_string) == 1:
            return None
        if "=" in arg_string:
            flag, explicit = arg_string.split("=", 1)
            if flag in self._by_flag:
                return self._by_flag[flag], flag, explicit
        tuples = self._option_tuples(arg_string)
        if len(tuples) > 1:
            matches = ", ".join(flag for _, flag, _ in tuples)
            raise ArgumentError(f"ambiguous option: {arg_string} could match {matches}")
        if len(tuples) == 1:
            return tuples[0]
        if _NEGATIVE_NUMBER.match(arg_string):
            return None
        if " " in arg_string:
            return None
        return None, arg_string, None

    # -- values --------------------------------------------------------------
    def _convert(self, arg: Argument, word: str) -> Any:
        if arg.type is None:
            return word
        try:
            return arg.type(word)
        except (TypeError, ValueError):
            name = arg.type_name or getattr(arg.type, "__name__", repr(arg.type))
            raise ArgumentError(f"invalid {name} value: {word!r}", arg.display_name) from None

    def _check(self, arg: Argument, value: Any) -> None:
        if arg.choices is not None and value not in arg.choices:
            raise InvalidChoiceError(invalid_choice_message(value, arg.choices), arg.display_name)

    def _values(self, arg: Argument, words: list[str]) -> Any:
        if "--" in words:
            words = list(words)
            words.remove("--")
        if not words and arg.nargs == OPTIONAL:
            value = arg.const if arg.flags else arg.default
            if isinstance(value, str):
                value = self._convert(arg, value)
                self._check(arg, value)
            return value
        if not words and arg.nargs == ZERO_OR_MORE and not arg.flags:
            value = arg.default if arg.default is not None else []
            self._check(arg, value)
            return value
        if len(words) == 1 and arg.nargs in (ONE, OPTIONAL):
            value = self._convert(arg, words[0])
            self._check(arg, value)
            return value
        if arg.nargs == "0":
            return arg.const
        values = [self._convert(arg, w) for w in words]
        for v in values:
            self._check(arg, v)
        return values

    # -- the algorithm -------------------------------------------------------
    def parse_known_args(self, args: Sequence[str]) -> ParseResult:
        args = list(args)
        values: dict[str, Any] = {}
        for arg in self.arguments:
            values.setdefault(arg.dest, arg.default)
        seen: set[str] = set()
        seen_args: set[int] = set()
        extras: list[str] = []

        option_at: dict[int, OptionTuple] = {}
        pattern_parts: list[str] = []
        index = 0
        while index < len(args):
            word = args[index]
            if word == "--":
                pattern_parts.append("-")
                pattern_parts.extend("A" for _ in args[index + 1 :])
                break
            parsed = self._parse_optional(word)
            if parsed is None:
                pattern_parts.append("A")
            else:
                option_at[index] = parsed
                pattern_parts.append("O")
            index += 1
        pattern = "".join(pattern_parts)
        positionals = list(self._positionals)

        def take(arg: Argument, words: list[str]) -> None:
            seen_args.add(id(arg))
            value = self._values(arg, words)
            if arg.action == "version":
                raise VersionRequested
            values[arg.dest] = value
            seen.add(arg.dest)

        def match(arg: Argument, selected: str) -> int:
            found = re.match(_nargs_pattern(arg), selected)
            if found is None:
                message = _NARGS_ERRORS.get(arg.nargs, "expected one argument")
                raise ArgumentError(message, arg.display_name)
            return len(found.group(1))

        def consume_optional(start: int) -> int:
            arg, _flag, explicit = option_at[start]
            if arg is None:
                extras.append(args[start])
                return start + 1
            if explicit is not None:
                if match(arg, "A") == 1:
                    take(arg, [explicit])
                    return start + 1
                raise ArgumentError(f"ignored explicit argument {explicit!r}", arg.display_name)
            begin = start + 1
            count = match(arg, pattern[begin:])
            take(arg, args[begin : begin + count])
            return begin + count

        def consume_positionals(start: int) -> int:
            nonlocal positionals
            counts = self._match_partial(positionals, pattern[start:])
            for arg, count in zip(positionals, counts, strict=False):
                take(arg, args[start : start + count])
                start += count
            positionals = positionals[len(counts) :]
            return start

        start = 0
        max_option = max(option_at) if option_at else -1
        while start <= max_option:
            next_option = min(i for i in option_at if i >= start)
            if start != next_option:
                end = consume_positionals(start)
                if end > start:
                    start = end
                    continue
                start = end
            if start not in option_at:
                extras.extend(args[start:next_option])
                start = next_option
            start = consume_optional(start)
        stop = consume_positionals(start)
        extras.extend(args[stop:])

        missing = [a.display_name for a in self.arguments if a.required and id(a) not in seen_args]
        for arg in self.arguments:
            fallback = arg.default
            if (
                id(arg) not in seen_args
                and values.get(arg.dest) is fallback
                and isinstance(fallback, str)
            ):
                values[arg.dest] = self._convert(arg, fallback)
        if missing:
            raise ArgumentError(f"the following arguments are required: {', '.join(missing)}")
        return ParseResult(values, extras, seen)

    @staticmethod
    def _match_partial(positionals: list[Argument], selected: str) -> list[int]:
        for i in range(len(positionals), 0, -1):
            pattern = "".join(_nargs_pattern(a) for a in positionals[:i])
            found = re.match(pattern, selected)
            if found is not None:
                return [len(g) for g in found.groups()]
        return []
