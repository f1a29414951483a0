"""The process environment, injected so that tests run ``main`` in-process."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, TextIO


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Environment:
    """Streams, variables, terminal facts and the passing of time, for one run.

    ``clock`` (monotonic seconds) and ``sleep`` are injected like the streams, so
    that what waits (``aws ec2 wait``, ``import-image --wait``) runs in tests on a
    fake clock rather than on patched module globals.
    """

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
        program: str = "aws",
        stdin_isatty: bool | None = None,
        stdout_isatty: bool | None = None,
        stderr_isatty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.stdin: TextIO = sys.stdin if stdin is None else stdin
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        #: the program name the user typed: ``aws`` or ``ec2-import-image``
        self.program = program
        self.stdin_isatty = _isatty(self.stdin) if stdin_isatty is None else stdin_isatty
        self.stdout_isatty = _isatty(self.stdout) if stdout_isatty is None else stdout_isatty
        self.stderr_isatty = _isatty(self.stderr) if stderr_isatty is None else stderr_isatty
        #: monotonic seconds, for deadlines; never the time of day
        self.clock = clock
        self.sleep = sleep

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.environ.get(name, default)

    def terminal_width(self, default: int = 80) -> int:
        """Columns of the terminal behind stdout (v2 sizes tables by it), else ``default``."""
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns
        except (AttributeError, ValueError, OSError):
            return default
