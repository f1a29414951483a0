"""The global options of one command line, as a frozen record, and v2's checks of them.

``GlobalOptions`` has one field per global option of the option table
(``options.GLOBAL_OPTIONS``, by ``dest``), with the table's defaults, and the
compiled ``--query``.  Nothing changes a record: resolution and the aliases
that lay their global options over the user's make new ones (``replace``).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from typing import Any

from ec2_import_image.dropin.errors import ParamValidationError, crash_as_in_v2
from ec2_import_image.dropin.record import Record


class GlobalOptions(Record):
    """v2's global options as given (defaults for the others); see ``options.GLOBAL_OPTIONS``."""

    __slots__ = (
        "ca_bundle",
        "cli_auto_prompt",
        "cli_binary_format",
        "cli_error_format",
        "color",
        "connect_timeout",
        "debug",
        "endpoint_url",
        "no_cli_auto_prompt",
        "no_cli_pager",
        "output",
        "paginate",
        "profile",
        "query",
        "query_expression",
        "read_timeout",
        "region",
        "sign_request",
        "verify_ssl",
    )
    debug: bool
    endpoint_url: str | None
    verify_ssl: bool
    paginate: bool
    output: str | None
    #: the ``--query`` expression as typed
    query: str | None
    profile: str | None
    region: str | None
    color: str
    sign_request: bool
    ca_bundle: str | None
    #: the time-outs as typed: v2 converts them with ``int()`` when it checks them
    read_timeout: str | None
    connect_timeout: str | None
    cli_binary_format: str | None
    no_cli_pager: bool
    cli_auto_prompt: bool
    no_cli_auto_prompt: bool
    cli_error_format: str | None
    #: ``query`` compiled by ``resolved`` (a jmespath ``ParsedResult``)
    query_expression: Any

    def __init__(
        self,
        *,
        debug: bool = False,
        endpoint_url: str | None = None,
        verify_ssl: bool = True,
        paginate: bool = True,
        output: str | None = None,
        query: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        color: str = "auto",
        sign_request: bool = True,
        ca_bundle: str | None = None,
        read_timeout: str | None = None,
        connect_timeout: str | None = None,
        cli_binary_format: str | None = None,
        no_cli_pager: bool = False,
        cli_auto_prompt: bool = False,
        no_cli_auto_prompt: bool = False,
        cli_error_format: str | None = None,
        query_expression: Any = None,
    ) -> None:
        self._fill(locals())

    @classmethod
    def parsed(cls, values: Mapping[str, Any]) -> GlobalOptions:
        """The record of a parse's values (the global options' destinations, nothing else)."""
        return cls(**{name: values[name] for name in GIVEN_FIELDS if name in values})


#: the fields the command line gives (every field but the compiled query)
GIVEN_FIELDS = tuple(name for name in GlobalOptions.__slots__ if name != "query_expression")


def resolved(options: GlobalOptions) -> GlobalOptions:
    """v2's checks of global option values, in v2's order, before any command runs.

    ``--query`` is compiled (a syntax error is a parameter error),
    ``--endpoint-url`` needs a scheme, and the time-outs must be integers
    (``int()``'s own error, exit 255, as in v2).  A value argparse made a list
    (``--x=--`` gives ``[]``) fails where and as v2's does.  Returns the record
    with the compiled query.
    """
    query = options.query
    expression = None
    if query is not None:
        import jmespath

        try:
            with warnings.catch_warnings():
                # jmespath warns about `literal` strings; v2 never shows that warning
                warnings.simplefilter("ignore")
                expression = jmespath.compile(query)
        except Exception as error:
            # v2 reports whatever compiling raised, a syntax error or the TypeError of
            # argparse's empty list (`--query=--`), as a bad value
            raise ParamValidationError(f"Bad value for --query {query}: {error}") from None
    endpoint = options.endpoint_url
    if endpoint is not None:
        from urllib.parse import urlparse

        if not urlparse(endpoint).scheme:
            raise ParamValidationError(
                f'Bad value for --endpoint-url "{endpoint}": scheme is missing.  '
                "Must be of the form http://<hostname>/ or https://<hostname>/"
            )
    for value in (options.read_timeout, options.connect_timeout):
        if value is not None:
            try:
                int(value)
            except (TypeError, ValueError) as error:
                raise crash_as_in_v2(error) from error
    return options if expression is None else options.replace(query_expression=expression)


def laid_over(
    options: GlobalOptions,
    alias: GlobalOptions,
    given: Collection[str],
    *,
    kept: Collection[str] = (),
    reset: Collection[str] = (),
) -> GlobalOptions:
    """``options`` with the global options an alias ``given`` (resolved) laid over them.

    ``kept``: the user's value stays whatever the alias gives; ``reset``: the
    alias's value replaces the user's even when the alias does not give it.
    """
    changes = {name: getattr(alias, name) for name in given if name not in kept}
    changes.update((name, getattr(alias, name)) for name in reset)
    if "query" in changes:
        changes["query_expression"] = alias.query_expression
    return options.replace(**changes)
