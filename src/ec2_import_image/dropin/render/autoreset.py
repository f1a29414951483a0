"""The reset codes v2's coloured table formatter leaves on the process's streams.

When v2 builds a coloured table formatter (``--output table`` with ``--color
on``, or ``auto`` with stdout on a terminal), its styler calls
``colorama.init(autoreset=True, strip=False)``.  That replaces ``sys.stdout``
and ``sys.stderr`` for the rest of the run with wrappers that write a reset
code (``ESC[0m``) after every single write.  It shows in the bytes: the
table's own writes on stdout, and every error printed on stderr after the
formatter exists (a ``--query`` that fails on the result, a page that fails
while the table gathers them), each write followed by a reset.  A pager's pipe
is not ``sys.stdout``: what goes through a pager carries no such resets.

:class:`AutoResetStream` is that wrapper; the operation puts it on the run's
streams at the point v2 builds its formatter (``commands/operation.py``).
"""

from __future__ import annotations

from typing import Any, TextIO, cast

RESET = "\x1b[0m"


class AutoResetStream:
    """A text stream that writes :data:`RESET` after every write, as colorama's wrapper."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        written = self.wrapped.write(text)
        self.wrapped.flush()
        self.wrapped.write(RESET)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def autoreset(stream: TextIO) -> TextIO:
    """``stream`` wrapped so that a reset follows every write (once: wrapping is idempotent)."""
    if isinstance(stream, AutoResetStream):
        return stream
    return cast(TextIO, AutoResetStream(stream))
