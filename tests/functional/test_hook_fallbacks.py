"""Each private hook moved as a newer release could move it: the commands still answer as v2.

``tests/unit/test_private_hooks.py`` fails, naming the hook, when a release of
botocore, urllib3 or ruamel.yaml changes the shape of something the tool
reaches into.  Until someone looks, the tool must not fail for it: it takes
the library's ordinary path for that part, slower and correct.  Here each hook
is moved (monkeypatched into a plausible new shape: a table of another
layout, an attribute under another name, a keyword no longer taken) and
recorded cases of AWS CLI v2.36.7 are replayed, with their output compared
byte for byte, together with a check that the ordinary path was the one taken.
"""

from __future__ import annotations

import gc
import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.functional import test_debug as debug_tests
from tests.support.cases import CASES, EXTRA, Case, check, load_cases, run_case
from tests.support.fake_aws import Creds, FakeAws
from tests.support.runner import FAKE_SECRET, Harness

#: recorded cases that send: outputs, pages, a retry, a service error, signed and not
SENDING = [
    "output/full-json",
    "output/full-table",
    "tasks/describe-all-pages-text",
    "tasks/cancel-json",
    "errors/retry-500-then-200",
    "errors/service-invalid-parameter",
    "globals/no-sign-request",
    "globals/signed-request-has-authorization",
    "globals/debug",
]
#: recorded cases reading YAML documents
YAML = ["cli_input/yaml-file", "cli_input/yaml-inline", "cli_input/yaml-overridden-by-flag"]
YAML_EXTRA = ["json_more/cli-input-yaml-types", "json_more/cli-input-yaml-timestamp-tz"]


def cases(idents: list[str], corpus: Path = CASES) -> list[Case]:
    found = {case.ident: case for case in load_cases(corpus=corpus)}
    return [found[ident] for ident in idents]


