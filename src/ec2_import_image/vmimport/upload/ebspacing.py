"""How the direct road bears throttling and transient faults: botocore's retries, then ours.

Every EBS direct API call goes through botocore's own retries first: its ``standard`` mode
(the run's configuration chain: ``awsconfig.chain``) retries throttling and transient errors
with exponential back-off and jitter.  Which error codes it counts as throttling is
botocore's list (``botocore.retries.standard.ThrottledRetryableChecker``): both
``ThrottlingException`` and ``RequestThrottledException`` are on it, the two throttling
answers the EBS direct APIs reference tells clients to retry ("You should always retry
requests that receive server (5xx) error responses, and ThrottlingException and
RequestThrottledException client error responses", StartSnapshot, PutSnapshotBlock,
CompleteSnapshot); so are HTTP 500, 502, 503 and 504 and connection errors
(``TransientRetryableChecker``).  ``ConcurrentLimitExceededException`` is not: it is a quota,
not a rate (``ebserrors.SnapshotQuotaFull``).

botocore gives up after its few attempts (3 in ``standard`` mode), and sooner when its retry
quota (a token bucket shared by a client's threads) runs dry, which is what a pool of
writers all throttled at once does to it.  So each call has a second, outer policy here, in
one place: a failure that ``importtasks.faults.classify`` judges transient (the same
checkers of botocore, any 5xx, connection errors and time-outs, unparsable replies) is tried
again after a delay that doubles from ``first`` up to ``cap`` seconds, each drawn between half
and all of it ("equal jitter", so that throttled threads do not come back together), for as
long as a streak of failures lasts less than ``patience`` seconds.  The EBS user guide asks
for as much ("build retry mechanisms into your EBS direct APIs workflows to handle
throttling, timeouts, and service unavailability",
https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-performance.html).  A wait ends at
once when the caller's ``cancel`` event is set (``Stopped``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

T = TypeVar("T")


class Pacing(NamedTuple):
    """The outer policy: delays from ``first`` doubling to ``cap`` seconds, for a streak of
    transient failures shorter than ``patience`` seconds."""

    first: float = 1.0
    cap: float = 20.0
    patience: float = 300.0


DEFAULT_PACING = Pacing()


class Stopped(Exception):
    """The caller's cancel event was set while a call waited to be tried again."""


def transient(error: BaseException) -> bool:
    """Whether a failed call is worth another try (``importtasks.faults``' judgement)."""
    from ec2_import_image.importtasks.faults import classify

    return classify(error).transient


def paced(
    call: Callable[[], T],
    *,
    pacing: Pacing,
    cancel: threading.Event,
    retry: Callable[[BaseException, float], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """``call()``, tried again while it fails transiently (``retry(error, seconds failing)``,
    by default ``transient``); the last failure is raised once the streak lasts
    ``pacing.patience`` seconds."""
    delay = pacing.first
    since: float | None = None
    while True:
        if cancel.is_set():
            raise Stopped()
        try:
            return call()
        except Exception as error:
            now = clock()
            since = now if since is None else since
            lasted = now - since
            judged = retry(error, lasted) if retry is not None else transient(error)
            if not judged or lasted >= pacing.patience:
                raise
        wait = min(delay, pacing.cap)
        if cancel.wait(wait / 2 + wait / 2 * rand()):
            raise Stopped()
        delay = min(delay * 2, pacing.cap)
