"""The command line through the real parse (``cli.parse.parse_invocation``): v2's passes.

The recorded cases give command lines and v2's answers; for each one the parse
is checked (action, operation, values) or, for the command-line errors, the
exact message v2 printed.  The other tests cover what the cases do not:
global options anywhere, the short program, unsupported commands, ``help``.
Every parse here is the one a run makes (``tests/support/parsing.py``), the
resolution of the global options included.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2_import_image.dropin.cli.argparsing import OPTIONAL, ZERO_OR_MORE, Argument
from ec2_import_image.dropin.cli.commandline import (
    CommandKind,
    UnsupportedCommandError,
    global_arguments,
    known_commands,
    usage,
)
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.cli.options import (
    ERROR_FORMAT_CHOICES,
    OUTPUT_CHOICES,
    OptionKind,
    operation_options,
)
from ec2_import_image.dropin.errors import GeneralError, ParamValidationError, UnknownOptionsError
from ec2_import_image.dropin.programs import SHORT
from ec2_import_image.model import load_model
from tests.support.cases import Case, load_cases
from tests.support.parsing import given_globals, parse_line
from tests.unit.test_argparsing import StdlibError, StdlibVersion, on_311, stdlib_parser

ENDPOINT = "http://127.0.0.1:4567"
PLACEHOLDERS = {
    "{ENDPOINT}": ENDPOINT,
    "{DEAD_ENDPOINT}": "http://127.0.0.1:4568",
    "{PORT}": "4567",
    "{DEAD_PORT}": "4568",
    "{TMP}": "/tmp/case",
}
PARAM_VALIDATION = "An error occurred (ParamValidation): "
ERROR_PREFIX = "aws: [ERROR]: "
#: how v2's argparse errors start (everything else is raised after parsing)
ARGPARSE_ERRORS = ("argument ", "the following arguments are required", "ambiguous option")
#: how v2's checks of the global option values start (they run right after the first pass)
GLOBAL_VALUE_ERRORS = ("Bad value for --query", "Bad value for --endpoint-url")

AWS_USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n"
    "\n"
    "  aws help\n"
    "  aws <command> help\n"
    "  aws <command> <subcommand> help\n"
)
SHORT_USAGE = (
    "usage: ec2-import-image [options] [parameters]\n"
    "To see help text, you can run:\n"
    "\n"
    "  ec2-import-image help\n"
)

GLOBAL_DEFAULTS: dict[str, Any] = given_globals(GlobalOptions())


def expand(argv: list[str]) -> list[str]:
    result = []
    for word in argv:
        expanded = word
        for key, value in PLACEHOLDERS.items():
            expanded = expanded.replace(key, value)
        result.append(expanded)
    return result


def globals_with(**changes: Any) -> dict[str, Any]:
    """The global options as given: the defaults, and ``changes``."""
    return {**GLOBAL_DEFAULTS, **changes}


def values_of(operation_name: str, **changes: Any) -> dict[str, Any]:
    operation = load_model().operation_by_cli_name(operation_name)
    assert operation is not None
    values: dict[str, Any] = {o.dest: None for o in operation_options(operation)}
    assert set(changes) <= set(values)
    return {**values, **changes}


def param_error(argv: list[str], program: str = "aws") -> str:
    with pytest.raises(ParamValidationError) as info:
        parse_line(argv, program)
    assert not isinstance(info.value, UnsupportedCommandError)
    return str(info.value)


def unknown_error(argv: list[str], program: str = "aws") -> str:
    with pytest.raises(UnknownOptionsError) as info:
        parse_line(argv, program)
    return str(info.value)


# -- a plain reading of the recorded (well-formed) command lines ------------------


def naive_reading(argv: list[str]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Globals, operation and values of a well-formed command line, read word by word.

    The recorded successes only use full global names, values that do not start
    with a dash (except with ``=``), and command words before operation options:
    this reading needs none of argparse's machinery.
    """
    global_flags = {flag: arg for arg in global_arguments() for flag in arg.flags}
    parsed_globals = dict(GLOBAL_DEFAULTS)
    words: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in global_flags:
            arg = global_flags[word]
            if arg.action in ("store_true", "store_false"):
                parsed_globals[arg.dest] = arg.action == "store_true"
                index += 1
            else:
                parsed_globals[arg.dest] = argv[index + 1]
                index += 2
        elif len(words) < 2 and not word.startswith("-"):
            words.append(word)
            index += 1
        else:
            rest.append(word)
            index += 1
    assert words[0] == "ec2"
    operation = load_model().operation_by_cli_name(words[1])
    assert operation is not None
    options = {o.cli_name: o for o in operation_options(operation)}
    values: dict[str, Any] = {o.dest: None for o in options.values()}
    index = 0
    while index < len(rest):
        word = rest[index]
        name, equals, explicit = word.partition("=")
        if name not in options:
            (name,) = [n for n in options if n.startswith(name)]
        option = options[name]
        arg = option.argument()
        index += 1
        if arg.action in ("store_true", "store_false"):
            value: Any = arg.action == "store_true"
        elif equals:
            value = explicit
        elif arg.nargs == ZERO_OR_MORE:
            value = []
            while index < len(rest) and not rest[index].startswith("--"):
                value.append(rest[index])
                index += 1
        elif option.kind is OptionKind.SKELETON:
            value = "input"
            if index < len(rest) and not rest[index].startswith("-"):
                value = rest[index]
                index += 1
        else:
            value = rest[index]
            index += 1
        if option.member in ("PageSize", "MaxItems"):
            value = int(value)
        values[option.dest] = value
    return parsed_globals, words[1], values


