"""Child processes the tests stop in the middle: started on the project's sources, read line
by line until they reach a point, then killed with SIGKILL (nothing of theirs runs after)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    child: subprocess.Popen[str], reached: Callable[[list[str]], bool], *, stderr: bool = False
) -> list[str]:
    """Read the child's stdout (or stderr) until ``reached(lines so far)``, then SIGKILL it;
    answers the lines read."""
    stream = child.stderr if stderr else child.stdout
    assert stream is not None
    lines: list[str] = []
    for line in stream:
        lines.append(line.rstrip("\n"))
        if reached(lines):
            break
    child.send_signal(signal.SIGKILL)
    child.communicate()
    return lines
