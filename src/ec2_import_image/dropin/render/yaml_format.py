"""``--output yaml`` and ``--output yaml-stream``.

Documents are written by ruamel.yaml's safe dumper (block style, keys
sorted, the C emitter: lines folded at 80 columns, characters outside the
Basic Multilingual Plane escaped as ``\\UXXXXXXXX`` in double quotes).  A
scalar result (string, number, boolean, null, timestamp) is printed as one
line of JSON instead, as v2 does, to avoid YAML's document-end marker.

``yaml`` prints the whole result as one document.  ``yaml-stream`` prints a
one-item list per page (``- ...``), page by page, so concatenated pages read
as one list; a non-paginated result is a single such page.

ruamel.yaml is imported on first use only: it is slow to import and most
runs print JSON or text.  Nothing is ever loaded (constructed) from YAML here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ec2_import_image.dropin.errors import crash_as_in_v2
from ec2_import_image.dropin.render.common import (
    Query,
    flush_quietly,
    full_result,
    is_paginated,
    prepared,
)
from ec2_import_image.dropin.render.json_format import dumps_compact

if TYPE_CHECKING:
    from ruamel.yaml import YAML


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | str | datetime.datetime)


class YamlWriter:
    """Writes values as v2's YAML formats do; one instance serves a whole render."""

    def __init__(self) -> None:
        self._yaml: YAML | None = None

    def _dumper(self) -> YAML:
        if self._yaml is None:
            from ruamel.yaml import YAML

            dumper = YAML(typ="safe")
            dumper.encoding = None  # type: ignore[assignment]  # the stream takes text
            dumper.representer.default_flow_style = False
            self._yaml = dumper
        return self._yaml

    def write(self, value: Any, stream: TextIO) -> None:
        if _is_scalar(value):
            stream.write(dumps_compact(value) + "\n")
            return
        from ruamel.yaml.representer import RepresenterError

        try:
            self._dumper().dump(value, stream)
        except RepresenterError as error:
            # a value the safe dumper has no form for (an XML element botocore's
            # parser kept from an odd reply): v2 runs the same dumper and fails alike
            raise crash_as_in_v2(error) from error


def _is_empty_object(value: object) -> bool:
    return isinstance(value, dict) and not value


def render_yaml(result: Any, stream: TextIO, query: Query | None) -> None:
    value = prepared(full_result(result), query)
    try:
        if not _is_empty_object(value):
            YamlWriter().write(value, stream)
    except OSError:
        pass
    finally:
        flush_quietly(stream)


def render_yaml_stream(result: Any, stream: TextIO, query: Query | None) -> None:
    writer = YamlWriter()
    pages: Iterator[Any]
    if is_paginated(result):
        pages = (prepared(page, query) for page in result)
    else:
        value = prepared(result, query)
        # An operation without output prints nothing (not "- {}").
        pages = iter(()) if _is_empty_object(value) else iter((value,))
    for page in pages:
        try:
            writer.write([page], stream)
        except OSError:
            return
        finally:
            flush_quietly(stream)
