"""Failures of the EBS direct APIs on request, so a client's back-off can be tested.

The service throttles (RequestThrottledException, ThrottlingException: both
retryable, error-retries), refuses StartSnapshot when a quota is full
(ServiceQuotaExceededException, ConcurrentLimitExceededException) and can be
slow; none of it happens on its own offline.  A ``FaultPlan`` says what the
emulator does to the next requests:

- ``throttle``: refuse the next N EBS direct requests (any operation) with
  ``throttle_error`` (RequestThrottledException, or ThrottlingException);
- ``refuse_start``: refuse the next N StartSnapshot requests with
  ``refuse_start_error`` (ServiceQuotaExceededException,
  ConcurrentLimitExceededException, or AccessDeniedException: credentials that may not
  use the EBS direct APIs, for ``vmimport --via auto``'s fallback);
- ``put_delay``: answer every PutSnapshotBlock this many seconds late (real
  seconds, not the emulator's scaled clock; other requests are not held up).

The plan is set at start-up (``--ebs-throttle``, ``--ebs-refuse-start``,
``--ebs-put-delay``) and changed at any time through the emulator's test-only
control endpoint ``/emulator/ebs/faults`` (``endpoint``: GET shows the plan and
what is left of it, POST a JSON object of the fields to change, DELETE clears).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ec2_import_emulator.ebsdirect import errors

THROTTLE_ERRORS = (errors.REQUEST_THROTTLED, errors.THROTTLING)
REFUSE_START_ERRORS = (errors.QUOTA_EXCEEDED, errors.CONCURRENT_LIMIT, errors.ACCESS_DENIED)
_REFUSALS = {
    errors.QUOTA_EXCEEDED: errors.quota_exceeded,
    errors.CONCURRENT_LIMIT: errors.concurrent_limit,
    errors.ACCESS_DENIED: errors.access_denied,
}


@dataclass(frozen=True)
class FaultPlan:
    throttle: int = 0
    throttle_error: str = errors.REQUEST_THROTTLED
    refuse_start: int = 0
    refuse_start_error: str = errors.QUOTA_EXCEEDED
    put_delay: float = 0.0


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more: {value!r}")
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}: {value!r}")
    return str(value)


def _delay(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds: {value!r}")
    if not math.isfinite(value) or not 0 <= value <= 60:
        raise ValueError(f"{name} must be 0 to 60 seconds: {value!r}")
    return float(value)


def changed(plan: FaultPlan, changes: Mapping[str, Any]) -> FaultPlan:
    """``plan`` with ``changes`` (field: value) checked and applied; ValueError names a bad one."""
    checks: dict[str, Callable[[Any], object]] = {
        "throttle": lambda v: _count("throttle", v),
        "throttle_error": lambda v: _choice("throttle_error", v, THROTTLE_ERRORS),
        "refuse_start": lambda v: _count("refuse_start", v),
        "refuse_start_error": lambda v: _choice("refuse_start_error", v, REFUSE_START_ERRORS),
        "put_delay": lambda v: _delay("put_delay", v),
    }
    unknown = sorted(set(changes) - set(checks))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}: the fields are {', '.join(checks)}")
    merged = {**asdict(plan), **{name: checks[name](value) for name, value in changes.items()}}
    return FaultPlan(
        throttle=int(merged["throttle"]),
        throttle_error=str(merged["throttle_error"]),
        refuse_start=int(merged["refuse_start"]),
        refuse_start_error=str(merged["refuse_start_error"]),
        put_delay=float(merged["put_delay"]),
    )


class Faults:
    """The plan in force, consumed request by request (thread-safe)."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._initial = plan or FaultPlan()
        self._plan = self._initial
        self._lock = threading.Lock()

    def take_throttle(self) -> errors.EbsError | None:
        """The error to refuse this request with, if the plan still throttles."""
        with self._lock:
            if self._plan.throttle <= 0:
                return None
            self._plan = replace(self._plan, throttle=self._plan.throttle - 1)
            code = self._plan.throttle_error
        return (
            errors.request_throttled() if code == errors.REQUEST_THROTTLED else errors.throttling()
        )

    def take_refusal(self) -> errors.EbsError | None:
        """The error to refuse this StartSnapshot with, if the plan still refuses."""
        with self._lock:
            if self._plan.refuse_start <= 0:
                return None
            self._plan = replace(self._plan, refuse_start=self._plan.refuse_start - 1)
            code = self._plan.refuse_start_error
        return _REFUSALS[code]()

    @property
    def put_delay(self) -> float:
        with self._lock:
            return self._plan.put_delay

    def update(self, changes: Mapping[str, Any]) -> FaultPlan:
        with self._lock:
            self._plan = changed(self._plan, changes)
            return self._plan

    def clear(self) -> FaultPlan:
        with self._lock:
            self._plan = FaultPlan()
            return self._plan

    def reset(self) -> None:
        """Back to the plan the emulator started with (``/moto-api/reset``)."""
        with self._lock:
            self._plan = self._initial

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._plan)
