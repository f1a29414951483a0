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
writers all throttled at once does to it.  So each call has a second, outer policy: the
shared pacing policy (``importtasks.pacing``, the one the polls of both programs follow),
with the direct road's numbers (``DEFAULT_PACING``).  A failure that
``importtasks.faults.classify`` judges transient (the same checkers of botocore, any 5xx,
connection errors and time-outs, unparsable replies) is tried again after a delay that
doubles (every delay here follows a failure) from ``first`` up to ``cap`` seconds, for as
long as a streak of failures lasts less than ``patience`` seconds.  What this road adds to
the policy is how it sleeps: each delay is drawn between half and all of it ("equal jitter",
so that a pool of throttled threads does not come back together), and the sleep is a wait on
the caller's ``cancel`` event.  The EBS user guide asks
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
from typing import TypeVar

from ec2_import_image.importtasks.pacing import Pacer, Pacing, PatienceExhausted

T = TypeVar("T")

#: the direct road's retries: from 1 s, doubling to 20 s, for a streak shorter than 300 s
DEFAULT_PACING = Pacing(first=1.0, cap=20.0, patience=300.0)


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
    pacer = Pacer(pacing, clock)
    while True:
        if cancel.is_set():
            raise Stopped()
        try:
            return call()
        except Exception as error:
            try:
                lasted: float | None = pacer.failed()
            except PatienceExhausted:
                lasted = None  # the streak has lasted ``patience``: the failure stands
            if lasted is None or not (
                retry(error, lasted) if retry is not None else transient(error)
            ):
                raise
        wait = pacer.next_delay()
        if cancel.wait(wait / 2 + wait / 2 * rand()):
            raise Stopped()
