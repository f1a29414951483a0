"""A diagnostic: a code, what went wrong, why, and what fixes it; one renderer per medium.

One record for every problem the distribution reports (pip's
``DiagnosticPipError`` is the model of its shape): a check's problem (the
disk's, the operating system's, the account's, the emulator's verdicts), an
entry's failure kept in the state database, a known failure of VM Import
explained (``failures``).  Its fields:

- ``code``: a stable kebab-case reference (``vmdk-not-stream-optimized``,
  ``import-refused``), what scripts and documentation name;
- ``severity``: an ``error`` the import fails on, a ``warning`` it may
  survive, a ``note`` of what a road changes with nothing to do;
- ``message``: what was found, one sentence;
- ``subject``: what it concerns, when there is one thing (a disk, an OVA's
  disk ``web.ova!disk.vmdk``, ``role:vmimport``, ``s3://bucket``);
- ``context``: why it happens (a known failure's cause);
- ``hint``: what fixes it (commands written with ``shellcommand``, so that
  they work when pasted);
- ``link``: the page (or public issue) that says so.

Two renderers, both here: ``headline`` and ``body`` (together ``lines``; in
one line, ``sentence``) for a person, plain or decorated with rich markup for
a terminal, in the words of
the program speaking (``Words``: vmimport's ``cause:``/``fix:``, the
drop-in's ``Cause:``/``What usually fixes it:``); ``to_json`` for programs,
mapping the record's fields to the keys each document has always had
(``Keys``: ``remedy`` for the hint, ``source`` for the subject in a check
report and for the link in ``explain``).  Nothing here imports anything beyond
the standard library (rich only when decorating), so the drop-in may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem, its cause and its fix (see the module's docstring for each field)."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    subject: str | None = None
    context: str | None = None
    hint: str | None = None
    link: str | None = None


# -- for a person -------------------------------------------------------------------------------


class Words(NamedTuple):
    """How a program labels a diagnostic's cause, fix and link for a person."""

    context: str
    hint: str
    link: str


#: vmimport's words (``cause: ...``, ``fix: ...``, ``source: ...``)
VMIMPORT_WORDS = Words("cause", "fix", "source")
#: the drop-in's (its ``--wait`` explains a failed task in sentences)
DROPIN_WORDS = Words("Cause", "What usually fixes it", "See")

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


def _escape(text: str, decorated: bool) -> str:
    if not decorated:
        return text
    from rich.markup import escape

    return escape(text)


def headline(diagnostic: Diagnostic, *, decorated: bool = False) -> str:
    """``error vmdk-not-stream-optimized (disk.vmdk): the message``: the severity coloured
    when ``decorated`` (rich markup, everything else escaped)."""
    severity = diagnostic.severity.value
    if decorated:
        severity = f"[bold {_COLOURS[diagnostic.severity]}]{severity}[/]"
    subject = f" ({diagnostic.subject})" if diagnostic.subject else ""
    said = f"{diagnostic.code}{subject}: {diagnostic.message}"
    return f"{severity} {_escape(said, decorated)}"


def body(
    diagnostic: Diagnostic,
    *,
    indent: str = "  ",
    words: Words = VMIMPORT_WORDS,
    link: bool = True,
    decorated: bool = False,
) -> list[str]:
    """The lines under a headline: the cause, the fix and (``link``) the source, each that
    the diagnostic has."""
    said = [
        (words.context, diagnostic.context),
        (words.hint, diagnostic.hint),
        (words.link, diagnostic.link if link else None),
    ]
    return [f"{indent}{label}: {_escape(text, decorated)}" for label, text in said if text]


def lines(diagnostic: Diagnostic, *, decorated: bool = False) -> list[str]:
    """The headline and the body, as ``vmimport`` shows a problem."""
    return [headline(diagnostic, decorated=decorated), *body(diagnostic, decorated=decorated)]


def sentence(diagnostic: Diagnostic, *, words: Words = VMIMPORT_WORDS) -> str:
    """The diagnostic in one line, where a list of them is said (the distribution's steps
    not done): ``eu-west-1: CopyImage of ami-1: why; fix: what to do``."""
    said = (diagnostic.subject, diagnostic.message, diagnostic.context)
    fix = f"; {words.hint}: {diagnostic.hint}" if diagnostic.hint else ""
    return ": ".join(part for part in said if part) + fix


# -- for a program ------------------------------------------------------------------------------

Field = Literal["code", "severity", "message", "subject", "context", "hint", "link"]


class Keys:
    """The keys each JSON document names a diagnostic's fields by (unchanged since each
    document was first published)."""

    #: a problem of ``check --json`` (``check-report.schema.json``) and ``setup-role --json``
    CHECK: Mapping[str, Field] = {
        "code": "code",
        "severity": "severity",
        "source": "subject",
        "message": "message",
        "remedy": "hint",
    }
    #: a failed entry's columns in the results files (``error_code`` ... ``remedy``)
    RESULTS: Mapping[str, Field] = {
        "error_code": "code",
        "message": "message",
        "cause": "context",
        "remedy": "hint",
    }
    #: an explanation of ``explain --json``
    EXPLAIN: Mapping[str, Field] = {"cause": "context", "remedy": "hint", "source": "link"}


def to_json(diagnostic: Diagnostic | None, keys: Mapping[str, Field]) -> dict[str, Any]:
    """The diagnostic's fields under a document's ``keys`` (all None for no diagnostic)."""
    if diagnostic is None:
        return dict.fromkeys(keys)
    values: dict[str, Any] = {}
    for key, field in keys.items():
        value = getattr(diagnostic, field)
        values[key] = str(value) if isinstance(value, StrEnum) else value
    return values
