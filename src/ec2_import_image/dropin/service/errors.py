"""botocore's exceptions -> the tool's errors, with the messages v2 prints for them.

v2 sends with the same botocore (and urllib3), so what they raise is reported
as v2 reports it: its own exception classes by their kind, and Python's own
exceptions raised from inside their code (a ``RuntimeError`` of a credential
refresh, a ``TypeError`` of the parser on an odd reply, urllib3's
``ValueError`` for a negative time-out) by ``str()``, as v2's general handler
prints them.  Where such an exception was raised is read from its traceback:
the innermost frame outside the standard library.  An exception raised in
this tool's own code, even when botocore called it (an event handler, a
configuration conversion), is not one of these.
"""

from __future__ import annotations

import sys
from types import TracebackType

from ec2_import_image.awsconfig.chain import SettingConversionError
from ec2_import_image.awserrors import error_fields
from ec2_import_image.dropin.errors import (
    CliError,
    GeneralError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ServiceError,
    crash_as_in_v2,
)

#: the libraries that send for v2 as they send here; their errors are v2's errors
SENDING_LIBRARIES = frozenset({"botocore", "urllib3", "dateutil"})


def translate(error: BaseException) -> CliError | None:
    """The tool's error for an exception of the sending libraries, else None."""
    from botocore import exceptions

    if isinstance(error, exceptions.ClientError):
        shown = {k: v for k, v in error_fields(error).items() if k in ("Code", "Message")}
        return ServiceError(str(error), shown)
    if isinstance(error, exceptions.NoRegionError):
        return NoRegionError(
            f'{error} You can also configure your region by running "aws configure".'
        )
    if isinstance(error, exceptions.NoCredentialsError):
        return NoCredentialsError(f'{error}. You can configure credentials by running "aws login".')
    if isinstance(error, exceptions.ParamValidationError):
        return ParamValidationError(str(error))
    if isinstance(error, exceptions.BotoCoreError):
        return GeneralError(str(error))
    if isinstance(error, SettingConversionError):
        # a setting v2's botocore converts with int(): int()'s message
        return crash_as_in_v2(error)
    if isinstance(error, Exception) and (
        _top_package(type(error).__module__) in SENDING_LIBRARIES
        or raised_in(error.__traceback__) in SENDING_LIBRARIES
    ):
        # botocore.parsers.ResponseParserError, urllib3's, or Python's from inside them
        return crash_as_in_v2(error)
    return None


def raised_in(traceback: TracebackType | None) -> str | None:
    """The top-level package whose code raised: the innermost frame outside the stdlib."""
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    for frame in reversed(frames):
        package = _top_package(str(frame.f_globals.get("__name__", "")))
        if package not in sys.stdlib_module_names:
            return package
    return None


def _top_package(module: str) -> str:
    return module.partition(".")[0]
