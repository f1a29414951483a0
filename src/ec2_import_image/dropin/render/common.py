"""What every output format shares: the shapes of its inputs and a few small steps.

A result handed to :func:`ec2_import_image.dropin.render.render` is either one parsed
response (a ``dict``) or a paginated result: anything shaped like botocore's
``PageIterator``.  Nothing here imports botocore; the paginated shape is a
:class:`typing.Protocol` and a real ``PageIterator`` satisfies it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TextIO

from ec2_import_image.dropin.errors import crash_as_in_v2

#: The key botocore adds to every parsed response; v2 never prints it.
METADATA_KEY = "ResponseMetadata"


class Query(Protocol):
    """A compiled ``--query`` expression (``jmespath.compile(...)``)."""

    def search(self, value: Any) -> Any: ...


class ResultKey(Protocol):
    """One result key of a paginator: a compiled JMESPath expression and its source text."""

    @property
    def expression(self) -> str: ...

    def search(self, value: Any) -> Any: ...


class PaginatedResult(Protocol):
    """The part of botocore's ``PageIterator`` that the output formats use.

    * iterating it yields each page (a parsed response ``dict``), sending the
      requests as it goes; it is iterated at most once per render;
    * ``build_full_result()`` iterates it and merges the pages (the result
      keys concatenated, ``NextToken`` added when a resume token is left);
    * ``result_keys``: the compiled result-key expressions (``ImportImageTasks``);
    * ``non_aggregate_part``: the non-aggregated keys, filled in by the first page;
    * ``resume_token``: after iteration, the token to resume from, or ``None``.
    """

    def __iter__(self) -> Iterator[Any]: ...

    def build_full_result(self) -> Mapping[str, Any]: ...

    @property
    def result_keys(self) -> Sequence[ResultKey] | None: ...

    @property
    def non_aggregate_part(self) -> Mapping[str, Any]: ...

    @property
    def resume_token(self) -> Any: ...


def is_paginated(result: object) -> bool:
    """True for a paginated result, False for one parsed response (or any plain value)."""
    if isinstance(result, Mapping | list | str | int | float) or result is None:
        return False
    return callable(getattr(result, "build_full_result", None))


def without_metadata(response: Any) -> Any:
    """The response without its top-level ``ResponseMetadata`` (a copy; the input is kept)."""
    if isinstance(response, dict) and METADATA_KEY in response:
        return {key: value for key, value in response.items() if key != METADATA_KEY}
    return response


def apply_query(value: Any, query: Query | None) -> Any:
    """``value`` as ``--query`` selects it (unchanged without a query).

    An expression that fails on the value (a function given the wrong type, an
    unknown function) fails as in v2: JMESPath's message, exit 255.
    """
    if query is None:
        return value
    from jmespath.exceptions import JMESPathError

    try:
        return query.search(value)
    except JMESPathError as error:
        raise crash_as_in_v2(error) from error


def prepared(response: Any, query: Query | None) -> Any:
    """A whole response ready to print: metadata dropped, then the query applied."""
    return apply_query(without_metadata(response), query)


def full_result(result: Any) -> Any:
    """The whole result: the merged pages of a paginated result, else the result itself."""
    if is_paginated(result):
        return result.build_full_result()
    return result


def flush_quietly(stream: TextIO) -> None:
    """Flush ``stream``; a reader that went away (closed pipe) is not an error here."""
    with contextlib.suppress(OSError):
        stream.flush()
