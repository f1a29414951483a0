"""``cli.argparsing``: the corners of Python 3.11's argparse that AWS CLI v2 relies on.

The example tests pin the behaviour v2 shows; the differential tests (run on
Python 3.11 only, the version v2.36.7 was recorded with) check the
implementation against the stdlib ``argparse`` on the same inputs.  Python
3.11's answers to a fixed set of lines are kept in
``tests/fixtures/argparse311.json``, so that the parser is held to them on
every Python CI runs, whatever that Python's own argparse answers (later
releases of the module changed several of its corners); on 3.11 a test checks
that the file still holds the stdlib's answers (``python -m
tests.unit.test_argparsing`` writes it anew).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2_import_image.dropin.cli.argparsing import (
    ONE,
    ONE_OR_MORE,
    OPTIONAL,
    ZERO_OR_MORE,
    ArgParser,
    Argument,
    ArgumentError,
    ParseResult,
    VersionRequested,
    invalid_choice_message,
)

SKELETON_CHOICES = ("input", "output", "yaml-input")
OUTPUT_CHOICES = ("json", "text", "table")
COMMANDS = ("ec2", "ecs", "s3", "help")


def operation_arguments() -> list[Argument]:
    """Like an operation's pass: options of every kind, then v2's optional ``help`` word."""
    return [
        Argument("description", ("--description",)),
        Argument("disk_containers", ("--disk-containers",), nargs=ZERO_OR_MORE),
        # v2 adds both halves of a boolean pair with default None and one dest
        Argument("dry_run", ("--dry-run",), action="store_true"),
        Argument("dry_run", ("--no-dry-run",), action="store_false"),
        Argument(
            "generate_cli_skeleton",
            ("--generate-cli-skeleton",),
            nargs=OPTIONAL,
            const="input",
            choices=SKELETON_CHOICES,
        ),
        Argument("max_items", ("--max-items",), type=int, type_name="int"),
        Argument("output", ("--output",), choices=OUTPUT_CHOICES),
        Argument("help", nargs=OPTIONAL),
    ]


def main_arguments() -> list[Argument]:
    """Like v2's first pass: global options, ``--version`` and a required command word."""
    return [
        Argument("debug", ("--debug",), action="store_true", default=False),
        Argument("endpoint_url", ("--endpoint-url",)),
        Argument("verify_ssl", ("--no-verify-ssl",), action="store_false", default=True),
        Argument("output", ("--output",), choices=OUTPUT_CHOICES),
        Argument("version", ("--version",), action="version"),
        Argument("command", choices=COMMANDS, required=True),
    ]


def service_arguments() -> list[Argument]:
    """Like v2's second pass: nothing but a required operation word."""
    return [Argument("operation", choices=("import-image", "import-snapshot"), required=True)]


def parse(arguments: Sequence[Argument], argv: Sequence[str]) -> ParseResult:
    return ArgParser(arguments).parse_known_args(argv)


def op(argv: Sequence[str]) -> ParseResult:
    return parse(operation_arguments(), argv)


def error_of(arguments: Sequence[Argument], argv: Sequence[str]) -> str:
    with pytest.raises(ArgumentError) as info:
        parse(arguments, argv)
    return str(info.value)


OP_DEFAULTS: dict[str, Any] = {
    "description": None,
    "disk_containers": None,
    "dry_run": None,
    "generate_cli_skeleton": None,
    "max_items": None,
    "output": None,
    "help": None,
}


def op_values(**changes: Any) -> dict[str, Any]:
    return {**OP_DEFAULTS, **changes}


# -- long options and their prefixes --------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--description", "x"], "x"),
        (["--desc", "x"], "x"),
        (["--descr", "x"], "x"),
        (["--description=x"], "x"),
        (["--desc=x"], "x"),
        (["--description=a=b"], "a=b"),
        (["--description="], ""),
        (["--description", ""], ""),
        (["--description=-x"], "-x"),
        (["--description", "-1"], "-1"),
        (["--description", "-2.5"], "-2.5"),
        (["--description", "-.5"], "-.5"),
        (["--description", "-x y"], "-x y"),
        (["--description", "--no such"], "--no such"),
        (["--description", "-"], "-"),
    ],
)
def test_option_value(argv: list[str], expected: str) -> None:
    result = op(argv)
    assert result.values == op_values(description=expected)
    assert result.extras == []
    assert result.seen == {"description", "help"}


