"""``help``: the manual pages of the tool, built from the pinned model's documentation.

``aws help``, ``aws ec2 help`` and ``aws ec2 <operation> help`` print a manual
page with the sections v2's pages have.  The text comes from the model's
documentation (HTML converted to text) and the project's own descriptions of
the global options; nothing is copied from v2's pages.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from ec2_import_image.cli.commandline import SHORT, Invocation
from ec2_import_image.cli.options import (
    ERROR_FORMAT_CHOICES,
    OUTPUT_CHOICES,
    OperationOption,
    operation_options,
)
from ec2_import_image.environment import Environment
from ec2_import_image.model import Operation, Shape, load_model
from ec2_import_image.model.doctext import html_to_text

INDENT = "       "
WIDTH = 79

#: (synopsis, type, description) of every global option, in v2's order
GLOBAL_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--debug", "boolean", "Log every step of the call (configuration, signing, HTTP) to stderr."),
    ("--endpoint-url", "string", "Send requests to this URL instead of the region's endpoint."),
    ("--no-verify-ssl", "boolean", "Do not verify the endpoint's SSL certificate."),
    ("--no-paginate", "boolean", "Make one call only; do not follow NextToken automatically."),
    (
        "--output",
        "string",
        "The output format: " + ", ".join(OUTPUT_CHOICES) + " (off prints nothing).",
    ),
    ("--query", "string", "A JMESPath expression applied to the response before it is printed."),
    ("--profile", "string", "Use this profile of the configuration and credentials files."),
    ("--region", "string", "The AWS region to send the request to."),
    ("--version", "string", "Print the version and exit."),
    ("--color", "string", "Colour in the output: on, off or auto (on a terminal only)."),
    ("--no-sign-request", "boolean", "Send the request without signing it (no credentials)."),
    ("--ca-bundle", "string", "The CA certificate bundle used to verify SSL certificates."),
    (
        "--cli-read-timeout",
        "int",
        "Seconds to wait for data on the socket (0 waits forever; default 60).",
    ),
    (
        "--cli-connect-timeout",
        "int",
        "Seconds to wait for a connection (0 waits forever; default 60).",
    ),
    (
        "--cli-binary-format",
        "string",
        "How binary input is read: base64 (default) or raw-in-base64-out.",
    ),
    ("--no-cli-pager", "boolean", "Do not send the output through a pager."),
    ("--cli-auto-prompt", "boolean", "Prompt for the command line interactively."),
    ("--no-cli-auto-prompt", "boolean", "Never prompt, whatever the configuration says."),
    (
        "--cli-error-format",
        "string",
        "How errors are printed: " + ", ".join(ERROR_FORMAT_CHOICES) + " (default enhanced).",
    ),
)


def show_help(invocation: Invocation, env: Environment) -> int:
    if invocation.operation is not None:
        text = operation_page(invocation.operation, invocation.program)
    elif invocation.words:
        text = service_page()
    else:
        text = main_page(invocation.program)
    env.stdout.write(text)
    return 0


def _wrap(text: str, indent: str = INDENT) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            lines.append("")
            continue
        lead = len(paragraph) - len(paragraph.lstrip(" "))
        lines.extend(
            textwrap.wrap(
                paragraph.strip(),
                WIDTH,
                initial_indent=indent + " " * lead,
                subsequent_indent=indent + " " * lead,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return lines


def _section(title: str, body: list[str]) -> list[str]:
    return [title, *body, ""]


def _type_label(shape: Shape) -> str:
    if shape.type_name == "list":
        return "list"
    return shape.type_name


def _option_lines(option: OperationOption) -> Iterator[str]:
    if option.kind != "member" or option.shape is None:
        return
    shape = option.shape
    if option.negative:
        return
    label = (
        f"{option.cli_name} | --no-{option.name}"
        if shape.type_name == "boolean"
        else option.cli_name
    )
    yield f"{INDENT}{label} ({_type_label(shape)})"
    yield from _wrap(html_to_text(shape.documentation), INDENT + "   ")
    enum = shape.member.enum if shape.type_name == "list" else shape.enum
    if enum:
        yield ""
        yield f"{INDENT}   Possible values:"
        for value in enum:
            yield f"{INDENT}   o {value}"
    if shape.type_name in ("structure", "list"):
        yield ""
        yield f"{INDENT}   JSON Syntax:"
        yield from (f"{INDENT}      {line}" for line in _json_syntax(shape).splitlines())
    yield ""


def _json_syntax(shape: Shape, depth: int = 0) -> str:
    if depth > 4:
        return "{...}"
    if shape.type_name == "structure":
        inner = ",\n".join(
            "  " + f'"{name}": ' + _json_syntax(member, depth + 1).replace("\n", "\n  ")
            for name, member in shape.members.items()
        )
        return "{\n" + inner + "\n}"
    if shape.type_name == "list":
        return "[\n  " + _json_syntax(shape.member, depth + 1).replace("\n", "\n  ") + "\n  ...\n]"
    if shape.enum:
        return '"' + '"|"'.join(shape.enum) + '"'
    return shape.type_name


def operation_page(operation: Operation, program: str) -> str:
    name = operation.cli_name
    options = operation_options(operation)
    lines = [f"{name.upper()}()", "", "NAME", f"{INDENT}{name} -", ""]
    lines += _section("DESCRIPTION", _wrap(html_to_text(operation.documentation)))
    synopsis = [f"{INDENT}     {name if program != SHORT else program}"]
    for option in options:
        if option.negative:
            continue
        shape = option.shape
        if option.kind == "member" and shape is not None and shape.type_name == "boolean":
            synopsis.append(f"{INDENT}   [{option.cli_name} | --no-{option.name}]")
        elif option.kind == "cli-input-yaml":
            continue
        elif option.kind == "cli-input-json":
            synopsis.append(f"{INDENT}   [--cli-input-json | --cli-input-yaml]")
        else:
            synopsis.append(f"{INDENT}   [{option.cli_name} <value>]")
    synopsis += [
        f"{INDENT}   [{flag}]" if kind == "boolean" else f"{INDENT}   [{flag} <value>]"
        for flag, kind, _ in GLOBAL_OPTIONS
    ]
    lines += _section("SYNOPSIS", synopsis)
    body: list[str] = []
    for option in options:
        body.extend(_option_lines(option))
    body += [
        f"{INDENT}--cli-input-json | --cli-input-yaml (string)",
        *_wrap(
            "Read the request from a JSON or YAML document (inline or file://). Options given "
            "on the command line win over the document's values.",
            INDENT + "   ",
        ),
        "",
        f"{INDENT}--generate-cli-skeleton (string)",
        *_wrap(
            "Print a skeleton instead of sending: input (the default) or yaml-input for "
            "--cli-input-json/--cli-input-yaml, output for a sample response.",
            INDENT + "   ",
        ),
    ]
    if operation.paginator is not None:
        body += [
            "",
            f"{INDENT}--starting-token | --page-size | --max-items (string | integer)",
            *_wrap(
                "Resume from a NextToken printed earlier, set how many items each call "
                "asks for, and cap the total number of items printed.",
                INDENT + "   ",
            ),
        ]
    lines += _section("OPTIONS", body)
    lines += _section("GLOBAL OPTIONS", list(_global_lines()))
    lines += _section("OUTPUT", list(_output_lines(operation)))
    return "\n".join(lines)


def _global_lines() -> Iterator[str]:
    for flag, type_name, text in GLOBAL_OPTIONS:
        yield f"{INDENT}{flag} ({type_name})"
        yield from _wrap(text, INDENT + "   ")
        yield ""


def _output_lines(operation: Operation) -> Iterator[str]:
    shape = operation.output_shape
    if shape is None:
        yield f"{INDENT}None"
        return
    for member_name, member in shape.members.items():
        yield f"{INDENT}{member_name} -> ({_type_label(member)})"
        yield from _wrap(html_to_text(member.documentation), INDENT + "   ")
        yield ""


def service_page() -> str:
    model = load_model()
    lines = ["EC2()", "", "NAME", f"{INDENT}ec2 -", ""]
    lines += _section("DESCRIPTION", _wrap(html_to_text(model.documentation)))
    commands = [f"{INDENT}o {model.operation(n).cli_name}" for n in model.operation_names()]
    lines += _section("AVAILABLE COMMANDS", [*commands, f"{INDENT}o help"])
    return "\n".join(lines)


def main_page(program: str) -> str:
    lines = [f"{program.upper()}()", "", "NAME", f"{INDENT}{program} -", ""]
    lines += _section(
        "DESCRIPTION",
        _wrap(
            "A drop-in for the AWS CLI v2 VM Import commands: import VM disk images "
            "(OVA, VMDK, VHD, VHDX, RAW) into AMIs, follow and cancel import tasks."
        ),
    )
    lines += _section(
        "SYNOPSIS", [f"{INDENT}{program} [options] <command> <subcommand> [parameters]"]
    )
    lines += _section("GLOBAL OPTIONS", list(_global_lines()))
    lines += _section("AVAILABLE SERVICES", [f"{INDENT}o ec2", f"{INDENT}o help"])
    return "\n".join(lines)
