"""Where a manual page goes: a pager on a terminal, plain text anywhere else.

On a terminal the page is piped, with bold and underline as overstrikes (as
``groff -T ascii`` writes them), into the pager v2 uses for help: ``MANPAGER``,
else ``PAGER``, else ``less -R`` (an empty variable counts as unset).  The pager
writes to the same terminal; Ctrl-C is ignored while it runs, so that it can
restore the terminal.  A pager that is not on ``PATH`` or cannot be started
leaves the page printed as plain text.

In a pipe or a file the page is plain text, with no pager: v2 sends groff's
overstrikes through the pager even there.  ``AWS_PAGER`` and ``cli_pager``
apply to command output, not to help, in v2 as here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TextIO

from ec2_import_image.dropin.helpdocs.styled import Line, overstrike, plain
from ec2_import_image.environment import Environment

DEFAULT_HELP_PAGER = "less -R"


def help_pager(environ: Mapping[str, str]) -> list[str]:
    """The pager command line for help pages."""
    import shlex

    for name in ("MANPAGER", "PAGER"):
        value = environ.get(name, "")
        if value.strip():
            try:
                return shlex.split(value)
            except ValueError:
                return value.split()
    return shlex.split(DEFAULT_HELP_PAGER)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _run_pager(command: Sequence[str], text: str, env: Environment) -> bool:
    """Pipe ``text`` into the pager; False when it could not be started."""
    import subprocess

    env.stdout.flush()
    fd = _fileno(env.stdout)
    with _sigint_ignored():
        try:
            process = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=fd if fd is not None else subprocess.PIPE,
                env=dict(env.environ),
            )
        except OSError:
            return False
        out, _ = process.communicate(text.encode("utf-8", "replace"))
    if fd is None and out:
        env.stdout.write(out.decode("utf-8", "replace"))
    return True


def show_page(lines: Sequence[Line], env: Environment) -> None:
    """Show a page: paged with overstrikes on a terminal, plain text elsewhere."""
    if env.stdout_isatty:  # the pager's modules are imported only then
        import shutil

        command = help_pager(env.environ)
        found = command and shutil.which(command[0], path=env.environ.get("PATH"))
        if found and _run_pager(command, overstrike(lines), env):
            return
    env.stdout.write(plain(lines))
