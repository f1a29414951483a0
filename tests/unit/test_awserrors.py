"""The one reading of a service's refusal: code, message and status from botocore's parsed
reply, and None (not a crash) for anything that has none."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ec2_import_image import awserrors


def refusal(code: str | None, message: str | None = None, status: int | None = 400) -> ClientError:
    error: dict[str, Any] = {}
    if code is not None:
        error["Code"] = code
    if message is not None:
        error["Message"] = message
    response: Any = {"Error": error}
    if status is not None:
        response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(response, "HeadObject")


def test_a_refusal_is_read_from_its_reply() -> None:
    error = refusal("NoSuchKey", "The specified key does not exist.", 404)
    assert awserrors.error_code(error) == "NoSuchKey"
    assert awserrors.error_message(error) == "The specified key does not exist."
    assert awserrors.status_code(error) == 404
    assert dict(awserrors.error_fields(error)) == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
    }


def test_a_reply_without_code_message_or_status() -> None:
    error = refusal(None, None, None)
    assert awserrors.error_code(error) is None
    assert awserrors.error_message(error) == ""
    assert awserrors.status_code(error) is None
    assert not awserrors.denied(error)


@pytest.mark.parametrize(
    "error", [EndpointConnectionError(endpoint_url="https://x"), ValueError("no reply")]
)
def test_an_error_without_a_reply_has_no_code(error: Exception) -> None:
    assert awserrors.error_code(error) is None
    assert awserrors.error_message(error) == ""
    assert awserrors.status_code(error) is None
    assert dict(awserrors.error_fields(error)) == {}


@pytest.mark.parametrize("code", ["AccessDenied", "403", "Forbidden", "UnauthorizedOperation"])
def test_denied(code: str) -> None:
    assert awserrors.denied(refusal(code, status=403))


def test_missing_is_not_denied() -> None:
    assert not awserrors.denied(refusal("404", status=404))
