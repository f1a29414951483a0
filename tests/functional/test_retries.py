"""Retries as v2 makes them: botocore's standard mode, counted as requests at the endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runner import Harness, Run

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded'
    b"</Code><Message>Request limit exceeded.</Message></Error></Errors>"
    b"<RequestID>1</RequestID></Response>"
)


def body(name: str) -> bytes:
    return (RESPONSES / f"{name}.xml").read_bytes()


def call(harness: Harness, replies: list[dict[str, object]], **env: str) -> Run:
    harness.stub.replies = {"ImportImage": replies}
    return harness.run(
        ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--output", "text"],
        env=env,
    )


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tests fast: botocore's back-off sleeps are not what is measured."""
    import botocore.retries.standard

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *a: 0)


def test_a_5xx_with_an_xml_body_is_tried_three_times(harness: Harness) -> None:
    result = call(harness, [{"status": 500, "body": body("err-InternalError")}])
    assert len(result.requests) == 3
    assert result.rc == 254
    assert "(reached max retries: 2)" in result.stderr


def test_a_5xx_with_an_empty_body_is_retried(harness: Harness) -> None:
    result = call(harness, [{"status": 503, "body": b""}])
    assert len(result.requests) == 3
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (503) when calling the ImportImage operation "
        "(reached max retries: 2): Service Unavailable\n"
    )


def test_a_5xx_with_a_plain_text_body_is_not_retried(harness: Harness) -> None:
    result = call(harness, [{"status": 500, "body": b"Internal Server Error"}])
    assert len(result.requests) == 1
    assert result.rc == 255


def test_throttling_is_retried(harness: Harness) -> None:
    result = call(harness, [{"status": 503, "body": THROTTLED}])
    assert len(result.requests) == 3
    assert "(RequestLimitExceeded)" in result.stderr


def test_a_dropped_connection_is_retried(harness: Harness) -> None:
    result = call(harness, [{"drop": True}])
    assert len(result.requests) == 3
    assert result.rc == 255
    assert "Connection was closed before we received a valid response" in result.stderr


def test_success_after_a_retry(harness: Harness) -> None:
    result = call(
        harness,
        [
            {"status": 500, "body": body("err-InternalError")},
            {"status": 200, "body": body("import-minimal")},
        ],
    )
    assert len(result.requests) == 2
    assert result.rc == 0
    assert result.stdout == "import-ami-0aaaabbbbccccdddd\n"


def test_a_client_error_is_not_retried(harness: Harness) -> None:
    result = call(harness, [{"status": 400, "body": body("err-InvalidParameter")}])
    assert len(result.requests) == 1


def test_max_attempts_from_the_environment(harness: Harness) -> None:
    result = call(
        harness, [{"status": 500, "body": body("err-InternalError")}], AWS_MAX_ATTEMPTS="5"
    )
    assert len(result.requests) == 5
    assert "(reached max retries: 4)" in result.stderr


def test_max_attempts_from_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\nmax_attempts = 2\n")
    result = call(harness, [{"status": 500, "body": body("err-InternalError")}])
    assert len(result.requests) == 2


@pytest.mark.parametrize("source", ["environment", "profile"])
def test_v2_refuses_the_legacy_retry_mode(harness: Harness, source: str) -> None:
    """v2.36.7 knows only standard and adaptive; legacy is refused before anything is sent."""
    env = {"AWS_RETRY_MODE": "legacy"} if source == "environment" else {}
    if source == "profile":
        harness.write(".aws/config", "[default]\nretry_mode = legacy\n")
    result = call(harness, [{"status": 500, "body": body("err-InternalError")}], **env)
    assert result.rc == 255
    assert result.requests == []
    assert result.stderr == (
        '\naws: [ERROR]: Invalid value provided to "mode": "legacy" must be one of: '
        '"standard" or "adaptive"\n'
    )


def test_adaptive_mode_retries_as_standard(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\nretry_mode = adaptive\n")
    result = call(harness, [{"status": 500, "body": body("err-InternalError")}])
    assert len(result.requests) == 3
