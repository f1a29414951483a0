"""A botocore session and EC2 client configured as AWS CLI v2 configures them.

botocore does the work v2 leaves to it: the configuration files and profile,
the credential chain, signing, endpoint resolution, retries, parameter
validation, serialization and parsing.  What v2 changes in botocore's defaults
is changed here the same way:

- the profile comes from ``--profile``, then ``AWS_PROFILE``, then
  ``AWS_DEFAULT_PROFILE`` (v2's botocore reads ``AWS_PROFILE`` first);
- the region comes from ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  the profile, then the instance metadata service;
- retries default to the ``standard`` mode (3 attempts in all); the mode must
  be ``standard`` or ``adaptive`` and ``max_attempts`` at least one (v2's
  client configuration refuses anything else, with its own messages);
- a region lookup the instance metadata service refuses (HTTP 400) finds no
  region, as v2's own region provider does, instead of failing;
- ``--cli-read-timeout``/``--cli-connect-timeout`` (0 meaning none) and
  ``--no-sign-request`` go into the default client configuration;
- the credentials that assume-role, web-identity and SSO providers obtain are
  cached as JSON files under ``~/.aws/cli/cache`` (v2 registers that cache);
- settings v2's botocore does not have are held at the value that behaves as
  v2: STS is always regional (``sts_regional_endpoints``), there are no
  ``defaults_mode`` presets and no ``api_versions``, and ``tcp_keepalive`` is
  read from the profile only;
- the service model is the pinned one shipped with the tool, not the runtime
  botocore's (which may be newer); everything else comes from botocore's data.

With ``--debug``, every request signer's credentials are handed to the debug
log's redaction as they are used (see ``ec2_import_image.debuglog``).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from ec2_import_image.model.shapes import load_model

if TYPE_CHECKING:
    import botocore.session
    from botocore.client import BaseClient

#: v2 logs its own region lookup under this name
logger = logging.getLogger("awscli.utils")

SERVICE = "ec2"
DEFAULT_TIMEOUT = 60


#: the services this tool creates clients for: EC2, and those of the credential providers
SERVICES_USED = frozenset({SERVICE, "sts", "sso", "sso-oidc", "signin"})


def _pinned_loader_class() -> type:
    from botocore.loaders import Loader

    class PinnedLoader(Loader):
        """botocore's loader, with the EC2 model and paginators from the pinned file.

        Two shortcuts, neither changing what botocore gets: EC2's other data
        (its endpoint rules) is read from its known place, without listing
        every service's directory first; and the endpoints file comes reduced
        to the services this tool calls (``endpoints.py`` keeps that copy).
        """

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
            from ec2_import_image.service.endpoints import reduced_endpoints

            return reduced_endpoints(
                self.search_paths,
                SERVICES_USED,
                lambda: super(PinnedLoader, self).load_data_with_path(name),
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


def create_session(globals_: dict[str, Any]) -> botocore.session.Session:
    """A session with v2's configuration chains and the pinned model."""
    from ec2_import_image import __version__

    session: botocore.session.Session = _session_class()()
    session.user_agent_name = "aws-cli"
    session.user_agent_version = "2.36.7"
    session.user_agent_extra = f"ec2-import-image/{__version__}"
    loader_cls = _pinned_loader_class()
    session.register_component("data_loader", loader_cls())
    _set_config_chains(session)
    if globals_.get("profile"):
        session.set_config_variable("profile", globals_["profile"])
    if globals_.get("region"):
        session.set_config_variable("region", globals_["region"])
    _set_default_client_config(session, globals_)
    if globals_.get("debug"):
        session.register("before-sign", _redact_signing_credentials)
    _inject_credential_caches(session)
    return session


def _set_config_chains(session: botocore.session.Session) -> None:
    """The configuration chains v2 defines, or that its botocore defines differently."""
    from botocore.configprovider import (
        BaseProvider,
        ChainProvider,
        ConstantProvider,
        EnvironmentProvider,
        InstanceVarProvider,
        ScopedConfigProvider,
    )
    from botocore.utils import ensure_boolean

    def chain(*providers: BaseProvider, conversion: Any = None) -> ChainProvider:
        return ChainProvider(providers=list(providers), conversion_func=conversion)

    def env(name: str) -> EnvironmentProvider:
        return EnvironmentProvider(name=name, env=os.environ)

    def scoped(name: str) -> ScopedConfigProvider:
        return ScopedConfigProvider(config_var_name=name, session=session)

    store = session.get_component("config_store")
    chains: dict[str, BaseProvider] = {
        "profile": chain(
            InstanceVarProvider(instance_var="profile", session=session),
            env("AWS_PROFILE"),
            env("AWS_DEFAULT_PROFILE"),
        ),
        "region": chain(
            InstanceVarProvider(instance_var="region", session=session),
            env("AWS_REGION"),
            env("AWS_DEFAULT_REGION"),
            scoped("region"),
            _imds_region_provider(session),
        ),
        "retry_mode": chain(
            env("AWS_RETRY_MODE"),
            scoped("retry_mode"),
            ConstantProvider("standard"),
            conversion=_retry_mode,
        ),
        "max_attempts": chain(
            env("AWS_MAX_ATTEMPTS"),
            scoped("max_attempts"),
            ConstantProvider(3),
            conversion=_max_attempts,
        ),
        "output": chain(env("AWS_DEFAULT_OUTPUT"), scoped("output"), ConstantProvider("json")),
        # v2's botocore always calls STS at its regional endpoint
        "sts_regional_endpoints": ConstantProvider("regional"),
        # ... and has neither smart-default presets nor API version pinning
        "defaults_mode": ConstantProvider("legacy"),
        "api_versions": ConstantProvider({}),
        # ... and reads TCP keep-alive from the profile only
        "tcp_keepalive": chain(scoped("tcp_keepalive"), conversion=ensure_boolean),
    }
    for name, provider in chains.items():
        store.set_config_provider(name, provider)


