"""The model's HTML documentation as plain text.

Two views of one documentation string:

``doc_overview``
    The one-line summary the CLI puts in the comments of a ``yaml-input``
    skeleton.  It follows v2 to the byte: the text is taken from a strict XML
    parse of the string wrapped in one root element (when that parse fails the
    raw string, tags and all, is used), cut at the first ``.`` or ``:`` with a
    single ``.`` put back, and line breaks become spaces.  Nothing else is
    normalised, so leading blanks and runs of spaces survive.

``html_to_text``
    A readable rendering for help pages: paragraphs separated by blank lines,
    bulleted and numbered lists, notes, literal blocks, links written as
    ``text <url>``.  It parses leniently (``html.parser``), so it never fails.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING
from xml.parsers import expat

if TYPE_CHECKING:
    from html.parser import HTMLParser

__all__ = ["doc_overview", "html_to_text", "xml_text"]

_SENTENCE_END = re.compile(r"[.:]+")
_LINE_BREAKS = ("\n", "\u2028")


# --------------------------------------------------------------------------
# doc_overview


def xml_text(documentation: str) -> str:
    """The character data of ``documentation`` read as XML, or the string itself.

    The string is wrapped in one root element and parsed strictly (with
    namespace processing, as ``xml.dom.minidom`` does), keeping the text nodes
    in document order.  Text inside CDATA sections is not kept, as a DOM walk
    over text nodes would skip it.  Anything that is not well-formed XML
    (an undefined entity such as ``&nbsp;``, a stray ``&`` or ``<``, an
    unclosed tag) is returned unchanged.
    """
    pieces: list[str] = []
    in_cdata = False

    def on_text(data: str) -> None:
        if not in_cdata:
            pieces.append(data)

    def on_cdata_start() -> None:
        nonlocal in_cdata
        in_cdata = True

    def on_cdata_end() -> None:
        nonlocal in_cdata
        in_cdata = False

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.CharacterDataHandler = on_text
    parser.StartCdataSectionHandler = on_cdata_start
    parser.EndCdataSectionHandler = on_cdata_end
    try:
        parser.Parse(f"<doc>{documentation}</doc>", True)
    except expat.ExpatError:
        return documentation
    return "".join(pieces)


def doc_overview(html: str) -> str:
    """The first sentence of ``html`` as plain text, the way v2 computes it.

    ``"<p>The boot mode. More.</p>"`` -> ``"The boot mode."``; an empty or
    tag-only documentation gives ``""``.  The cut is at the first ``.`` or
    ``:`` wherever it is (``e.g.``, a URL, a time), which is v2's behaviour.
    """
    text = _SENTENCE_END.split(xml_text(html), maxsplit=1)[0]
    if text:
        text += "."
    for char in _LINE_BREAKS:
        text = text.replace(char, " ")
    return text


# --------------------------------------------------------------------------
# html_to_text

# Elements that start a new block; everything else is inline.
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "fullname",
        "note",
        "important",
        "danger",
        "ul",
        "ol",
        "li",
        "pre",
        "codeblock",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "examples",
        "example",
        "table",
        "tr",
    }
)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base"})
_LITERAL = frozenset({"pre", "codeblock"})
_ADMONITIONS = {"note": "Note:", "important": "Warning:", "danger": "Danger:"}
_SKIP = frozenset({"script", "style", "head", "title"})
_SPACE = re.compile(r"[ \t\n\r\f\v\u2028\u2029]+")


class _Element:
    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.tag = tag
        self.attrs: dict[str, str] = attrs or {}
        self.children: list[_Element | str] = []


class _TreeBuilder:
    """Builds a small element tree from a forgiving HTML reader's events."""

    def __init__(self) -> None:
        self.root = _Element("#root")
        self._open: list[_Element] = [self.root]

    def start(self, tag: str, attrs: list[tuple[str, str | None]], *, empty: bool) -> None:
        element = _Element(tag, {key: value or "" for key, value in attrs})
        if tag == "li":
            # An unclosed <li> ends at the next one of the same list.
            self._close_to({"li"}, stop={"ul", "ol"})
        elif tag == "p":
            self._close_to({"p"}, stop=_BLOCKS - {"p"})
        self._open[-1].children.append(element)
        if not empty and tag not in _VOID:
            self._open.append(element)

    def end(self, tag: str) -> None:
        self._close_to({tag})

    def data(self, data: str) -> None:
        self._open[-1].children.append(data)

    def _close_to(self, tags: set[str], stop: frozenset[str] | set[str] = frozenset()) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            tag = self._open[depth].tag
            if tag in tags:
                del self._open[depth:]
                return
            if tag in stop:
                return


@cache
def _reader_class() -> Callable[[_TreeBuilder], HTMLParser]:
    # html.parser is imported on first use: the skeleton paths only need
    # doc_overview, and they should stay fast.
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self, builder: _TreeBuilder) -> None:
            super().__init__(convert_charrefs=True)
            self.builder = builder

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.builder.start(tag, attrs, empty=False)

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.builder.start(tag, attrs, empty=True)

        def handle_endtag(self, tag: str) -> None:
            self.builder.end(tag)

        def handle_data(self, data: str) -> None:
            self.builder.data(data)

    return Reader


