"""The option table: every option of the command line, described once.

Parsing (``commandline``: each record's ``argument()``), the request model
(``params.build``: what each kind feeds), the manual pages (``helpdocs.pages``:
type, text, values) and completion (``completion.engine``: how many values,
type, one line of help, values) all read the ``Option`` records built here.

The global options are v2.36.7's, in the order of its ``cli.json`` (the order
its help lists them; its parser adds ``--version`` last, as ``commandline``
does).  An operation's options are derived from the pinned model (one option
per input member, ``--x``/``--no-x`` for booleans, list members taking several
words), followed by the options v2's customizations add to every operation:
``--cli-input-json``, ``--cli-input-yaml``, the paging options of a paginated
operation and ``--generate-cli-skeleton``, in the order v2 adds them.

This tool's own options (``--wait``, ``--max-wait``, ``--max-transient-seconds``)
come last and match by their whole name only (``exact``): v2 does not have
them, so their prefixes must stay what they are in v2 (unknown, or ambiguous
between v2's own).

The records are frozen classes with ``__slots__`` (``dropin/record.py``) and the
kinds enums: both cheap on the start-up path, where named tuples of this size
and dataclasses are not (docs/performance.md).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from ec2_import_image.dropin.cli.argparsing import ONE, OPTIONAL, ZERO_OR_MORE, Argument
from ec2_import_image.dropin.record import Record
from ec2_import_image.model import Operation, Shape
from ec2_import_image.model.shapes import xform_name


class OptionKind(enum.Enum):
    """What an option feeds."""

    #: a global option: the field of ``GlobalOptions`` named by its ``dest``
    GLOBAL = "global"
    #: ``--version``: print the version, do nothing else
    VERSION = "version"
    #: a member of the request (from the model)
    MEMBER = "member"
    #: the whole request as a JSON document
    CLI_INPUT_JSON = "cli-input-json"
    #: the whole request as a YAML document
    CLI_INPUT_YAML = "cli-input-yaml"
    #: a paging setting (``member``: StartingToken, PageSize or MaxItems)
    PAGING = "paging"
    #: ``--generate-cli-skeleton``: a template instead of a request
    SKELETON = "skeleton"
    #: ``--wait`` (an extension): wait for the import task after the call
    WAIT = "wait"
    #: ``--max-wait`` (an extension): the most seconds to wait
    MAX_WAIT = "max-wait"
    #: ``--max-transient-seconds`` (an extension): how long polls may keep failing
    MAX_TRANSIENT = "max-transient-seconds"


#: the kinds whose values may name a file (``file://``, ``fileb://``), as completion offers
FILE_KINDS = frozenset({OptionKind.MEMBER, OptionKind.CLI_INPUT_JSON, OptionKind.CLI_INPUT_YAML})
#: the limits of waiting
WAIT_LIMIT_KINDS = (OptionKind.MAX_WAIT, OptionKind.MAX_TRANSIENT)


class Arity(enum.Enum):
    """How many values follow an option."""

    #: none: the option is a flag
    FLAG = "0"
    #: exactly one
    ONE = "1"
    #: one, or none (then the option's ``const``)
    OPTIONAL = "?"
    #: any number of words
    MANY = "*"


class Conversion(enum.Enum):
    """How the parser converts a value word; the value is the type argparse's errors name."""

    TEXT = ""
    INT = "int"
    POSITIVE_INTEGER = "positive integer"


def positive_integer(word: str) -> int:
    """A whole number of at least 1, in plain digits (argparse's message names the type)."""
    if not word.isascii() or not word.isdigit() or int(word) < 1:
        raise ValueError(word)
    return int(word)


_CONVERTERS: dict[Conversion, Callable[[str], Any] | None] = {
    Conversion.TEXT: None,
    Conversion.INT: int,
    Conversion.POSITIVE_INTEGER: positive_integer,
}
_NARGS = {Arity.ONE: ONE, Arity.OPTIONAL: OPTIONAL, Arity.MANY: ZERO_OR_MORE}


