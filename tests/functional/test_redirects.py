"""botocore never follows a redirect: the 3xx answer is the reply, as v2 reports it.

urllib3 2.7 and later read a redirect's Location even when they will not follow
it, and fail on one that is not a URL; v2's urllib3 (2.6.3) did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runner import Harness

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
UNPARSABLE_EMPTY_BODY = (
    "\naws: [ERROR]: Unable to parse response (no element found: line 1, column 0), "
    "invalid XML received. Further retries may succeed:\nb''\n"
)


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:{PORT}/x", "/same-endpoint", "::"],
    ids=["not-a-url", "same-endpoint", "garbage"],
)
@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_is_not_followed(harness: Harness, location: str, status: int) -> None:
    # were the redirect followed, the endpoint would answer the import the second time
    imported = (RESPONSES / "ImportImage.xml").read_bytes()
    harness.stub.replies = {
        "ImportImage": [
            {"status": status, "body": b"", "headers": {"Location": location}},
            {"status": 200, "body": imported},
        ]
    }
    result = harness.run(
        ["--endpoint-url", harness.endpoint, "ec2", "import-image"],
        env={"AWS_MAX_ATTEMPTS": "1"},
    )
    assert (result.rc, result.stderr) == (255, UNPARSABLE_EMPTY_BODY)
    assert len(result.requests) == 1