def test_unique_prefix_of_every_kind() -> None:
    result = op(["--di", "a", "b", "--dr", "--gen", "output", "--max", "3", "--out", "json"])
    assert result.values == op_values(
        disk_containers=["a", "b"],
        dry_run=True,
        generate_cli_skeleton="output",
        max_items=3,
        output="json",
    )
    assert result.extras == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--d", "x"],
            "ambiguous option: --d could match --description, --disk-containers, --dry-run",
        ),
        (
            ["--d=x"],
            "ambiguous option: --d=x could match --description, --disk-containers, --dry-run",
        ),
    ],
)
def test_ambiguous_prefix(argv: list[str], message: str) -> None:
    assert error_of(operation_arguments(), argv) == message


def test_ambiguous_prefix_lists_matches_in_declaration_order() -> None:
    arguments = [Argument("b", ("--ab",)), Argument("a", ("--aa",)), Argument("c", ("--ac",))]
    assert error_of(arguments, ["--a"]) == "ambiguous option: --a could match --ab, --aa, --ac"


def test_bare_double_dash_with_equals_is_a_prefix_of_every_option() -> None:
    assert error_of(operation_arguments(), ["--=v"]).startswith(
        "ambiguous option: --=v could match --description, --disk-containers, --dry-run, "
    )
    # with a single option, "--" is its unique prefix
    assert parse([Argument("name", ("--name",))], ["--=v"]).values == {"name": "v"}


def test_ambiguity_is_raised_while_scanning() -> None:
    """Every word is classified before any is acted on: the ambiguity wins."""
    message = "ambiguous option: --d could match --description, --disk-containers, --dry-run"
    # an earlier option would fail for lack of a value...
    assert error_of(operation_arguments(), ["--description", "--d"]) == message
    # ...or for a bad value
    assert error_of(operation_arguments(), ["--max-items", "x", "--d"]) == message
    assert error_of(operation_arguments(), ["--output", "xml", "--d"]) == message
    # ...and --version does not get the chance to stop the parse
    assert error_of(main_arguments(), ["--version", "--=v"]) == (
        "ambiguous option: --=v could match "
        "--debug, --endpoint-url, --no-verify-ssl, --output, --version"
    )


def test_exact_name_wins_over_longer_names_it_prefixes() -> None:
    arguments = [Argument("a", ("--name",)), Argument("b", ("--name-long",))]
    assert parse(arguments, ["--name", "x"]).values == {"a": "x", "b": None}
    assert parse(arguments, ["--name=x"]).values == {"a": "x", "b": None}
    assert error_of(arguments, ["--nam", "x"]) == (
        "ambiguous option: --nam could match --name, --name-long"
    )


def test_single_dash_words_are_not_long_option_prefixes() -> None:
    result = op(["-d", "x"])
    assert result.values == op_values(help="x")
    assert result.extras == ["-d"]


# -- values that look like options --------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--description"],
        ["--description", "-x"],
        ["--description", "--dry-run"],
        ["--description", "--unknown"],
        ["--description", "--"],
        ["--description", "--", "x"],
    ],
)
def test_expected_one_argument(argv: list[str]) -> None:
    assert error_of(operation_arguments(), argv) == (
        "argument --description: expected one argument"
    )


def test_expected_at_least_one_argument() -> None:
    arguments = [Argument("names", ("--names",), nargs=ONE_OR_MORE)]
    assert error_of(arguments, ["--names"]) == "argument --names: expected at least one argument"
    assert error_of(arguments, ["--names", "-x"]) == (
        "argument --names: expected at least one argument"
    )
    assert parse(arguments, ["--names", "a", "-1"]).values == {"names": ["a", "-1"]}


