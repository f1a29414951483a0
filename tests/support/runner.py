"""Run the tool in-process against a loopback EC2 stub, with a clean environment.

``Harness`` owns a temporary HOME (with empty ``.aws/config`` and
``.aws/credentials``), a started ``Stub`` and a port that refuses
connections.  ``Harness.run`` runs ``entry.main`` (``run_main``) with an injected
Environment whose variables are PATH plus the run's, and returns what a user
would see.  ``os.environ`` is left alone: the run puts its variables in place
itself while botocore works (``Environment.process_environment``).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import FakeClock
from tests.support.ec2stub import Recorded, Stub, refused_port

FAKE_KEY_ID = "AKIDEXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@dataclass
class Run:
    rc: Any
    stdout: str
    stderr: str
    requests: list[Recorded]

    @property
    def actions(self) -> list[str]:
        return [r.action for r in self.requests]


def base_env(home: Path) -> dict[str, str]:
    """The environment the recorded cases ran with.

    ``EC2_IMPORT_IMAGE_FALLBACK`` is empty: no AWS CLI found on this machine's
    PATH takes over a command line, so a recorded case gets this tool's answer.
    """
    return {
        "EC2_IMPORT_IMAGE_FALLBACK": "",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
    }


def with_path(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with this process's PATH (programs run by name: pagers, shells, fakes)."""
    return {"PATH": os.environ.get("PATH", ""), **env}


def run_main(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    program: str = "aws",
    stdout: io.StringIO | None = None,
    clock: FakeClock | None = None,
) -> tuple[Any, str, str]:
    """``entry.main`` in-process, no terminal anywhere, empty stdin: rc, stdout, stderr.

    ``clock`` (a fake) gives the Environment its ``clock`` and ``sleep``.
    """
    from ec2_import_image.dropin.entry import main
    from ec2_import_image.environment import Environment

    out = stdout if stdout is not None else io.StringIO()
    err = io.StringIO()
    environment = Environment(
        clock=time.monotonic if clock is None else clock.clock,
        sleep=time.sleep if clock is None else clock.sleep,
        stdin=io.StringIO(""),
        stdout=out,
        stderr=err,
        environ=environ,
        program=program,
        stdin_isatty=False,
        stdout_isatty=False,
        stderr_isatty=False,
    )
    rc = main(list(argv), environment)
    return rc, out.getvalue(), err.getvalue()


class Harness:
    def __init__(
        self,
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
        replies: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> None:
        self.home = home
        self.monkeypatch = monkeypatch
        self.stub = Stub(dict(replies or {})).start()
        self._dead_sock, self.dead_port = refused_port()
        (home / ".aws").mkdir(parents=True, exist_ok=True)
        for name in ("config", "credentials"):
            path = home / ".aws" / name
            if not path.exists():
                path.write_text("")

    @property
    def endpoint(self) -> str:
        return self.stub.endpoint

    @property
    def dead_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.dead_port}"

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def environment(
        self, env: Mapping[str, str] | None = None, unset: Iterable[str] = ()
    ) -> dict[str, str]:
        result = base_env(self.home)
        result.update(env or {})
        for key in unset:
            result.pop(key, None)
        return result

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        unset: Iterable[str] = (),
        program: str = "aws",
        stdout: io.StringIO | None = None,
        clock: FakeClock | None = None,
    ) -> Run:
        self.monkeypatch.chdir(self.home)
        before = len(self.stub.requests)
        environ = with_path(self.environment(env, unset))
        rc, out, err = run_main(argv, environ, program=program, stdout=stdout, clock=clock)
        return Run(rc, out, err, self.stub.requests[before:])

    def run_process(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        unset: Iterable[str] = (),
        stdin: bytes | None = None,
        timeout: float = 60,
    ) -> Run:
        """Run ``python -m ec2_import_image`` in a subprocess (real stdin and stdout)."""
        before = len(self.stub.requests)
        proc = subprocess.run(
            [sys.executable, "-m", "ec2_import_image", *argv],
            input=stdin,
            capture_output=True,
            cwd=self.home,
            env=with_path(self.environment(env, unset)),
            timeout=timeout,
            check=False,
        )
        return Run(
            proc.returncode,
            proc.stdout.decode("utf-8", "backslashreplace"),
            proc.stderr.decode("utf-8", "backslashreplace"),
            self.stub.requests[before:],
        )

    def close(self) -> None:
        self.stub.stop()
        self._dead_sock.close()


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    h = Harness(tmp_path, monkeypatch)
    yield h
    h.close()
