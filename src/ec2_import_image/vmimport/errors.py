"""Every failure ``vmimport`` reports, and the one table that maps each to an exit status.

Exit statuses (documented in ``vmimport --help`` and the README):

- 0: done, and no problem of severity ``error`` was found;
- 1: problems of severity ``error`` were found (or, for an import, it failed);
- 2: usage errors (click's own, and values click cannot judge);
- 3: the work could not be completed: no credentials or Region, the endpoint
  unreachable, access denied while reading what must be checked, a reply
  that cannot be used;
- 4: an internal error of ``vmimport`` (a bug: its own status, as pip keeps
  ``UNKNOWN_ERROR`` apart from its other statuses, so that a script can tell
  "run again later" from "report it");
- 130: interrupted (Ctrl-C);
- 143: terminated (SIGTERM: ``signals``).

Errors are raised with their message where they happen and caught in one
place (``cli.run``), which prints one line on stderr, never a traceback
(with ``--debug`` the traceback of an internal error is logged too).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.importtasks.pacing import Pacer, PatienceExhausted


class ExitStatus(IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4
    INTERRUPTED = 130
    TERMINATED = 143


class VmimportError(Exception):
    """The root of every failure ``vmimport`` reports on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(VmimportError):
    """A value the command line cannot take (beyond what click checks itself)."""


class Incomplete(VmimportError):
    """The work could not be completed: credentials, Region, endpoint, access, replies."""


class Failed(VmimportError):
    """The work was done and failed (an import that ended ``deleted``, a batch entry...)."""


#: The one table: error class -> exit status.
ERROR_TABLE: Mapping[type[VmimportError], ExitStatus] = {
    UsageError: ExitStatus.USAGE,
    Incomplete: ExitStatus.INCOMPLETE,
    Failed: ExitStatus.PROBLEMS,
}
#: An exception that is not a VmimportError: an internal error of this tool.
INTERNAL = ExitStatus.INTERNAL


def status_for(error: VmimportError) -> ExitStatus:
    for cls in type(error).__mro__:
        status = ERROR_TABLE.get(cls)
        if status is not None:
            return status
    return INTERNAL


#: the error codes of a request whose credentials the service refused (STS and IAM, S3,
#: EC2, KMS): the same sentence whichever command and service met them
REFUSED_CREDENTIALS = frozenset(
    {
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
    }
)


def credentials_refused(operation: str, code: str, message: str) -> Incomplete:
    """The one sentence of credentials a service refused, with what it answered."""
    answer = f"{operation} failed: {code}: {message.rstrip('.')}".rstrip(": ")
    return Incomplete(
        f"the AWS credentials are not valid ({answer}): check the access key, its secret and "
        "session token, the profile, and that they belong to the endpoint's account"
    )


def bear(pacer: Pacer, what: str, reason: str) -> float:
    """A transient failure of ``what`` borne (``Pacer.failed``): how long failures have lasted;
    once they have lasted ``--max-transient-seconds``, ``Incomplete`` with the last ``reason``."""
    try:
        return pacer.failed()
    except PatienceExhausted as exhausted:
        raise Incomplete(
            f"{what} failed for {round(exhausted.lasted)} s (--max-transient-seconds "
            f"{round(exhausted.patience)}): {reason}; run again to continue"
        ) from None


def from_aws(error: BaseException) -> VmimportError | None:
    """The tool's error for a botocore exception (None when it is not one of botocore's).

    Anything botocore raises while ``vmimport`` reads what it must check means
    the check could not be completed (exit 3), with botocore's own message;
    credentials a service refused are said in one sentence
    (``credentials_refused``), whichever command met them.
    """
    if not type(error).__module__.startswith(("botocore", "urllib3", "s3transfer")):
        return None
    from botocore import exceptions

    if isinstance(error, exceptions.NoCredentialsError):
        return Incomplete(
            "no AWS credentials were found (configure a profile, or set AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY)"
        )
    if isinstance(error, exceptions.NoRegionError):
        return Incomplete("no AWS Region was given: use --region or set AWS_REGION")
    if isinstance(error, exceptions.ClientError):
        operation = getattr(error, "operation_name", "the call")
        code = error_code(error) or ""
        if code in REFUSED_CREDENTIALS:
            return credentials_refused(operation, code, error_message(error))
        said = f"{code or 'Unknown'}: {error_message(error)}"
        return Incomplete(f"{operation} failed: {said}".rstrip(": "))
    return Incomplete(str(error))