CASES = load_cases()


def recorded_argv(case: Case) -> list[str]:
    return expand(list(case.data["argv"]))


def recorded_error(case: Case) -> tuple[str, str] | None:
    """How v2 refused the command line, if it did, and its message.

    ("param", message) for an argument error or a bad global option value,
    ("unknown", message) for unknown options, ("crash", message) for a time-out
    ``int()`` refuses.
    """
    stderr: str = expand([case.data["expect"].get("stderr") or ""])[0]
    if PARAM_VALIDATION in stderr:
        message = stderr.split(PARAM_VALIDATION, 1)[1]
        if message.startswith(ARGPARSE_ERRORS):
            return "param", message
        if message.startswith(GLOBAL_VALUE_ERRORS):
            return "param", message.removesuffix("\n")
    if f"{ERROR_PREFIX}Unknown options: " in stderr:
        return "unknown", stderr.split(ERROR_PREFIX, 1)[1].strip()
    timeouts = {"--cli-read-timeout", "--cli-connect-timeout"} & set(case.data["argv"])
    if timeouts and f"{ERROR_PREFIX}invalid literal for int()" in stderr:
        return "crash", stderr.split(ERROR_PREFIX, 1)[1].strip()
    return None


ERROR_CASES = [c for c in CASES if recorded_error(c) is not None]
HELP_CASES = [c for c in CASES if c.data["area"] == "help"]
VERSION_CASES = [c for c in CASES if c.data["argv"] == ["--version"]]
OPERATION_CASES = [
    c for c in CASES if c not in ERROR_CASES and c not in HELP_CASES and c not in VERSION_CASES
]


def ids(cases: list[Case]) -> list[str]:
    return [c.ident for c in cases]


def test_the_cases_are_all_sorted() -> None:
    assert len(CASES) > 100
    assert len(ERROR_CASES) >= 15
    assert len(HELP_CASES) == 3
    assert len(VERSION_CASES) == 1


@pytest.mark.parametrize("case", OPERATION_CASES, ids=ids(OPERATION_CASES))
def test_recorded_command_line(case: Case) -> None:
    argv = recorded_argv(case)
    invocation = parse_line(argv)
    expected_globals, operation_name, expected_values = naive_reading(argv)
    assert invocation.kind is CommandKind.OPERATION
    assert invocation.program == "aws"
    assert invocation.operation is not None
    assert invocation.operation.cli_name == operation_name
    assert invocation.words == ("ec2", operation_name)
    assert [o.name for o in invocation.options] == [
        o.name for o in operation_options(invocation.operation)
    ]
    assert given_globals(invocation.globals) == expected_globals
    assert invocation.values == expected_values


@pytest.mark.parametrize("case", ERROR_CASES, ids=ids(ERROR_CASES))
def test_recorded_command_line_error(case: Case) -> None:
    argv = recorded_argv(case)
    found = recorded_error(case)
    assert found is not None
    kind, message = found
    if kind == "param":
        assert param_error(argv) == message
    elif kind == "unknown":
        assert unknown_error(argv) == message
    else:
        with pytest.raises(GeneralError) as info:
            parse_line(argv)
        assert str(info.value) == message


@pytest.mark.parametrize("case", HELP_CASES, ids=ids(HELP_CASES))
def test_recorded_help(case: Case) -> None:
    argv = recorded_argv(case)
    invocation = parse_line(argv)
    assert invocation.kind is CommandKind.HELP
    operation_name = argv[argv.index("ec2") + 1]
    assert invocation.words == ("ec2", operation_name)
    assert invocation.operation is not None
    assert invocation.operation.cli_name == operation_name


