"""The text of the auto-prompt's doc panel for the command line typed so far.

The panel documents the option being typed or given a value (its whole
entry from the manual page: type, text, values, members, syntax), else the
operation (its DESCRIPTION), else the commands that may come next.
"""

from __future__ import annotations

from ec2_import_image.dropin.cli.options import Option, OptionKind, operation_options
from ec2_import_image.dropin.completion.engine import operations, parse_words, scope, summary
from ec2_import_image.dropin.completion.shellwords import split_line
from ec2_import_image.dropin.helpdocs.docstyle import doc_lines
from ec2_import_image.dropin.helpdocs.pages import BODY, WIDTH, option_entry
from ec2_import_image.dropin.helpdocs.styled import Line, plain
from ec2_import_image.model import Operation


def _dedent(lines: list[Line]) -> str:
    text = plain(lines)
    rows = text.split("\n")
    margin = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
    return "\n".join(r[margin:] for r in rows).strip("\n")


def _global_doc(option: Option) -> str:
    values = "".join(f"\n  * {choice}" for choice in option.choices)
    return f"{option.cli_name} ({option.type_name})\n\n{option.text}{values}"


def _documented_option(options: list[Option], name: str) -> Option | None:
    """The option whose manual entry documents ``name`` (``--no-x`` is with ``--x``)."""
    for option in options:
        if option.cli_name != name:
            continue
        if option.documented_with is not None:
            return next(o for o in options if o.name == option.documented_with)
        return option
    return None


def _option_doc(operation: Operation | None, focus: Option) -> str:
    if focus.kind in (OptionKind.GLOBAL, OptionKind.VERSION):
        return _global_doc(focus)
    if operation is None:
        return focus.cli_name
    options = operation_options(operation)
    option = _documented_option(options, focus.cli_name)
    return focus.cli_name if option is None else _dedent(option_entry(option, options))


def _focus(words: list[str], current: str, options: list[Option]) -> Option | None:
    """The option the cursor is on: being typed, or the last one given."""
    names = {option.cli_name: option for option in options}
    if current.startswith("--"):
        name = current.partition("=")[0]
        if name in names:
            return names[name]
        matches = [o for o in options if o.cli_name.startswith(name)]
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
    focus = _focus(words, current, scope(parsed)) if not parsed.unparsed else None
    if focus is not None:
        return _option_doc(parsed.operation, focus)
    if parsed.operation is not None:
        operation = parsed.operation
        body = _dedent(doc_lines(operation.documentation, BODY, WIDTH))
        return f"{operation.cli_name}\n\n{body}"
    lines = [
        f"{name}: {summary(operation.documentation)}" for name, operation in operations().items()
    ]
    return "ec2 commands:\n\n" + "\n".join(lines)
