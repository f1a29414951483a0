"""The results queue of an upload's worker threads, as its coordinating thread reads it.

The S3 road's upload (``multipart``'s parts) runs a pool of daemon threads that put what each
request became on a ``queue.SimpleQueue``; the calling thread waits for the first result a
short while (so that it notices a cancel or a Ctrl-C in time) and takes every other one ready
with it, committing them together.  (The direct road's writer, at some 2,000 requests per GiB
against the S3 road's 32, is not woken per result: ``ebsdirect._Sender``.)
"""

from __future__ import annotations

import contextlib
import queue
from typing import TypeVar

T = TypeVar("T")


def ready(results: queue.SimpleQueue[T], timeout: float) -> list[T]:
    """The results there are after waiting at most ``timeout`` seconds for the first."""
    try:
        first = results.get(timeout=timeout)
    except queue.Empty:
        return []
    return [first, *drain(results)]


def drain(results: queue.SimpleQueue[T]) -> list[T]:
    """Every result already there, without waiting."""
    taken = []
    with contextlib.suppress(queue.Empty):
        while True:
            taken.append(results.get_nowait())
    return taken
