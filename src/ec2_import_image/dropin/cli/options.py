"""The options of the command line: v2's global options and each operation's options.

Operation options are derived from the pinned model (one option per input
member, ``--x``/``--no-x`` for booleans, list members taking several words),
followed by the options v2's customizations add to every operation:
``--cli-input-json``, ``--cli-input-yaml``, the paging options of a paginated
operation and ``--generate-cli-skeleton``, in the order v2 adds them.

This tool's own options (``--wait``, ``--max-wait``, ``--max-transient-seconds``)
come last and match by their whole name only: v2 does not have them, so their
prefixes must stay what they are in v2 (unknown, or ambiguous between v2's own).
"""

from __future__ import annotations

from typing import NamedTuple

from ec2_import_image.dropin.cli.argparsing import ONE, OPTIONAL, ZERO_OR_MORE, Argument
from ec2_import_image.model import Operation, Shape
from ec2_import_image.model.shapes import xform_name

OUTPUT_CHOICES = ("json", "text", "table", "yaml", "yaml-stream", "off")
ERROR_FORMAT_CHOICES = ("legacy", "json", "yaml", "text", "table", "enhanced")
SKELETON_CHOICES = ("input", "output", "yaml-input")
#: the kinds of this tool's waiting options, and their names
WAIT = "wait"
MAX_WAIT = "max-wait"
MAX_TRANSIENT = "max-transient-seconds"
WAIT_LIMITS = (MAX_WAIT, MAX_TRANSIENT)
POSITIVE_INTEGER = "positive integer"


def positive_integer(word: str) -> int:
    """A whole number of at least 1, in plain digits (argparse's message names the type)."""
    if not word.isascii() or not word.isdigit() or int(word) < 1:
        raise ValueError(word)
    return int(word)


def global_arguments() -> list[Argument]:
    """v2.36.7's global options, in the order of its cli.json, then ``--version``."""
    return [
        Argument("debug", ("--debug",), action="store_true", default=False),
        Argument("endpoint_url", ("--endpoint-url",)),
        Argument("verify_ssl", ("--no-verify-ssl",), action="store_false", default=True),
        Argument("paginate", ("--no-paginate",), action="store_false", default=True),
        Argument("output", ("--output",), choices=OUTPUT_CHOICES),
        Argument("query", ("--query",)),
        Argument("profile", ("--profile",)),
        Argument("region", ("--region",)),
        Argument("color", ("--color",), choices=("on", "off", "auto"), default="auto"),
        Argument("sign_request", ("--no-sign-request",), action="store_false", default=True),
        Argument("ca_bundle", ("--ca-bundle",)),
        Argument("read_timeout", ("--cli-read-timeout",)),
        Argument("connect_timeout", ("--cli-connect-timeout",)),
        Argument(
            "cli_binary_format", ("--cli-binary-format",), choices=("base64", "raw-in-base64-out")
        ),
        Argument("no_cli_pager", ("--no-cli-pager",), action="store_true", default=False),
        Argument("cli_auto_prompt", ("--cli-auto-prompt",), action="store_true", default=False),
        Argument(
            "no_cli_auto_prompt", ("--no-cli-auto-prompt",), action="store_true", default=False
        ),
        Argument("cli_error_format", ("--cli-error-format",), choices=ERROR_FORMAT_CHOICES),
        Argument("version", ("--version",), action="version"),
    ]


class OperationOption(NamedTuple):
    """One option of an operation and what it feeds."""

    #: the option name without dashes, e.g. ``disk-containers`` or ``no-dry-run``
    name: str
    #: member (a request member), cli-input-json, cli-input-yaml, paging, skeleton,
    #: wait, max-wait, max-transient-seconds
    kind: str
    #: the request member (kind member) or paging setting (StartingToken, PageSize, MaxItems)
    member: str | None = None
    shape: Shape | None = None
    #: the ``--no-x`` half of a boolean pair
    negative: bool = False

    @property
    def cli_name(self) -> str:
        return "--" + self.name

    @property
    def dest(self) -> str:
        base = self.name[3:] if self.negative else self.name
        return base.replace("-", "_")

    def argument(self) -> Argument:
        if self.kind == "member":
            assert self.shape is not None
            if self.shape.type_name == "boolean":
                action = "store_false" if self.negative else "store_true"
                return Argument(self.dest, (self.cli_name,), action=action)
            nargs = ZERO_OR_MORE if self.shape.type_name == "list" else ONE
            return Argument(self.dest, (self.cli_name,), nargs=nargs)
        if self.kind == WAIT:
            return Argument(self.dest, (self.cli_name,), action="store_true", exact=True)
        if self.kind in WAIT_LIMITS:
            return Argument(
                self.dest,
                (self.cli_name,),
                type=positive_integer,
                type_name=POSITIVE_INTEGER,
                exact=True,
            )
        if self.kind == "skeleton":
            return Argument(
                self.dest, (self.cli_name,), nargs=OPTIONAL, const="input", choices=SKELETON_CHOICES
            )
        if self.kind == "paging" and self.member in ("PageSize", "MaxItems"):
            return Argument(self.dest, (self.cli_name,), type=int, type_name="int")
        return Argument(self.dest, (self.cli_name,))


def operation_options(operation: Operation) -> list[OperationOption]:
    """The option table of an operation, in v2's order."""
    options: list[OperationOption] = []
    shape = operation.input_shape
    members = shape.members if shape is not None else {}
    for member_name, member_shape in members.items():
        name = xform_name(member_name, "-")
        options.append(OperationOption(name, "member", member_name, member_shape))
        if member_shape.type_name == "boolean":
            options.append(
                OperationOption(f"no-{name}", "member", member_name, member_shape, negative=True)
            )
    options.append(OperationOption("cli-input-json", "cli-input-json"))
    options.append(OperationOption("cli-input-yaml", "cli-input-yaml"))
    paginator = operation.paginator
    if paginator is not None:
        options.append(OperationOption("starting-token", "paging", "StartingToken"))
        if "limit_key" in paginator:
            options.append(OperationOption("page-size", "paging", "PageSize"))
        options.append(OperationOption("max-items", "paging", "MaxItems"))
    options.append(OperationOption("generate-cli-skeleton", "skeleton"))
    if operation.name in WAITABLE:
        options.append(OperationOption(WAIT, WAIT))
        options.extend(limit_options())
    return options


#: operations that take ``--wait`` (an extension: wait for the task to finish)
WAITABLE = ("ImportImage",)


def limit_options() -> list[OperationOption]:
    """``--max-wait`` and ``--max-transient-seconds``: how long waiting may go on."""
    return [OperationOption(kind, kind) for kind in WAIT_LIMITS]


def waiter_options(operation: Operation) -> list[OperationOption]:
    """The options of a waiter: its operation's members, the CLI input options, the limits."""
    own = [
        o
        for o in operation_options(operation)
        if o.kind in ("member", "cli-input-json", "cli-input-yaml", "skeleton")
    ]
    return [*own, *limit_options()]
