"""Styled lines: runs of text that are plain, bold or underlined.

A page is a list of lines; a line is a tuple of ``Span``.  It renders two
ways: ``plain`` (what a pipe or a file gets) and ``overstrike`` (what a pager
on a terminal gets, the encoding ``groff -T ascii`` produces and ``less``
shows as bold and underline: ``c<BS>c`` for a bold character, ``_<BS>c``
for an underlined one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

PLAIN = ""
BOLD = "bold"
UNDERLINE = "underline"
BACKSPACE = "\b"
#: every style a span may have
STYLES = frozenset({PLAIN, BOLD, UNDERLINE})


class Span(NamedTuple):
    text: str
    style: str = PLAIN


Line = tuple[Span, ...]


def line(*parts: str | Span) -> Line:
    """A line from strings (plain) and spans, without empty runs."""
    spans = (part if isinstance(part, Span) else Span(part) for part in parts)
    return tuple(span for span in spans if span.text)


def bold(text: str) -> Span:
    return Span(text, BOLD)


def underline(text: str) -> Span:
    return Span(text, UNDERLINE)


def indented(indent: int, spans: Line) -> Line:
    return line(" " * indent, *spans) if spans else ()


def line_text(spans: Line) -> str:
    return "".join(span.text for span in spans)


def _overstrike(span: Span) -> str:
    if span.style == BOLD:
        return "".join(c if c.isspace() else f"{c}{BACKSPACE}{c}" for c in span.text)
    if span.style == UNDERLINE:
        return "".join(c if c.isspace() else f"_{BACKSPACE}{c}" for c in span.text)
    return span.text


def plain(lines: Iterable[Line]) -> str:
    """The page as plain text, one newline after each line."""
    return "".join(line_text(spans).rstrip() + "\n" for spans in lines)


def overstrike(lines: Iterable[Line]) -> str:
    """The page with bold and underline as overstrikes, as a pager expects them."""
    return "".join("".join(_overstrike(span) for span in spans).rstrip() + "\n" for spans in lines)


def strip_overstrike(text: str) -> str:
    """The plain text of overstruck text (tests and the doc panel use it)."""
    out: list[str] = []
    for char in text:
        if char == BACKSPACE and out:
            out.pop()
            continue
        out.append(char)
    return "".join(out)


def styles_of(lines: Sequence[Line]) -> set[str]:
    return {span.style for spans in lines for span in spans if span.text.strip()}
