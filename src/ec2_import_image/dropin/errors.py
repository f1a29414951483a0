"""Every failure the tool reports, and the one table that maps it to v2's exit code.

Errors are built where they are raised, with v2's message; they are caught in
one place (``ec2_import_image.dropin.report``), which prints them as v2 prints them
and returns the exit code from ``ERROR_TABLE``.

The rule of thumb (252 usage and parameters, 253 configuration and
credentials, 254 service errors, 255 anything else, 130 Ctrl-C) has
exceptions where v2 has them: an unknown profile, an invalid time-out value
or a non-numeric double are 255 in v2, so they are ``GeneralError`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


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


class PromptInterrupted(KeyboardInterrupt):
    """Ctrl-C in the interactive prompt: v2 echoes the line typed so far on stderr (130)."""


class ErrorRow(NamedTuple):
    """How one class of error is reported."""

    rc: int
    #: the code shown by the structured error formats; None: always plain text
    code: str | None


#: The one table: error class -> exit code and structured code.
ERROR_TABLE: Mapping[type[CliError], ErrorRow] = {
    ParamValidationError: ErrorRow(252, "ParamValidation"),
    UnknownOptionsError: ErrorRow(252, None),
    ConfigurationError: ErrorRow(253, "Configuration"),
    NoRegionError: ErrorRow(253, "NoRegion"),
    NoCredentialsError: ErrorRow(253, "NoCredentials"),
    PagerError: ErrorRow(253, "Pager"),
    ServiceError: ErrorRow(254, None),  # structured with the service's own fields
    GeneralError: ErrorRow(255, None),
}
#: Exit code of an error that is not a CliError (v2's general handler).
UNEXPECTED_RC = 255
#: Exit code after Ctrl-C (128 + SIGINT).
INTERRUPTED_RC = 130


def row_for(error: CliError) -> ErrorRow:
    for cls in type(error).__mro__:
        row = ERROR_TABLE.get(cls)
        if row is not None:
            return row
    return ErrorRow(UNEXPECTED_RC, None)


def param_error(cli_name: str, message: str) -> ParamValidationError:
    """v2's ParamError: a value of one option could not be read."""
    return ParamValidationError(f"Error parsing parameter '{cli_name}': {message}")
