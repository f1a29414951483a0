"""The process environment, injected so that tests run ``main`` in-process."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, TextIO


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Environment:
    """Streams, variables and terminal facts of one run."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    #: the program name the user typed: ``aws`` or ``ec2-import-image``
    program: str = "aws"
    stdin_isatty: bool | None = None
    stdout_isatty: bool | None = None
    stderr_isatty: bool | None = None

    def __post_init__(self) -> None:
        if self.stdin_isatty is None:
            self.stdin_isatty = _isatty(self.stdin)
        if self.stdout_isatty is None:
            self.stdout_isatty = _isatty(self.stdout)
        if self.stderr_isatty is None:
            self.stderr_isatty = _isatty(self.stderr)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.environ.get(name, default)

    def terminal_width(self, default: int = 80) -> int:
        """Columns of the terminal behind stdout (v2 sizes tables by it), else ``default``."""
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns
        except (AttributeError, ValueError, OSError):
            return default
