"""The calls that start an import task (ImportImage, and the snapshot road's ImportSnapshot):
the request, its ClientToken, and what each refusal means.

Both count against one quota of active tasks and refuse in the same words,
so one function reads both (``start_task``).  The token makes the call
idempotent (``identity``): sent again after a crash,
or by another process, it answers the task the first call started.  The
answers that are not a task:

- ResourceCountLimitExceeded: the Region's quota of active tasks is reached:
  ``QuotaFull``, the caller backs off and tries again;
- throttling, 5xx, connection errors, time-outs (after botocore's own
  retries): ``TransientStart``, tried again later;
- anything else (the role, the bucket, a parameter, IdempotentParameterMismatch)
  refuses this import: ``EntryFailed`` with the failure table's cause and
  remedy when it knows the message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.failures import explain
from ec2_import_image.importtasks.faults import classify
from ec2_import_image.importtasks.tasks import Task
from ec2_import_image.vmimport.engine.errors import (
    EntryFailed,
    FailureCode,
    QuotaFull,
    TransientStart,
)
from ec2_import_image.vmimport.engine.quota import QUOTA_CODE
from ec2_import_image.vmimport.engine.waiting import GaveUp, WaitLimits
from ec2_import_image.vmimport.errors import bear, from_aws

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

Started = TypeVar("Started")

MISMATCH_CODE = "IdempotentParameterMismatch"
MISMATCH_CAUSE = (
    "The ClientToken of this attempt was already used for an import with other parameters "
    "(the entry's options or disks changed while its import was being started)."
)
MISMATCH_REMEDY = "Start a new attempt with --retry-failed (or give the entry a new name)."


def start_import(ec2: EC2Client, request: Mapping[str, Any], token: str) -> Task:
    """ImportImage with ``token``; answers the task (new, or the one the token started)."""
    return start_task(ec2.import_image, "ImportImage", request, token)


def start_snapshot_import(ec2: EC2Client, request: Mapping[str, Any], token: str) -> Task:
    """ImportSnapshot with ``token``; answers the task (new, or the one the token started)."""
    return start_task(ec2.import_snapshot, "ImportSnapshot", request, token)


def start_task(
    call: Callable[..., Any], operation: str, request: Mapping[str, Any], token: str
) -> Task:
    """``call`` (the client's method of ``operation``) with ``token``: its reply, the task, or
    the refusal read as the module says."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply: Task = call(**request, ClientToken=token)
    except ClientError as error:
        code = error_code(error) or "Unknown"
        message = error_message(error)
        if code == QUOTA_CODE:
            raise QuotaFull(message) from None
        fault = classify(error)
        if fault.transient:
            raise TransientStart(fault) from None
        known = explain(message)
        cause, remedy = (known.context, known.hint) if known is not None else (None, None)
        if code == MISMATCH_CODE:
            cause, remedy = MISMATCH_CAUSE, MISMATCH_REMEDY
        refused = f"{operation} refused: {code}: {message}"
        raise EntryFailed(
            Diagnostic(FailureCode.REFUSED, refused, context=cause, hint=remedy)
        ) from None
    except BotoCoreError as error:
        fault = classify(error)
        if fault.transient:
            raise TransientStart(fault) from None
        known_error = from_aws(error)
        raise known_error or error from None
    return reply


def start_retrying(
    start: Callable[[], Started],
    operation: str,
    *,
    limits: WaitLimits,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    step: Callable[[str], None],
) -> Started:
    """``start()`` (a call of ``operation`` that starts tasks), tried again while the quota of
    active tasks is full or the call fails transiently, within ``--max-wait``."""
    began = clock()
    pacer = limits.pacer(clock)
    while True:
        try:
            return start()
        except QuotaFull as full:
            pacer.succeeded()  # the service answered: no transient failure goes on
            pause = pacer.next_delay()
            step(f"{full.reason}: trying again in {round(pause)} s")
        except TransientStart as transient:
            bear(pacer, operation, transient.fault.reason)
            pause = pacer.next_delay()
            step(f"{operation} failed ({transient}): trying again in {round(pause)} s")
        if limits.max_wait is not None and clock() - began + pause > limits.max_wait:
            raise GaveUp(
                f"the import could not be started within --max-wait {round(limits.max_wait)} s "
                "(the quota of active import tasks stays full): run again later"
            )
        sleep(pause)
