"""Fixtures shared by the functional tests of the configuration and credential chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_aws import FakeAws
from tests.support.runner import Harness

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"


@pytest.fixture
def import_image_answers(harness: Harness) -> None:
    """ImportImage answers with the recorded ImportImage reply."""
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "ImportImage.xml").read_bytes()}]
    }


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    """Loopback STS, SSO, container and instance metadata endpoints."""
    with FakeAws() as server:
        yield server
