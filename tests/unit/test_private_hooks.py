"""Every private hook into botocore, urllib3, ruamel.yaml, moto and werkzeug, checked by name.

The drop-in trims botocore's session, tells its loader that the view of
botocore's data counts as botocore's own, reads its request signer's
credentials and tells its connection pools to leave redirects alone; the
shared YAML reader builds the node graph it checked with ruamel.yaml's
``construct_document``; the emulator reaches into moto's backends and server.
None of that is public API, and pyproject.toml bounds those dependencies to
the tested releases.  When a release moves one of these hooks, the test of
that hook fails and names it, instead of the tool silently doing something
else (most overrides would simply stop being called).  Until someone looks,
the drop-in and the YAML reader take the library's ordinary path for that
part: ``tests/functional/test_hook_fallbacks.py`` moves each of their hooks
and checks the commands' output.  ``.ci/run`` runs this module on the lowest
and the highest botocore the bounds admit; ``.github/workflows/newest.yml``
runs it, with the whole suite, against the newest releases every week.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.dropin_session import drop_in_client, drop_in_session, isolated
from tests.support.ec2stub import Stub
from tests.support.runner import FAKE_SECRET

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


# -- botocore: the trimmed session ---------------------------------------------------


def register_builtin_handlers() -> None:
    """``Session._register_builtin_handlers(events)``, called by the session's constructor."""
    from botocore import handlers
    from botocore.session import Session

    from ec2_import_image.dropin.service.session import _session_class, trimmed_builtin_handlers

    takes(getattr(Session, "_register_builtin_handlers"), "self", "events")  # noqa: B009
    calls: list[Any] = []
    trimmed = _session_class()

    class Spy(trimmed):  # type: ignore[misc, valid-type]
        def _register_builtin_handlers(self, *args: Any, **kwargs: Any) -> None:
            calls.append((args, kwargs))
            super()._register_builtin_handlers(*args, **kwargs)

    Spy()
    assert len(calls) == 1, "botocore's Session() no longer calls _register_builtin_handlers"
    [(args, kwargs)] = calls
    assert len(args) == 1 and not kwargs, f"it is called with {args!r}, {kwargs!r}"
    assert trimmed_builtin_handlers(handlers) is not None, (
        "botocore's BUILTIN_HANDLERS (or REGISTER_FIRST, REGISTER_LAST) has another shape"
    )


# -- botocore: the view of its data counts as its own -------------------------------


def builtin_data_path() -> None:
    """``Loader.BUILTIN_DATA_PATH``, ``is_builtin_path`` and the session's use of them.

    botocore resolves endpoints with its rules alone only when the endpoints
    data is its bundled one (``loader.is_builtin_path(path)``, asked by the
    session's endpoint resolver); the view's reduced copy must count as that.
    """
    from botocore.loaders import Loader

    from ec2_import_image.model.shapes import DATA_PATH

    assert isinstance(Loader.BUILTIN_DATA_PATH, str)
    session = drop_in_session()
    loader = session.get_component("data_loader")
    assert loader.search_paths[0] == DATA_PATH
    assert loader.BUILTIN_DATA_PATH == loader.search_paths[-1] != Loader.BUILTIN_DATA_PATH, (
        "the loader was not given the view of botocore's data"
    )
    resolver = session._get_internal_component("endpoint_resolver")
    assert resolver.uses_builtin_data, (
        "botocore no longer counts the view's endpoints as its bundled data"
    )


def credential_provider_services() -> None:
    """Every service botocore's credential and token providers call is in ``SERVICES_USED``.

    The view holds botocore's data for those services only, and the session
    registers only their handlers: a provider calling another service would
    fail with botocore's ``UnknownServiceError``.
    """
    import re

    import botocore

    from ec2_import_image.dropin.service.session import SERVICES_USED

    called: set[str] = set()
    root = Path(botocore.__file__).parent
    call = re.compile(
        r"(?:client_creator|create_client|create_nested_client)\((?:\s*[\w.]+,)?\s*['\"]([\w-]+)['\"]"
    )
    for name in ("credentials.py", "tokens.py", "utils.py"):
        called.update(call.findall((root / name).read_text(encoding="utf-8")))
    assert {"sts", "sso", "sso-oidc"} <= called, called  # the search still finds them
    assert called <= SERVICES_USED, f"the providers call {sorted(called - SERVICES_USED)} too"


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

    from ec2_import_image.dropin.service.session import _no_redirect_pool_classes

    takes(AWSHTTPConnectionPool.urlopen, "method", "url", "redirect")
    takes(AWSHTTPSConnectionPool.urlopen, "method", "url", "redirect")
    assert _no_redirect_pool_classes() is not None
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


# -- ruamel.yaml: the checked node graph built into values ---------------------------


def construct_document() -> None:
    """The safe loader's ``constructor.construct_document(node)`` (``yamlload.safe_load``)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    takes(yaml.constructor.construct_document, "node")
    node = yaml.compose("a: &x [1, 2]\nb: *x\n")
    assert yaml.constructor.construct_document(node) == {"a": [1, 2], "b": [1, 2]}


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
        Hook(
            "botocore Loader.BUILTIN_DATA_PATH and is_builtin_path",
            "ec2_import_image.dropin.service.datapath",
            builtin_data_path,
        ),
        Hook(
            "botocore credential providers' services",
            "ec2_import_image.dropin.service.datapath",
            credential_provider_services,
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
            "ruamel.yaml constructor.construct_document",
            "ec2_import_image.yamlload",
            construct_document,
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
