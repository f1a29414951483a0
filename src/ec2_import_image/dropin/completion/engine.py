"""The candidates for the word being typed, given the words before it.

``complete(words, incomplete, program, environ)`` is shared by the click
completion of ``aws``/``ec2-import-image`` (bash, zsh, fish), the
``aws_completer`` program and the ``--cli-auto-prompt`` prompt.  It never
imports botocore.

The words are walked as v2's completer walks them: command words (``ec2``,
then an operation) build the lineage; an option known in the current scope
(the global options anywhere, the operation's once it is known) may take
values; anything else is "unparsed", after which nothing is offered (as in
v2).  Then, for the word being typed:

- a word starting with ``-`` gets the options of the scope not given yet
  (the operation's first, in model order, then the global options);
- a value of an option gets that option's values: enumerated values (model
  enums, documented values, output formats...), profile and Region names,
  shorthand member names and values, ``file://`` paths;
- otherwise the next command word, or, once the operation is known, its
  options.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from ec2_import_image.dropin.cli.commandline import SERVICE, SHORT_OPERATION
from ec2_import_image.dropin.cli.options import (
    FILE_KINDS,
    GLOBAL_OPTIONS,
    Arity,
    Option,
    operation_options,
    waiter_options,
)
from ec2_import_image.dropin.completion.paths import complete_path, file_prefix
from ec2_import_image.dropin.completion.profiles import profile_names
from ec2_import_image.dropin.completion.regions import region_names
from ec2_import_image.dropin.completion.shorthand import complete_shorthand
from ec2_import_image.dropin.helpdocs.values import valid_values
from ec2_import_image.dropin.helpdocs.waiters import WAIT, tool_waiters
from ec2_import_image.dropin.programs import SHORT
from ec2_import_image.model import Operation, load_model
from ec2_import_image.model.doctext import doc_overview

SERVICE_HELP = "Amazon Elastic Compute Cloud (the VM Import commands)"
WAIT_HELP = "Wait until a condition is met"
WAITER_HELP = "Wait until import image tasks are completed (an extension)"

_NOTES = re.compile(r"<(note|important|danger)>.*?</\1>", re.DOTALL)


@cache
def summary(html: str) -> str:
    """The first sentence of a documentation string, notes left out."""
    return doc_overview(_NOTES.sub("", html)).strip()


def option_help(option: Option) -> str:
    """One line of help: a member's from the model, the table's for the others."""
    if option.shape is not None:
        return summary(option.shape.documentation)
    return option.brief


def option_values(option: Option) -> tuple[str, ...]:
    """The values an option takes: its choices, or a member's valid values (``helpdocs``)."""
    if option.choices or option.shape is None:
        return option.choices
    return valid_values(option.shape, option.path)


@dataclass(frozen=True)
class Candidate:
    """One completion: the whole word, and what a menu may show beside it."""

    value: str
    help: str = ""
    type_name: str = ""
    required: bool = False


@dataclass
class Parsed:
    """What the words before the cursor amount to."""

    lineage: list[str] = field(default_factory=list)
    operation: Operation | None = None
    #: the operation is polled by a waiter (``ec2 wait <waiter>``)
    waiter: bool = False
    #: the option whose values are being typed
    pending: Option | None = None
    given: set[str] = field(default_factory=set)
    unparsed: list[str] = field(default_factory=list)
    #: a command, operation or waiter word outside this tool's commands was given
    foreign: bool = False

    @property
    def at_operation(self) -> bool:
        return self.operation is not None


def operations() -> dict[str, Operation]:
    model = load_model()
    ops = (model.operation(name) for name in model.operation_names())
    return {op.cli_name: op for op in sorted(ops, key=lambda o: o.cli_name)}


@cache
def _operation_options(operation_name: str, waiter: bool) -> tuple[Option, ...]:
    """The options of an operation (or of a waiter on it), in the parser's order."""
    operation = load_model().operation(operation_name)
    return tuple(waiter_options(operation) if waiter else operation_options(operation))


def scope(parsed: Parsed) -> list[Option]:
    """The options known where the cursor is: the operation's, then the global ones."""
    own = _operation_options(parsed.operation.name, parsed.waiter) if parsed.operation else ()
    return [*own, *GLOBAL_OPTIONS]


