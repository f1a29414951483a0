"""Which failed polls are worth another try, and which end the wait at once.

An import runs for 10 to 90 minutes; a poll that fails once (after botocore's
own attempts) says little about the next one.  Transient: what botocore's
standard retry mode itself treats as throttling or transient (its checkers
decide, so the lists stay botocore's), any HTTP 5xx, connection errors and
time-outs, and a reply that could not be parsed.  Permanent: everything else
(authentication and credentials, unknown or malformed task ids, validation,
any other 4xx), because asking again gets the same answer.

One exception: right after ImportImage answered, EC2's eventual consistency
may deny for a moment that the new task exists; for the run's own task that
answer is transient too.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from ec2_import_image.awserrors import error_code, error_message, status_code

#: DescribeImportImageTasks' answer for a task id it does not know
UNKNOWN_TASK = "InvalidConversionTaskId"


class FaultKind(enum.Enum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class Fault(NamedTuple):
    """A failed poll, judged."""

    kind: FaultKind
    #: the failure in the wording of v2's waiters: ``An error occurred (Code): Message``
    #: for a service error, botocore's message otherwise
    reason: str
    error: BaseException
    #: the service's error code, when the service answered with one
    code: str | None = None

    @property
    def transient(self) -> bool:
        return self.kind is FaultKind.TRANSIENT

    @property
    def about_task_ids(self) -> bool:
        """The service refused the task ids themselves (unknown or malformed)."""
        return self.code is not None and self.code.startswith(UNKNOWN_TASK)


class _Status(NamedTuple):
    """The one attribute of an HTTP response that botocore's retry checkers read."""

    status_code: int | None


class MissingTasks(Exception):
    """A reply that lacks tasks the poll asked for: a malformed reply, hence transient."""


def classify(error: BaseException, *, own_tasks: bool = False) -> Fault:
    """Judge a failed poll; ``own_tasks``: the tasks were created by this run."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(error, ClientError):
        return _classify_service_error(error, dict(error.response), own_tasks)
    kind = FaultKind.PERMANENT
    if isinstance(error, ResponseParserError | MissingTasks) or (
        isinstance(error, Exception) and _botocore_retries(caught_exception=error)
    ):
        kind = FaultKind.TRANSIENT
    return Fault(kind, str(error), error)


def _classify_service_error(
    error: BaseException, response: dict[str, Any], own_tasks: bool
) -> Fault:
    code = error_code(error) or "Unknown"
    reason = f"An error occurred ({code}): {error_message(error)}"
    status = status_code(error)
    transient = (
        (status is not None and status >= 500)
        or _botocore_retries(parsed_response=response, status=status)
        or (own_tasks and code == UNKNOWN_TASK)
    )
    return Fault(FaultKind.TRANSIENT if transient else FaultKind.PERMANENT, reason, error, code)


def _botocore_retries(
    *,
    parsed_response: dict[str, Any] | None = None,
    status: int | None = None,
    caught_exception: Exception | None = None,
) -> bool:
    """Whether botocore's standard mode counts this as throttling or a transient error."""
    from botocore.retries import standard

    context = standard.RetryContext(
        attempt_number=1,
        parsed_response=parsed_response,
        http_response=_Status(status) if caught_exception is None else None,
        caught_exception=caught_exception,
    )
    checkers = (standard.ThrottledRetryableChecker(), standard.TransientRetryableChecker())
    return any(checker.is_retryable(context) for checker in checkers)
