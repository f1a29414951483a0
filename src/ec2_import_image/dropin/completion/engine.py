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
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ec2_import_image.dropin.cli.commandline import SERVICE, SHORT_OPERATION
from ec2_import_image.dropin.completion.paths import complete_path, file_prefix
from ec2_import_image.dropin.completion.profiles import profile_names
from ec2_import_image.dropin.completion.regions import region_names
from ec2_import_image.dropin.completion.shorthand import complete_shorthand
from ec2_import_image.dropin.completion.specs import (
    FLAG,
    MANY,
    ONE,
    OPTIONAL,
    OptionSpec,
    global_specs,
    operation_specs,
    summary,
)
from ec2_import_image.dropin.helpdocs.values import valid_values
from ec2_import_image.dropin.helpdocs.waiters import WAIT, tool_waiters
from ec2_import_image.dropin.programs import SHORT
from ec2_import_image.model import Operation, load_model

SERVICE_HELP = "Amazon Elastic Compute Cloud (the VM Import commands)"
WAIT_HELP = "Wait until a condition is met"
WAITER_HELP = "Wait until import image tasks are completed (an extension)"
FILE_OPTIONS_KINDS = frozenset({"cli-input", "member"})


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
    pending: OptionSpec | None = None
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


def scope(parsed: Parsed) -> list[OptionSpec]:
    """The options known where the cursor is: the operation's, then the global ones."""
    own = list(operation_specs(parsed.operation.name, parsed.waiter)) if parsed.operation else []
    return own + list(global_specs())


def _find(specs: Sequence[OptionSpec], name: str) -> OptionSpec | None:
    for spec in specs:
        if spec.name == name:
            return spec
    matches = [spec for spec in specs if spec.name.startswith(name)]
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
            spec = _find(scope(parsed), name)
            parsed.pending = None
            if spec is None:
                parsed.unparsed.append(word)
                continue
            parsed.given.add(spec.name)
            if not eq and spec.nargs != FLAG:
                parsed.pending = spec
            continue
        if pending is not None:
            if pending.nargs == ONE or (pending.nargs == OPTIONAL and word in pending.choices):
                parsed.pending = None
                continue
            if pending.nargs == MANY:
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
            if word == WAIT and tool_waiters():
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
        Candidate(spec.name, spec.help, spec.type_name, spec.required)
        for spec in scope(parsed)
        if spec.name.startswith(prefix) and spec.name not in parsed.given
    ]


def _matching(values: Sequence[str], typed: str) -> list[Candidate]:
    return [Candidate(v) for v in values if v.lower().startswith(typed.lower())]


def value_candidates(spec: OptionSpec, typed: str, environ: Mapping[str, str]) -> list[Candidate]:
    """The values of ``spec`` that ``typed`` may become."""
    if file_prefix(typed) is not None:
        return [Candidate(path) for path in complete_path(typed, environ.get("HOME"))]
    if spec.name == "--profile":
        return _matching(profile_names(environ), typed)
    if spec.name == "--region":
        return [
            Candidate(name, description)
            for name, description in region_names()
            if name.startswith(typed)
        ]
    if spec.choices:
        return _matching(spec.choices, typed)
    results: list[Candidate] = []
    if spec.shape is not None and spec.shape.type_name in ("structure", "list"):
        results = [
            Candidate(value)
            for value in complete_shorthand(spec.shape, typed, spec.path, valid_values)
        ]
    if spec.kind in FILE_OPTIONS_KINDS and spec.type_name != "boolean" and typed:
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
        if tool_waiters():
            found.append(Candidate(WAIT, WAIT_HELP))
            found.sort(key=lambda c: c.value)
    return [c for c in found if c.value.startswith(typed)]


def complete(
    words: Sequence[str],
    incomplete: str,
    program: str = "aws",
    environ: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """The candidates for ``incomplete``, the word being typed after ``words``."""
    environ = os.environ if environ is None else environ
    parsed = parse_words(words, program)
    if incomplete.startswith("--") and "=" in incomplete:
        name, _, typed = incomplete.partition("=")
        spec = _find(scope(parsed), name)
        if spec is None or spec.nargs == FLAG:
            return []
        head = f"{spec.name}="
        return [Candidate(head + c.value, c.help) for c in value_candidates(spec, typed, environ)]
    if incomplete.startswith("-"):
        return _option_candidates(parsed, incomplete)
    if parsed.pending is not None:
        return value_candidates(parsed.pending, incomplete, environ)
    if parsed.unparsed:
        return []
    if not parsed.at_operation:
        return _command_candidates(parsed, incomplete)
    return _option_candidates(parsed, incomplete) if not incomplete else []
