"""Every private hook into botocore, urllib3, moto and werkzeug, checked by name.

The drop-in trims botocore's session, answers its loader, reads its request
signer's credentials and tells its connection pools to leave redirects alone;
the emulator reaches into moto's backends and server.  None of that is public
API, and pyproject.toml bounds those dependencies to the tested releases.  When
a release moves one of these hooks, the test of that hook fails and names it,
instead of the tool silently doing something else (most overrides would simply
stop being called).  ``.github/workflows/newest.yml`` runs this module, with the
whole suite, against the newest releases every week.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ec2_import_image.debuglog import RedactingFormatter
from ec2_import_image.environment import Environment
from tests.support.ec2stub import Stub
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"


class Hook(NamedTuple):
    """One private hook: what it is, who relies on it, how to see that it still holds."""

    name: str
    used_by: str
    check: Callable[[], None]


def takes(function: Any, *names: str) -> None:
    """``function`` still has parameters of these names."""
    parameters = inspect.signature(function).parameters
    missing = [name for name in names if name not in parameters]
    assert not missing, f"{function!r} no longer takes {missing}: it takes {list(parameters)}"


@contextlib.contextmanager
def isolated(tmp_path: Path) -> Iterator[None]:
    """Credentials, configuration and cache of the tests' own, nothing of the machine's.

    The hooks run as a run's sending path runs: in its Environment's
    ``process_environment`` (what botocore reads of the process is the run's).
    """
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    with Environment(environ=environ).process_environment():
        yield


def drop_in_client(endpoint: str | None = None, debug_log: RedactingFormatter | None = None) -> Any:
    """The drop-in's client, on the variables ``isolated`` put in place."""
    from ec2_import_image.dropin.cli.globalopts import GlobalOptions
    from ec2_import_image.dropin.service.session import create_client, create_session

    options = GlobalOptions(endpoint_url=endpoint)
    return create_client(create_session(options, dict(os.environ), debug_log), options)


# -- botocore: the trimmed session ---------------------------------------------------


def register_builtin_handlers() -> None:
    """``Session._register_builtin_handlers(events)``, called by the session's constructor."""
    from botocore import handlers
    from botocore.session import Session

    from ec2_import_image.dropin.service.session import _session_class

    takes(getattr(Session, "_register_builtin_handlers"), "self", "events")  # noqa: B009
    calls: list[Any] = []
    trimmed = _session_class()

    class Spy(trimmed):  # type: ignore[misc, valid-type]
        def _register_builtin_handlers(self, events: Any) -> None:
            calls.append(events)
            super()._register_builtin_handlers(events)

    Spy()
    assert len(calls) == 1, "botocore's Session() no longer calls _register_builtin_handlers"
    for spec in handlers.BUILTIN_HANDLERS:
        assert isinstance(spec, tuple) and len(spec) in (2, 3), spec
        assert isinstance(spec[0], str) and callable(spec[1]), spec
        if len(spec) == 3:
            assert spec[2] in (handlers.REGISTER_FIRST, handlers.REGISTER_LAST), spec


# -- botocore: the loader answers the pinned model and the reduced endpoints ---------


def load_service_model() -> None:
    """``Loader.load_service_model``: botocore asks it for EC2's model, the pinned one answers."""
    from botocore.loaders import Loader

    assert callable(Loader.load_service_model)
    client = drop_in_client()
    operations = set(client.meta.service_model.operation_names)
    assert operations == {"ImportImage", "DescribeImportImageTasks", "CancelImportTask"}, (
        "the client was not built from the pinned model: botocore no longer asks the "
        f"loader's load_service_model (it has {len(operations)} operations)"
    )
    assert client.can_paginate("describe_import_image_tasks")


def load_data_with_path(cache_home: Path) -> None:
    """``Loader.load_data_with_path("endpoints")`` and ``Loader.search_paths``."""
    from botocore.loaders import Loader

    assert isinstance(inspect.getattr_static(Loader, "search_paths"), property)
    drop_in_client()
    entries = list((cache_home / "ec2-import-image").glob("endpoints-*.marshal"))
    assert entries, (
        "no reduced endpoints data was made: botocore no longer loads the endpoints "
        "through the loader's load_data_with_path"
    )


# -- botocore: the signer's credentials, for --debug's redaction ---------------------


def request_signer_credentials() -> None:
    """``before-sign`` passes ``request_signer``, whose ``_credentials`` sign the request."""
    from ec2_import_image import debuglog

    seen: list[dict[str, Any]] = []
    stub = Stub(
        {"ImportImage": [{"status": 200, "body": (RESPONSES / "ImportImage.xml").read_bytes()}]}
    ).start()
    try:
        with debuglog.debug_logging(io.StringIO(), True) as formatter:
            assert formatter is not None
            client = drop_in_client(stub.endpoint, formatter)
            client.meta.events.register("before-sign", lambda **kwargs: seen.append(kwargs))
            client.import_image()
            secrets = set(formatter.secrets)
    finally:
        stub.stop()
    signer = client._request_signer
    credentials = signer._credentials
    assert seen and seen[0].get("request_signer") is signer, (
        "before-sign no longer passes the request signer"
    )
    assert credentials is not None and credentials.secret_key == FAKE_SECRET
    assert FAKE_SECRET in secrets, "the signing credentials did not reach the debug log's redaction"


# -- botocore + urllib3: redirects are left alone -----------------------------------


def pool_classes_by_scheme() -> None:
    """``client._endpoint.http_session._pool_classes_by_scheme`` and ``urlopen(redirect=)``."""
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    takes(AWSHTTPConnectionPool.urlopen, "method", "url", "redirect")
    takes(AWSHTTPSConnectionPool.urlopen, "method", "url", "redirect")
    session = drop_in_client()._endpoint.http_session
    pools = session._pool_classes_by_scheme
    assert session._manager.pool_classes_by_scheme is pools, (
        "the pool manager no longer shares the session's pool classes"
    )
    for scheme in ("http", "https"):
        assert pools[scheme].__name__.startswith("NoRedirect"), pools
    pool = session._manager.connection_from_url("http://127.0.0.1:1/")
    assert type(pool).__name__ == "NoRedirectAWSHTTPConnectionPool"


# -- botocore: v2's configuration chain ---------------------------------------------


def credential_provider_cache() -> None:
    """The ``cache`` attribute of the assume-role, web-identity and SSO providers."""
    from botocore.session import Session

    from ec2_import_image.awsconfig.chain import inject_credential_caches

    resolver = Session().get_component("credential_provider")
    for name in ("assume-role", "assume-role-with-web-identity", "sso"):
        provider = resolver.get_provider(name)
        assert "cache" in vars(provider), f"{type(provider).__name__} no longer keeps .cache"
    session = Session()
    inject_credential_caches(session)
    provider = session.get_component("credential_provider").get_provider("assume-role")
    assert type(provider.cache).__name__ == "JSONFileCache"


def imds_region_provider() -> None:
    """``IMDSRegionProvider.provide()`` and ``BadIMDSRequestError.request``."""
    from botocore.utils import BadIMDSRequestError, IMDSRegionProvider

    takes(IMDSRegionProvider.__init__, "session")
    assert list(inspect.signature(IMDSRegionProvider.provide).parameters) == ["self"]
    assert BadIMDSRequestError(request="r").request == "r"


# -- moto and werkzeug: the emulator ------------------------------------------------


def moto_object_buffer() -> None:
    """A moto S3 object's ``_value_buffer`` and ``lock`` (ranged reads without a copy)."""
    from moto.s3.models import FakeKey

    from ec2_import_emulator.aws_state import MotoObjectBlob

    key = FakeKey("k", b"0123456789", "123456789012", "us-east-1")
    try:
        buffer = vars(key).get("_value_buffer")
        assert buffer is not None and callable(buffer.seek) and callable(buffer.read)
        with key.lock:
            pass
        assert int(key.size) == 10 and key.value == b"0123456789"
        assert MotoObjectBlob(key).read(2, 3) == b"234"
    finally:
        key.dispose()


def moto_backends() -> None:
    """moto's backends, account and partition helpers, with the arguments passed to them."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    assert isinstance(DEFAULT_ACCOUNT_ID, str) and issubclass(MissingBucket, Exception)
    assert get_partition("us-east-1") == "aws"
    takes(get_account_id_from, "access_key")
    ec2 = ec2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert isinstance(ec2.snapshots, dict) and isinstance(ec2.amis, dict)
    takes(ec2.create_volume, "size", "zone_name", "encrypted", "kms_key_id")
    takes(ec2.create_snapshot, "volume_id", "description")
    takes(ec2.register_image, "name", "description")
    for name in ("delete_volume", "deregister_image", "delete_snapshot"):
        assert len(inspect.signature(getattr(ec2, name)).parameters) >= 1, name
    takes(s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object, "bucket_name", "key_name")
    assert callable(iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_roles)


def moto_server_app() -> None:
    """moto's werkzeug app and request handler, and werkzeug's ``make_server``."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    takes(MotoRequestHandler.log_request, "code", "size")
    takes(DomainDispatcherApplication.__init__, "create_app")
    assert callable(create_backend_app)
    takes(make_server, "host", "port", "app", "threaded", "request_handler", "fd")


# -- the table ----------------------------------------------------------------------

SESSION = "ec2_import_image.dropin.service.session"


def hooks(tmp_path: Path) -> list[Hook]:
    return [
        Hook("botocore Session._register_builtin_handlers", SESSION, register_builtin_handlers),
        Hook("botocore Loader.load_service_model", SESSION, load_service_model),
        Hook(
            "botocore Loader.load_data_with_path",
            "ec2_import_image.dropin.service.endpoints",
            lambda: load_data_with_path(tmp_path / "cache"),
        ),
        Hook("botocore request_signer._credentials", SESSION, request_signer_credentials),
        Hook("botocore URLLib3Session._pool_classes_by_scheme", SESSION, pool_classes_by_scheme),
        Hook(
            "botocore credential providers' .cache",
            "ec2_import_image.awsconfig.chain",
            credential_provider_cache,
        ),
        Hook(
            "botocore IMDSRegionProvider.provide",
            "ec2_import_image.awsconfig.chain",
            imds_region_provider,
        ),
        Hook(
            "moto FakeKey._value_buffer and .lock",
            "ec2_import_emulator.aws_state",
            moto_object_buffer,
        ),
        Hook("moto backends", "ec2_import_emulator.aws_state", moto_backends),
        Hook(
            "moto werkzeug_app and werkzeug make_server",
            "ec2_import_emulator.server",
            moto_server_app,
        ),
    ]


HOOK_NAMES = [hook.name for hook in hooks(Path())]


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_private_hook(name: str, tmp_path: Path) -> None:
    (hook,) = [h for h in hooks(tmp_path) if h.name == name]
    with isolated(tmp_path):
        try:
            hook.check()
        except Exception as error:  # every way a hook breaks, reported with its name
            pytest.fail(
                f"private hook {hook.name!r}, which {hook.used_by} relies on, changed: "
                f"{type(error).__name__}: {error}",
                pytrace=True,
            )
