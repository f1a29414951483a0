"""The drop-in's botocore session and EC2 client, configured as AWS CLI v2 configures them.

The configuration chain is v2's, shared with the other programs
(``ec2_import_image.awsconfig.chain``).  What is the drop-in's own is the
trimming, for its start-up: the session registers only the built-in handlers
of the services the drop-in calls (EC2 and those of the credential
providers), its data loader answers the EC2 model and paginator from the
pinned file (the runtime botocore's may be newer) and the endpoints data
reduced to those services (``endpoints.py``).

The configuration chain reads the run's variables (``environ``), not the
process's.  botocore reads the process environment in places a session cannot
be told otherwise (the credential providers, the configuration files'
locations, proxies, CA bundles): ``commands/operation.py`` builds and uses the
session inside ``Environment.process_environment()``.

With ``--debug``, every request signer's credentials are handed to the debug
log's redaction as they are used (see ``ec2_import_image.debuglog``).

botocore never follows an HTTP redirect: it sends with ``Retry(False)``, and a
3xx answer is parsed as the reply (v2 then reports unparsable XML for an empty
body).  From urllib3 2.7 on, the connection pool parses the ``Location`` of a
redirect before it decides not to follow it, so that a Location that is not a
valid URL fails the request with a ``LocationParseError`` instead.  The EC2
client's pools are told not to look at redirects at all (``redirect=False``),
which is what v2's urllib3 (2.6.3) does for it.

These overrides reach into botocore's internals; ``tests/unit/test_private_hooks.py``
fails, naming the hook, when a botocore release moves one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from ec2_import_image.awsconfig import chain
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.model.shapes import load_model

if TYPE_CHECKING:
    import botocore.session
    from botocore.client import BaseClient

    from ec2_import_image.debuglog import RedactingFormatter

SERVICE = "ec2"


#: the services this tool creates clients for: EC2, and those of the credential providers
SERVICES_USED = frozenset({SERVICE, "sts", "sso", "sso-oidc", "signin"})


def _pinned_loader_class() -> type:
    from botocore.loaders import Loader

    class PinnedLoader(Loader):
        """botocore's loader, with the EC2 model and paginators from the pinned file.

        Two shortcuts, neither changing what botocore gets: EC2's other data
        (its endpoint rules) is read from its known place, without listing
        every service's directory first; and the endpoints file comes reduced
        to the services this tool calls (``endpoints.py`` keeps that copy, in the
        cache directory the run's ``environ`` names).
        """

        environ: Mapping[str, str] = {}

        def load_service_model(
            self, service_name: str, type_name: str, api_version: str | None = None
        ) -> Any:
            if service_name != SERVICE:
                return super().load_service_model(service_name, type_name, api_version)
            if type_name == "service-2":
                return load_model().raw
            if type_name == "paginators-1":
                return {"pagination": load_model().raw["pagination"]}
            version = api_version or load_model().api_version
            return self.load_data(f"{SERVICE}/{version}/{type_name}")

        def load_data_with_path(self, name: str) -> tuple[Any, str]:
            if name != "endpoints":
                return super().load_data_with_path(name)
            from ec2_import_image.dropin.service.endpoints import reduced_endpoints

            return reduced_endpoints(
                self.search_paths,
                SERVICES_USED,
                lambda: super(PinnedLoader, self).load_data_with_path(name),
                self.environ,
            )

    return PinnedLoader


def _session_class() -> type:
    import botocore.session
    from botocore import handlers

    class Session(botocore.session.Session):
        """botocore's session, without the built-in handlers of services it never calls.

        botocore registers ~130 handlers at start-up, most for S3 and other
        services, each checked with ``inspect``; only those that can fire for
        the services this tool calls are registered here, in botocore's order.
        """

        def _register_builtin_handlers(self, events: Any) -> None:
            for spec in handlers.BUILTIN_HANDLERS:
                event_name, handler = spec[0], spec[1]
                parts = event_name.split(".")
                if len(parts) > 1 and parts[1] not in SERVICES_USED and parts[1] != "*":
                    continue
                if len(spec) == 2:
                    self.register(event_name, handler)
                elif spec[2] is handlers.REGISTER_FIRST:
                    events.register_first(event_name, handler)
                elif spec[2] is handlers.REGISTER_LAST:
                    events.register_last(event_name, handler)

    return Session


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
    loader = _pinned_loader_class()()
    loader.environ = environ
    session.register_component("data_loader", loader)
    chain.apply_chain(session, profile=options.profile, region=options.region, environ=environ)
    chain.set_default_client_config(
        session,
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        sign_request=options.sign_request,
    )
    if debug_log is not None:
        session.register("before-sign", partial(_redact_signing_credentials, debug_log))
    chain.inject_credential_caches(session, environ)
    return session


def _redact_signing_credentials(
    debug_log: RedactingFormatter, request_signer: Any = None, **_: Any
) -> None:
    """``before-sign``: the debug log must never show the credentials about to sign.

    Resolving them here (the signer would do it next) obtains temporary
    credentials when v2 does, while the request is signed, so nothing is
    fetched that v2 would not fetch.
    """
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials()
    debug_log.add(frozen.secret_key, frozen.token)


def create_client(session: botocore.session.Session, options: GlobalOptions) -> BaseClient:
    client = session.create_client(
        SERVICE,
        region_name=options.region,
        endpoint_url=options.endpoint_url,
        verify=chain.verify_setting(options.verify_ssl, options.ca_bundle),
    )
    never_follow_redirects(client)
    return client


def never_follow_redirects(client: BaseClient) -> None:
    """The client's connection pools leave redirects alone, as urllib3 before 2.7 did."""
    pools = _no_redirect_pool_classes()
    # the session's own mapping, shared with its pool manager and any proxy manager
    client._endpoint.http_session._pool_classes_by_scheme.update(pools)  # type: ignore[attr-defined]


@cache
def _no_redirect_pool_classes() -> dict[str, type]:
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    return {
        "http": _without_redirects(AWSHTTPConnectionPool),
        "https": _without_redirects(AWSHTTPSConnectionPool),
    }


def _without_redirects(pool_class: Any) -> type:
    """A subclass of a urllib3 connection pool whose ``urlopen`` never handles a redirect."""

    def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["redirect"] = False
        return pool_class.urlopen(self, method, url, *args, **kwargs)

    return type(f"NoRedirect{pool_class.__name__}", (pool_class,), {"urlopen": urlopen})
