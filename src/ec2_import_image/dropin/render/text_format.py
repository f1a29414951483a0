"""``--output text``: tab-separated rows, one per object, named after the key that holds them.

The rules, as v2 applies them:

* an object prints one row of its scalar values (keys sorted); inside a list
  of objects every object prints the same columns (every key that is scalar
  in some element of the list, sorted; missing ones are empty);
* a row below the top level starts with the upper-cased key it came from;
* objects and lists inside an object follow its row, keys sorted;
* a list of scalars is one row, tab-joined, at the top level, and one row
  per item (``KEY<TAB>item``) below it;
* a bare scalar prints on its own (``None`` for null); empty lists print nothing.

Paginated results print page by page, and ``NEXTTOKEN<TAB>token`` at the end
when a resume token is left; ``--query`` applies to each of those separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

from ec2_import_image.dropin.render.common import (
    PaginatedResult,
    Query,
    apply_query,
    flush_quietly,
    is_paginated,
    without_metadata,
)


def _is_container(value: object) -> bool:
    return isinstance(value, dict | list)


def text_lines(value: Any) -> list[str]:
    """The lines (each ending in a newline) that ``value`` prints as."""
    lines: list[str] = []
    _value(value, lines, None, None)
    return lines


def _value(value: Any, lines: list[str], label: str | None, columns: list[str] | None) -> None:
    if isinstance(value, dict):
        _object(value, lines, label, columns)
    elif isinstance(value, list):
        _list(value, lines, label)
    else:
        lines.append(f"{value!s}\n")


def _object(
    obj: dict[Any, Any], lines: list[str], label: str | None, columns: list[str] | None
) -> None:
    cells: list[str] = []
    nested: list[tuple[str, Any]] = []
    if columns is None:
        for key, item in sorted(obj.items()):
            if _is_container(item):
                nested.append((key, item))
            else:
                cells.append(str(item))
    else:
        cells = [str(obj.get(key, "")) for key in columns]
        nested = [(key, obj[key]) for key in sorted(set(obj) - set(columns))]
    if cells:
        prefix = [] if label is None else [label.upper()]
        lines.append("\t".join(prefix + cells) + "\n")
    for key, item in nested:
        _value(item, lines, key, None)


def _list(items: list[Any], lines: list[str], label: str | None) -> None:
    if not items:
        return
    if any(isinstance(item, dict) for item in items):
        columns = _scalar_keys(items)
        for item in items:
            _value(item, lines, label, columns)
    elif any(isinstance(item, list) for item in items):
        scalars = [item for item in items if not _is_container(item)]
        if scalars:
            _scalar_row(scalars, lines, label)
        for item in items:
            if _is_container(item):
                _value(item, lines, label, None)
    else:
        _scalar_row(items, lines, label)


def _scalar_keys(objects: Iterable[Any]) -> list[str]:
    """Every key that holds a scalar in at least one of ``objects``, sorted."""
    keys: set[str] = set()
    for obj in objects:
        keys.update(key for key, item in obj.items() if not _is_container(item))
    return sorted(keys)


def _scalar_row(items: list[Any], lines: list[str], label: str | None) -> None:
    if label is None:
        lines.append("\t".join(str(item) for item in items) + "\n")
    else:
        name = label.upper()
        lines.extend(f"{name}\t{item!s}\n" for item in items)


def _write(value: Any, stream: TextIO) -> None:
    stream.write("".join(text_lines(value)))


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` of ``target``, creating objects on the way."""
    head, _, rest = path.partition(".")
    if not head:
        raise ValueError(f"Invalid expression: {path!r}")
    if rest:
        _set_path(target.setdefault(head, {}), rest, value)
    else:
        target[head] = value


def _write_pages(result: PaginatedResult, stream: TextIO, query: Query | None) -> None:
    result_keys = list(result.result_keys or ())
    for number, page in enumerate(result):
        # The non-aggregated keys show with the first page only.
        current: dict[str, Any] = dict(result.non_aggregate_part) if number == 0 else {}
        for result_key in result_keys:
            _set_path(current, result_key.expression, result_key.search(page))
        _write(apply_query(current, query), stream)
    token = result.resume_token
    if token:
        _write(apply_query({"NextToken": {"NextToken": token}}, query), stream)


def render_text(result: Any, stream: TextIO, query: Query | None) -> None:
    try:
        if is_paginated(result):
            _write_pages(result, stream, query)
        else:
            _write(apply_query(without_metadata(result), query), stream)
    finally:
        flush_quietly(stream)