def test_recorded_version() -> None:
    (case,) = VERSION_CASES
    assert parse_line(recorded_argv(case)).kind is CommandKind.VERSION


# Hand-written expectations for the recorded cases that exercise the parser most.
CASE_VALUES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "scalars/unambiguous-prefix": (
        "import-image",
        {"description": "abbreviated", "disk_containers": ["Format=ova"]},
        {"output": "text"},
    ),
    "scalars/option-twice-last-wins": ("import-image", {"architecture": "arm64"}, {}),
    "scalars/dry-run-then-no-dry-run": ("import-image", {"dry_run": False}, {}),
    "scalars/no-encrypted-then-encrypted": ("import-image", {"encrypted": True}, {}),
    "scalars/description-equals-leading-dash": ("import-image", {"description": "-x"}, {}),
    "scalars/description-empty": ("import-image", {"description": ""}, {}),
    "scalars/dry-run-flag": ("import-image", {"dry_run": True}, {}),
    "shorthand/disk-three-items": (
        "import-image",
        {
            "disk_containers": [
                "Format=vmdk,UserBucket={S3Bucket=b1,S3Key=disk1.vmdk}",
                "Format=vmdk,UserBucket={S3Bucket=b1,S3Key=disk2.vmdk},DeviceName=/dev/sdb",
                "SnapshotId=snap-0ffffffffffffffff",
            ]
        },
        {},
    ),
    "skeleton/input-no-value": ("import-image", {"generate_cli_skeleton": "input"}, {}),
    "skeleton/output-json": ("import-image", {"generate_cli_skeleton": "output"}, {}),
    "skeleton/yaml-input": ("import-image", {"generate_cli_skeleton": "yaml-input"}, {}),
    "skeleton/input-ignores-other-options": (
        "import-image",
        {
            "generate_cli_skeleton": "input",
            "description": "x",
            "disk_containers": ["Format=ova"],
        },
        {},
    ),
    "skeleton/describe-tasks-input": (
        "describe-import-image-tasks",
        {"generate_cli_skeleton": "input"},
        {},
    ),
    "skeleton/cancel-output-yaml": (
        "cancel-import-task",
        {"generate_cli_skeleton": "output"},
        {"output": "yaml"},
    ),
    "tasks/describe-max-items-1-page-size-5": (
        "describe-import-image-tasks",
        {"max_items": 1, "page_size": 5},
        {},
    ),
    "tasks/describe-filters-shorthand": (
        "describe-import-image-tasks",
        {"filters": ["Name=task-state,Values=active,completed", "Name=tag:env,Values=prod"]},
        {"output": "text", "query": "ImportImageTasks[].ImportTaskId"},
    ),
    "tasks/describe-no-paginate-text": ("describe-import-image-tasks", {}, {"paginate": False}),
    "tasks/cancel-json": (
        "cancel-import-task",
        {"import_task_id": "import-ami-02222222222222222", "cancel_reason": "no longer needed"},
        {"output": "json"},
    ),
    "globals/globals-after-operation": (
        "import-image",
        {},
        {"endpoint_url": ENDPOINT, "output": "text", "region": "us-west-1"},
    ),
    "globals/debug": ("import-image", {"disk_containers": ["Format=ova"]}, {"debug": True}),
    "globals/no-verify-ssl-http": ("import-image", {}, {"verify_ssl": False}),
    "globals/no-sign-request": ("import-image", {}, {"sign_request": False}),
    "globals/read-timeout-negative": ("import-image", {}, {"read_timeout": "-1"}),
    "globals/cli-auto-prompt-no-tty": ("import-image", {}, {"cli_auto_prompt": True}),
    "globals/no-cli-pager": ("import-image", {}, {"no_cli_pager": True}),
    "cli_input/json-dry-run-false-vs-flag": (
        "import-image",
        {"cli_input_json": '{"DryRun": false, "Description": "d"}', "dry_run": True},
        {},
    ),
}


@pytest.mark.parametrize("ident", sorted(CASE_VALUES))
def test_recorded_command_line_by_hand(ident: str) -> None:
    (case,) = [c for c in CASES if c.ident == ident]
    operation_name, values, changed_globals = CASE_VALUES[ident]
    invocation = parse_line(recorded_argv(case))
    assert invocation.kind is CommandKind.OPERATION
    assert invocation.values == values_of(operation_name, **values)
    # (the other globals are checked against the plain reading above)
    for dest, value in {"endpoint_url": ENDPOINT, **changed_globals}.items():
        assert getattr(invocation.globals, dest) == value, dest


# -- usage --------------------------------------------------------------------------