def _find(options: Sequence[Option], name: str) -> Option | None:
    for option in options:
        if option.cli_name == name:
            return option
    matches = [option for option in options if option.cli_name.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def parse_words(words: Sequence[str], program: str) -> Parsed:
    """Walk the complete words before the cursor."""
    parsed = Parsed()
    if program == SHORT:
        parsed.lineage = [SERVICE, SHORT_OPERATION]
        parsed.operation = operations()[SHORT_OPERATION]
    for word in words:
        pending = parsed.pending
        if word.startswith("--") and len(word) > 2:
            name, eq, _value = word.partition("=")
            option = _find(scope(parsed), name)
            parsed.pending = None
            if option is None:
                parsed.unparsed.append(word)
                continue
            parsed.given.add(option.cli_name)
            if not eq and option.arity is not Arity.FLAG:
                parsed.pending = option
            continue
        if pending is not None:
            arity = pending.arity
            if arity is Arity.ONE or (arity is Arity.OPTIONAL and word in pending.choices):
                parsed.pending = None
                continue
            if arity is Arity.MANY:
                continue
            parsed.pending = None  # an optional value not given: the word is something else
        if not parsed.lineage:
            if word == SERVICE:
                parsed.lineage.append(word)
            else:
                _not_a_command_of_ours(parsed, word)
        elif parsed.lineage[-1] == WAIT:
            operation = tool_waiters().get(word)
            if operation is None:
                _not_a_command_of_ours(parsed, word)
            else:
                parsed.lineage.append(word)
                parsed.operation, parsed.waiter = operation, True
        elif parsed.operation is None:
            operation = operations().get(word)
            if word == WAIT:
                parsed.lineage.append(word)
            elif operation is None:
                _not_a_command_of_ours(parsed, word)
            else:
                parsed.lineage.append(word)
                parsed.operation = operation
        else:
            parsed.unparsed.append(word)
    return parsed


def _not_a_command_of_ours(parsed: Parsed, word: str) -> None:
    """A word where a command, operation or waiter goes, that is none of this tool's."""
    if not parsed.unparsed:
        parsed.foreign = True
    parsed.unparsed.append(word)


class Reach(enum.Enum):
    """Whose candidates a line gets: this tool's, the AWS CLI's, or both."""

    #: the tool's own commands (or nothing the AWS CLI would add to)
    OWN = "own"
    #: a command, operation or waiter word being typed: the tool's and the AWS CLI's
    COMMAND_WORD = "command-word"
    #: another command than the tool's: the AWS CLI's
    FOREIGN = "foreign"


def reach(words: Sequence[str], incomplete: str, program: str = "aws") -> Reach:
    """Where ``incomplete`` stands: in the tool's commands, at a command word, or outside."""
    if program == SHORT:
        return Reach.OWN
    parsed = parse_words(words, program)
    if parsed.foreign:
        return Reach.FOREIGN
    typing_option = incomplete.startswith("-") or parsed.pending is not None
    if typing_option or parsed.unparsed or parsed.at_operation:
        return Reach.OWN
    return Reach.COMMAND_WORD


def _option_candidates(parsed: Parsed, prefix: str) -> list[Candidate]:
    return [
        Candidate(option.cli_name, option_help(option), option.type_name, option.required)
        for option in scope(parsed)
        if option.cli_name.startswith(prefix) and option.cli_name not in parsed.given
    ]


def _matching(values: Sequence[str], typed: str) -> list[Candidate]:
    return [Candidate(v) for v in values if v.lower().startswith(typed.lower())]


def value_candidates(option: Option, typed: str, environ: Mapping[str, str]) -> list[Candidate]:
    """The values of ``option`` that ``typed`` may become."""
    if file_prefix(typed) is not None:
        return [Candidate(path) for path in complete_path(typed, environ)]
    if option.cli_name == "--profile":
        return _matching(profile_names(environ), typed)
    if option.cli_name == "--region":
        return [
            Candidate(name, description)
            for name, description in region_names()
            if name.startswith(typed)
        ]
    values = option_values(option)
    if values:
        return _matching(values, typed)
    results: list[Candidate] = []
    if option.shape is not None and option.shape.type_name in ("structure", "list"):
        results = [
            Candidate(value)
            for value in complete_shorthand(option.shape, typed, option.path, valid_values)
        ]
    if option.kind in FILE_KINDS and option.type_name != "boolean" and typed:
        results += [Candidate(p) for p in ("file://", "fileb://") if p.startswith(typed)]
    return results


def _command_candidates(parsed: Parsed, typed: str) -> list[Candidate]:
    if not parsed.lineage:
        return [Candidate(SERVICE, SERVICE_HELP)] if SERVICE.startswith(typed) else []
    if parsed.lineage[-1] == WAIT:
        found = [Candidate(name, WAITER_HELP) for name in sorted(tool_waiters())]
    else:
        found = [
            Candidate(name, summary(operation.documentation))
            for name, operation in operations().items()
        ]
        found.append(Candidate(WAIT, WAIT_HELP))
        found.sort(key=lambda c: c.value)
    return [c for c in found if c.value.startswith(typed)]


def complete(
    words: Sequence[str], incomplete: str, program: str, environ: Mapping[str, str]
) -> list[Candidate]:
    """The candidates for ``incomplete``, the word being typed after ``words``.

    ``environ``: the variables of the shell asking (home directory, profiles).
    """
    parsed = parse_words(words, program)
    if incomplete.startswith("--") and "=" in incomplete:
        name, _, typed = incomplete.partition("=")
        option = _find(scope(parsed), name)
        if option is None or option.arity is Arity.FLAG:
            return []
        head = f"{option.cli_name}="
        return [Candidate(head + c.value, c.help) for c in value_candidates(option, typed, environ)]
    if incomplete.startswith("-"):
        return _option_candidates(parsed, incomplete)
    if parsed.pending is not None:
        return value_candidates(parsed.pending, incomplete, environ)
    if parsed.unparsed:
        return []
    if not parsed.at_operation:
        return _command_candidates(parsed, incomplete)
    return _option_candidates(parsed, incomplete) if not incomplete else []
