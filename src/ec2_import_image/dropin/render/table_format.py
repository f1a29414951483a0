"""``--output table``: v2's boxed tables.

Building (what goes in which section):

* the result opens a section titled with the command name; every object or
  list met inside opens a nested section, titled with its key and indented
  one level deeper;
* an object's scalar keys (sorted) become a header row and one value row,
  or a single ``key | value`` row when there is only one of them;
* a list of objects is one section whose header is every scalar key of any
  element (sorted) and one row per element; when the elements hold objects
  or lists too, each element after the first repeats the title and header
  so that its nested sections follow its own row;
* a list of scalars (or of lists of scalars) is one row per item;
* a falsy result (null, empty object or list, "", 0, false) prints nothing.

Layout (how wide, how drawn):

* every section is as wide as the widest one needs: its columns at their
  widest cell plus four, the borders, and two columns per indent level;
* when that width exceeds the terminal width, every section that has a
  header and exactly one row is turned on its side (one ``key | value`` row
  per column) and the widths are measured again;
* each section's columns are scaled to fill the width (rounding half to
  even, then trimming from the left or padding from the right);
* text is measured with :func:`~ec2_import_image.dropin.render.width.display_width`.

With colour on, row values are bright blue and the indentation bars dim
yellow.  The table is written in the pieces v2 writes it in, one write each:
on stdout, v2's colorama wrapper follows every write with a reset code, which
shows in the bytes (see ``autoreset.py``, which puts that wrapper on the
stream).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ec2_import_image.dropin.errors import GeneralError
from ec2_import_image.dropin.render.common import Query, flush_quietly, full_result, prepared
from ec2_import_image.dropin.render.width import display_width

_RESET = "\x1b[0m"
_VALUE_STYLE = "\x1b[1m\x1b[34m"  # bright, blue
_BAR_STYLE = "\x1b[2m\x1b[33m"  # dim, yellow
_CELL_PADDING = 4  # two spaces before the text, room for two after


@dataclass
class Section:
    """One box of the table: a title bar, an optional header row, rows of cells."""

    title: str | None
    indent: int = 0
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: the widest text of each column so far
    widths: list[int] = field(default_factory=list)
    columns: int | None = None

    def set_headers(self, headers: Sequence[str]) -> None:
        self._widen(headers)
        if self.columns is None:
            self.columns = len(headers)
        self.headers = list(headers)

    def add_row(self, cells: Sequence[Any]) -> None:
        if self.columns is None:
            self.columns = len(cells)
        if len(cells) != self.columns:
            raise GeneralError(
                f"Row should have {self.columns} elements, instead it has {len(cells)}"
            )
        texts = [str(cell) for cell in cells]
        self.rows.append(texts)
        self._widen(texts)

    def _widen(self, texts: Sequence[str]) -> None:
        if not self.widths:
            self.widths = [display_width(text) for text in texts]
            return
        for index, text in enumerate(texts):
            self.widths[index] = max(self.widths[index], display_width(text))

    def needed_width(self) -> int:
        """Columns this section needs, borders and indentation included."""
        margins = 2 + 2 * self.indent
        cells = sum(width + _CELL_PADDING for width in self.widths)
        return max(display_width(self.title) + margins, cells + margins)

    def column_widths(self, total: int) -> list[int]:
        """Each column's width (padding included) when the columns fill ``total``."""
        natural = [width + _CELL_PADDING for width in self.widths]
        if not natural:
            return natural
        factor = total / float(sum(natural))
        scaled = [round(factor * width) for width in natural]
        surplus = sum(scaled) - total
        while surplus:
            indexes: Iterable[int] = range(len(scaled))
            if surplus < 0:
                indexes = reversed(range(len(scaled)))
            for index in indexes:
                step = 1 if surplus > 0 else -1
                scaled[index] -= step
                surplus -= step
                if not surplus:
                    break
        return scaled

    def on_its_side(self) -> Section:
        """A one-row section with a header as ``header | value`` rows; others unchanged."""
        if len(self.rows) != 1 or not self.headers:
            return self
        turned = Section(self.title, self.indent)
        for header, cell in zip(self.headers, self.rows[0], strict=False):
            turned.add_row([header, cell])
        return turned


def _is_scalar(value: object) -> bool:
    return not isinstance(value, dict | list)


def _split_keys(obj: Any) -> tuple[list[Any], list[Any]]:
    """The keys of ``obj`` holding scalars and those holding objects or lists, each sorted."""
    scalars: list[Any] = []
    nested: list[Any] = []
    for key in obj:
        (scalars if _is_scalar(obj[key]) else nested).append(key)
    return sorted(scalars), sorted(nested)


