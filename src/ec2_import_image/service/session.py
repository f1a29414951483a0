"""A botocore session and EC2 client configured as AWS CLI v2 configures them.

botocore does the work v2 leaves to it: the configuration files and profile,
the credential chain, signing, endpoint resolution, retries, parameter
validation, serialization and parsing.  What v2 changes in botocore's defaults
is changed here the same way:

- the region comes from ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  the profile, then the instance metadata service;
- retries default to the ``standard`` mode (3 attempts in all);
- ``--cli-read-timeout``/``--cli-connect-timeout`` (0 meaning none) and
  ``--no-sign-request`` go into the default client configuration;
- the service model is the pinned one shipped with the tool, not the runtime
  botocore's (which may be newer); everything else comes from botocore's data.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ec2_import_image.model.shapes import load_model

if TYPE_CHECKING:
    import botocore.session
    from botocore.client import BaseClient

SERVICE = "ec2"
DEFAULT_TIMEOUT = 60


def _pinned_loader_class() -> type:
    from botocore.loaders import Loader

    class PinnedLoader(Loader):
        """botocore's loader, answering the EC2 model and paginators from the pinned file."""

        def load_service_model(
            self, service_name: str, type_name: str, api_version: str | None = None
        ) -> Any:
            if service_name == SERVICE and type_name == "service-2":
                return load_model().raw
            if service_name == SERVICE and type_name == "paginators-1":
                return {"pagination": load_model().raw["pagination"]}
            if service_name == SERVICE and api_version is None:
                api_version = load_model().api_version
            return super().load_service_model(service_name, type_name, api_version)

    return PinnedLoader


def create_session(globals_: dict[str, Any]) -> botocore.session.Session:
    """A session with v2's configuration chains and the pinned model."""
    import botocore.session
    from botocore.configprovider import (
        ChainProvider,
        ConstantProvider,
        EnvironmentProvider,
        InstanceVarProvider,
        ScopedConfigProvider,
    )
    from botocore.utils import IMDSRegionProvider

    from ec2_import_image import __version__

    session = botocore.session.Session()
    session.user_agent_name = "aws-cli"
    session.user_agent_version = "2.36.7"
    session.user_agent_extra = f"ec2-import-image/{__version__}"
    loader_cls = _pinned_loader_class()
    session.register_component("data_loader", loader_cls())
    store = session.get_component("config_store")
    store.set_config_provider(
        "region",
        ChainProvider(
            providers=[
                InstanceVarProvider(instance_var="region", session=session),
                EnvironmentProvider(name="AWS_REGION", env=os.environ),
                EnvironmentProvider(name="AWS_DEFAULT_REGION", env=os.environ),
                ScopedConfigProvider(config_var_name="region", session=session),
                IMDSRegionProvider(session),  # type: ignore[list-item]
            ]
        ),
    )
    store.set_config_provider(
        "retry_mode",
        ChainProvider(
            providers=[
                EnvironmentProvider(name="AWS_RETRY_MODE", env=os.environ),
                ScopedConfigProvider(config_var_name="retry_mode", session=session),
                ConstantProvider(value="standard"),
            ]
        ),
    )
    store.set_config_provider(
        "output",
        ChainProvider(
            providers=[
                EnvironmentProvider(name="AWS_DEFAULT_OUTPUT", env=os.environ),
                ScopedConfigProvider(config_var_name="output", session=session),
                ConstantProvider(value="json"),
            ]
        ),
    )
    if globals_.get("profile"):
        session.set_config_variable("profile", globals_["profile"])
    if globals_.get("region"):
        session.set_config_variable("region", globals_["region"])
    _set_default_client_config(session, globals_)
    if globals_.get("debug"):
        _register_secrets(session)
    return session


def _register_secrets(session: botocore.session.Session) -> None:
    """Make the debug log redact the credentials this session will sign with."""
    from ec2_import_image.debuglog import add_secrets

    try:
        credentials = session.get_credentials()
    except Exception:  # resolution errors surface again, as v2's, when the client is made
        return
    if credentials is not None:
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