class Option(Record):
    """One option: how it parses, what it feeds, how help and completion show it."""

    __slots__ = (
        "arity",
        "choices",
        "const",
        "conversion",
        "default",
        "dest",
        "documented_with",
        "exact",
        "flag_value",
        "kind",
        "member",
        "name",
        "path",
        "required",
        "shape",
        "summary",
        "text",
        "type_name",
    )
    #: the name without dashes: ``disk-containers``, ``no-dry-run``, ``output``
    name: str
    #: where the parsed value goes (``dry_run`` for both ``--dry-run`` and ``--no-dry-run``)
    dest: str
    kind: OptionKind
    #: the value's type as the manual and completion show it (``string``, ``boolean``,
    #: ``integer``, ``int`` for v2's time-outs, a member's shape type)
    type_name: str
    arity: Arity
    #: the manual's text (plain); a member's text is its shape's documentation (HTML)
    text: str
    #: one line for completion menus; empty: the text's first sentence
    summary: str
    #: the values the parser accepts (empty: any)
    choices: tuple[str, ...]
    #: matched by its whole name only: no prefix of it is accepted
    exact: bool
    conversion: Conversion
    #: what a flag stores (``--no-x`` stores False)
    flag_value: bool
    #: the value when the option is not given
    default: Any
    #: the value of an ``OPTIONAL`` option given without one
    const: str | None
    #: the request member (``MEMBER``) or paging setting (``PAGING``)
    member: str | None
    shape: Shape | None
    #: the member's path from the operation (see ``helpdocs.values``)
    path: tuple[str, ...]
    required: bool
    #: the option whose manual entry documents this one too (``--no-x`` is with ``--x``)
    documented_with: str | None

    def __init__(
        self,
        name: str,
        dest: str,
        kind: OptionKind,
        type_name: str,
        arity: Arity,
        *,
        text: str = "",
        summary: str = "",
        choices: tuple[str, ...] = (),
        exact: bool = False,
        conversion: Conversion = Conversion.TEXT,
        flag_value: bool = True,
        default: Any = None,
        const: str | None = None,
        member: str | None = None,
        shape: Shape | None = None,
        path: tuple[str, ...] = (),
        required: bool = False,
        documented_with: str | None = None,
    ) -> None:
        self._fill(locals())

    @property
    def cli_name(self) -> str:
        return "--" + self.name

    @property
    def brief(self) -> str:
        """One line of help (a member's comes from the model: ``completion.engine``)."""
        return self.summary or self.text.split(". ")[0].rstrip(".")

    def argument(self) -> Argument:
        """The parser's view of the option."""
        flags = (self.cli_name,)
        if self.kind is OptionKind.VERSION:
            return Argument(self.dest, flags, action="version")
        if self.arity is Arity.FLAG:
            action = "store_true" if self.flag_value else "store_false"
            return Argument(self.dest, flags, action=action, default=self.default, exact=self.exact)
        return Argument(
            self.dest,
            flags,
            nargs=_NARGS[self.arity],
            choices=self.choices or None,
            default=self.default,
            const=self.const,
            type=_CONVERTERS[self.conversion],
            type_name=self.conversion.value,
            exact=self.exact,
        )


# -- the global options ---------------------------------------------------------------

OUTPUT_CHOICES = ("json", "text", "table", "yaml", "yaml-stream", "off")
ERROR_FORMAT_CHOICES = ("legacy", "json", "yaml", "text", "table", "enhanced")
COLOR_CHOICES = ("on", "off", "auto")
BINARY_FORMAT_CHOICES = ("base64", "raw-in-base64-out")
SKELETON_CHOICES = ("input", "output", "yaml-input")


def _flag(name: str, dest: str, text: str, *, stores: bool = True) -> Option:
    """A global flag; it stores ``stores`` and defaults to the opposite."""
    return Option(
        name,
        dest,
        OptionKind.GLOBAL,
        "boolean",
        Arity.FLAG,
        text=text,
        flag_value=stores,
        default=not stores,
    )