def test_negative_numbers_and_words_with_spaces_are_positional() -> None:
    for word in ("-1", "-10", "-2.5", "-.5", "-x y", "--a b", "-"):
        result = op([word])
        assert result.values == op_values(help=word), word
        assert result.extras == []
    for word in ("-1x", "-1.", "-x", "-1e3", "--1", "---"):
        result = op([word])
        assert result.values == op_values(), word
        assert result.extras == [word]


# -- flags ----------------------------------------------------------------------


def test_store_true_and_store_false_share_a_dest_and_the_last_wins() -> None:
    assert op(["--dry-run"]).values["dry_run"] is True
    assert op(["--no-dry-run"]).values["dry_run"] is False
    assert op(["--dry-run", "--no-dry-run"]).values["dry_run"] is False
    assert op(["--no-dry-run", "--dry-run"]).values["dry_run"] is True
    assert op([]).values["dry_run"] is None
    assert op(["--dry-run"]).seen == {"dry_run", "help"}


@pytest.mark.parametrize(("word", "explicit"), [("--dry-run=x", "'x'"), ("--dry-run=", "''")])
def test_store_true_with_an_explicit_value(word: str, explicit: str) -> None:
    assert error_of(operation_arguments(), [word]) == (
        f"argument --dry-run: ignored explicit argument {explicit}"
    )


def test_store_true_leaves_the_next_word_alone() -> None:
    result = op(["--dry-run", "false"])
    assert result.values == op_values(dry_run=True, help="false")
    assert result.extras == []


def test_explicit_argument_error_names_every_flag_of_the_argument() -> None:
    arguments = [Argument("verbose", ("--verbose", "--loud"), action="store_true")]
    assert error_of(arguments, ["--loud=1"]) == (
        "argument --verbose/--loud: ignored explicit argument '1'"
    )


# -- nargs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "containers", "help_word", "extras"),
    [
        (["--disk-containers", "a", "b", "c"], ["a", "b", "c"], None, []),
        (["--disk-containers"], [], None, []),
        (["--disk-containers", "-1", "a b"], ["-1", "a b"], None, []),
        (["--disk-containers", "a", "-x", "b"], ["a"], "b", ["-x"]),
        (["--disk-containers=a", "b"], ["a"], "b", []),
        (["--disk-containers", "a", "--description", "d", "b"], ["a"], "b", []),
        (["--disk-containers", "--", "a"], [], "a", []),
    ],
)
def test_zero_or_more(
    argv: list[str], containers: list[str], help_word: str | None, extras: list[str]
) -> None:
    result = op(argv)
    assert result.values["disk_containers"] == containers
    assert result.values["help"] == help_word
    assert result.extras == extras


def test_optional_value_with_const_and_choices() -> None:
    assert op(["--generate-cli-skeleton"]).values["generate_cli_skeleton"] == "input"
    assert op(["--generate-cli-skeleton", "output"]).values["generate_cli_skeleton"] == "output"
    assert op(["--generate-cli-skeleton=yaml-input"]).values["generate_cli_skeleton"] == (
        "yaml-input"
    )
    result = op(["--generate-cli-skeleton", "-x"])
    assert result.values["generate_cli_skeleton"] == "input"
    assert result.extras == ["-x"]
    assert error_of(operation_arguments(), ["--generate-cli-skeleton", "bogus"]) == (
        "argument --generate-cli-skeleton: Found invalid choice 'bogus'\n"
    )
    assert error_of(operation_arguments(), ["--generate-cli-skeleton="]) == (
        "argument --generate-cli-skeleton: Found invalid choice ''\n"
    )


