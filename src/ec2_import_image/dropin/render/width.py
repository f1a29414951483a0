"""Display widths, as v2's table output measures them."""

from __future__ import annotations

import unicodedata

#: v2 counts East-Asian wide (W), full-width (F) *and* ambiguous (A) characters as two columns.
_DOUBLE_WIDTH_CLASSES = frozenset({"W", "F", "A"})

#: The terminal width v2 assumes when standard output is not a terminal (the run's
#: ``Environment.terminal_width`` asks the terminal).
DEFAULT_TERMINAL_WIDTH = 80


def display_width(value: object) -> int:
    """The number of columns ``str(value)`` takes in a v2 table."""
    return sum(
        2 if unicodedata.east_asian_width(char) in _DOUBLE_WIDTH_CLASSES else 1
        for char in str(value)
    )
