"""Fixtures shared by the test packages."""

import pytest

from tests.support.diskfixtures import DiskFixtures
from tests.support.runner import harness

__all__ = ["disks", "harness"]


@pytest.fixture(scope="session")
def disks(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    """The disk images made by real tools (tests/fixtures/disks/), unpacked once per session."""
    return DiskFixtures(tmp_path_factory.mktemp("disks"))
