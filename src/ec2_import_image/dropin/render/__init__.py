"""Printing results as AWS CLI v2 prints them: json, text, table, yaml, yaml-stream, off.

:func:`render` is the one entry point.  A result is one parsed response (a
``dict`` as botocore returns it; ``ResponseMetadata`` is never printed) or a
paginated result (see :class:`PaginatedResult`).  Where v2 applies
``--query``, so does :func:`render`:

* json, table, yaml: once, on the whole result (all pages merged);
* text and yaml-stream of a paginated result: on each page separately (and,
  for text, on the ``{"NextToken": {"NextToken": ...}}`` object printed last
  when a resume token is left);
* otherwise on the response.

The renderers read no environment and keep no state.  This package does not
import botocore; ruamel.yaml is imported only when YAML is printed.
"""

from __future__ import annotations

from typing import Any, TextIO

from ec2_import_image.dropin.errors import GeneralError, crash_as_in_v2
from ec2_import_image.dropin.render.common import (
    PaginatedResult,
    Query,
    ResultKey,
    is_paginated,
)
from ec2_import_image.dropin.render.json_format import render_json
from ec2_import_image.dropin.render.table_format import render_table
from ec2_import_image.dropin.render.text_format import render_text
from ec2_import_image.dropin.render.width import (
    DEFAULT_TERMINAL_WIDTH,
    display_width,
)
from ec2_import_image.dropin.render.yaml_format import render_yaml, render_yaml_stream

__all__ = [
    "DEFAULT_TERMINAL_WIDTH",
    "OUTPUT_FORMATS",
    "PaginatedResult",
    "Query",
    "ResultKey",
    "display_width",
    "is_paginated",
    "render",
]

#: Every value ``--output`` (and the ``output`` setting) accepts, in v2's order.
OUTPUT_FORMATS: tuple[str, ...] = ("json", "text", "table", "yaml", "yaml-stream", "off")


def _render_off(result: Any) -> None:
    # Nothing is printed, but every page is still fetched (and its errors still raised).
    if is_paginated(result):
        for _ in result:
            pass


def render(
    output: str,
    command_name: str,
    result: Any,
    stream: TextIO,
    *,
    query: Any = None,
    color: bool = False,
    terminal_width: int = DEFAULT_TERMINAL_WIDTH,
) -> None:
    """Print ``result`` on ``stream`` in the ``output`` format, as v2 does.

    ``command_name`` titles a table (the operation name, or ``error`` for a
    structured error).  ``query`` is a compiled JMESPath expression or None.
    ``color`` turns on v2's ANSI colours; only tables are coloured.
    ``terminal_width`` is the width beyond which a table turns its one-row
    sections on their side; v2 uses the width of the terminal on standard
    output, 80 when it is not a terminal (``Environment.terminal_width``).

    Raises :class:`~ec2_import_image.dropin.errors.GeneralError` for an unknown
    format (before anything is fetched or printed), and where v2 fails while
    printing: a query that fails on the result, a value the format cannot
    write, a character the stream's encoding cannot write (Python's message).
    """
    if output not in OUTPUT_FORMATS:
        raise GeneralError(f"Unknown output type: {output}")
    try:
        _dispatch(
            output,
            command_name,
            result,
            stream,
            query=query,
            color=color,
            terminal_width=terminal_width,
        )
    except UnicodeEncodeError as error:
        # AWS_CLI_OUTPUT_ENCODING, or the locale's, cannot write the text: as v2
        raise crash_as_in_v2(error) from error


def _dispatch(
    output: str,
    command_name: str,
    result: Any,
    stream: TextIO,
    *,
    query: Any,
    color: bool,
    terminal_width: int,
) -> None:
    compiled: Query | None = query
    if output == "json":
        render_json(result, stream, compiled)
    elif output == "text":
        render_text(result, stream, compiled)
    elif output == "table":
        render_table(
            command_name, result, stream, compiled, color=color, terminal_width=terminal_width
        )
    elif output == "yaml":
        render_yaml(result, stream, compiled)
    elif output == "yaml-stream":
        render_yaml_stream(result, stream, compiled)
    else:
        _render_off(result)
