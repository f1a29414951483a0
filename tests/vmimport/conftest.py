"""Fixtures of the vmimport library tests: a state database on a manual clock, the
discarding S3 stub, upload clients that count what they send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ec2_import_image.vmimport.state.db import StateDB
from tests.support.clock import ManualClock
from tests.support.s3stub import S3Stub


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def db(tmp_path: Path, clock: ManualClock) -> Iterator[StateDB]:
    with StateDB.open(tmp_path / "state" / "state.sqlite", clock=clock) as opened:
        yield opened


@pytest.fixture
def stub() -> Iterator[S3Stub]:
    with S3Stub() as started:
        yield started