def _valued(
    name: str,
    dest: str,
    text: str,
    *,
    choices: tuple[str, ...] = (),
    type_name: str = "string",
    default: str | None = None,
) -> Option:
    return Option(
        name,
        dest,
        OptionKind.GLOBAL,
        type_name,
        Arity.ONE,
        text=text,
        choices=choices,
        default=default,
    )


#: v2.36.7's global options, in the order of its cli.json; the texts are this project's
GLOBAL_OPTIONS: tuple[Option, ...] = (
    _flag(
        "debug",
        "debug",
        "Write a log of every step of the call to standard error: the configuration "
        "read, the request as signed and sent, the response received.",
    ),
    _valued(
        "endpoint-url",
        "endpoint_url",
        "Send requests to this URL instead of the endpoint of the region, for "
        "example a VPC endpoint or a local test server.",
    ),
    _flag(
        "no-verify-ssl",
        "verify_ssl",
        "Do not verify the SSL certificate of the endpoint. Connections still "
        "use SSL, but anyone on the path could read and change them.",
        stores=False,
    ),
    _flag(
        "no-paginate",
        "paginate",
        "Make a single call and print only the first page of results, instead of "
        "following NextToken until the last page.",
        stores=False,
    ),
    _valued(
        "output",
        "output",
        "The format of the output. off prints nothing on standard output (the exit "
        "code still tells success or failure).",
        choices=OUTPUT_CHOICES,
    ),
    _valued(
        "query",
        "query",
        "A JMESPath expression applied to the response before it is printed, for "
        "example ImportTaskId or ImportImageTasks[].Status.",
    ),
    _valued(
        "profile", "profile", "Use this named profile of the configuration and credentials files."
    ),
    _valued(
        "region",
        "region",
        "The AWS Region to send the request to; overrides the environment and the "
        "configuration file.",
    ),
    Option(
        "version",
        "version",
        OptionKind.VERSION,
        "string",
        Arity.FLAG,
        text="Print the version of the tool and exit.",
    ),
    _valued(
        "color",
        "color",
        "Whether the table output and structured errors are coloured; auto colours "
        "only on a terminal.",
        choices=COLOR_CHOICES,
        default="auto",
    ),
    _flag(
        "no-sign-request",
        "sign_request",
        "Send the request unsigned; no credentials are looked up.",
        stores=False,
    ),
    _valued(
        "ca-bundle",
        "ca_bundle",
        "The file of CA certificates used to verify the endpoint's SSL "
        "certificate; overrides the environment and the configuration file.",
    ),
    _valued(
        "cli-read-timeout",
        "read_timeout",
        "How many seconds to wait for data on an open connection; 0 waits "
        "forever. The default is 60.",
        type_name="int",
    ),
    _valued(
        "cli-connect-timeout",
        "connect_timeout",
        "How many seconds to wait for a connection; 0 waits forever. The default is 60.",
        type_name="int",
    ),
    _valued(
        "cli-binary-format",
        "cli_binary_format",
        "How binary input values are read: base64 (the default) expects "
        "base64 text, raw-in-base64-out takes the bytes as given. fileb:// values are always "
        "read as raw bytes.",
        choices=BINARY_FORMAT_CHOICES,
    ),
    _flag(
        "no-cli-pager",
        "no_cli_pager",
        "Do not send the output through a pager, even on a terminal.",
    ),
    _flag(
        "cli-auto-prompt",
        "cli_auto_prompt",
        "Complete the command line in an interactive prompt (needs a terminal), then run it.",
    ),
    _flag(
        "no-cli-auto-prompt",
        "no_cli_auto_prompt",
        "Never prompt, even when the configuration or AWS_CLI_AUTO_PROMPT asks for it.",
    ),
    _valued(
        "cli-error-format",
        "cli_error_format",
        "The layout of error messages on standard error. enhanced (the "
        "default) adds the error's extra fields, legacy prints the message alone, and the "
        "others print the error's fields in that output format.",
        choices=ERROR_FORMAT_CHOICES,
    ),
)