def test_type_conversion() -> None:
    assert op(["--max-items", "5"]).values["max_items"] == 5
    assert op(["--max-items", "-5"]).values["max_items"] == -5
    assert op(["--max-items=7"]).values["max_items"] == 7
    assert error_of(operation_arguments(), ["--max-items", "x"]) == (
        "argument --max-items: invalid int value: 'x'"
    )
    assert error_of(operation_arguments(), ["--max-items", "1.5"]) == (
        "argument --max-items: invalid int value: '1.5'"
    )
    # without a type_name, the type's __name__
    arguments = [Argument("n", ("--n",), type=float)]
    assert error_of(arguments, ["--n", "x"]) == "argument --n: invalid float value: 'x'"


def test_option_given_twice_last_wins() -> None:
    assert op(["--description", "a", "--description", "b"]).values["description"] == "b"
    assert op(["--disk-containers", "a", "b", "--disk-containers", "c"]).values[
        "disk_containers"
    ] == ["c"]
    assert op(["--output", "json", "--out", "text"]).values["output"] == "text"


# -- unknown options and the optional help word -------------------------------------


@pytest.mark.parametrize(
    ("argv", "help_word", "extras"),
    [
        (["--foo", "bar", "--baz"], "bar", ["--foo", "--baz"]),
        (["bar", "--foo"], "bar", ["--foo"]),
        (["a", "b", "c"], "a", ["b", "c"]),
        (["--foo=bar"], None, ["--foo=bar"]),
        (["-x"], None, ["-x"]),
        (["help"], "help", []),
        (["--description", "x", "help"], "help", []),
        (["help", "--description", "x", "more"], "help", ["more"]),
        (["a", "--dry-run", "b", "c"], "a", ["b", "c"]),
        (["--foo", "--description", "x", "y"], "y", ["--foo"]),
    ],
)
def test_unknown_options_are_collected_in_argparse_order(
    argv: list[str], help_word: str | None, extras: list[str]
) -> None:
    result = op(argv)
    assert result.values["help"] == help_word
    assert result.extras == extras


def test_optional_positional_is_seen_even_when_empty() -> None:
    result = op([])
    assert result.values == op_values()
    assert result.extras == []
    assert result.seen == {"help"}


# -- "--" ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "help_word", "extras"),
    [
        (["--"], None, []),
        (["--", "--description"], "--description", []),
        (["--", "a", "b"], "a", ["b"]),
        (["--", "--", "x"], "--", ["x"]),
        (["a", "--", "b"], "a", ["b"]),
        (["--description", "x", "--", "y"], "y", []),
        (["--", "-x"], "-x", []),
    ],
)
def test_double_dash(argv: list[str], help_word: str | None, extras: list[str]) -> None:
    result = op(argv)
    assert result.values["help"] == help_word
    assert result.extras == extras


def test_double_dash_before_a_required_word() -> None:
    assert parse(main_arguments(), ["--", "ec2"]).values["command"] == "ec2"
    assert parse(main_arguments(), ["--debug", "--", "ec2", "x"]).extras == ["x"]


# -- required positional words and their choices -------------------------------------


@pytest.mark.parametrize("argv", [[], ["--debug"], ["--output", "json"], ["--"], ["--foo"]])
def test_required_positional_missing(argv: list[str]) -> None:
    assert error_of(main_arguments(), argv) == "the following arguments are required: command"


def test_required_positional_lists_every_missing_word() -> None:
    arguments = [
        Argument("first", required=True),
        Argument("second", required=True, metavar="SECOND"),
    ]
    assert error_of(arguments, []) == "the following arguments are required: first, SECOND"
    assert error_of(arguments, ["a"]) == "the following arguments are required: SECOND"


def test_positional_word_among_options() -> None:
    result = parse(main_arguments(), ["--debug", "ec2", "--output", "json", "import-image", "-x"])
    assert result.values == {
        "debug": True,
        "endpoint_url": None,
        "verify_ssl": True,
        "output": "json",
        "version": None,
        "command": "ec2",
    }
    assert result.extras == ["import-image", "-x"]
    assert result.seen == {"debug", "command", "output"}