class TableBuilder:
    """Turns a result into the list of sections v2 would draw for it."""

    def __init__(self) -> None:
        self.sections: list[Section] = []

    @property
    def _current(self) -> Section:
        # The top level always opens a section, so there is one whenever this is used.
        return self.sections[-1]

    def _open(self, title: str | None, indent: int) -> None:
        self.sections.append(Section(title, indent))

    def add(self, title: str | None, value: Any, indent: int = 0) -> bool:
        """Add ``value`` under ``title`` (no new section when None); False if it shows nothing."""
        if not value:
            return False
        if title is not None:
            self._open(title, indent)
        if isinstance(value, list):
            if isinstance(value[0], dict):
                self._add_objects(value, indent, title)
            else:
                for item in value:
                    if _is_scalar(item):
                        self._current.add_row([item])
                    elif all(_is_scalar(element) for element in item):
                        self._current.add_row(list(item))
                    else:
                        self.add(None, item)
        if isinstance(value, dict):
            self._add_object(value, indent)
        return True

    def _add_object(self, obj: dict[Any, Any], indent: int) -> None:
        scalars, nested = _split_keys(obj)
        if len(scalars) == 1:
            self._current.add_row([scalars[0], obj[scalars[0]]])
        elif scalars:
            self._current.set_headers(scalars)
            self._current.add_row([obj[key] for key in scalars])
        for key in nested:
            self.add(key, obj[key], indent + 1)

    def _add_objects(self, objects: list[Any], indent: int, title: str | None) -> None:
        scalar_keys: set[Any] = set()
        nested_keys: set[Any] = set()
        for obj in objects:
            scalars, nested = _split_keys(obj)
            scalar_keys.update(scalars)
            nested_keys.update(nested)
        headers = sorted(scalar_keys)
        nested_sorted = sorted(nested_keys)
        self._current.set_headers(headers)
        for position, obj in enumerate(objects):
            if position and nested_sorted:
                self._open(title, indent)
                self._current.set_headers(headers)
            self._current.add_row([obj.get(key, "") for key in headers])
            for key in nested_sorted:
                if key in obj:
                    self.add(key, obj[key], indent + 1)


class _Painter:
    """Writes lines the way v2 does: indentation bars around each, one write per piece."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.bar = f"{_BAR_STYLE}|{_RESET}" if color else "|"
        #: the pieces of text in the order v2 writes them, one write each
        self.chunks: list[str] = []

    def write(self, text: str) -> None:
        self.chunks.append(text)

    def line(self, text: str, indent: int) -> None:
        bars = self.bar * indent
        self.write(bars)
        self.write(text)
        self.write(bars)
        self.write("\n")

    def value(self, text: str) -> str:
        return f"{_VALUE_STYLE}{text}{_RESET}" if self.color else text


def _centered(text: str, width: int, left: str, right: str, text_width: int) -> str:
    before = width // 2 - text_width // 2 - 1
    after = width - len(right) - (len(left) + before + text_width)
    return f"{left}{' ' * before}{text}{' ' * after}{right}"


def _left_aligned(text: str, width: int, left: str, right: str, text_width: int) -> str:
    padding = 2 if width - (text_width + 2 + len(left) + len(right)) >= 0 else 0
    after = width - (len(left) + padding + text_width) - len(right)
    return f"{left}{' ' * padding}{text}{' ' * after}{right}"


def _rule(widths: Sequence[int]) -> str:
    parts = [
        f"+{'-' * (width - 2)}+" if index == 0 else f"{'-' * (width - 1)}+"
        for index, width in enumerate(widths)
    ]
    return "".join(parts)


def _draw_section(section: Section, width: int, painter: _Painter) -> None:
    inner = width - 2 * section.indent
    indent = section.indent
    if section.title:
        painter.line(
            _centered(section.title, inner, "|", "|", display_width(section.title)), indent
        )
        if not section.headers and not section.rows:
            painter.line(f"+{'-' * (inner - 2)}+", indent)
    if section.headers:
        widths = section.column_widths(inner)
        cells = [
            _centered(header, column, "|" if index == 0 else "", "|", display_width(header))
            for index, (column, header) in enumerate(zip(widths, section.headers, strict=False))
        ]
        painter.line(_rule(widths), indent)
        painter.line("".join(cells), indent)
    if section.rows:
        widths = section.column_widths(inner)
        if not widths:
            return
        painter.line(_rule(widths), indent)
        for row in section.rows:
            cells = [
                _left_aligned(
                    painter.value(cell),
                    column,
                    "|" if index == 0 else "",
                    "|",
                    display_width(cell),
                )
                for index, (column, cell) in enumerate(zip(widths, row, strict=False))
            ]
            painter.line("".join(cells), indent)
        painter.line(_rule(widths), indent)


def draw_table(sections: list[Section], terminal_width: int, color: bool) -> list[str]:
    """The writes of the table made of ``sections`` (which must not be empty)."""
    width = max(section.needed_width() for section in sections)
    if width > terminal_width:
        sections = [section.on_its_side() for section in sections]
        width = max(section.needed_width() for section in sections)
    painter = _Painter(color)
    painter.write("-" * width + "\n")
    for section in sections:
        _draw_section(section, width, painter)
    return painter.chunks


def table_writes(title: str, value: Any, terminal_width: int, color: bool) -> list[str]:
    """The writes of the table of ``value`` titled ``title``; none when v2 prints no table."""
    builder = TableBuilder()
    if not builder.add(title, value):
        return []
    return draw_table(builder.sections, terminal_width, color)


def table_text(title: str, value: Any, terminal_width: int, color: bool) -> str:
    """The table of ``value`` titled ``title``; empty when v2 prints no table."""
    return "".join(table_writes(title, value, terminal_width, color))


def render_table(
    command_name: str,
    result: Any,
    stream: TextIO,
    query: Query | None,
    *,
    color: bool,
    terminal_width: int,
) -> None:
    value = prepared(full_result(result), query)
    writes = table_writes(command_name, value, terminal_width, color)
    try:
        for text in writes:
            stream.write(text)
    except OSError:
        pass
    finally:
        flush_quietly(stream)