# -- an operation's options -----------------------------------------------------------

CLI_INPUT_TEXT = (
    "Read the request's parameters from a JSON document (--cli-input-json) or a YAML "
    "document (--cli-input-yaml), given inline or as file://path. --generate-cli-skeleton "
    "input or yaml-input writes a template to fill in. Options given on the command line "
    "take precedence over the document's values. The two options cannot be used together."
)
SKELETON_TEXT = (
    "Print a template instead of sending a request: input (the default when no value is "
    "given) a JSON document for --cli-input-json, yaml-input a YAML document for "
    "--cli-input-yaml, output a sample of the response (the other options are checked "
    "first). Templates may change from one version to the next."
)
WAIT_TEXT = (
    "Wait for the import task to finish before printing: the output is then the task as "
    "describe-import-image-tasks shows it once completed. The task id goes to standard "
    "error as soon as the import starts, and the progress after it. The command fails "
    "(exit 255) if the task is deleted, with the task's status message and, for the "
    "failures users commonly meet, their cause and remedy; when the ImportImage call "
    "itself fails with such a failure, its cause and remedy follow the error. Polls that "
    "fail for a while (throttling, server errors, connection errors, time-outs) are tried "
    "again; see --max-wait and --max-transient-seconds. An extension of this tool: the "
    "AWS CLI has no such option."
)
MAX_WAIT_TEXT = (
    "With --wait (or in aws ec2 wait image-import-completed): the most seconds to wait, "
    "14400 (4 hours) by default. When they run out, the command fails with the AWS CLI's "
    "waiter wording (Waiter ImageImportCompleted failed: Max attempts exceeded, exit 255) "
    "and prints the commands that resume waiting or cancel the import. An extension of "
    "this tool; only the whole name is accepted."
)
MAX_TRANSIENT_TEXT = (
    "With --wait (or in aws ec2 wait image-import-completed): how many seconds polls may "
    "keep failing with errors that usually pass (throttling, HTTP 5xx, connection errors, "
    "time-outs, malformed replies) before the command gives up, 300 by default. Each "
    "failed poll is said on standard error and tried again after a growing delay; errors "
    "that do not pass (credentials, permissions, unknown task ids, invalid values) end "
    "the wait at once. Giving up prints the commands that resume waiting or cancel the "
    "import (exit 255). An extension of this tool; only the whole name is accepted."
)

STARTING_TOKEN_TEXT = (
    "Resume a listing where an earlier one stopped: give the NextToken that a truncated "
    "output printed. The operation's own --next-token and --max-results are accepted "
    "too; giving either of them turns automatic pagination off."
)
PAGE_SIZE_TEXT = (
    "How many items each call to the service asks for. Smaller pages take more calls, "
    "each less likely to time out; the output is the same."
)
MAX_ITEMS_TEXT = (
    "The most items to print in total. When more exist, the output ends with a "
    "NextToken to give to --starting-token."
)

