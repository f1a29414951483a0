"""Run ``vmimport`` in-process against an endpoint, with fixed credentials and no config files."""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ec2_import_image.awsconfig.session import full_session
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import GlobalOptions, Run
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

REGION = "us-east-1"


#: configuration files that do not exist: no profile of the machine running the tests is read
NO_FILES = Path("/nonexistent/vmimport-tests")
#: the state home of in-process runs (``$XDG_STATE_HOME``): ``vmimport import``'s default state
#: database and the one ``gc`` reads are this process's own, never the user's
#: (``~/.local/state/vmimport``, which a real run of another version may have written)
STATE_HOME = Path(tempfile.mkdtemp(prefix="vmimport-tests-state-"))
atexit.register(shutil.rmtree, STATE_HOME, ignore_errors=True)


def environment(
    region: str = REGION,
    *,
    tty: bool = False,
    variables: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Environment:
    return Environment(
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={
            "AWS_CONFIG_FILE": str(NO_FILES / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(NO_FILES / "credentials"),
            "AWS_DEFAULT_REGION": region,
            "XDG_STATE_HOME": str(STATE_HOME),
            **(variables or {}),
        },
        program="vmimport",
        stdin_isatty=False,
        stdout_isatty=tty,
        stderr_isatty=tty,
        clock=clock,
        sleep=sleep,
    )


def child_environ() -> dict[str, str]:
    """The environment of a ``vmimport`` child process: this one's, with the tests'
    credentials and Region and no configuration files or instance metadata."""
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(NO_FILES / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(NO_FILES / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "XDG_STATE_HOME": str(STATE_HOME),
    }


_SESSIONS: dict[tuple[Any, ...], Any] = {}


def session_factory(options: GlobalOptions, env: Environment) -> Any:
    """The real session on v2's chain, with the tests' credentials; one per configuration (a
    botocore session keeps the service models it loaded, which makes its next clients cheap)."""
    key = (options.profile, options.region, tuple(sorted(env.environ.items())))
    if key not in _SESSIONS:
        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        _SESSIONS[key] = session
    return _SESSIONS[key]


def make_run(endpoint: str, region: str = REGION, **variables: str) -> Run:
    """A ``Run`` as a command gets it, sent to ``endpoint``."""
    env = environment(region, variables=variables)
    return Run(env, GlobalOptions(endpoint_url=endpoint, region=region), session_factory)


class Counting:
    """A session factory whose clients count the requests they send, by operation, and the
    blocks they write, by snapshot (``puts``: PutSnapshotBlock requests per SnapshotId)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.puts: dict[str, int] = {}
        self._lock = threading.Lock()

    def _count(self, **event: Any) -> None:
        name = event["model"].name
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def _put(self, **event: Any) -> None:
        snapshot_id = str(event["params"]["SnapshotId"])
        with self._lock:
            self.puts[snapshot_id] = self.puts.get(snapshot_id, 0) + 1

    def __call__(self, options: GlobalOptions, env: Environment) -> Any:
        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        session.register("before-call", self._count)
        session.register("before-parameter-build.ebs.PutSnapshotBlock", self._put)
        return session

    def count(self, operation: str) -> int:
        with self._lock:
            return self.calls.get(operation, 0)


class Outcome(NamedTuple):
    status: int
    stdout: str
    stderr: str


def vmimport(
    endpoint: str,
    *argv: str,
    tty: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    variables: Mapping[str, str] | None = None,
    sessions: Callable[[GlobalOptions, Environment], Any] = session_factory,
) -> Outcome:
    """``vmimport --endpoint-url ENDPOINT ARGV...`` in-process (``clock`` and ``sleep``: the
    run's time, e.g. the emulator's manual clock; ``sessions``: the session factory)."""
    env = environment(tty=tty, clock=clock, sleep=sleep, variables=variables)
    status = cli.run(["--endpoint-url", endpoint, *argv], env, session_factory=sessions)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    return Outcome(status, env.stdout.getvalue(), env.stderr.getvalue())
