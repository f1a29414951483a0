"""The process environment, injected so that tests run ``main`` in-process."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import IO, TextIO


def home_directory(environ: Mapping[str, str]) -> str | None:
    """The home directory as ``os.path.expanduser`` finds it, from ``environ`` first.

    ``HOME`` (on Windows ``USERPROFILE``, then ``HOMEDRIVE``/``HOMEPATH``), else
    the password database's entry of the user; None when there is none.
    """
    if os.name == "nt":
        if "USERPROFILE" in environ:
            return environ["USERPROFILE"]
        if "HOMEPATH" in environ:
            return environ.get("HOMEDRIVE", "") + environ["HOMEPATH"]
        return None
    if "HOME" in environ:
        return environ["HOME"]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return None


def expand_user(path: str, environ: Mapping[str, str]) -> str:
    """``~`` at the start of ``path`` replaced as ``os.path.expanduser`` does, from ``environ``.

    ``~user`` needs no variable: the password database answers, as for
    ``expanduser``.
    """
    if not path.startswith("~"):
        return path
    end = len(path)
    for separator in ("/", os.sep):
        found = path.find(separator, 1)
        if 0 < found < end:
            end = found
    if end > 1:
        return os.path.expanduser(path)
    home = home_directory(environ)
    if home is None:
        return path
    return (home.rstrip("/" + os.sep) + path[1:]) or "/"


#: a variable as ``os.path.expandvars`` finds one (compiled on first use, by ``re``)
_VARIABLE = r"\$(\w+|\{[^}]*\})"


def expand_vars(path: str, environ: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced as ``os.path.expandvars`` does, from ``environ``.

    A variable that is not set stays as written.
    """
    if "$" not in path:
        return path

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("{"):
            name = name[1:-1]
        return environ.get(name, match.group(0))

    return re.sub(_VARIABLE, value, path, flags=re.ASCII)


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
        console_script: str | None = None,
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
        #: the file this process was started as (a console script's ``sys.argv[0]``);
        #: None when the run is in-process (``entry.main`` from tests or an embedding)
        self.console_script = console_script

    @property
    def may_exec(self) -> bool:
        """Whether the run may replace its process (``os.execve``) with another program.

        Only a console-script process on a POSIX system: an in-process run must
        return to its caller, and Windows has no exec that keeps the process.
        """
        return self.console_script is not None and os.name == "posix"

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.environ.get(name, default)

    def terminal_width(self, default: int = 80) -> int:
        """Columns of the terminal behind stdout (v2 sizes tables by it), else ``default``."""
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns
        except (AttributeError, ValueError, OSError):
            return default

    @contextlib.contextmanager
    def process_environment(self) -> Iterator[None]:
        """``os.environ`` holding this run's variables while AWS code runs, restored after.

        botocore reads the process environment itself, in more places than a
        session lets one inject (the credential providers, the config and
        credentials file locations, proxies, CA bundles, the instance metadata
        settings).  A run given other variables than the process's (a test, an
        embedding program) has them put in place here for its duration.  Runs in
        one process are sequential: two threads each with their own variables
        would see each other's.
        """
        if self.environ is os.environ:
            yield
            return
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.environ)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
