"""The text of the auto-prompt's doc panel for the command line typed so far.

The panel documents the option being typed or given a value (its whole
entry from the manual page: type, text, values, members, syntax), else the
operation (its DESCRIPTION), else the commands that may come next.
"""

from __future__ import annotations

from ec2_import_image.dropin.cli.options import OperationOption, operation_options
from ec2_import_image.dropin.completion.engine import operations, parse_words, scope
from ec2_import_image.dropin.completion.shellwords import split_line
from ec2_import_image.dropin.completion.specs import OptionSpec, summary
from ec2_import_image.dropin.helpdocs.docstyle import doc_lines
from ec2_import_image.dropin.helpdocs.globalopts import global_options
from ec2_import_image.dropin.helpdocs.pages import BODY, WIDTH, option_entry
from ec2_import_image.dropin.helpdocs.styled import Line, plain
from ec2_import_image.model import Operation


def _dedent(lines: list[Line]) -> str:
    text = plain(lines)
    rows = text.split("\n")
    margin = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
    return "\n".join(r[margin:] for r in rows).strip("\n")


def _global_doc(name: str) -> str:
    for option in global_options():
        if option.name == name:
            values = "".join(f"\n  * {choice}" for choice in option.choices)
            return f"{option.name} ({option.type_name})\n\n{option.description}{values}"
    return name


def _documented_option(options: list[OperationOption], name: str) -> OperationOption | None:
    """The option whose manual entry documents ``name`` (``--no-x`` is with ``--x``)."""
    for option in options:
        if option.cli_name != name:
            continue
        if option.negative:
            return next(o for o in options if o.member == option.member and not o.negative)
        if option.kind == "cli-input-yaml":
            return next(o for o in options if o.kind == "cli-input-json")
        return option
    return None


def _option_doc(operation: Operation | None, spec: OptionSpec) -> str:
    if spec.kind == "global":
        return _global_doc(spec.name)
    if operation is None:
        return spec.name
    option = _documented_option(operation_options(operation), spec.name)
    return spec.name if option is None else _dedent(option_entry(operation, option))


def _focus(words: list[str], current: str, specs: list[OptionSpec]) -> OptionSpec | None:
    """The option the cursor is on: being typed, or the last one given."""
    names = {spec.name: spec for spec in specs}
    if current.startswith("--"):
        name = current.partition("=")[0]
        if name in names:
            return names[name]
        matches = [s for s in specs if s.name.startswith(name)]
        if len(matches) == 1:
            return matches[0]
    for word in reversed(words):
        if word.startswith("--"):
            return names.get(word.partition("=")[0])
    return None


def doc_text(text: str, program: str) -> str:
    """The doc panel's text for the command line ``text`` (after the program name)."""
    words, current = split_line(text)
    parsed = parse_words(words, program)
    spec = _focus(words, current, scope(parsed)) if not parsed.unparsed else None
    if spec is not None:
        return _option_doc(parsed.operation, spec)
    if parsed.operation is not None:
        operation = parsed.operation
        body = _dedent(doc_lines(operation.documentation, BODY, WIDTH))
        return f"{operation.cli_name}\n\n{body}"
    lines = [
        f"{name}: {summary(operation.documentation)}" for name, operation in operations().items()
    ]
    return "ec2 commands:\n\n" + "\n".join(lines)
