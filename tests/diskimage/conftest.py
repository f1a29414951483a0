from __future__ import annotations

import pytest

from tests.support.diskfixtures import DiskFixtures


@pytest.fixture(scope="session")
def disks(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    return DiskFixtures(tmp_path_factory.mktemp("disks"))