def test_usage() -> None:
    assert usage("aws") == AWS_USAGE
    assert usage(SHORT) == SHORT_USAGE
    recorded = next(c for c in CASES if c.ident == "errors/no-arguments")
    assert recorded.data["expect"]["stderr"].endswith("\n\n" + AWS_USAGE)


# -- global options --------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--region", "eu-west-1", "--no-paginate", "ec2", "import-image", "--description", "d"],
        ["ec2", "--region", "eu-west-1", "--no-paginate", "import-image", "--description", "d"],
        ["ec2", "import-image", "--region", "eu-west-1", "--no-paginate", "--description", "d"],
        ["ec2", "import-image", "--description", "d", "--region", "eu-west-1", "--no-paginate"],
        ["--region=eu-west-1", "ec2", "import-image", "--no-pag", "--description=d"],
        ["--reg", "eu-west-1", "ec2", "import-image", "--no-paginate", "--desc", "d"],
    ],
)
def test_global_options_anywhere(argv: list[str]) -> None:
    invocation = parse_line(argv)
    assert invocation.kind is CommandKind.OPERATION
    assert given_globals(invocation.globals) == globals_with(region="eu-west-1", paginate=False)
    assert invocation.values == values_of("import-image", description="d")


def test_every_global_option() -> None:
    argv = [
        "--debug",
        "--endpoint-url",
        ENDPOINT,
        "--no-verify-ssl",
        "--no-paginate",
        "--output",
        "yaml",
        "--query",
        "a.b",
        "--profile",
        "p",
        "--region",
        "r",
        "--color",
        "on",
        "--no-sign-request",
        "--ca-bundle",
        "ca.pem",
        "--cli-read-timeout",
        "5",
        "--cli-connect-timeout",
        "6",
        "--cli-binary-format",
        "raw-in-base64-out",
        "--no-cli-pager",
        "--cli-auto-prompt",
        "--no-cli-auto-prompt",
        "--cli-error-format",
        "json",
        "ec2",
        "import-image",
    ]
    assert given_globals(parse_line(argv).globals) == {
        "debug": True,
        "endpoint_url": ENDPOINT,
        "verify_ssl": False,
        "paginate": False,
        "output": "yaml",
        "query": "a.b",
        "profile": "p",
        "region": "r",
        "color": "on",
        "sign_request": False,
        "ca_bundle": "ca.pem",
        "read_timeout": "5",
        "connect_timeout": "6",
        "cli_binary_format": "raw-in-base64-out",
        "no_cli_pager": True,
        "cli_auto_prompt": True,
        "no_cli_auto_prompt": True,
        "cli_error_format": "json",
    }


def test_a_global_value_may_be_a_command_word() -> None:
    invocation = parse_line(["--profile", "ec2", "ec2", "import-image"])
    assert invocation.globals.profile == "ec2"
    assert invocation.words == ("ec2", "import-image")
    invocation = parse_line(["--profile", "help", "ec2", "import-image"])
    assert (invocation.kind, invocation.globals.profile) == (CommandKind.OPERATION, "help")


@pytest.mark.parametrize("output", OUTPUT_CHOICES)
def test_output_choices(output: str) -> None:
    invocation = parse_line(["ec2", "import-image", "--output", output])
    assert invocation.globals.output == output


@pytest.mark.parametrize("error_format", ERROR_FORMAT_CHOICES)
def test_error_format_choices(error_format: str) -> None:
    invocation = parse_line(["ec2", "import-image", "--cli-error-format", error_format])
    assert invocation.globals.cli_error_format == error_format


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("xml", "argument --output: Found invalid choice 'xml'\n"),
        ("jso", "argument --output: Found invalid choice 'jso'\n\nMaybe you meant:\n\n  * json"),
        (
            "yaml-strem",
            "argument --output: Found invalid choice 'yaml-strem'\n\n"
            "Maybe you meant:\n\n  * yaml-stream",
        ),
        ("JSON", "argument --output: Found invalid choice 'JSON'\n"),
        ("", "argument --output: Found invalid choice ''\n"),
    ],
)
def test_output_invalid(value: str, message: str) -> None:
    assert param_error(["ec2", "import-image", "--output", value]) == f"{message}\n\n{AWS_USAGE}"


def test_global_option_missing_its_value() -> None:
    assert param_error(["ec2", "import-image", "--region"]) == (
        f"argument --region: expected one argument\n\n{AWS_USAGE}"
    )
    assert param_error(["ec2", "import-image", "--region", "--output", "text"]) == (
        f"argument --region: expected one argument\n\n{AWS_USAGE}"
    )
    assert parse_line(["ec2", "import-image", "--region", "-1"]).globals.region == "-1"


