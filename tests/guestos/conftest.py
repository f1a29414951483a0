"""Fixtures of the guest-OS tests."""

import pytest

from tests.support.osfixtures import OsImages


@pytest.fixture(scope="session")
def os_images(tmp_path_factory: pytest.TempPathFactory) -> OsImages:
    """The operating-system disks (tests/fixtures/os/), unpacked once per session."""
    return OsImages(tmp_path_factory.mktemp("os"))
