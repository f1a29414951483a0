"""The drop-in's botocore session and EC2 client, configured as AWS CLI v2 configures them.

The configuration chain is v2's, shared with the other programs
(``ec2_import_image.awsconfig.chain``).  What is the drop-in's own is the
trimming, for its start-up: the session registers only the built-in handlers
of the services the drop-in calls (EC2 and those of the credential
providers), and its data loader (``datapath.py``) finds the EC2 model and
paginator in the pinned files first (the runtime botocore's may be newer),
then botocore's data for those services only, with the endpoints data
reduced to them (``endpoints.py``).  The client is created for the pinned
model's API version.

The configuration chain reads the run's variables (``environ``), not the
process's.  botocore reads the process environment in places a session cannot
be told otherwise (the credential providers, the configuration files'
locations, proxies, CA bundles): ``commands/operation.py`` builds and uses the
session inside ``Environment.process_environment()``.  Nothing is put in the
environment: what the drop-in tells botocore goes to the session and its
loader, so the AWS CLI that the hand-over runs sees the user's variables only.

With ``--debug``, every request signer's credentials are handed to the debug
log's redaction as they are used (see ``ec2_import_image.debuglog``).

botocore never follows an HTTP redirect: it sends with ``Retry(False)``, and a
3xx answer is parsed as the reply (v2 then reports unparsable XML for an empty
body).  From urllib3 2.7 on, the connection pool parses the ``Location`` of a
redirect before it decides not to follow it, so that a Location that is not a
valid URL fails the request with a ``LocationParseError`` instead.  The EC2
client's pools are told not to look at redirects at all (``redirect=False``),
which is what v2's urllib3 (2.6.3) does for it.

Three of these reach into botocore's internals: the handler registration,
the signer's credentials and the HTTP session's pool classes (the loader's
``BUILTIN_DATA_PATH`` in ``datapath.py`` is a fourth).
``tests/unit/test_private_hooks.py`` fails, naming the hook, when a botocore
release moves one of them; until a release that moved one is looked at, the
drop-in takes botocore's ordinary path for that part (each function below
says what that costs), which ``tests/functional/test_hook_fallbacks.py``
checks by moving each hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from ec2_import_image.awsconfig import chain
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.service import datapath
from ec2_import_image.model.shapes import load_model

if TYPE_CHECKING:
    import botocore.session
    from botocore.client import BaseClient

    from ec2_import_image.debuglog import RedactingFormatter

SERVICE = "ec2"


#: the services this tool creates clients for: EC2, and those of the credential providers
SERVICES_USED = frozenset({SERVICE, "sts", "sso", "sso-oidc", "signin"})


def _session_class() -> type:
    import botocore.session
    from botocore import handlers

    class Session(botocore.session.Session):
        """botocore's session, without the built-in handlers of services it never calls.

        botocore registers ~130 handlers at start-up, most for S3 and other
        services, each checked with ``inspect``; only those that can fire for
        the services this tool calls are registered here, in botocore's order.
        A botocore whose table of handlers, or whose call of this method, has
        another shape than the one known here gets its own registration of
        all of them: slower, and what any botocore session does.
        """

        def _register_builtin_handlers(self, *args: Any, **kwargs: Any) -> None:
            kept = trimmed_builtin_handlers(handlers)
            if kept is None or len(args) != 1 or kwargs:
                super()._register_builtin_handlers(*args, **kwargs)  # type: ignore[misc]
                return
            (events,) = args
            for event_name, handler, position in kept:
                if position is None:
                    self.register(event_name, handler)
                elif position is handlers.REGISTER_FIRST:
                    events.register_first(event_name, handler)
                else:
                    events.register_last(event_name, handler)

    return Session


def trimmed_builtin_handlers(handlers: Any) -> list[tuple[str, Any, object]] | None:
    """botocore's built-in handlers that can fire for ``SERVICES_USED``, in its order.

    Each as (event name, handler, ``REGISTER_FIRST``, ``REGISTER_LAST`` or None
    for botocore's plain ``register``).  None when ``handlers`` (the module
    ``botocore.handlers``) is not of the shape known here: a table of
    ``(event, handler)`` and ``(event, handler, REGISTER_FIRST or
    REGISTER_LAST)`` tuples.
    """
    table = getattr(handlers, "BUILTIN_HANDLERS", None)
    positions = (
        getattr(handlers, "REGISTER_FIRST", None),
        getattr(handlers, "REGISTER_LAST", None),
    )
    if not isinstance(table, list) or None in positions:
        return None
    kept: list[tuple[str, Any, object]] = []
    for spec in table:
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            return None
        event_name, handler = spec[0], spec[1]
        position = spec[2] if len(spec) == 3 else None
        if not isinstance(event_name, str) or not callable(handler):
            return None
        if position is not None and position not in positions:
            return None
        parts = event_name.split(".")
        if len(parts) > 1 and parts[1] not in SERVICES_USED and parts[1] != "*":
            continue
        kept.append((event_name, handler, position))
    return kept


def create_session(
    options: GlobalOptions,
    environ: Mapping[str, str],
    debug_log: RedactingFormatter | None = None,
) -> botocore.session.Session:
    """A session with v2's configuration chains on ``environ`` and the pinned model.

    ``debug_log``: the run's debug log, told the credentials of every request
    signed, to redact them.
    """
    from ec2_import_image import __version__

    session: botocore.session.Session = _session_class()()
    session.user_agent_name = "aws-cli"
    session.user_agent_version = "2.36.7"
    session.user_agent_extra = f"ec2-import-image/{__version__}"
    session.register_component("data_loader", datapath.create_loader(SERVICES_USED, environ))
    chain.apply_chain(session, profile=options.profile, region=options.region, environ=environ)
    chain.set_default_client_config(
        session,
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        sign_request=options.sign_request,
    )
    if debug_log is not None:
        signs = options.sign_request
        session_credentials = partial(_session_credentials, session) if signs else _no_credentials
        session.register(
            "before-sign", partial(_redact_signing_credentials, debug_log, session_credentials)
        )
    chain.inject_credential_caches(session, environ)
    return session


def _redact_signing_credentials(
    debug_log: RedactingFormatter,
    session_credentials: Callable[[], Any],
    request_signer: Any = None,
    event_name: str = "",
    **_: Any,
) -> None:
    """``before-sign``: the debug log must never show the credentials about to sign.

    Resolving them here (the signer would do it next) obtains temporary
    credentials when v2 does, while the request is signed, so nothing is
    fetched that v2 would not fetch.  The credentials are the request
    signer's.  A botocore whose signer keeps them elsewhere gets, for the
    EC2 client's requests, ``session_credentials()``: the session's, which
    that client signs with (none for a request not signed).  The clients the
    credential providers create (STS, SSO) sign with other credentials,
    which are then left to the log's redaction of secret fields.
    """
    credentials: Any = getattr(request_signer, "_credentials", _MOVED)
    if credentials is _MOVED:
        own = event_name.startswith(f"before-sign.{SERVICE}.")
        credentials = session_credentials() if own else None
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials()
    debug_log.add(frozen.secret_key, frozen.token)


#: an attribute a botocore no longer has
_MOVED = object()


def _session_credentials(session: botocore.session.Session) -> Any:
    return session.get_credentials()


def _no_credentials() -> None:
    return None


def create_client(session: botocore.session.Session, options: GlobalOptions) -> BaseClient:
    client = session.create_client(
        SERVICE,
        region_name=options.region,
        # the pinned model's, whatever newer version a botocore may know
        api_version=load_model().api_version,
        endpoint_url=options.endpoint_url,
        verify=chain.verify_setting(options.verify_ssl, options.ca_bundle),
    )
    never_follow_redirects(client)
    return client


def never_follow_redirects(client: BaseClient) -> None:
    """The client's connection pools leave redirects alone, as urllib3 before 2.7 did.

    The pool classes are told to the client's HTTP session, whose mapping of
    them its pool manager (and any proxy manager) shares.  A botocore or
    urllib3 of another shape (no such mapping, pools whose ``urlopen`` takes no
    ``redirect``) keeps its own pools: what differs then is only a redirect
    whose ``Location`` is not a URL, on urllib3 2.7 and later (see above).
    """
    pools = _no_redirect_pool_classes()
    endpoint = getattr(client, "_endpoint", None)
    by_scheme = getattr(getattr(endpoint, "http_session", None), "_pool_classes_by_scheme", None)
    if pools is None or not isinstance(by_scheme, dict) or set(by_scheme) != set(pools):
        return
    by_scheme.update(pools)


@cache
def _no_redirect_pool_classes() -> dict[str, type] | None:
    """The pool classes that never handle a redirect; None where they cannot be made."""
    import inspect

    try:
        from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool
    except ImportError:
        return None
    pools: dict[str, Any] = {"http": AWSHTTPConnectionPool, "https": AWSHTTPSConnectionPool}
    for pool_class in pools.values():
        if "redirect" not in inspect.signature(pool_class.urlopen).parameters:
            return None
    return {scheme: _without_redirects(pool_class) for scheme, pool_class in pools.items()}


def _without_redirects(pool_class: Any) -> type:
    """A subclass of a urllib3 connection pool whose ``urlopen`` never handles a redirect."""

    def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["redirect"] = False
        return pool_class.urlopen(self, method, url, *args, **kwargs)

    return type(f"NoRedirect{pool_class.__name__}", (pool_class,), {"urlopen": urlopen})
