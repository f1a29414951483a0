"""The plain values of a manifest key or an option: text, true or false, and what refuses one.

A manifest's values come from YAML (strings, numbers, booleans, lists,
mappings, dates) or CSV (strings); ``manifest`` and ``distribute.options`` read
them with these, so that every key says a wrong value the same way ("expected
a text value, got a list").
"""

from __future__ import annotations

from typing import Any

TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")


class BadValue(ValueError):
    """A value a key cannot take; the message says what it can."""


def shown(value: Any) -> str:
    """A value as a message names it (a mapping, a list, or its repr)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def text(value: Any) -> str:
    """A text value (a number is taken as its digits); never a boolean, list or mapping."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadValue(f"expected a text value, got {shown(value)}")
    return str(value)


def flag(value: Any) -> bool:
    """True or false: a boolean, or one of the words of ``TRUE_WORDS`` and ``FALSE_WORDS``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise BadValue(f"expected true or false, got {shown(value)}")