def replay(selected: list[Case], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for case in selected:
        directory = tmp_path / case.ident.replace("/", "-")
        directory.mkdir()
        check(case, run_case(case, directory, monkeypatch))


class Calls:
    """A wrapper that counts the calls of what it wraps."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        return self.function(*args, **kwargs)


# -- the trimmed session's handler registration ----------------------------------------


def botocore_registering(monkeypatch: pytest.MonkeyPatch, unpack: Callable[[Any], Any]) -> Calls:
    """botocore's own ``_register_builtin_handlers``, for a table ``unpack`` reads; counted."""
    import botocore.session
    from botocore import handlers

    def register_all(self: Any, events: Any) -> None:
        for spec in handlers.BUILTIN_HANDLERS:
            event_name, handler, position = unpack(spec)
            if position == "first":
                events.register_first(event_name, handler)
            elif position == "last":
                events.register_last(event_name, handler)
            else:
                self.register(event_name, handler)

    calls = Calls(register_all)

    def method(self: Any, events: Any) -> None:
        calls(self, events)

    monkeypatch.setattr(botocore.session.Session, "_register_builtin_handlers", method)
    return calls


def test_a_handler_table_of_another_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of (event, handler, options) triples: botocore registers all of its handlers."""
    from botocore import handlers

    first, last = handlers.REGISTER_FIRST, handlers.REGISTER_LAST
    positions = {(first,): "first", (last,): "last"}
    table = [
        (spec[0], spec[1], {"position": positions.get(spec[2:])})
        for spec in handlers.BUILTIN_HANDLERS
    ]
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", table)
    calls = botocore_registering(monkeypatch, lambda s: (s[0], s[1], s[2]["position"]))
    replay(cases(SENDING), tmp_path, monkeypatch)
    assert calls.count == len(SENDING)


def test_registration_positions_under_other_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``REGISTER_FIRST`` and ``REGISTER_LAST`` gone: botocore registers all of its handlers."""
    from botocore import handlers

    names = {handlers.REGISTER_FIRST: "first", handlers.REGISTER_LAST: "last"}
    table = [
        (*spec[:2], names[spec[2]]) if len(spec) == 3 else spec
        for spec in handlers.BUILTIN_HANDLERS
    ]
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", table)
    monkeypatch.delattr(handlers, "REGISTER_FIRST")
    monkeypatch.delattr(handlers, "REGISTER_LAST")
    calls = botocore_registering(monkeypatch, lambda s: (s[0], s[1], s[2] if len(s) == 3 else None))
    replay(cases(SENDING), tmp_path, monkeypatch)
    assert calls.count == len(SENDING)


# -- the loader's view of botocore's data ------------------------------------------------


def test_a_loader_that_would_not_count_the_view_as_its_own_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``is_builtin_path`` judging by botocore's own directory only: botocore's data, read whole."""
    from botocore.loaders import Loader

    from ec2_import_image.dropin.service import datapath

    builtin = Loader.BUILTIN_DATA_PATH
    monkeypatch.setattr(Loader, "is_builtin_path", lambda self, path: path.startswith(builtin))
    made: list[Loader] = []
    create = datapath.create_loader

    def spy(*args: Any) -> Loader:
        made.append(create(*args))
        return made[-1]

    monkeypatch.setattr(datapath, "create_loader", spy)
    replay(cases(SENDING), tmp_path, monkeypatch)
    assert made and all(loader.search_paths[-1] == builtin for loader in made)


# -- the request signer's credentials, for --debug's redaction -----------------------


def signer_keeps_its_credentials_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """A botocore whose ``RequestSigner`` has no ``_credentials``: it signs with ``_identity``."""
    from botocore.signers import RequestSigner

    init, get_auth = RequestSigner.__init__, RequestSigner.get_auth_instance

    def new_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._identity = vars(self).pop("_credentials")

    def new_get_auth(self: Any, *args: Any, request_credentials: Any = None, **kwargs: Any) -> Any:
        kwargs["request_credentials"] = request_credentials or self._identity
        call: Any = get_auth
        return call(self, *args, **kwargs)

    monkeypatch.setattr(RequestSigner, "__init__", new_init)
    monkeypatch.setattr(RequestSigner, "get_auth_instance", new_get_auth)


def before_sign_without_the_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A botocore whose ``before-sign`` event no longer passes ``request_signer``."""
    from botocore.hooks import HierarchicalEmitter

    emit = HierarchicalEmitter.emit

    def new_emit(self: Any, event_name: str, **kwargs: Any) -> Any:
        if event_name.startswith("before-sign."):
            kwargs.pop("request_signer", None)
        return emit(self, event_name, **kwargs)

    monkeypatch.setattr(HierarchicalEmitter, "emit", new_emit)


MOVES = {
    "the signer's credentials under another name": signer_keeps_its_credentials_elsewhere,
    "before-sign without the signer": before_sign_without_the_signer,
}


@pytest.fixture(params=MOVES)
def signer_moved(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> list[str | None]:
    """The signer's credentials moved one way or the other; what the debug log is told."""
    MOVES[request.param](monkeypatch)
    return registered_secrets(monkeypatch)


def registered_secrets(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """What the debug log's formatter is told to redact, as it is told."""
    from ec2_import_image.debuglog import RedactingFormatter

    told: list[str | None] = []
    add = RedactingFormatter.add

    def spy(self: RedactingFormatter, *secrets: str | None) -> None:
        told.extend(secrets)
        add(self, *secrets)

    monkeypatch.setattr(RedactingFormatter, "add", spy)
    return told


# test_debug.py's own checks, on the moved signer


@pytest.mark.usefixtures("import_image_answers")
def test_debug_redacts_a_session_token(harness: Harness, signer_moved: list[str | None]) -> None:
    debug_tests.test_environment_session_token(harness)
    assert FAKE_SECRET in signer_moved
    assert any(secret and secret.startswith("ENV-SESSION-TOKEN") for secret in signer_moved)


@pytest.mark.usefixtures("import_image_answers")
def test_debug_with_an_assumed_role(
    harness: Harness, fake: FakeAws, signer_moved: list[str | None]
) -> None:
    """The role is assumed while the request is signed, as in v2, and its secrets redacted."""
    debug_tests.test_assume_role(harness, fake)
    creds = Creds.named("sts")
    assert {creds.secret_key, creds.token} <= set(signer_moved)


@pytest.mark.usefixtures("import_image_answers", "signer_moved")
def test_debug_without_signing_looks_up_no_credentials(harness: Harness, fake: FakeAws) -> None:
    debug_tests.test_no_credentials_looked_up_for_unsigned_requests(harness, fake)


def test_recorded_cases_with_the_signer_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer_keeps_its_credentials_elsewhere(monkeypatch)
    replay(cases(SENDING), tmp_path, monkeypatch)


# -- the HTTP session's pool classes ------------------------------------------------


def test_an_http_session_without_its_pool_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A botocore whose HTTP session keeps no ``_pool_classes_by_scheme``: urllib3's pools."""
    from botocore.httpsession import URLLib3Session

    init = URLLib3Session.__init__
    made: list[URLLib3Session] = []

    def new_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._pool_classes = vars(self).pop("_pool_classes_by_scheme")
        made.append(self)

    monkeypatch.setattr(URLLib3Session, "__init__", new_init)
    replay(cases(SENDING), tmp_path, monkeypatch)
    assert made
    for http_session in made:
        classes = http_session._manager.pool_classes_by_scheme  # type: ignore[attr-defined]
        assert not any(c.__name__.startswith("NoRedirect") for c in classes.values())


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_what_differs_without_the_pool_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One reply only: a redirect whose Location is no URL, which urllib3 2.7+ parses first.

    v2 reports the empty 3xx body as XML it cannot parse; urllib3's own pools
    fail on the Location before that (and leave that connection to the
    garbage collector: collected here, within the test).  The exit status is
    the same.
    """
    from botocore.httpsession import URLLib3Session

    init = URLLib3Session.__init__

    def new_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        vars(self).pop("_pool_classes_by_scheme")

    monkeypatch.setattr(URLLib3Session, "__init__", new_init)
    [case] = cases(["errors/redirect-with-invalid-location"])
    outcome = run_case(case, tmp_path, monkeypatch)
    assert outcome.rc == case.data["expect"]["rc"] == 255
    assert outcome.requests == case.data["expect"]["requests"]
    version = importlib.metadata.version("urllib3")
    if tuple(int(part) for part in version.split(".")[:2]) >= (2, 7):
        assert outcome.stderr.startswith(
            "\naws: [ERROR]: An HTTP Client raised an unhandled exception: Failed to parse: "
        )
    gc.collect()


def test_pools_whose_urlopen_takes_no_redirect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A urllib3 whose ``urlopen`` has no ``redirect`` keyword: its pools are left as they are."""
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    from ec2_import_image.dropin.service import session

    for pool_class in (AWSHTTPConnectionPool, AWSHTTPSConnectionPool):
        urlopen = pool_class.urlopen

        def without_redirect(
            self: Any, method: str, url: str, *args: Any, _urlopen: Any = urlopen, **kwargs: Any
        ) -> Any:
            if "redirect" in kwargs:
                raise TypeError("urlopen() got an unexpected keyword argument 'redirect'")
            return _urlopen(self, method, url, *args, **kwargs)

        monkeypatch.setattr(pool_class, "urlopen", without_redirect)
    session._no_redirect_pool_classes.cache_clear()
    try:
        assert session._no_redirect_pool_classes() is None
        replay(cases(SENDING), tmp_path, monkeypatch)
    finally:
        session._no_redirect_pool_classes.cache_clear()


# -- ruamel.yaml's construct_document ------------------------------------------------


def test_a_safe_constructor_without_construct_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ruamel.yaml's public ``load`` builds the values; documents still checked first.

    The ruamel.yaml simulated builds a document with a method of another name.
    """
    from ruamel.yaml.constructor import BaseConstructor

    from ec2_import_image.yamlload import YamlTooLarge, safe_load

    build = BaseConstructor.construct_document

    def get_single_data(self: Any) -> Any:
        node = self.composer.get_single_node()
        return None if node is None else build(self, node)

    monkeypatch.delattr(BaseConstructor, "construct_document")
    monkeypatch.setattr(BaseConstructor, "get_single_data", get_single_data)
    replay(cases(YAML) + cases(YAML_EXTRA, EXTRA), tmp_path, monkeypatch)
    assert safe_load("a: &x [1, {b: 2}]\nc: *x\n", 100) == {"a": [1, {"b": 2}], "c": [1, {"b": 2}]}
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    with pytest.raises(YamlTooLarge):
        safe_load(bomb, 100_000)