def test_first_pass_reads_prefixes_as_global_options() -> None:
    """The global options are matched first, so v2 reads ``--d`` as ``--debug``..."""
    invocation = parse_line(["ec2", "import-image", "--d"])
    assert invocation.globals.debug is True
    assert invocation.values == values_of("import-image")
    # ...and ``--de x`` as ``--debug`` followed by a stray word
    assert unknown_error(["ec2", "import-image", "--de", "x"]) == "Unknown options: x"
    # ``--en`` is ``--endpoint-url``, not ``--encrypted``
    assert param_error(["ec2", "import-image", "--en"]) == (
        f"argument --endpoint-url: expected one argument\n\n{AWS_USAGE}"
    )
    assert parse_line(["ec2", "import-image", "--enc"]).values["encrypted"] is True


def test_ambiguous_global_prefix() -> None:
    assert param_error(["ec2", "import-image", "--no-"]) == (
        "ambiguous option: --no- could match --no-verify-ssl, --no-paginate, "
        f"--no-sign-request, --no-cli-pager, --no-cli-auto-prompt\n\n{AWS_USAGE}"
    )


@pytest.mark.parametrize(
    ("argv", "values"),
    [
        (["--di", "a", "b"], {"disk_containers": ["a", "b"]}),
        (["--dr"], {"dry_run": True}),
        (["--no-d"], {"dry_run": False}),
        (["--no-e"], {"encrypted": False}),
        (["--gen"], {"generate_cli_skeleton": "input"}),
        (["--generate-cli-skeleton=output"], {"generate_cli_skeleton": "output"}),
        (["--cli-input-j", "{}"], {"cli_input_json": "{}"}),
        (["--boot-mode=-x"], {"boot_mode": "-x"}),
        (["--description", "-1"], {"description": "-1"}),
        (["--description", "-x y"], {"description": "-x y"}),
        (["--disk-containers"], {"disk_containers": []}),
    ],
)
def test_operation_options(argv: list[str], values: dict[str, Any]) -> None:
    invocation = parse_line(["ec2", "import-image", *argv])
    assert invocation.values == values_of("import-image", **values)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--li", "x"],
            "ambiguous option: --li could match --license-type, --license-specifications",
        ),
        (
            ["--cli-input", "x"],
            "ambiguous option: --cli-input could match --cli-input-json, --cli-input-yaml",
        ),
        (["--description", "-x"], "argument --description: expected one argument"),
        # the operation word's pass takes the "--" along with the word
        (["--", "--description"], "argument --description: expected one argument"),
        (["--dry-run=false"], "argument --dry-run: ignored explicit argument 'false'"),
        (
            ["--generate-cli-skeleton", "inpt"],
            "argument --generate-cli-skeleton: Found invalid choice 'inpt'\n\n"
            "Maybe you meant:\n\n  * input",
        ),
    ],
)
def test_operation_option_errors(argv: list[str], message: str) -> None:
    assert param_error(["ec2", "import-image", *argv]) == f"{message}\n\n{AWS_USAGE}"


def test_paging_options_are_integers() -> None:
    invocation = parse_line(
        ["ec2", "describe-import-image-tasks", "--page-size", "5", "--max-items", "2"]
    )
    assert invocation.values == values_of("describe-import-image-tasks", page_size=5, max_items=2)
    assert param_error(["ec2", "describe-import-image-tasks", "--max-items", "x"]) == (
        f"argument --max-items: invalid int value: 'x'\n\n{AWS_USAGE}"
    )
    # --max-results is a request member: its value is kept as typed
    invocation = parse_line(["ec2", "describe-import-image-tasks", "--max-results", "x"])
    assert invocation.values["max_results"] == "x"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--foo", "bar", "--baz"], "Unknown options: --foo, --baz, bar"),
        (["x", "y"], "Unknown options: y, x"),
        (["--description", "d", "stray"], "Unknown options: stray"),
        (["x", "help"], "Unknown options: help, x"),
        (["-x"], "Unknown options: -x"),
        (["--dry-run", "true"], "Unknown options: true"),
    ],
)
def test_unknown_options(argv: list[str], message: str) -> None:
    assert unknown_error(["ec2", "import-image", *argv]) == message


# -- command words ------------------------------------------------------------------


def test_no_arguments() -> None:
    assert param_error([]) == f"the following arguments are required: command\n\n{AWS_USAGE}"
    assert param_error(["--debug"]) == (
        f"the following arguments are required: command\n\n{AWS_USAGE}"
    )
    assert param_error(["ec2"]) == (
        f"the following arguments are required: operation\n\n{AWS_USAGE}"
    )


