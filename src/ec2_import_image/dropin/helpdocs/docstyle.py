"""The model's HTML documentation as styled, wrapped, indented lines.

The text comes from ``model.doctext.html_to_text`` (paragraphs, lists, notes,
literal blocks, links).  To keep the inline emphasis a manual page shows,
``<code>``/``<b>``/``<strong>`` and ``<i>``/``<em>`` are first marked with
private-use characters that survive the conversion, then turned into bold and
underlined runs.  ``Note:``/``Warning:``/``Danger:`` headings of admonitions
are shown upper-case and bold, as on v2's pages.
"""

from __future__ import annotations

import re

from ec2_import_image.dropin.helpdocs.styled import BOLD, PLAIN, UNDERLINE, Line, Span, line
from ec2_import_image.model.doctext import html_to_text

_BOLD_ON, _BOLD_OFF, _UNDER_ON, _UNDER_OFF = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKERS = {_BOLD_ON, _BOLD_OFF, _UNDER_ON, _UNDER_OFF}
_BOLD_TAGS = "code|b|strong"
_UNDER_TAGS = "i|em"
_ADMONITIONS = {"Note:": "NOTE:", "Warning:": "WARNING:", "Danger:": "DANGER:"}


def _mark(html: str) -> str:
    html = re.sub(rf"<({_BOLD_TAGS})(\s[^>]*)?>", rf"<\1\2>{_BOLD_ON}", html)
    html = re.sub(rf"</({_BOLD_TAGS})\s*>", rf"{_BOLD_OFF}</\1>", html)
    html = re.sub(rf"<({_UNDER_TAGS})(\s[^>]*)?>", rf"<\1\2>{_UNDER_ON}", html)
    return re.sub(rf"</({_UNDER_TAGS})\s*>", rf"{_UNDER_OFF}</\1>", html)


class _Styler:
    """Turns marked text into spans; emphasis may run across line breaks."""

    def __init__(self) -> None:
        self.bold = 0
        self.under = 0

    def style(self) -> str:
        if self.bold:
            return BOLD
        return UNDERLINE if self.under else PLAIN

    def spans(self, text: str) -> Line:
        spans: list[Span] = []
        run = ""
        for char in text:
            if char not in _MARKERS:
                run += char
                continue
            spans.append(Span(run, self.style()))
            run = ""
            if char == _BOLD_ON:
                self.bold += 1
            elif char == _BOLD_OFF:
                self.bold = max(0, self.bold - 1)
            elif char == _UNDER_ON:
                self.under += 1
            else:
                self.under = max(0, self.under - 1)
        spans.append(Span(run, self.style()))
        return _merge(spans)


def _merge(spans: list[Span]) -> Line:
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if merged and merged[-1].style == span.style:
            merged[-1] = Span(merged[-1].text + span.text, span.style)
        else:
            merged.append(span)
    return tuple(merged)


def doc_lines(html: str, indent: int, width: int) -> list[Line]:
    """``html`` rendered for a page: wrapped to ``width`` columns after ``indent``."""
    if not html or not html.strip():
        return []
    text = html_to_text(_mark(html), width=max(width - indent, 30))
    styler = _Styler()
    lines: list[Line] = []
    for raw in text.split("\n"):
        spans = styler.spans(raw)
        stripped = "".join(s.text for s in spans).strip()
        if not stripped:
            lines.append(())
        elif stripped in _ADMONITIONS:
            lead = len(raw) - len(raw.lstrip())
            lines.append(line(" " * (indent + lead), Span(_ADMONITIONS[stripped], BOLD)))
        else:
            lines.append(line(" " * indent, *spans))
    return _squeeze_blank(lines)


def _squeeze_blank(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    for spans in lines:
        if not spans and (not out or not out[-1]):
            continue
        out.append(spans)
    while out and not out[-1]:
        out.pop()
    return out
