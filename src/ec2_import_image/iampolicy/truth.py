"""Three-valued logic (Kleene's): true, false, and unknown when the facts do not decide.

A policy statement applies to a request, does not, or may: its condition
names a key whose value is not known offline, or the request's resource is
known only up to a prefix.  ``and`` is the minimum and ``or`` the maximum of
FALSE < UNKNOWN < TRUE, so a certain answer is kept whenever one exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Truth(IntEnum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    @classmethod
    def of(cls, value: bool) -> Truth:
        return cls.TRUE if value else cls.FALSE

    def negated(self) -> Truth:
        return Truth(2 - self.value)


def all_of(values: Iterable[Truth]) -> Truth:
    """TRUE when every value is (an empty set included), FALSE when one is FALSE."""
    return min(values, default=Truth.TRUE)


def any_of(values: Iterable[Truth]) -> Truth:
    """TRUE when one value is, FALSE when every value is (an empty set included)."""
    return max(values, default=Truth.FALSE)