def test_operation_options_before_the_command_word() -> None:
    """v2 takes the value of an option it does not know yet for the command word."""
    assert param_error(["--description", "x", "ec2", "import-image"]) == (
        f"argument command: Found invalid choice 'x'\n\n\n{AWS_USAGE}"
    )
    assert param_error(["ec2", "--description", "x", "import-image"]) == (
        f"argument operation: Found invalid choice 'x'\n\n\n{AWS_USAGE}"
    )
    invocation = parse_line(["ec2", "import-image", "--dry-run", "--region", "r"])
    assert invocation.values["dry_run"] is True
    assert invocation.globals.region == "r"


@pytest.mark.parametrize("operation_name", ["describe-import-image-tasks", "cancel-import-task"])
def test_other_operations(operation_name: str) -> None:
    invocation = parse_line(["ec2", operation_name])
    assert invocation.kind is CommandKind.OPERATION
    assert invocation.operation is not None
    assert invocation.operation.cli_name == operation_name
    assert invocation.values == values_of(operation_name)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["s3", "ls"], "s3"),
        (["s3"], "s3"),
        (["--region", "r", "sts", "get-caller-identity"], "sts"),
        (["ec2", "run-instances"], "ec2 run-instances"),
        (["ec2", "import-snapshot", "--description", "x"], "ec2 import-snapshot"),
        (["ec2", "describe-import-snapshot-tasks"], "ec2 describe-import-snapshot-tasks"),
    ],
)
def test_unsupported_command(argv: list[str], command: str) -> None:
    with pytest.raises(UnsupportedCommandError) as info:
        parse_line(argv)
    assert str(info.value).startswith(
        f"'aws {command}' is an AWS CLI command that this tool does not implement: "
    )
    assert isinstance(info.value, ParamValidationError)


def test_known_commands() -> None:
    commands = known_commands()
    assert {"ec2", "s3", "help"} <= set(commands["commands"])
    assert {
        "import-image",
        "describe-import-image-tasks",
        "cancel-import-task",
        "run-instances",
        "help",
    } <= set(commands["ec2_operations"])


# -- help ---------------------------------------------------------------------------


def test_help_at_the_top() -> None:
    for argv in (["help"], ["--region", "r", "help"], ["help", "help"], ["help", "--foo"]):
        invocation = parse_line(argv)
        assert (invocation.kind, invocation.words, invocation.operation) == (
            CommandKind.HELP,
            (),
            None,
        )
    assert given_globals(parse_line(["--region", "r", "help"]).globals) == globals_with(region="r")


def test_help_takes_only_its_topics() -> None:
    """``aws help ec2`` is an invalid choice in v2: only topics follow ``help``."""
    assert param_error(["help", "ec2", "--foo"]).startswith(
        "argument subcommand: Found invalid choice 'ec2'\n\n\n"
    )
    with pytest.raises(UnsupportedCommandError):
        parse_line(["help", "return-codes"])


def test_help_of_the_service() -> None:
    for argv in (["ec2", "help"], ["ec2", "help", "import-image"], ["--debug", "ec2", "help"]):
        invocation = parse_line(argv)
        assert (invocation.kind, invocation.words, invocation.operation) == (
            CommandKind.HELP,
            ("ec2",),
            None,
        )


@pytest.mark.parametrize(
    "argv",
    [
        ["ec2", "import-image", "help"],
        ["ec2", "import-image", "--description", "x", "help"],
        ["ec2", "import-image", "help", "--description", "x"],
        ["ec2", "import-image", "help", "more", "--foo"],
        ["ec2", "import-image", "--foo", "help"],
        ["ec2", "import-image", "--output", "text", "help"],
    ],
)
def test_help_of_the_operation(argv: list[str]) -> None:
    invocation = parse_line(argv)
    assert invocation.kind is CommandKind.HELP
    assert invocation.words == ("ec2", "import-image")
    assert invocation.operation is not None
    assert invocation.operation.cli_name == "import-image"


def test_help_as_a_value_is_not_help() -> None:
    invocation = parse_line(["ec2", "import-image", "--description", "help"])
    assert (invocation.kind, invocation.values["description"]) == (CommandKind.OPERATION, "help")


# -- --version ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--vers"],
        ["ec2", "import-image", "--version"],
        ["ec2", "import-image", "--description", "--version"],
        ["s3", "--version"],
        ["--version", "--output", "xml"],
    ],
)
def test_version(argv: list[str]) -> None:
    invocation = parse_line(argv)
    assert (invocation.program, invocation.kind) == ("aws", CommandKind.VERSION)
    assert invocation.globals == GlobalOptions()


