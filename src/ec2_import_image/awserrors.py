"""What a service answered when it refused a call: the error code, message and HTTP status.

botocore raises a refusal as a ``ClientError`` whose ``response`` is the parsed reply
(``{"Error": {"Code": ..., "Message": ...}, "ResponseMetadata": {"HTTPStatusCode": ...}}``).
Every program reads it through here.  The reply is read by its shape, not by the exception's
class: this module imports no botocore, so the drop-in can ask before (or without) loading it.
Anything without such a reply (botocore's own errors, Python's) has no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: error codes meaning "not allowed to do this", whichever service answers (a HEAD request's
#: refusal has no body: S3 says it with the status alone)
ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403", "Forbidden"}
)


#: EC2's answer for a snapshot id it does not know (deleted, or never made)
SNAPSHOT_NOT_FOUND = "InvalidSnapshot.NotFound"


def _reply(error: BaseException) -> Mapping[str, Any]:
    response = getattr(error, "response", None)
    return response if isinstance(response, Mapping) else {}


def error_fields(error: BaseException) -> Mapping[str, Any]:
    """The reply's ``Error`` structure as parsed (empty when there is none)."""
    fields = _reply(error).get("Error")
    return fields if isinstance(fields, Mapping) else {}


def error_code(error: BaseException) -> str | None:
    """The service's error code (``NoSuchKey``, ``InvalidParameter``...), None without one."""
    code = error_fields(error).get("Code")
    return None if code is None else str(code)


def error_message(error: BaseException) -> str:
    """The service's message ("" without one)."""
    message = error_fields(error).get("Message")
    return "" if message is None else str(message)


def status_code(error: BaseException) -> int | None:
    """The reply's HTTP status, None when there was no reply."""
    metadata = _reply(error).get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    return status if isinstance(status, int) else None


def denied(error: BaseException) -> bool:
    """Whether the service refused the caller (access denied, whatever the service)."""
    return error_code(error) in ACCESS_DENIED
