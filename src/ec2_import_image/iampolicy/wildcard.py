"""IAM's wildcards: ``*`` any run of characters, ``?`` any one character, nothing else special.

``fnmatch`` would read ``[`` as a character class, which IAM does not.  The
matcher runs the pattern as a small automaton over the text, so it can also
answer for a text known only by its beginning (``Text(..., partial=True)``:
the objects of a bucket named without a key, the actions a family such as
``ec2:Describe*`` stands for): TRUE when every continuation matches, FALSE
when none can, UNKNOWN when it depends on the rest.

A resource pattern is matched as one string: IAM lets a ``*`` that ends an
ARN segment run past the colons, and the patterns met in practice
(``arn:aws:s3:::bucket/*``, ``*``) mean the same either way.

Every continuation of a partial text matches exactly when every run of
0 to ``len(pattern) + 1`` characters the pattern does not name matches: such
a run is consumed only by a part of the pattern made of ``?`` and ``*``, so
if every length up to one past the pattern's is taken, a wildcard-only part
takes any text of that length, and the one taking the longest run holds a
``*`` and takes every longer text too.
"""

from __future__ import annotations

from typing import NamedTuple

from ec2_import_image.iampolicy.truth import Truth


class Text(NamedTuple):
    """What is known of a request's value: all of it, or only its beginning."""

    value: str
    #: True when ``value`` is only a prefix of the real value (which may be longer)
    partial: bool = False

    def __str__(self) -> str:
        return self.value + ("*" if self.partial else "")


def _closure(pattern: str, states: set[int]) -> set[int]:
    """The states plus those reached by letting each ``*`` match nothing."""
    result = set(states)
    for state in sorted(states):
        position = state
        while position < len(pattern) and pattern[position] == "*":
            position += 1
            result.add(position)
    return result


def _step(pattern: str, states: set[int], char: str | None) -> set[int]:
    """The states after one character (``None``: a character the pattern does not name)."""
    following: set[int] = set()
    for state in states:
        if state >= len(pattern):
            continue
        symbol = pattern[state]
        if symbol == "*":
            following.add(state)
        elif symbol in ("?", char):
            following.add(state + 1)
    return _closure(pattern, following)


def match(pattern: str, text: Text | str, *, ignore_case: bool = False) -> Truth:
    """Whether ``text`` matches ``pattern`` (three-valued for a partial text)."""
    known = text if isinstance(text, Text) else Text(text)
    value = known.value
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    states = _closure(pattern, {0})
    for char in value:
        states = _step(pattern, states, char)
        if not states:
            return Truth.FALSE
    if not known.partial:
        return Truth.of(len(pattern) in states)
    for _ in range(len(pattern) + 2):
        if len(pattern) not in states:
            return Truth.UNKNOWN  # this run of unnamed characters does not match
        states = _step(pattern, states, None)
    return Truth.TRUE


def equals(expected: str, text: Text | str, *, ignore_case: bool = False) -> Truth:
    """Whether ``text`` is exactly ``expected`` (three-valued for a partial text)."""
    known = text if isinstance(text, Text) else Text(text)
    value = known.value
    if ignore_case:
        expected, value = expected.lower(), value.lower()
    if not known.partial:
        return Truth.of(expected == value)
    return Truth.UNKNOWN if expected.startswith(value) else Truth.FALSE
