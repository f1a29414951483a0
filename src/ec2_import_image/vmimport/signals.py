"""SIGTERM stops ``vmimport`` as Ctrl-C does, with its own exit status.

A service manager, ``kill``, ``timeout`` or a CI runner stop a process with
SIGTERM, whose default action ends it at once: a batch would write no results
and say nothing.  While a command runs (``cli.run``, in the main thread: only
it receives signals), SIGTERM raises ``Terminated`` in the main thread, a
``KeyboardInterrupt``: every place that handles Ctrl-C handles it the same way
(an upload records the parts S3 acknowledged and stops its threads, ``batch``
writes its results, each says where the state is kept), and ``cli.run`` exits
143 (128 + 15, the shells' status of a process SIGTERM ended) instead of 130.
A second SIGTERM while it stops is ignored: the state is consistent at every
step, and SIGKILL remains for a process that must end now.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` in the main thread while the body runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def terminated(error: BaseException | None) -> bool:
    """Whether an interruption (or click's ``Abort`` made of one) came from SIGTERM."""
    while error is not None:
        if isinstance(error, Terminated):
            return True
        error = error.__cause__ or error.__context__
    return False
