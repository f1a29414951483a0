"""Child processes the tests stop in the middle: started on the project's sources, read line
by line until they reach a point, then killed with SIGKILL (nothing of theirs runs after), or
sent another signal (SIGTERM: they stop in their own way, and what they say is kept)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[2]


_SAYING = threading.Lock()


def say(line: str) -> None:
    """Print one whole line on stdout, flushed: a child's threads call this, and ``print`` from
    two threads can interleave one's text with the other's newline."""
    with _SAYING:
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()


def start_module(
    module: str, argv: Sequence[str], *, environ: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """``python -m MODULE ARGV...`` with the project's sources and tests importable; its stdout
    and stderr piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **(os.environ if environ is None else environ),
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        },
    )


def kill_when(
    child: subprocess.Popen[str],
    reached: Callable[[list[str]], bool],
    *,
    stderr: bool = False,
    timeout: float = 120.0,
) -> list[str]:
    """Read the child's stdout (or stderr) until ``reached(lines so far)``, then SIGKILL it;
    answers the lines read.  After ``timeout`` seconds it is killed all the same (the caller's
    assertion on the lines then says what was missing), so a test never hangs on a child."""
    return signal_when(child, reached, stderr=stderr, timeout=timeout).lines


class Stopped(NamedTuple):
    """What a child said before the signal (the watched stream's lines), and after it."""

    lines: list[str]
    stdout: str
    stderr: str


def signal_when(
    child: subprocess.Popen[str],
    reached: Callable[[list[str]], bool],
    *,
    sig: signal.Signals = signal.SIGKILL,
    stderr: bool = False,
    timeout: float = 120.0,
) -> Stopped:
    """``kill_when`` with another signal: the child goes on after it (SIGTERM: it stops in its
    own way), and what it says until it ends is kept.  After ``timeout`` seconds without
    ``reached``, or without an end after the signal, it is killed."""
    stream = child.stderr if stderr else child.stdout
    assert stream is not None
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))
            if reached(list(lines)):
                break
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not done.wait(timeout):
        sig = signal.SIGKILL
    child.send_signal(sig)
    reader.join(timeout)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
    return Stopped(list(lines), out or "", err or "")


class Gate:
    """A botocore ``before-call`` handler: the first ``after`` requests pass; every other one
    prints ``blocked`` and waits (until the process is killed)."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.passed = 0
        self._lock = threading.Lock()

    def __call__(self, **_: object) -> None:
        with self._lock:
            self.passed += 1
            blocked = self.passed > self.after
        if blocked:
            say("blocked")
            time.sleep(600)


class Recording:
    """A journal whose ``method`` (called with an id and the items it records) prints
    ``recorded N``, N the items recorded so far; the rest is the journal's."""

    def __init__(self, journal: Any, method: str) -> None:
        self._journal = journal
        self._method = method
        self._recorded = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._journal, name)
        if name != self._method:
            return found

        def record(key: str, items: Sequence[Any]) -> None:
            found(key, items)
            with self._lock:
                self._recorded += len(items)
                say(f"recorded {self._recorded}")

        return record
