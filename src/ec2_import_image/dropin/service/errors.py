"""botocore's exceptions -> the tool's errors, with the messages v2 prints for them."""

from __future__ import annotations

from ec2_import_image.dropin.errors import (
    CliError,
    GeneralError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ServiceError,
)


def translate(error: BaseException) -> CliError | None:
    """The tool's error for a botocore exception, or None when it is not one of botocore's."""
    from botocore import exceptions

    if isinstance(error, exceptions.ClientError):
        details = dict(error.response.get("Error", {}))
        shown = {k: v for k, v in details.items() if k in ("Code", "Message")}
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
    return None
