"""Every failure the tool reports, the exit codes, and the one table between them.

Errors are built where they are raised, with v2's message; they are caught in
one place (``ec2_import_image.dropin.report``), which prints them as v2 prints them
and returns the exit status from ``ERROR_TABLE``.

The rule of thumb (252 usage and parameters, 253 configuration and
credentials, 254 service errors, 255 anything else, 130 Ctrl-C) has
exceptions where v2 has them: an unknown profile, an invalid time-out value
or a non-numeric double are 255 in v2, so they are ``GeneralError`` here.

Where v2 itself crashes on some input (Python's own exception reaches its
general handler, which prints ``str()`` of it: ``int()``'s message for a bad
time-out, a JSON encoder's ``TypeError``...), the tool raises a
``GeneralError`` with the same text at the same point, on purpose
(:func:`crash_as_in_v2`).  Anything else that is not a ``CliError`` is a bug of
this tool, reported as an :class:`InternalError`.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple


class ExitStatus(enum.IntEnum):
    """The exit statuses of the drop-in, which are AWS CLI v2's (``awscli.constants``)."""

    SUCCESS = 0
    #: Ctrl-C: 128 + SIGINT
    ERROR_CTRL_C = 130
    #: usage, parameter and validation errors
    ERROR_PARAMETER = 252
    #: configuration, credential, region and pager errors
    ERROR_CONFIGURATION = 253
    #: errors answered by the service
    ERROR_SERVICE = 254
    #: everything else, internal errors included
    ERROR = 255


class CliError(Exception):
    """The root of every failure the tool reports on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ParamValidationError(CliError):
    """Command-line, shorthand, JSON and parameter-validation errors (v2: ParamValidation)."""


class UnknownOptionsError(CliError):
    """Options the operation does not know; v2 prints the usage block first."""


class ConfigurationError(CliError):
    """Invalid configuration (v2: Configuration)."""


class NoRegionError(CliError):
    """No region could be resolved (v2: NoRegion)."""


class NoCredentialsError(CliError):
    """No credentials could be found (v2: NoCredentials)."""


class PagerError(CliError):
    """The pager could not be started (v2: Pager)."""


class ServiceError(CliError):
    """An error answered by the service: ``An error occurred (Code) when calling ...``."""

    def __init__(self, message: str, details: Mapping[str, Any]) -> None:
        super().__init__(message)
        #: the error's fields as v2 shows them structured (Code, Message, ...)
        self.details = dict(details)


class GeneralError(CliError):
    """Everything else v2 reports with exit code 255 (connection failures, bad replies...)."""


class InternalError(CliError):
    """An exception nobody raised on purpose: a bug of this tool, not of the command line.

    v2 would print ``str()`` of it, which reads like a message about the user's
    input (``'ImportTaskId'`` for a KeyError); this says what it is instead.
    """

    def __init__(self, error: BaseException, *, traceback_logged: bool = False) -> None:
        from ec2_import_image import __version__

        detail = type(error).__name__
        text = str(error)
        if text:
            detail = f"{detail}: {text}"
        if traceback_logged:
            advice = "Its traceback is in the debug log above: include it when you report the bug."
        else:
            advice = (
                "Run the command again with --debug to see the traceback, and include it "
                "when you report the bug."
            )
        super().__init__(
            f"Internal error in ec2-import-image {__version__} ({detail}). This is a bug "
            f"in this tool, not a problem with your command. {advice}"
        )
        self.error = error


def crash_as_in_v2(error: Exception) -> GeneralError:
    """The error v2 shows where its own code lets ``error`` escape on the same input.

    v2's general handler prints ``str()`` of whatever reaches it (exit 255); the
    tool raises this at the same point, deliberately (``raise crash_as_in_v2(e)
    from e``), so that it is not mistaken for an internal error.
    """
    return GeneralError(str(error))


class PromptInterrupted(KeyboardInterrupt):
    """Ctrl-C in the interactive prompt: v2 echoes the line typed so far on stderr (130)."""


@contextlib.contextmanager
def stdout_writes() -> Iterator[None]:
    """Writing on stdout: a write that fails is v2's general error, with Python's message.

    A reader that went away or a full disk reaches v2's general handler
    (``[Errno 32] Broken pipe``, 255) wherever the output format does not
    ignore it itself (text output, the input skeletons).
    """
    try:
        yield
    except OSError as error:
        raise crash_as_in_v2(error) from error


class ErrorRow(NamedTuple):
    """How one class of error is reported."""

    rc: ExitStatus
    #: the code shown by the structured error formats; None: always plain text
    code: str | None


#: The one table: error class -> exit status and structured code.
ERROR_TABLE: Mapping[type[CliError], ErrorRow] = {
    ParamValidationError: ErrorRow(ExitStatus.ERROR_PARAMETER, "ParamValidation"),
    UnknownOptionsError: ErrorRow(ExitStatus.ERROR_PARAMETER, None),
    ConfigurationError: ErrorRow(ExitStatus.ERROR_CONFIGURATION, "Configuration"),
    NoRegionError: ErrorRow(ExitStatus.ERROR_CONFIGURATION, "NoRegion"),
    NoCredentialsError: ErrorRow(ExitStatus.ERROR_CONFIGURATION, "NoCredentials"),
    PagerError: ErrorRow(ExitStatus.ERROR_CONFIGURATION, "Pager"),
    # structured with the service's own fields
    ServiceError: ErrorRow(ExitStatus.ERROR_SERVICE, None),
    GeneralError: ErrorRow(ExitStatus.ERROR, None),
    InternalError: ErrorRow(ExitStatus.ERROR, None),
}


def row_for(error: CliError) -> ErrorRow:
    for cls in type(error).__mro__:
        row = ERROR_TABLE.get(cls)
        if row is not None:
            return row
    return ErrorRow(ExitStatus.ERROR, None)


def param_error(cli_name: str, message: str) -> ParamValidationError:
    """v2's ParamError: a value of one option could not be read."""
    return ParamValidationError(f"Error parsing parameter '{cli_name}': {message}")
