"""Display widths, as v2's table output measures them."""

from __future__ import annotations

import os
import sys
import unicodedata

#: v2 counts East-Asian wide (W), full-width (F) *and* ambiguous (A) characters as two columns.
_DOUBLE_WIDTH_CLASSES = frozenset({"W", "F", "A"})

#: The terminal width v2 assumes when standard output is not a terminal.
DEFAULT_TERMINAL_WIDTH = 80


def display_width(value: object) -> int:
    """The number of columns ``str(value)`` takes in a v2 table."""
    return sum(
        2 if unicodedata.east_asian_width(char) in _DOUBLE_WIDTH_CLASSES else 1
        for char in str(value)
    )


def detect_terminal_width(default: int = DEFAULT_TERMINAL_WIDTH) -> int:
    """The width of the terminal on standard output, as v2 finds it; ``default`` if none.

    v2 asks the terminal behind ``sys.stdout`` (even when the table goes to a
    pager or to standard error).  A terminal that reports 0 columns gives 0,
    as in v2.  Callers pass the answer to ``render(..., terminal_width=...)``.
    """
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return default
