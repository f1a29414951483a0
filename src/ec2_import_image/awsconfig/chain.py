"""The configuration chain of AWS CLI v2, applied to any botocore session.

Both programs resolve configuration as v2 does; each builds its own session
(the drop-in a trimmed one, ``vmimport`` a full one, see ``session.py``) and
calls ``apply_chain`` on it.  botocore does the rest: the configuration files
and profiles, the credential chain, endpoint resolution.  What v2 changes in
botocore's defaults is changed here the same way:

- the profile comes from ``--profile``, then ``AWS_PROFILE``, then
  ``AWS_DEFAULT_PROFILE`` (v2's botocore reads ``AWS_PROFILE`` first);
- the region comes from ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  the profile, then the instance metadata service;
- retries default to the ``standard`` mode (3 attempts in all); the mode must
  be ``standard`` or ``adaptive`` and ``max_attempts`` at least one (v2's
  client configuration refuses anything else, with its own messages);
- a region lookup the instance metadata service refuses (HTTP 400) finds no
  region, as v2's own region provider does, instead of failing;
- read and connect time-outs (0 meaning none) and unsigned requests go into
  the default client configuration;
- the credentials that assume-role, web-identity and SSO providers obtain are
  cached as JSON files under ``~/.aws/cli/cache`` (v2 registers that cache);
- settings v2's botocore does not have are held at the value that behaves as
  v2: STS is always regional (``sts_regional_endpoints``), there are no
  ``defaults_mode`` presets and no ``api_versions``, and ``tcp_keepalive`` is
  read from the profile only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ec2_import_image.environment import expand_user

if TYPE_CHECKING:
    import botocore.session

#: v2 logs its own region lookup under this name
logger = logging.getLogger("awscli.utils")

#: v2's client time-outs, in seconds, when no option or setting gives one
DEFAULT_TIMEOUT = 60
#: the retry modes v2's botocore knows (it has no ``legacy`` mode)
RETRY_MODES = ("standard", "adaptive")


def apply_chain(
    session: botocore.session.Session,
    *,
    profile: str | None = None,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """v2's configuration chains on ``session``; ``profile`` and ``region`` as the options give."""
    _set_config_chains(session, os.environ if environ is None else environ)
    if profile:
        session.set_config_variable("profile", profile)
    if region:
        session.set_config_variable("region", region)


def _set_config_chains(session: botocore.session.Session, environ: Mapping[str, str]) -> None:
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
        return EnvironmentProvider(name=name, env=environ)

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


def _retry_mode(value: Any) -> str:
    """v2 accepts only its two retry modes, with the message its client config gives."""
    from botocore.exceptions import InvalidRetryModeError

    if value not in RETRY_MODES:
        raise InvalidRetryModeError(
            provided_retry_mode=value, valid_modes='"standard" or "adaptive"'
        )
    return str(value)


class SettingConversionError(ValueError):
    """A setting's value that v2's botocore converts with ``int()``, and ``int()`` refuses.

    The message is ``int()``'s own, which is what v2 prints; the class says that
    the error is the user's value, not a fault of the program.
    """


def _max_attempts(value: Any) -> int:
    """An integer of at least one (``int()``'s own error otherwise, as in v2)."""
    from botocore.exceptions import InvalidMaxRetryAttemptsError

    try:
        attempts = int(value)
    except ValueError as error:
        raise SettingConversionError(str(error)) from error
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


def inject_credential_caches(
    session: botocore.session.Session, environ: Mapping[str, str] | None = None
) -> None:
    """v2 caches assumed-role, web-identity and SSO credentials in ``~/.aws/cli/cache``.

    ``~`` is the home directory of ``environ`` (the process's when None).
    """
    from botocore.exceptions import ProfileNotFound, UnknownCredentialError
    from botocore.utils import JSONFileCache

    try:
        resolver = session.get_component("credential_provider")
    except ProfileNotFound:
        return  # reported, as v2 reports it, when the client is created
    cache = JSONFileCache(credential_cache_dir(environ))
    for name in ("assume-role", "assume-role-with-web-identity", "sso"):
        try:
            resolver.get_provider(name).cache = cache
        except UnknownCredentialError:
            continue


def credential_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """Where v2 keeps the credentials it obtained from STS and SSO (``~/.aws/cli/cache``)."""
    home = expand_user("~", os.environ if environ is None else environ)
    return os.path.join(home, ".aws", "cli", "cache")


def timeout_seconds(value: str | int | None) -> int | None:
    """A time-out option's value: v2's default when not given, None (no limit) for 0."""
    seconds = DEFAULT_TIMEOUT if value is None else int(value)
    return None if seconds == 0 else seconds


def set_default_client_config(
    session: botocore.session.Session,
    *,
    read_timeout: str | int | None = None,
    connect_timeout: str | int | None = None,
    sign_request: bool = True,
) -> None:
    """Time-outs and signing for every client the session creates."""
    from botocore import UNSIGNED
    from botocore.config import Config

    settings: dict[str, Any] = {
        "read_timeout": timeout_seconds(read_timeout),
        "connect_timeout": timeout_seconds(connect_timeout),
    }
    if not sign_request:
        settings["signature_version"] = UNSIGNED
    session.set_default_client_config(Config(**settings))


def verify_setting(verify_ssl: bool = True, ca_bundle: str | None = None) -> bool | str | None:
    """``--no-verify-ssl`` turns verification off; else ``--ca-bundle``, else the config's."""
    if not verify_ssl:
        return False
    return None if ca_bundle is None else str(ca_bundle)