CLI_INPUT_JSON = Option(
    "cli-input-json",
    "cli_input_json",
    OptionKind.CLI_INPUT_JSON,
    "string",
    Arity.ONE,
    text=CLI_INPUT_TEXT,
    summary="Read the parameters from a JSON document (inline or file://)",
)
CLI_INPUT_YAML = Option(
    "cli-input-yaml",
    "cli_input_yaml",
    OptionKind.CLI_INPUT_YAML,
    "string",
    Arity.ONE,
    text=CLI_INPUT_TEXT,
    summary="Read the parameters from a YAML document (inline or file://)",
    documented_with="cli-input-json",
)
STARTING_TOKEN = Option(
    "starting-token",
    "starting_token",
    OptionKind.PAGING,
    "string",
    Arity.ONE,
    text=STARTING_TOKEN_TEXT,
    summary="Resume after the NextToken of an earlier, truncated output",
    member="StartingToken",
)
PAGE_SIZE = Option(
    "page-size",
    "page_size",
    OptionKind.PAGING,
    "integer",
    Arity.ONE,
    text=PAGE_SIZE_TEXT,
    summary="How many items each call asks the service for",
    conversion=Conversion.INT,
    member="PageSize",
)
MAX_ITEMS = Option(
    "max-items",
    "max_items",
    OptionKind.PAGING,
    "integer",
    Arity.ONE,
    text=MAX_ITEMS_TEXT,
    summary="The most items to print in total",
    conversion=Conversion.INT,
    member="MaxItems",
)
GENERATE_SKELETON = Option(
    "generate-cli-skeleton",
    "generate_cli_skeleton",
    OptionKind.SKELETON,
    "string",
    Arity.OPTIONAL,
    text=SKELETON_TEXT,
    summary="Print a request template (input, yaml-input) or a sample response (output)",
    choices=SKELETON_CHOICES,
    const="input",
)
WAIT = Option(
    "wait",
    "wait",
    OptionKind.WAIT,
    "boolean",
    Arity.FLAG,
    text=WAIT_TEXT,
    summary="Wait for the import task to finish, then print it (an extension)",
    exact=True,
)
MAX_WAIT = Option(
    "max-wait",
    "max_wait",
    OptionKind.MAX_WAIT,
    "integer",
    Arity.ONE,
    text=MAX_WAIT_TEXT,
    summary="The most seconds to wait, 14400 by default (an extension)",
    exact=True,
    conversion=Conversion.POSITIVE_INTEGER,
)
MAX_TRANSIENT = Option(
    "max-transient-seconds",
    "max_transient_seconds",
    OptionKind.MAX_TRANSIENT,
    "integer",
    Arity.ONE,
    text=MAX_TRANSIENT_TEXT,
    summary="How long polls may keep failing, 300 s by default (an extension)",
    exact=True,
    conversion=Conversion.POSITIVE_INTEGER,
)
#: ``--max-wait`` and ``--max-transient-seconds``: how long waiting may go on
LIMIT_OPTIONS = (MAX_WAIT, MAX_TRANSIENT)

#: operations that take ``--wait`` (an extension: wait for the task to finish)
WAITABLE = ("ImportImage",)


def member_options(operation: Operation) -> list[Option]:
    """One option per input member, in model order; ``--x`` and ``--no-x`` for booleans."""
    shape = operation.input_shape
    if shape is None:
        return []
    options: list[Option] = []
    required = shape.required_members
    for member_name, member_shape in shape.members.items():
        name = xform_name(member_name, "-")
        type_name = member_shape.type_name
        option = Option(
            name,
            name.replace("-", "_"),
            OptionKind.MEMBER,
            type_name,
            Arity.FLAG if type_name == "boolean" else _member_arity(type_name),
            member=member_name,
            shape=member_shape,
            path=(operation.name, member_name),
            required=member_name in required,
        )
        options.append(option)
        if type_name == "boolean":
            options.append(
                option.replace(name=f"no-{name}", flag_value=False, documented_with=name)
            )
    return options


def _member_arity(type_name: str) -> Arity:
    return Arity.MANY if type_name == "list" else Arity.ONE


def operation_options(operation: Operation) -> list[Option]:
    """The option table of an operation, in v2's order."""
    options = member_options(operation)
    options += [CLI_INPUT_JSON, CLI_INPUT_YAML]
    paginator = operation.paginator
    if paginator is not None:
        options.append(STARTING_TOKEN)
        if "limit_key" in paginator:
            options.append(PAGE_SIZE)
        options.append(MAX_ITEMS)
    options.append(GENERATE_SKELETON)
    if operation.name in WAITABLE:
        options += [WAIT, *LIMIT_OPTIONS]
    return options


def waiter_options(operation: Operation) -> list[Option]:
    """The options of a waiter: its operation's members, the CLI input options, the limits."""
    own = [*member_options(operation), CLI_INPUT_JSON, CLI_INPUT_YAML, GENERATE_SKELETON]
    return [*own, *LIMIT_OPTIONS]
