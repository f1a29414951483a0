"""Fixtures shared by the test packages, and the Hypothesis profiles."""

import os

import pytest
from hypothesis import settings

from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages
from tests.support.runner import harness

__all__ = ["disks", "harness", "os_images"]

# `make test` (and so CI) draws the same examples every run: a gate that passes once passes
# again.  `HYPOTHESIS_PROFILE=explore make test` draws new ones, many more, to look for bugs.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def disks(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    """The disk images made by real tools (tests/fixtures/disks/), unpacked once per session."""
    return DiskFixtures(tmp_path_factory.mktemp("disks"))


@pytest.fixture(scope="session")
def os_images(tmp_path_factory: pytest.TempPathFactory) -> OsImages:
    """The operating-system disks (tests/fixtures/os/), unpacked once per session."""
    return OsImages(tmp_path_factory.mktemp("os"))
