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
    GLOBAL_OPTIONS,
    Option,
    operation_options,
    waiter_options,
)
from ec2_import_image.dropin.helpdocs.docstyle import doc_lines
from ec2_import_image.dropin.helpdocs.examples import Example, examples_for
from ec2_import_image.dropin.helpdocs.styled import Line, Span, bold, line, underline
from ec2_import_image.dropin.helpdocs.syntax import (
    is_scalar_list,
    json_syntax,
    list_syntax,
    shorthand_syntax,
    supports_shorthand,
)
from ec2_import_image.dropin.helpdocs.values import valid_values, values_source
from ec2_import_image.dropin.helpdocs.waiters import WAIT, WAITER_TEXT, tool_waiters
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


def documented_options(operation: Operation, options: list[Option] | None = None) -> list[Option]:
    """The options an operation's page documents, in v2's order (one entry for each group)."""
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
        if option.documented_with is None and option.member not in hidden
    ]


def _option_names(option: Option, options: list[Option]) -> list[str]:
    """The option's name, then those of the options its entry documents too."""
    return [
        option.cli_name,
        *(other.cli_name for other in options if other.documented_with == option.name),
    ]


def _synopsis_entry(option: Option, options: list[Option]) -> Line:
    names = _option_names(option, options)
    if len(names) > 1:
        parts: list[str | Span] = [" | ".join(names)]
    elif option.type_name == "boolean":
        parts = [names[0]]
    else:
        parts = [f"{names[0]} ", underline("<value>")]
    if option.required:
        return line(*parts)
    return line("[", *parts, "]")


def synopsis(page: Page, name: str, documented: list[Option], options: list[Option]) -> None:
    page.heading("SYNOPSIS")
    page.add(name, indent=BODY + 5)
    for option in documented:
        page.lines.append(line(" " * (BODY + 3), *_synopsis_entry(option, options)))
    for glob in GLOBAL_OPTIONS:
        if glob.type_name == "boolean":
            page.add(f"[{glob.cli_name}]", indent=BODY + 3)
        else:
            page.add("[", f"{glob.cli_name} ", underline("<value>"), "]", indent=BODY + 3)


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


def option_entry(option: Option, options: list[Option]) -> list[Line]:
    """One option's entry of OPTIONS: name and type, text, values, members, syntax.

    ``options`` are the operation's, among which those documented with ``option``.
    """
    page = Page("")
    parts: list[str | Span] = []
    for index, name in enumerate(_option_names(option, options)):
        parts += [" | "] if index else []
        parts.append(bold(name))
    parts.append(f" ({option.type_name})")
    if option.required:
        parts.append(" [required]")
    page.add(*parts, indent=BODY)
    inner = BODY + STEP
    shape = option.shape
    if shape is not None:  # a request member: the model documents it
        page.doc(shape.documentation, inner)
        _values_block(page, shape, option.path, inner)
        if shape.type_name in ("structure", "list", "map") and not is_scalar_list(shape):
            page.blank()
            _children(page, shape, inner, option.path, [shape.name])
        _syntax_blocks(page, shape)
    else:
        page.text(option.text, inner)
        if option.choices:
            page.blank()
            page.add("Possible values:", indent=inner)
            page.blank()
            page.bullets(option.choices, inner + 2)
    body = list(page.lines)
    while body and not body[-1]:
        body.pop()
    return body


def global_options_section(page: Page) -> None:
    page.heading("GLOBAL OPTIONS")
    for glob in GLOBAL_OPTIONS:
        page.add(bold(glob.cli_name), f" ({glob.type_name})", indent=BODY)
        page.blank()
        page.text(glob.text, BODY)
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
    options: list[Option] | None = None,
    description: str = "",
    examples: tuple[Example, ...] | None = None,
) -> list[Line]:
    """The page of ``aws ec2 <operation> help`` (or ``ec2-import-image help``).

    A waiter's page is its operation's page under the waiter's ``name``, with
    the waiter's ``options``, ``description`` and ``examples``, and no output.
    """
    if name is None:
        name = program if program == SHORT else operation.cli_name
    if options is None:
        options = operation_options(operation)
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
    synopsis(page, name, documented, options)
    page.heading("OPTIONS")
    for option in documented:
        page.lines.extend(option_entry(option, options))
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
    page.bullets(sorted([*names, WAIT]), BODY)
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