#: the retry modes v2's botocore knows (it has no ``legacy`` mode)
RETRY_MODES = ("standard", "adaptive")


def _retry_mode(value: Any) -> str:
    """v2 accepts only its two retry modes, with the message its client config gives."""
    from botocore.exceptions import InvalidRetryModeError

    if value not in RETRY_MODES:
        raise InvalidRetryModeError(
            provided_retry_mode=value, valid_modes='"standard" or "adaptive"'
        )
    return str(value)


def _max_attempts(value: Any) -> int:
    """An integer of at least one (``int()``'s own error otherwise, as in v2)."""
    from botocore.exceptions import InvalidMaxRetryAttemptsError

    attempts = int(value)
    if attempts < 1:
        # v2's message spells the bound out: "greater than or equal to one."
        details: dict[str, Any] = {"provided_max_attempts": attempts, "min_value": "one"}
        raise InvalidMaxRetryAttemptsError(**details)
    return attempts


def _imds_region_provider(session: botocore.session.Session) -> Any:
    """The instance metadata region, or None when the service refuses the request (as v2)."""
    from botocore.utils import BadIMDSRequestError, IMDSRegionProvider

    class RegionProvider(IMDSRegionProvider):
        def provide(self) -> str | None:
            try:
                region: str | None = super().provide()
            except BadIMDSRequestError as error:
                logger.debug(
                    "Failed to retrieve a region from IMDS. Region detection may not be "
                    "supported from this endpoint: %s",
                    error.request.url,
                )
                return None
            return region

    return RegionProvider(session)


def _inject_credential_caches(session: botocore.session.Session) -> None:
    """v2 caches assumed-role, web-identity and SSO credentials in ``~/.aws/cli/cache``."""
    from botocore.exceptions import ProfileNotFound, UnknownCredentialError
    from botocore.utils import JSONFileCache

    try:
        resolver = session.get_component("credential_provider")
    except ProfileNotFound:
        return  # reported, as v2 reports it, when the client is created
    cache = JSONFileCache(credential_cache_dir())
    for name in ("assume-role", "assume-role-with-web-identity", "sso"):
        try:
            resolver.get_provider(name).cache = cache
        except UnknownCredentialError:
            continue


def credential_cache_dir() -> str:
    """Where v2 keeps the credentials it obtained from STS and SSO."""
    return os.path.join(os.path.expanduser("~"), ".aws", "cli", "cache")


def _redact_signing_credentials(request_signer: Any = None, **_: Any) -> None:
    """``before-sign``: the debug log must never show the credentials about to sign.

    Resolving them here (the signer would do it next) obtains temporary
    credentials when v2 does, while the request is signed, so nothing is
    fetched that v2 would not fetch.
    """
    from ec2_import_image.debuglog import add_secrets

    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials()
    add_secrets(frozen.secret_key, frozen.token)


def _timeout(value: str | None) -> int | None:
    seconds = DEFAULT_TIMEOUT if value is None else int(value)
    return None if seconds == 0 else seconds


def _set_default_client_config(session: botocore.session.Session, globals_: dict[str, Any]) -> None:
    from botocore import UNSIGNED
    from botocore.config import Config

    settings: dict[str, Any] = {
        "read_timeout": _timeout(globals_.get("read_timeout")),
        "connect_timeout": _timeout(globals_.get("connect_timeout")),
    }
    if globals_.get("sign_request") is False:
        settings["signature_version"] = UNSIGNED
    session.set_default_client_config(Config(**settings))


def verify_setting(globals_: dict[str, Any]) -> bool | str | None:
    """``--no-verify-ssl`` turns verification off; else ``--ca-bundle``, else the config's."""
    if globals_.get("verify_ssl") is False:
        return False
    bundle = globals_.get("ca_bundle")
    return None if bundle is None else str(bundle)


def create_client(session: botocore.session.Session, globals_: dict[str, Any]) -> BaseClient:
    return session.create_client(
        SERVICE,
        region_name=globals_.get("region"),
        endpoint_url=globals_.get("endpoint_url"),
        verify=verify_setting(globals_),
    )