def test_unknown_option_then_its_value_takes_the_command_slot() -> None:
    """v2's quirk: ``aws --description x ec2`` reads ``x`` as the command."""
    assert error_of(main_arguments(), ["--description", "x", "ec2"]) == (
        "argument command: Found invalid choice 'x'\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ec22"], "argument command: Found invalid choice 'ec22'\n\nMaybe you meant:\n\n  * ec2"),
        (
            ["ecs2"],
            "argument command: Found invalid choice 'ecs2'\n\nMaybe you meant:\n\n  * ecs\n  * ec2",
        ),
        (["xyz"], "argument command: Found invalid choice 'xyz'\n"),
        (["--output", "xml", "ec2"], "argument --output: Found invalid choice 'xml'\n"),
        (
            ["ec2", "--output", "jso"],
            "argument --output: Found invalid choice 'jso'\n\nMaybe you meant:\n\n  * json",
        ),
    ],
)
def test_invalid_choice(argv: list[str], message: str) -> None:
    assert error_of(main_arguments(), argv) == message


def test_invalid_choice_message() -> None:
    assert invalid_choice_message("x", ["a", "b"]) == "Found invalid choice 'x'\n"
    assert invalid_choice_message("import-imag", ["import-image", "import-snapshot"]) == (
        "Found invalid choice 'import-imag'\n\nMaybe you meant:\n\n  * import-image"
    )
    assert invalid_choice_message("", ["a"]) == "Found invalid choice ''\n"


def test_errors_come_in_command_line_order() -> None:
    assert error_of(main_arguments(), ["xyz", "--output", "xml"]) == (
        "argument command: Found invalid choice 'xyz'\n"
    )
    assert error_of(main_arguments(), ["--output", "xml", "xyz"]) == (
        "argument --output: Found invalid choice 'xml'\n"
    )


# -- --version ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--vers"],
        ["--debug", "--version"],
        ["--version", "--output", "xml"],
        ["--version", "--endpoint-url"],
        ["ec2", "--version", "xyz"],
    ],
)
def test_version_requested(argv: list[str]) -> None:
    with pytest.raises(VersionRequested):
        parse(main_arguments(), argv)


def test_version_does_not_hide_earlier_errors() -> None:
    assert error_of(main_arguments(), ["--output", "xml", "--version"]) == (
        "argument --output: Found invalid choice 'xml'\n"
    )
    assert error_of(main_arguments(), ["xyz", "--version"]) == (
        "argument command: Found invalid choice 'xyz'\n"
    )
    assert error_of(main_arguments(), ["--version=1"]) == (
        "argument --version: ignored explicit argument '1'"
    )


# -- the small pieces ------------------------------------------------------------------


def test_argument_error_str() -> None:
    assert str(ArgumentError("boom")) == "boom"
    assert str(ArgumentError("boom", "--x")) == "argument --x: boom"
    error = ArgumentError("boom", "--x")
    assert (error.message, error.argument) == ("boom", "--x")


def test_argument_display_name_and_nargs() -> None:
    assert Argument("a", ("--a", "--b")).display_name == "--a/--b"
    assert Argument("dest").display_name == "dest"
    assert Argument("dest", metavar="META").display_name == "META"
    flag = Argument("f", ("--f",), action="store_true")
    assert (flag.nargs, flag.const) == ("0", True)
    flag = Argument("f", ("--no-f",), action="store_false")
    assert (flag.nargs, flag.const) == ("0", False)
    assert Argument("v", ("--v",), action="version").nargs == "0"
    assert Argument("s", ("--s",)).nargs is ONE


def test_service_pass() -> None:
    result = parse(service_arguments(), ["import-image", "--description", "x", "--dry-run"])
    assert result.values == {"operation": "import-image"}
    assert result.extras == ["--description", "x", "--dry-run"]
    # the value of an unknown option before the word is taken for the word
    assert error_of(service_arguments(), ["--description", "x", "import-image"]) == (
        "argument operation: Found invalid choice 'x'\n"
    )
    assert error_of(service_arguments(), []) == "the following arguments are required: operation"


# -- corners v2's option tables never meet, kept as argparse 3.11 has them ---------------


