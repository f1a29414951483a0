"""The file-system images of tests/fixtures/fsread/, unpacked once per test session."""

from __future__ import annotations

import pytest

from tests.support.diskfixtures import FSREAD_FIXTURES, DiskFixtures


@pytest.fixture(scope="session")
def fsimages(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    """ext2/3/4 and XFS images made by real tools from one tree (make-fsread-fixtures.sh)."""
    return DiskFixtures(tmp_path_factory.mktemp("fsread"), FSREAD_FIXTURES)
