"""Fixtures shared by the test packages."""

from tests.support.runner import harness

__all__ = ["harness"]