def test_shared_dest_default_comes_from_the_first_declared_argument() -> None:
    arguments = [
        Argument("x", ("--x",), action="store_true", default=False),
        Argument("x", ("--no-x",), action="store_false", default=True),
    ]
    assert parse(arguments, []).values == {"x": False}


def test_string_default_is_converted_by_type() -> None:
    arguments = [Argument("n", ("--n",), type=int, default="5")]
    assert parse(arguments, []).values == {"n": 5}


# -- differential tests against the stdlib argparse (Python 3.11 only) -----------------

on_311 = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="v2.36.7's behaviour is that of Python 3.11's argparse; later versions differ",
)


class StdlibError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StdlibVersion(Exception):
    pass


class StdlibParser(argparse.ArgumentParser):
    """The stdlib parser as v2 subclasses it: errors raise, invalid choices read v2's way."""

    def error(self, message: str) -> NoReturn:
        raise StdlibError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise StdlibVersion

    def _print_message(self, message: str, file: Any = None) -> None:
        pass

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = list(action.choices)
            raise argparse.ArgumentError(action, invalid_choice_message(value, choices))


def stdlib_parser(arguments: Sequence[Argument]) -> StdlibParser:
    parser = StdlibParser(add_help=False, allow_abbrev=True, conflict_handler="resolve")
    for arg in arguments:
        kwargs: dict[str, Any] = {}
        if arg.action == "version":
            parser.add_argument(*arg.flags, action="version", version="1.0")
            continue
        if arg.action in ("store_true", "store_false"):
            parser.add_argument(*arg.flags, dest=arg.dest, action=arg.action, default=arg.default)
            continue
        if arg.nargs is not ONE:
            kwargs["nargs"] = arg.nargs
        if arg.choices is not None:
            kwargs["choices"] = arg.choices
        if arg.type is not None:
            kwargs["type"] = arg.type
        if arg.metavar is not None:
            kwargs["metavar"] = arg.metavar
        if arg.flags:
            if arg.const is not None:
                kwargs["const"] = arg.const
            parser.add_argument(*arg.flags, dest=arg.dest, default=arg.default, **kwargs)
        else:
            parser.add_argument(arg.dest, default=arg.default, **kwargs)
    return parser


Outcome = tuple[Any, ...]


def stdlib_outcome(arguments: Sequence[Argument], argv: Sequence[str]) -> Outcome:
    try:
        namespace, extras = stdlib_parser(arguments).parse_known_args(list(argv))
    except StdlibError as error:
        return ("error", error.message)
    except StdlibVersion:
        return ("version",)
    return ("ok", vars(namespace), extras)


def our_outcome(arguments: Sequence[Argument], argv: Sequence[str]) -> Outcome:
    try:
        result = ArgParser(arguments).parse_known_args(list(argv))
    except ArgumentError as error:
        return ("error", str(error))
    except VersionRequested:
        return ("version",)
    # argparse gives --version a suppressed dest: it never shows in the namespace
    versions = {a.dest for a in arguments if a.action == "version"}
    values = {k: v for k, v in result.values.items() if k not in versions}
    return ("ok", values, result.extras)


PARSERS = {
    "operation": operation_arguments,
    "main": main_arguments,
    "service": service_arguments,
}

PLAIN_WORDS = [
    "x",
    "help",
    "ec2",
    "ec22",
    "ecs2",
    "s3",
    "import-image",
    "import-imag",
    "json",
    "jso",
    "xml",
    "input",
    "output",
    "yaml-input",
    "5",
    "",
    "a b",
    "=",
    "a=b",
]
DASH_WORDS = [
    "-",
    "--",
    "-x",
    "-d",
    "-x y",
    "--x y",
    "--desc x",
    "-1",
    "-10",
    "-2.5",
    "-.5",
    "-1x",
    "--1",
    "---",
    "--foo",
    "--foo=bar",
    "--=v",
    "--=",
    "-x=1",
]


def flags_of(arguments: Sequence[Argument]) -> list[str]:
    return [flag for arg in arguments for flag in arg.flags]