def _parse(html: str) -> _Element:
    builder = _TreeBuilder()
    reader = _reader_class()(builder)
    reader.feed(html)
    reader.close()
    return builder.root


def _inline_text(node: _Element | str) -> str:
    """Inline content as one string; whitespace is not yet collapsed."""
    if isinstance(node, str):
        return node
    if node.tag in _SKIP:
        return ""
    if node.tag == "br":
        return "\n"
    inner = "".join(_inline_text(child) for child in node.children)
    if node.tag == "a":
        href = node.attrs.get("href", "").strip()
        label = _SPACE.sub(" ", inner)
        lead = " " if label.startswith(" ") else ""
        label = label.strip()
        if not href:
            return inner
        if not label or label == href:
            return f"{lead}<{href}>"
        return f"{lead}{label} <{href}>"
    return inner


def _collapse(text: str) -> str:
    """Collapse whitespace but keep explicit line breaks (from ``<br>``)."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _literal_text(node: _Element | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(_literal_text(child) for child in node.children)


class _Renderer:
    def __init__(self, width: int | None) -> None:
        self.width = width

    def _fill(self, text: str, width: int | None) -> str:
        if width is None:
            return text
        return "\n".join(
            textwrap.fill(
                line, width=max(width, 20), break_long_words=False, break_on_hyphens=False
            )
            for line in text.split("\n")
        )

    def blocks(self, node: _Element, width: int | None) -> list[str]:
        """The blocks (paragraphs, lists...) of ``node``'s children."""
        return [text for _tag, text in self._tagged_blocks(node, width)]

    def _tagged_blocks(self, node: _Element, width: int | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        inline: list[str] = []

        def flush() -> None:
            text = _collapse("".join(inline))
            inline.clear()
            if text:
                out.append(("#text", self._fill(text, width)))

        for child in node.children:
            if isinstance(child, str) or child.tag not in _BLOCKS:
                inline.append(_inline_text(child))
                continue
            flush()
            block = self.block(child, width)
            if block:
                out.append((child.tag, block))
        flush()
        return out

    def block(self, node: _Element, width: int | None) -> str:
        tag = node.tag
        if tag in _LITERAL:
            literal = textwrap.dedent(_literal_text(node).strip("\n")).rstrip()
            return textwrap.indent(literal, "    ") if literal.strip() else ""
        if tag in ("ul", "ol"):
            return self._list(node, width, ordered=tag == "ol")
        if tag in _ADMONITIONS:
            body = "\n\n".join(self.blocks(node, _narrow(width, 2)))
            if not body:
                return ""
            return f"{_ADMONITIONS[tag]}\n{textwrap.indent(body, '  ')}"
        if tag in ("dd", "blockquote"):
            body = "\n\n".join(self.blocks(node, _narrow(width, 4)))
            return textwrap.indent(body, "    ")
        if tag == "li":  # a list item outside a list
            return self._item(node, "* ", width)
        return "\n\n".join(self.blocks(node, width))

    def _list(self, node: _Element, width: int | None, *, ordered: bool) -> str:
        items: list[str] = []
        number = 0
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    items.append(self._fill(_collapse(child), width))
                continue
            if child.tag != "li":
                block = self.block(child, width) if child.tag in _BLOCKS else ""
                if not block:
                    block = self._fill(_collapse(_inline_text(child)), width)
                if block:
                    items.append(block)
                continue
            number += 1
            marker = f"{number}. " if ordered else "* "
            item = self._item(child, marker, width)
            if item:
                items.append(item)
        return "\n".join(items)

    def _item(self, node: _Element, marker: str, width: int | None) -> str:
        # A nested list follows its item's text on the next line.
        body = ""
        for tag, text in self._tagged_blocks(node, _narrow(width, len(marker))):
            if body:
                body += "\n" if tag in ("ul", "ol") else "\n\n"
            body += text
        if not body:
            return ""
        pad = " " * len(marker)
        return marker + textwrap.indent(body, pad)[len(pad) :]


def _narrow(width: int | None, by: int) -> int | None:
    return None if width is None else width - by


def html_to_text(html: str, *, width: int | None = None) -> str:
    """Render model documentation (HTML fragments) as plain text.

    Block elements become paragraphs separated by one blank line; ``<ul>`` and
    ``<ol>`` items become ``* `` / ``1. `` lines (a multi-paragraph item keeps
    its blank lines, with its continuation indented under the text);
    ``<note>``/``<important>`` become ``Note:``/``Warning:`` followed by their
    indented content; ``<pre>``/``<codeblock>`` keep their lines, indented by
    four spaces; inline markup (``<code>``, ``<b>``, ``<i>``...) keeps just its
    text; ``<a href="u">t</a>`` becomes ``t <u>``.  Whitespace inside
    paragraphs is collapsed and entities are decoded.  With ``width``, the
    paragraphs are wrapped to that many columns.  The result has no leading or
    trailing blank lines and no final newline.
    """
    if not html or not html.strip():
        return ""
    renderer = _Renderer(width)
    return "\n\n".join(renderer.blocks(_parse(html), width)).strip("\n")
