"""The manual pages: ``aws help``, ``aws ec2 help`` and ``aws ec2 <operation> help``.

An operation's page has v2's sections in v2's order: NAME, DESCRIPTION,
SYNOPSIS, OPTIONS, GLOBAL OPTIONS, EXAMPLES, OUTPUT.  Options are the
operation's options as the parser knows them (``cli.options``), documented
from the pinned model: each with its type, its valid values, the members of a
structure or list, and the Shorthand/JSON syntax of its value.  As in v2, an
operation's own paging members (``--next-token``, ``--max-results``) are left
out of SYNOPSIS and OPTIONS in favour of ``--starting-token``, ``--page-size``
and ``--max-items``.

Pages are lists of styled lines (``styled.Line``), ``WIDTH`` columns wide:
headings and the names one types are bold, placeholders are underlined.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from ec2_import_image.dropin.cli.options import (
    MAX_TRANSIENT,
    MAX_WAIT,
    SKELETON_CHOICES,
    OperationOption,
    operation_options,
)
from ec2_import_image.dropin.helpdocs.docstyle import doc_lines
from ec2_import_image.dropin.helpdocs.examples import Example, examples_for
from ec2_import_image.dropin.helpdocs.globalopts import global_options
from ec2_import_image.dropin.helpdocs.styled import Line, Span, bold, line, underline
from ec2_import_image.dropin.helpdocs.syntax import (
    is_scalar_list,
    json_syntax,
    list_syntax,
    shorthand_syntax,
    supports_shorthand,
)
from ec2_import_image.dropin.helpdocs.values import valid_values, values_source
from ec2_import_image.dropin.helpdocs.waiters import WAIT, WAITER_TEXT, tool_waiters, waiter_options
from ec2_import_image.dropin.programs import AWS, SHORT
from ec2_import_image.model import Operation, Shape, load_model

WIDTH = 78
BODY = 7  # the indent of a section's text
STEP = 3  # the indent of an option's text under its name
NEST = 4  # the indent of a member under its parent
CODE = 3  # the indent of a code block under its label
API_DOC_BASE = "https://docs.aws.amazon.com/goto/WebAPI"

SECTION_ORDER = (
    "NAME",
    "DESCRIPTION",
    "SYNOPSIS",
    "OPTIONS",
    "GLOBAL OPTIONS",
    "EXAMPLES",
    "OUTPUT",
)

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
PAGING_TEXT = {
    "StartingToken": (
        "Resume a listing where an earlier one stopped: give the NextToken that a truncated "
        "output printed. The operation's own --next-token and --max-results are accepted "
        "too; giving either of them turns automatic pagination off."
    ),
    "PageSize": (
        "How many items each call to the service asks for. Smaller pages take more calls, "
        "each less likely to time out; the output is the same."
    ),
    "MaxItems": (
        "The most items to print in total. When more exist, the output ends with a "
        "NextToken to give to --starting-token."
    ),
}
PAGING_TYPES = {"StartingToken": "string", "PageSize": "integer", "MaxItems": "integer"}
#: the text of options of other kinds, by kind
OTHER_TEXT = {
    "wait": (
        "Wait for the import task to finish before printing: the output is then the task as "
        "describe-import-image-tasks shows it once completed. The task id goes to standard "
        "error as soon as the import starts, and the progress after it. The command fails "
        "(exit 255) if the task is deleted, with the task's status message and, for the "
        "failures users commonly meet, their cause and remedy; when the ImportImage call "
        "itself fails with such a failure, its cause and remedy follow the error. Polls that "
        "fail for a while (throttling, server errors, connection errors, time-outs) are tried "
        "again; see --max-wait and --max-transient-seconds. An extension of this tool: the "
        "AWS CLI has no such option."
    ),
    MAX_WAIT: (
        "With --wait (or in aws ec2 wait image-import-completed): the most seconds to wait, "
        "14400 (4 hours) by default. When they run out, the command fails with the AWS CLI's "
        "waiter wording (Waiter ImageImportCompleted failed: Max attempts exceeded, exit 255) "
        "and prints the commands that resume waiting or cancel the import. An extension of "
        "this tool; only the whole name is accepted."
    ),
    MAX_TRANSIENT: (
        "With --wait (or in aws ec2 wait image-import-completed): how many seconds polls may "
        "keep failing with errors that usually pass (throttling, HTTP 5xx, connection errors, "
        "time-outs, malformed replies) before the command gives up, 300 by default. Each "
        "failed poll is said on standard error and tried again after a growing delay; errors "
        "that do not pass (credentials, permissions, unknown task ids, invalid values) end "
        "the wait at once. Giving up prints the commands that resume waiting or cancel the "
        "import (exit 255). An extension of this tool; only the whole name is accepted."
    ),
}
#: the type shown for options of other kinds that take a value
OTHER_TYPES = {MAX_WAIT: "integer", MAX_TRANSIENT: "integer"}


class Page:
    """A page under construction."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.lines: list[Line] = []

    def add(self, *parts: str | Span, indent: int = 0) -> None:
        self.lines.append(line(" " * indent, *parts) if parts else ())

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append(())

    def heading(self, text: str) -> None:
        self.blank()
        self.lines.append(line(bold(text)))

    def text(self, text: str, indent: int) -> None:
        for paragraph in text.split("\n"):
            wrapped = textwrap.wrap(
                paragraph,
                WIDTH - indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            for row in wrapped or [""]:
                self.add(row, indent=indent)

    def doc(self, html: str, indent: int) -> None:
        self.lines.extend(doc_lines(html, indent, WIDTH))

    def code(self, text: str, indent: int) -> None:
        for row in text.split("\n"):
            self.add(row, indent=indent)

    def bullets(self, values: Iterable[str], indent: int) -> None:
        for value in values:
            self.add("* ", bold(value), indent=indent)

    def finish(self) -> list[Line]:
        label = f"{self.title.upper()}()"
        header = line(label, " " * max(1, WIDTH - 2 * len(label)), label)
        footer = line(" " * max(0, WIDTH - len(label)), label)
        body = list(self.lines)
        while body and not body[-1]:
            body.pop()
        return [header, (), (), (), *body, (), (), (), footer]


# --------------------------------------------------------------------------
# operation pages


def documented_options(
    operation: Operation, options: list[OperationOption] | None = None
) -> list[OperationOption]:
    """The options an operation's page documents, in v2's order (one per group)."""
    hidden: set[str] = set()
    paginator = operation.paginator
    if paginator is not None:
        tokens = paginator["input_token"]
        hidden.update(tokens if isinstance(tokens, list) else [tokens])
        if "limit_key" in paginator:
            hidden.add(paginator["limit_key"])
    return [
        option
        for option in (operation_options(operation) if options is None else options)
        if not option.negative
        and option.kind != "cli-input-yaml"
        and not (option.kind == "member" and option.member in hidden)
    ]


def _is_required(operation: Operation, option: OperationOption) -> bool:
    shape = operation.input_shape
    return option.kind == "member" and shape is not None and option.member in shape.required_members


def _option_names(option: OperationOption) -> list[str]:
    if option.kind == "member" and option.shape is not None and option.shape.type_name == "boolean":
        return [option.cli_name, f"--no-{option.name}"]
    if option.kind == "cli-input-json":
        return ["--cli-input-json", "--cli-input-yaml"]
    return [option.cli_name]


def _option_type(option: OperationOption) -> str:
    if option.kind == "member" and option.shape is not None:
        return option.shape.type_name
    if option.kind == "paging" and option.member is not None:
        return PAGING_TYPES[option.member]
    if option.kind in OTHER_TYPES:
        return OTHER_TYPES[option.kind]
    if option.argument().action in ("store_true", "store_false"):
        return "boolean"
    return "string"


def _synopsis_entry(operation: Operation, option: OperationOption) -> Line:
    names = _option_names(option)
    if len(names) > 1:
        parts: list[str | Span] = [" | ".join(names)]
    elif _option_type(option) == "boolean":
        parts = [names[0]]
    else:
        parts = [f"{names[0]} ", underline("<value>")]
    if _is_required(operation, option):
        return line(*parts)
    return line("[", *parts, "]")


def synopsis(page: Page, operation: Operation, name: str, options: list[OperationOption]) -> None:
    page.heading("SYNOPSIS")
    page.add(name, indent=BODY + 5)
    for option in options:
        page.lines.append(line(" " * (BODY + 3), *_synopsis_entry(operation, option)))
    for glob in global_options():
        if glob.type_name == "boolean":
            page.add(f"[{glob.name}]", indent=BODY + 3)
        else:
            page.add("[", f"{glob.name} ", underline("<value>"), "]", indent=BODY + 3)


def _values_block(page: Page, shape: Shape, path: tuple[str, ...], indent: int) -> None:
    source = values_source(shape, path)
    values = valid_values(shape, path)
    if source == "enum":
        page.blank()
        page.add("Possible values:", indent=indent)
        page.blank()
        page.bullets(values, indent + 2)
    elif source == "table":
        page.blank()
        parts: list[str | Span] = ["Valid values: "]
        for index, value in enumerate(values):
            parts += [" | "] if index else []
            parts.append(bold(value))
        page.add(*parts, indent=indent)


def _member(
    page: Page,
    name: str,
    shape: Shape,
    indent: int,
    *,
    path: tuple[str, ...],
    stack: list[str],
    required: bool = False,
) -> None:
    if shape.name in stack and stack.count(shape.name) > 1:
        if shape.type_name == "structure":
            page.add("( ... recursive ... )", indent=indent)
        return
    stack.append(shape.name)
    try:
        header = f"{name} -> ({shape.type_name})" if name else f"({shape.type_name})"
        page.add(header + (" [required]" if required else ""), indent=indent)
        page.doc(shape.documentation, indent + NEST)
        if name or shape.type_name != "string":
            # a list's string items: their values were shown with the list
            _values_block(page, shape, path, indent + NEST)
        page.blank()
        _children(page, shape, indent + NEST, path, stack)
    finally:
        stack.pop()


def _children(
    page: Page, shape: Shape, indent: int, path: tuple[str, ...], stack: list[str]
) -> None:
    if shape.type_name == "structure":
        required = set(shape.required_members)
        for member_name, member in shape.members.items():
            _member(
                page,
                member_name,
                member,
                indent,
                path=(*path, member_name),
                stack=stack,
                required=member_name in required,
            )
    elif shape.type_name == "list":
        _member(page, "", shape.member, indent, path=path, stack=stack)
    elif shape.type_name == "map":
        _member(page, "key", shape.key, indent, path=path, stack=stack)
        _member(page, "value", shape.value, indent, path=path, stack=stack)


def _syntax_blocks(page: Page, shape: Shape) -> None:
    if supports_shorthand(shape):
        example = shorthand_syntax(shape)
        if example:
            page.blank()
            page.add("Shorthand Syntax:", indent=BODY)
            page.blank()
            page.code(example, BODY + CODE)
    if is_scalar_list(shape):
        page.blank()
        page.add("Syntax:", indent=BODY)
        page.blank()
        page.code(list_syntax(shape), BODY + CODE)
    elif shape.type_name in ("structure", "list", "map"):
        page.blank()
        page.add("JSON Syntax:", indent=BODY)
        page.blank()
        page.code(json_syntax(shape), BODY + CODE)


def option_entry(operation: Operation, option: OperationOption) -> list[Line]:
    """One option's entry of OPTIONS: name and type, text, values, members, syntax."""
    page = Page("")
    names = _option_names(option)
    parts: list[str | Span] = []
    for index, name in enumerate(names):
        parts += [" | "] if index else []
        parts.append(bold(name))
    parts.append(f" ({_option_type(option)})")
    if _is_required(operation, option):
        parts.append(" [required]")
    page.add(*parts, indent=BODY)
    inner = BODY + STEP
    if option.kind == "member" and option.shape is not None and option.member is not None:
        shape = option.shape
        path = (operation.name, option.member)
        page.doc(shape.documentation, inner)
        _values_block(page, shape, path, inner)
        if shape.type_name in ("structure", "list", "map") and not is_scalar_list(shape):
            page.blank()
            _children(page, shape, inner, path, [shape.name])
        _syntax_blocks(page, shape)
    elif option.kind == "cli-input-json":
        page.text(CLI_INPUT_TEXT, inner)
    elif option.kind == "skeleton":
        page.text(SKELETON_TEXT, inner)
        page.blank()
        page.add("Possible values:", indent=inner)
        page.blank()
        page.bullets(SKELETON_CHOICES, inner + 2)
    elif option.kind == "paging" and option.member is not None:
        page.text(PAGING_TEXT[option.member], inner)
    elif option.kind in OTHER_TEXT:
        page.text(OTHER_TEXT[option.kind], inner)
    body = list(page.lines)
    while body and not body[-1]:
        body.pop()
    return body


def global_options_section(page: Page) -> None:
    page.heading("GLOBAL OPTIONS")
    for glob in global_options():
        page.add(bold(glob.name), f" ({glob.type_name})", indent=BODY)
        page.blank()
        page.text(glob.description, BODY)
        if glob.choices:
            page.blank()
            page.bullets(glob.choices, BODY)
        page.blank()


def _examples_section(page: Page, examples: Iterable[Example]) -> None:
    page.heading("EXAMPLES")
    for example in examples:
        page.add(bold(example.title), indent=BODY)
        page.blank()
        page.text(example.text, BODY)
        page.blank()
        if example.file is not None:
            page.add(f"Contents of {example.file[0]}:", indent=BODY)
            page.blank()
            page.code(example.file[1], BODY + CODE)
            page.blank()
            page.add("Command:", indent=BODY)
            page.blank()
        page.code(example.command, BODY + CODE)
        page.blank()
        if example.output:
            page.add("Output:", indent=BODY)
            page.blank()
            page.code(example.output, BODY + CODE)
            page.blank()


def _output_section(page: Page, operation: Operation | None) -> None:
    page.heading("OUTPUT")
    shape = None if operation is None else operation.output_shape
    if operation is None or shape is None or not shape.members:
        page.add("None", indent=BODY)
        return
    for name, member in shape.members.items():
        # the output's members are not the request's: their own path root
        _member(page, name, member, BODY, path=(f"{operation.name}:output", name), stack=[])


def operation_page(
    operation: Operation,
    program: str = AWS,
    *,
    name: str | None = None,
    options: list[OperationOption] | None = None,
    description: str = "",
    examples: tuple[Example, ...] | None = None,
) -> list[Line]:
    """The page of ``aws ec2 <operation> help`` (or ``ec2-import-image help``).

    A waiter's page is its operation's page under the waiter's ``name``, with
    the waiter's ``options``, ``description`` and ``examples``, and no output.
    """
    if name is None:
        name = program if program == SHORT else operation.cli_name
    documented = documented_options(operation, options)
    page = Page(name)
    page.heading("NAME")
    page.add(f"{name} -", indent=BODY)
    page.heading("DESCRIPTION")
    if description:
        page.text(description, BODY)
    else:
        page.doc(operation.documentation, BODY)
    uid = load_model().raw["metadata"].get("uid")
    if uid and not description:
        page.blank()
        page.text(f"See also: AWS API Documentation <{API_DOC_BASE}/{uid}/{operation.name}>", BODY)
    synopsis(page, operation, name, documented)
    page.heading("OPTIONS")
    for option in documented:
        page.lines.extend(option_entry(operation, option))
        page.blank()
    global_options_section(page)
    if examples is None:
        examples = examples_for(operation.cli_name, program)
    _examples_section(page, examples)
    _output_section(page, None if description else operation)
    return page.finish()


# --------------------------------------------------------------------------
# aws ec2 help, aws help


#: what becomes of the commands this tool does not implement (``commands/handover.py``)
HANDOVER_TEXT = (
    "Every other command of the AWS CLI (aws s3 cp, aws iam create-role, aws configure, "
    "aws ec2 run-instances, aws help config-vars...) runs on the AWS CLI itself: this tool "
    "hands the command line, as typed, to the aws that EC2_IMPORT_IMAGE_FALLBACK names, "
    "else to the first aws on PATH that is not this tool, and exits with its exit status. "
    "Command words AWS CLI v2.36.7 does not know (typos, newer commands) go to it only when "
    "it is AWS CLI v2; otherwise they get v2.36.7's own error. When an AWS CLI is found, aws "
    "help, aws ec2 help and aws ec2 wait help show its pages instead of this tool's. Without "
    "one, the other commands are refused (exit 252); EC2_IMPORT_IMAGE_FALLBACK set empty "
    "turns the hand-over off."
)


def service_page() -> list[Line]:
    """The page of ``aws ec2 help``: the service and the commands this tool has."""
    model = load_model()
    page = Page("ec2")
    page.heading("NAME")
    page.add("ec2 -", indent=BODY)
    page.heading("DESCRIPTION")
    page.doc(model.documentation, BODY)
    page.blank()
    page.text(
        "This tool implements the VM Import commands of ec2 only; the other ec2 commands "
        "run on the AWS CLI, when one is found (see aws help).",
        BODY,
    )
    page.heading("AVAILABLE COMMANDS")
    names = [model.operation(n).cli_name for n in model.operation_names()]
    if tool_waiters():
        names.append(WAIT)
    page.bullets(sorted(names), BODY)
    return page.finish()


def main_page(program: str = AWS) -> list[Line]:
    """The page of ``aws help``."""
    page = Page(program)
    page.heading("NAME")
    page.add(f"{program} -", indent=BODY)
    page.heading("DESCRIPTION")
    page.text(
        "A drop-in for the AWS Command Line Interface v2 limited to the VM Import commands "
        "of EC2: import virtual machine disk images (OVA, VMDK, VHD, VHDX, RAW) as Amazon "
        "Machine Images, follow the import tasks, and cancel them.",
        BODY,
    )
    if program == AWS:
        page.blank()
        page.text(HANDOVER_TEXT, BODY)
    page.heading("SYNOPSIS")
    page.add(
        f"{program} [options] ",
        underline("<command>"),
        " ",
        underline("<subcommand>"),
        " [parameters]",
        indent=BODY + CODE,
    )
    page.blank()
    page.text(
        f"Run {program} <command> help or {program} <command> <subcommand> help for the "
        "manual of one command. In a synopsis, optional parameters are shown in square "
        "brackets.",
        BODY,
    )
    global_options_section(page)
    page.heading("AVAILABLE SERVICES")
    page.bullets(["ec2"], BODY)
    return page.finish()


# --------------------------------------------------------------------------
# aws ec2 wait help, aws ec2 wait <waiter> help


def wait_page(program: str = AWS) -> list[Line]:
    """The page of ``aws ec2 wait help``: the waiters this tool runs."""
    page = Page("wait")
    page.heading("NAME")
    page.add("wait -", indent=BODY)
    page.heading("DESCRIPTION")
    page.text(
        "Wait until a condition is met, then exit 0; exit 255 when it can no longer be met. "
        "Of the AWS CLI's ec2 waiters, this tool runs its own waiter for image imports only; "
        "the others run on the AWS CLI, when one is found (see aws help).",
        BODY,
    )
    page.heading("AVAILABLE COMMANDS")
    page.bullets(sorted(tool_waiters()), BODY)
    return page.finish()


def waiter_page(waiter: str, operation: Operation, program: str = AWS) -> list[Line]:
    """The page of ``aws ec2 wait <waiter> help``."""
    return operation_page(
        operation,
        program,
        name=waiter,
        options=waiter_options(operation),
        description=WAITER_TEXT,
        examples=examples_for(waiter, program),
    )