def word_strategy(arguments: Sequence[Argument]) -> st.SearchStrategy[str]:
    flags = flags_of(arguments) or ["--x"]
    flag = st.sampled_from(flags)
    prefix = flag.flatmap(lambda f: st.integers(2, len(f)).map(lambda n: f[:n]))
    value = st.sampled_from(["", "v", "-v", "input", "json", "5", "a=b", "a b", "ec2"])
    with_value = st.tuples(st.one_of(flag, prefix), value).map(lambda t: f"{t[0]}={t[1]}")
    # the valid words of positional arguments, so that parses get past them
    choices = [c for arg in arguments if not arg.flags for c in arg.choices or ()] or ["x"]
    return st.one_of(
        flag,
        prefix,
        with_value,
        st.sampled_from(choices),
        st.sampled_from(PLAIN_WORDS),
        st.sampled_from(DASH_WORDS),
        st.text(alphabet="-a1 =.", max_size=4),
    )


def argv_strategy(arguments: Sequence[Argument]) -> st.SearchStrategy[list[str]]:
    return st.lists(word_strategy(arguments), max_size=8)


DIFFERENTIAL_EXAMPLES = [
    [],
    ["--desc", "x"],
    ["--d", "x"],
    ["--=v"],
    ["--description", "-x"],
    ["--description", "-1"],
    ["--description", "-x y"],
    ["--dry-run=x"],
    ["--dry-run", "--no-dry-run"],
    ["--foo", "bar", "--baz"],
    ["--", "--description"],
    ["--", "--", "x"],
    ["--disk-containers", "--", "a"],
    ["--generate-cli-skeleton", "bogus"],
    ["--generate-cli-skeleton="],
    ["--max-items", "x"],
    ["--description", "--d"],
    ["help", "--description", "x", "more"],
    ["-d", "x"],
    ["ec22"],
    ["ecs2"],
    ["--version", "--output", "xml"],
    ["--output", "xml", "--version"],
    ["--description", "x", "ec2"],
    ["--debug", "--", "ec2", "x"],
    ["import-image", "--foo"],
]


@on_311
@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize("argv", DIFFERENTIAL_EXAMPLES, ids=repr)
def test_same_as_stdlib_on_examples(parser: str, argv: list[str]) -> None:
    arguments = PARSERS[parser]()
    assert our_outcome(arguments, argv) == stdlib_outcome(arguments, argv)


# -- argparse 3.11's answers, recorded: the parser held to them on every Python -----------

RECORDED_311 = Path(__file__).resolve().parents[1] / "fixtures" / "argparse311.json"
#: lines drawn once, with a fixed seed, from the words of the strategies above
DRAWN_LINES = 150


def drawn_lines(parser: str) -> list[list[str]]:
    """Fixed command lines for ``parser``: its flags, their prefixes and values, odd words."""
    arguments = PARSERS[parser]()
    flags = flags_of(arguments) or ["--x"]
    prefixes = sorted({f[:n] for f in flags for n in range(2, len(f))})
    choices = [c for arg in arguments if not arg.flags for c in arg.choices or ()] or ["x"]
    values = ["", "v", "-v", "input", "json", "5", "a=b", "a b", "ec2"]
    pools = [flags, prefixes, choices, PLAIN_WORDS, DASH_WORDS]
    draw = random.Random(f"argparse-3.11 {parser}")
    lines = []
    for _ in range(DRAWN_LINES):
        line = []
        for _ in range(draw.randrange(9)):
            if draw.random() < 0.15:
                line.append(f"{draw.choice(flags + prefixes)}={draw.choice(values)}")
            else:
                line.append(draw.choice(draw.choice(pools)))
        lines.append(line)
    return lines


def recorded_lines() -> list[tuple[str, list[str]]]:
    return [
        (parser, argv)
        for parser in sorted(PARSERS)
        for argv in [*DIFFERENTIAL_EXAMPLES, *drawn_lines(parser)]
    ]


def _key(parser: str, argv: list[str]) -> str:
    return f"{parser} {json.dumps(argv)}"