def test_a_global_value_argparse_made_a_list_fails_as_in_v2() -> None:
    """``--x=--`` is argparse's empty list, which v2 hands on as the value.

    Compiling it as a query fails, which v2 reports as a bad value (252); ``int()``
    of it as a time-out fails with Python's own message (255).
    """
    assert param_error(["ec2", "import-image", "--query=--"]) == (
        "Bad value for --query []: unhashable type: 'list'"
    )
    with pytest.raises(GeneralError) as info:
        parse_line(["ec2", "import-image", "--cli-read-timeout=--"])
    assert str(info.value) == (
        "int() argument must be a string, a bytes-like object or a real number, not 'list'"
    )


def test_version_after_an_error() -> None:
    assert param_error(["--output", "xml", "--version"]).startswith(
        "argument --output: Found invalid choice 'xml'\n"
    )


# -- the short program -------------------------------------------------------------------


def test_short_program() -> None:
    invocation = parse_line(["--description", "d", "--region", "r", "--dry-run"], program=SHORT)
    assert invocation.program == SHORT
    assert invocation.kind is CommandKind.OPERATION
    assert invocation.words == ("ec2", "import-image")
    assert invocation.operation is not None
    assert invocation.operation.cli_name == "import-image"
    assert invocation.values == values_of("import-image", description="d", dry_run=True)
    assert given_globals(invocation.globals) == globals_with(region="r")


def test_short_program_without_arguments() -> None:
    invocation = parse_line([], program=SHORT)
    assert invocation.kind is CommandKind.OPERATION
    assert invocation.values == values_of("import-image")


@pytest.mark.parametrize("argv", [["help"], ["--description", "x", "help"]])
def test_short_program_help(argv: list[str]) -> None:
    invocation = parse_line(argv, program=SHORT)
    assert (invocation.program, invocation.kind) == (SHORT, CommandKind.HELP)
    assert invocation.words == ("ec2", "import-image")


def test_short_program_version() -> None:
    assert parse_line(["--version"], program=SHORT).kind is CommandKind.VERSION


def test_short_program_errors_name_it_in_the_usage() -> None:
    assert param_error(["--description"], program=SHORT) == (
        f"argument --description: expected one argument\n\n{SHORT_USAGE}"
    )
    assert param_error(["--output", "xml"], program=SHORT) == (
        f"argument --output: Found invalid choice 'xml'\n\n\n{SHORT_USAGE}"
    )
    assert unknown_error(["--foo", "bar"], program=SHORT) == "Unknown options: --foo, bar"


# -- the three passes against v2's own, rebuilt on the stdlib argparse (Python 3.11) ------

Outcome = tuple[Any, ...]


def v2_outcome(argv: list[str]) -> Outcome:
    """v2's clidriver, reduced to its parsing: three stdlib ``parse_known_args`` passes."""
    commands = known_commands()
    try:
        main = stdlib_parser(
            [*global_arguments(), Argument("command", choices=commands["commands"])]
        )
        namespace, rest = main.parse_known_args(argv)
        parsed_globals = vars(namespace)
        command = parsed_globals.pop("command")
        refused = v2_global_checks(parsed_globals)
        if refused is not None:
            return refused
        if command == "help":
            if rest and rest != ["help"]:  # v2's help takes only its topics
                topics = stdlib_parser(
                    [Argument("subcommand", nargs=OPTIONAL, choices=commands["help_topics"])]
                )
                topic = topics.parse_known_args(rest)[0].subcommand
                if topic is not None:
                    return ("unsupported", f"help {topic}")
            return ("help", (), parsed_globals)
        if command != "ec2":
            return ("unsupported", command)
        service = stdlib_parser([Argument("operation", choices=commands["ec2_operations"])])
        namespace, rest = service.parse_known_args(rest)
        if namespace.operation == "help":
            return ("help", ("ec2",), parsed_globals)
        operation = load_model().operation_by_cli_name(namespace.operation)
        if operation is None:
            return ("unsupported", f"ec2 {namespace.operation}")
        # v2's options only: the tool's extensions (--wait...) take no prefixes, so a line
        # without them parses as v2 parses it
        parser = stdlib_parser(
            [
                *(a for a in (o.argument() for o in operation_options(operation)) if not a.exact),
                Argument("help", nargs=OPTIONAL),
            ]
        )
        namespace, rest = parser.parse_known_args(rest)
    except StdlibError as error:
        return ("error", f"{error.message}\n\n{AWS_USAGE}")
    except StdlibVersion:
        return ("version",)
    values = vars(namespace)
    help_word = values.pop("help")
    words = ("ec2", operation.cli_name)
    if help_word == "help":
        return ("help", words, parsed_globals)
    if help_word is not None:
        rest.append(help_word)
    if rest:
        return ("unknown", f"Unknown options: {', '.join(rest)}")
    return ("operation", words, parsed_globals, values)


