"""LVM2's configuration syntax, the language of its volume group metadata text. Bounded.

lvm.conf(5), "SYNTAX": a file is a series of ``name = value`` settings and
``name { ... }`` sections (nested); a value is a number, a string in double
quotes (with backslash escapes) or a list ``[ value, ... ]`` of numbers and
strings; ``#`` starts a comment to the end of the line.  The metadata LVM keeps
on a physical volume is this text (the libvslvm project's *Logical Volume
Manager (LVM) format*, "Metadata", shows its sections).

The parser is small and strict: at most ``MAX_DEPTH`` nested sections, lists of
numbers and strings only, and anything else is a ``FormatError``.  The input is
bounded by the caller (the metadata area's size).
"""

from __future__ import annotations

import re
from typing import TypeAlias

from ec2_import_image.diskimage.errors import FormatError

Scalar: TypeAlias = int | float | str
Value: TypeAlias = Scalar | list[Scalar] | dict[str, "Value"]
Section: TypeAlias = dict[str, Value]

MAX_DEPTH = 32
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?[0-9]+(?:\.[0-9]+)?(?![A-Za-z0-9_.+-]))
  | (?P<name>[A-Za-z0-9_.+-]+)
  | (?P<punct>[{}\[\]=,])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

Token = tuple[str, str]


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise FormatError(f"LVM metadata: unexpected character on line {line}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise FormatError("LVM metadata: the text ends inside a section or a setting")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != text:
            raise FormatError(f"LVM metadata: expected {text!r}, found {value!r}")

    def section(self, depth: int, closed: bool) -> Section:
        if depth > MAX_DEPTH:
            raise FormatError("LVM metadata: sections nested too deeply")
        found: Section = {}
        while True:
            token = self.peek()
            if token is None:
                if closed:
                    raise FormatError("LVM metadata: a section is not closed")
                return found
            if token == ("punct", "}"):
                if not closed:
                    raise FormatError("LVM metadata: '}' outside any section")
                self.position += 1
                return found
            kind, name = self.take()
            if kind not in ("name", "number"):
                raise FormatError(f"LVM metadata: expected a name, found {name!r}")
            following = self.take()
            if following == ("punct", "{"):
                found[name] = self.section(depth + 1, closed=True)
            elif following == ("punct", "="):
                found[name] = self.value()
            else:
                raise FormatError(f"LVM metadata: {name} is followed by {following[1]!r}")

    def scalar(self, token: Token) -> Scalar:
        kind, text = token
        if kind == "string":
            return _ESCAPE.sub(r"\1", text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        raise FormatError(f"LVM metadata: {text!r} is not a value")

    def value(self) -> Value:
        token = self.take()
        if token != ("punct", "["):
            return self.scalar(token)
        items: list[Scalar] = []
        if self.peek() == ("punct", "]"):
            self.position += 1
            return items
        while True:
            items.append(self.scalar(self.take()))
            separator = self.take()
            if separator == ("punct", "]"):
                return items
            if separator != ("punct", ","):
                raise FormatError(f"LVM metadata: a list holds {separator[1]!r}")


def parse(text: str) -> Section:
    """The settings and sections of a text in LVM2's configuration syntax."""
    return _Parser(_tokens(text)).section(0, closed=False)