def _plain(outcome: Outcome) -> Any:
    """An outcome as JSON keeps it (tuples as lists)."""
    return json.loads(json.dumps(outcome))


def stdlib_answers() -> dict[str, Any]:
    return {
        _key(parser, argv): _plain(stdlib_outcome(PARSERS[parser](), argv))
        for parser, argv in recorded_lines()
    }


@pytest.fixture(scope="module")
def recorded_311() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(RECORDED_311.read_text(encoding="utf-8"))
    return answers


@pytest.mark.parametrize(("parser", "argv"), recorded_lines(), ids=repr)
def test_same_as_argparse_311_recorded(
    recorded_311: dict[str, Any], parser: str, argv: list[str]
) -> None:
    """On every Python: the answers Python 3.11's argparse gave to the same lines."""
    assert _plain(our_outcome(PARSERS[parser](), argv)) == recorded_311[_key(parser, argv)]


@on_311
def test_the_recorded_answers_are_the_stdlib_ones(recorded_311: dict[str, Any]) -> None:
    assert recorded_311 == stdlib_answers()


@on_311
@pytest.mark.parametrize("parser", sorted(PARSERS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_same_as_stdlib(parser: str, data: st.DataObject) -> None:
    arguments = PARSERS[parser]()
    argv = data.draw(argv_strategy(arguments), label="argv")
    assert our_outcome(arguments, argv) == stdlib_outcome(arguments, argv)


@on_311
@settings(max_examples=200, deadline=None)
@given(argv=st.lists(word_strategy(operation_arguments()[:2]), max_size=6))
def test_same_as_stdlib_with_one_plus_and_a_required_word(argv: list[str]) -> None:
    arguments = [
        Argument("names", ("--names",), nargs=ONE_OR_MORE),
        Argument("description", ("--description",)),
        Argument("first", required=True),
        Argument("rest", nargs=OPTIONAL),
    ]
    assert our_outcome(arguments, argv) == stdlib_outcome(arguments, argv)


@on_311
def test_stdlib_behaviour_behind_the_known_differences() -> None:
    """What the two tests above expect is what argparse 3.11 does."""
    shared = [
        Argument("x", ("--x",), action="store_true", default=False),
        Argument("x", ("--no-x",), action="store_false", default=True),
    ]
    assert stdlib_outcome(shared, []) == ("ok", {"x": False}, [])
    converted = [Argument("n", ("--n",), type=int, default="5")]
    assert stdlib_outcome(converted, []) == ("ok", {"n": 5}, [])


# -- this tool's addition: options that accept no prefix ----------------------------


def _exact_parser() -> ArgParser:
    return ArgParser(
        [
            Argument("max_results", ("--max-results",)),
            Argument("wait", ("--wait",), action="store_true", exact=True),
            Argument("max_wait", ("--max-wait",), type=int, exact=True),
        ]
    )


@pytest.mark.parametrize("word", ["--w", "--wa", "--wai", "--max-w", "--max-wai"])
def test_an_exact_option_has_no_prefixes(word: str) -> None:
    parsed = _exact_parser().parse_known_args([word])
    assert parsed.extras == [word]
    assert parsed.values["wait"] is None and parsed.values["max_wait"] is None


def test_an_exact_option_leaves_the_others_prefixes_unambiguous() -> None:
    parsed = _exact_parser().parse_known_args(["--max", "3"])
    assert parsed.values["max_results"] == "3"


def test_an_exact_option_by_its_whole_name() -> None:
    parsed = _exact_parser().parse_known_args(["--wait", "--max-wait=30"])
    assert (parsed.values["wait"], parsed.values["max_wait"], parsed.extras) == (True, 30, [])


if __name__ == "__main__":  # write tests/fixtures/argparse311.json (on Python 3.11)
    if sys.version_info[:2] != (3, 11):
        sys.exit("the answers must be Python 3.11's argparse's")
    RECORDED_311.write_text(json.dumps(stdlib_answers(), indent=1) + "\n", encoding="utf-8")