def v2_global_checks(parsed_globals: dict[str, Any]) -> Outcome | None:
    """v2's checks of the global option values after its first pass, in its order."""
    from urllib.parse import urlparse

    import jmespath

    query = parsed_globals["query"]
    if query is not None:
        try:
            jmespath.compile(query)
        except Exception as error:  # v2 catches all: argparse's [] for `--query=--` too
            return ("error", f"Bad value for --query {query}: {error}")
    endpoint = parsed_globals["endpoint_url"]
    if endpoint is not None and not urlparse(endpoint).scheme:
        return ("error", f'Bad value for --endpoint-url "{endpoint}": scheme is missing.')
    for name in ("read_timeout", "connect_timeout"):
        if parsed_globals[name] is not None:
            try:
                int(parsed_globals[name])
            except (TypeError, ValueError) as error:
                return ("crash", str(error))
    return None


def our_outcome(argv: list[str]) -> Outcome:
    try:
        invocation = parse_line(argv)
    except UnsupportedCommandError as error:
        command = str(error).split("'", 2)[1].removeprefix("aws ")
        return ("unsupported", command)
    except UnknownOptionsError as error:
        return ("unknown", str(error))
    except ParamValidationError as error:
        message = str(error)
        if message.startswith("Bad value for --endpoint-url"):
            return ("error", message.split("  Must be", maxsplit=1)[0])
        return ("error", message)
    except GeneralError as error:
        return ("crash", str(error))
    parsed_globals = given_globals(invocation.globals)
    if invocation.kind is CommandKind.VERSION:
        return ("version",)
    if invocation.kind is CommandKind.HELP:
        return ("help", invocation.words, parsed_globals)
    extensions = {o.dest for o in invocation.options if o.argument().exact}
    values = {k: v for k, v in invocation.values.items() if k not in extensions}
    return ("operation", invocation.words, parsed_globals, values)


def _prefixes(names: list[str]) -> list[str]:
    return sorted({name[:n] for name in names for n in range(3, len(name) + 1)})


GLOBAL_FLAGS = [flag for arg in global_arguments() for flag in arg.flags]


def _operation_flags(name: str) -> list[str]:
    """v2's options of the operation (not the tool's extensions, whose own tests pin them)."""
    operation = load_model().operation_by_cli_name(name)
    assert operation is not None
    return [o.cli_name for o in operation_options(operation) if not o.argument().exact]


IMPORT_IMAGE_FLAGS = _operation_flags("import-image")

COMMAND_WORDS = [
    "ec2",
    "ec22",
    "s3",
    "help",
    "import-image",
    "import-imag",
    "describe-import-image-tasks",
    "cancel-import-task",
    "run-instances",
]
VALUE_WORDS = ["x", "json", "text", "on", "input", "output", "5", "-1", "-x", "--", "a b", ""]


def command_line_word() -> st.SearchStrategy[str]:
    option = st.sampled_from(GLOBAL_FLAGS + IMPORT_IMAGE_FLAGS)
    prefix = st.sampled_from(_prefixes(GLOBAL_FLAGS + IMPORT_IMAGE_FLAGS))
    with_value = st.tuples(st.one_of(option, prefix), st.sampled_from(VALUE_WORDS)).map(
        lambda t: f"{t[0]}={t[1]}"
    )
    value = st.sampled_from(VALUE_WORDS)
    plain = st.sampled_from(["x", "json", "text", "input", "5"])
    # plain values weigh more, or nearly every line would be an error
    return st.one_of(
        option, prefix, with_value, st.sampled_from(COMMAND_WORDS), value, plain, plain
    )


def command_line() -> st.SearchStrategy[list[str]]:
    # most lines start with the command words, so that the later passes are reached
    head = st.sampled_from([["ec2", "import-image"], ["ec2"], []])
    tail = st.lists(command_line_word(), max_size=7)
    at = st.sampled_from([0, 0, 0, 1, 2, 4])
    return st.tuples(head, tail, at).map(lambda t: t[1][: t[2]] + t[0] + t[1][t[2] :])


@on_311
@settings(max_examples=300, deadline=None)
@given(argv=command_line())
def test_same_as_v2_passes_on_stdlib_argparse(argv: list[str]) -> None:
    assert our_outcome(argv) == v2_outcome(argv)
