"""``batch``'s distributions in threads of their own: a copy takes minutes, the loop must not.

The scheduler's loop polls import tasks, starts imports and renews the
entries' leases; a finished entry's distribution (copies waited for until
available) would stop all of that.  ``Background`` runs each in one of a few
daemon threads (started on first use; daemon, so that Ctrl-C never waits for
a copy: the copies go on in AWS and a rerun finds them) and hands each outcome
(the result, or the exception raised) to ``done``, which the scheduler reads in
its loop.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

#: distributions at once (each mostly waits on the service)
DEFAULT_THREADS = 4

Job = tuple[str, Callable[[], object]]


class Background:
    def __init__(self, done: Callable[[str, object], None], threads: int = DEFAULT_THREADS) -> None:
        self._done = done
        self._threads = max(1, threads)
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def submit(self, name: str, work: Callable[[], object]) -> None:
        with self._lock:
            self._pending += 1
            if len(self._workers) < self._threads:
                worker = threading.Thread(
                    target=self._work, name=f"distribute {len(self._workers)}", daemon=True
                )
                self._workers.append(worker)
                worker.start()
        self._jobs.put((name, work))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            name, work = job
            try:
                outcome: object = work()
            except BaseException as error:  # handed to the loop, which decides
                outcome = error
            self._done(name, outcome)
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        """No more work; threads still waiting on a copy are left to end with the process."""
        for _ in self._workers:
            self._jobs.put(None)
