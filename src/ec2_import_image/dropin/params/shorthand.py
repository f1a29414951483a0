"""The CLI's shorthand syntax (``Key=Value,Other={A=b},List=[x,y]``) and its model coercion.

Two steps, as AWS CLI v2 does them:

1. :func:`parse_shorthand` reads the text on its own, without a model, into
   dicts, lists and strings (or bytes, for ``key@=fileb://...``).
2. :func:`coerce_to_shape` then walks the result along the parameter's model
   shape: a lone value where the model wants a list becomes a one-item list,
   and numbers and booleans are converted from their text.

Grammar, informally::

    object  = pair *("," pair)                 ; whitespace allowed around ","
    pair    = key ["@"] "=" [value]            ; "@=" loads file:// / fileb:// values
    value   = "[" list "]" / "{" members "}" / item *("," item)
    item    = 'single quoted' / "double quoted" / bare text

Bare text ends at a comma (``\\,`` escapes one) and at quotes; inside ``[]``
and ``{}`` it also ends at ``]`` / ``}``, while the later items of a
``a,b,c`` run end at ``=`` instead, which is how ``A=x,y,B=z`` tells the
``B`` key apart from another item.  Unquoted text only takes characters up to
U+FFFF.  Error messages, caret lines included, are v2's, byte for byte.

Nothing here imports botocore: this runs on the CLI's start-up path.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ec2_import_image.dropin.errors import crash_as_in_v2
from ec2_import_image.dropin.params.paramfile import get_paramfile

if TYPE_CHECKING:
    from ec2_import_image.model import Shape

__all__ = [
    "DuplicateKeyError",
    "ShorthandNestingError",
    "ShorthandParseError",
    "ShorthandSyntaxError",
    "coerce_to_shape",
    "parse_shorthand",
    "parse_shorthand_words",
]

# Whitespace the parser skips between tokens: ASCII only, unlike the trailing
# whitespace trimmed off bare values (which is anything ``str.isspace`` accepts).
_BLANKS: Final = frozenset(" \t\n\r\x0b\x0c")
_KEY_CHARS: Final = frozenset(string.ascii_letters + string.digits + "-_.#/:")
_ESCAPED_COMMA: Final = "\\,"
_HIGHEST_BARE: Final = 0xFFFF

# Printable characters (U+0021..U+FFFF) a bare value may not start with ...
_NOT_FIRST: Final = frozenset("\"',=[{")
# ... nor contain, as a first item or inside brackets and braces ...
_NOT_IN_ITEM: Final = frozenset("\"',]}")
# ... nor contain, as a later item of a comma-separated run.
_NOT_IN_RUN_ITEM: Final = frozenset("\"',=")

_QUOTE_NAMES: Final = {"'": "<singled quoted>", '"': "<double quoted>"}


class ShorthandParseError(Exception):
    """Shorthand text that cannot be parsed; ``str()`` is v2's message."""


def _point_at(text: str, position: int) -> str:
    """``text`` with a caret line under ``position``, inserted after that position's line."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    if line_end < 0:
        line_end = len(text)
    caret = " " * (position - line_start) + "^"
    return f"{text[:line_end]}\n{caret}{text[line_end:]}"


class ShorthandSyntaxError(ShorthandParseError):
    """Something other than what the grammar allows was found at ``position``."""

    def __init__(self, text: str, expected: str, found: str, position: int) -> None:
        self.text = text
        self.expected = expected
        self.found = found
        self.position = position
        super().__init__(
            f"Expected: '{expected}', received: '{found}' for input:\n {_point_at(text, position)}"
        )


class DuplicateKeyError(ShorthandParseError):
    """A top-level key was given twice (usually a ``,`` written where a space was meant)."""

    def __init__(self, key: str, text: str, position: int) -> None:
        self.key = key
        self.text = text
        self.position = position
        super().__init__(
            f'Second instance of key "{key}" encountered for input:\n'
            f"{_point_at(text, position)}\n"
            'This is often because there is a preceding "," instead of a space.'
        )


class ShorthandNestingError(ShorthandParseError):
    """Brackets and braces nested deeper than the Python stack allows.

    v2 parses nesting recursively too (two frames per level, like this parser)
    and lets the ``RecursionError`` escape, which it reports as an unexpected
    error (exit 255) with this same text; a caller wanting that can single this
    class out.
    """

    def __init__(self) -> None:
        super().__init__("maximum recursion depth exceeded")


def _bare_unit_end(text: str, index: int, excluded: frozenset[str] | None) -> int:
    """Where the bare-value unit (one character, or ``\\,``) at ``index`` ends.

    ``excluded`` is the set of characters that end the value; ``None`` asks
    about a value's first character.  Returns ``index`` when nothing fits.
    """
    if text.startswith(_ESCAPED_COMMA, index):
        return index + 2
    if index >= len(text):
        return index
    char = text[index]
    code = ord(char)
    if excluded is None:
        fits = 0x21 <= code <= _HIGHEST_BARE and char not in _NOT_FIRST
    else:
        fits = char.isspace() or (0x21 <= code <= _HIGHEST_BARE and char not in excluded)
    return index + 1 if fits else index


def _closing_quote(text: str, opening: int) -> int:
    """Index of the quote that closes the one at ``opening``, or -1.

    A backslash before the quote character escapes it.  When no unescaped
    quote follows, the last quote of the text closes the value (it is then an
    escaped one, and its backslash becomes part of the value).
    """
    quote = text[opening]
    index = opening + 1
    while index < len(text):
        char = text[index]
        if char == quote:
            return index
        if char == "\\" and text.startswith(quote, index + 1):
            index += 2
        else:
            index += 1
    return text.rfind(quote, opening + 1)


class _Reader:
    """One pass over one shorthand text; ``position`` only moves forward except on rewind."""

    def __init__(self, text: str, environ: Mapping[str, str]) -> None:
        self.text = text
        #: the run's variables, for ``key@=file://`` values
        self.environ = environ
        self.position = 0
        # Set by the most recent key: was it written ``key@=``?
        self.load_files = False

    # -- characters ---------------------------------------------------------

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def peek(self) -> str:
        """The current character, or "" at the end."""
        return self.text[self.position] if self.position < len(self.text) else ""

    def skip_blanks(self) -> None:
        text = self.text
        while self.position < len(text) and text[self.position] in _BLANKS:
            self.position += 1

    def take(self, char: str, *, with_blanks: bool = False) -> None:
        """Consume ``char`` (optionally with whitespace on both sides) or fail."""
        if with_blanks:
            self.skip_blanks()
        found = self.peek()
        if found != char:
            raise ShorthandSyntaxError(self.text, char, found or "EOF", self.position)
        self.position += 1
        if with_blanks:
            self.skip_blanks()

    # -- grammar ------------------------------------------------------------

    def read_object(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        key, value = self.read_pair()
        result[key] = value
        while not self.at_end():
            previous_end = self.position
            self.take(",", with_blanks=True)
            key, value = self.read_pair()
            if key in result:
                raise DuplicateKeyError(key, self.text, previous_end + 1)
            result[key] = value
        return result

    def read_key(self) -> str:
        """A key and its ``=`` (or ``@=``); records whether values load files."""
        start = self.position
        while self.position < len(self.text) and self.text[self.position] in _KEY_CHARS:
            self.position += 1
        key = self.text[start : self.position]
        self.load_files = False
        self.skip_blanks()
        if self.peek() == "@":
            self.position += 1
            self.load_files = True
        self.take("=", with_blanks=True)
        return key

    def read_pair(self) -> tuple[str, Any]:
        key = self.read_key()
        opener = self.peek()
        if opener == "":
            return key, ""
        if opener == "[":
            return key, self.read_list()
        if opener == "{":
            return key, self.read_members()
        return key, self.read_run()

    def read_run(self) -> Any:
        """``a`` -> "a"; ``a,b,c`` -> ["a", "b", "c"], stopping before a following ``key=``."""
        first = self.read_item()
        self.skip_blanks()
        if self.peek() != ",":
            return first
        self.take(",", with_blanks=True)
        items = [first]
        while True:
            try:
                item = self.read_run_item()
                self.skip_blanks()
                if self.at_end():
                    items.append(item)
                    break
                self.take(",", with_blanks=True)
                items.append(item)
            except ShorthandSyntaxError:
                if self.at_end():
                    raise
                # What followed the comma was not another item (typically the
                # next ``key=``): step back to the comma and end the run there.
                self.position = self.text.rfind(",", 0, self.position + 1)
                break
        return first if len(items) == 1 else items

    def read_list(self) -> list[Any]:
        self.take("[", with_blanks=True)
        items: list[Any] = []
        while self.peek() != "]":
            items.append(self.read_element())
            self.skip_blanks()
            if self.peek() != "]":
                self.take(",")
                self.skip_blanks()
        self.take("]")
        return items

    def read_members(self) -> dict[str, Any]:
        self.take("{", with_blanks=True)
        members: dict[str, Any] = {}
        while self.peek() != "}":
            key = self.read_key()
            value = self.read_element()
            self.skip_blanks()
            if self.peek() != "}":
                self.take(",")
                self.skip_blanks()
            members[key] = value
        self.take("}")
        return members

    def read_element(self) -> Any:
        """A value inside ``[]`` or ``{}``: a nested list or map, or a single item."""
        opener = self.peek()
        if opener == "[":
            return self.read_list()
        if opener == "{":
            return self.read_members()
        return self.read_item()

    def read_item(self) -> Any:
        """A quoted value, or bare text (possibly empty)."""
        if self.peek() in _QUOTE_NAMES:
            return self.read_quoted()
        bare = self.read_bare(_NOT_IN_ITEM)
        return "" if bare is None else self.loaded(bare)

    def read_run_item(self) -> Any:
        """A later item of ``a,b,c``: a quoted value or non-empty bare text."""
        if self.peek() in _QUOTE_NAMES:
            return self.read_quoted()
        bare = self.read_bare(_NOT_IN_RUN_ITEM)
        if bare is None:
            raise ShorthandSyntaxError(self.text, "<second>", "<none>", self.position)
        return self.loaded(bare)

    def read_bare(self, excluded: frozenset[str]) -> str | None:
        start = self.position
        end = _bare_unit_end(self.text, start, None)
        if end == start:
            return None
        while (after := _bare_unit_end(self.text, end, excluded)) != end:
            end = after
        self.position = end
        return self.text[start:end].replace(_ESCAPED_COMMA, ",").rstrip()

    def read_quoted(self) -> Any:
        opening = self.position
        quote = self.text[opening]
        closing = _closing_quote(self.text, opening)
        if closing < 0:
            raise ShorthandSyntaxError(self.text, _QUOTE_NAMES[quote], "<none>", opening)
        self.position = closing + 1
        body = self.text[opening + 1 : closing]
        body = body.replace("\\" + quote, quote).replace("\\\\", "\\")
        return self.loaded(body)

    def loaded(self, value: str) -> str | bytes:
        """``value``, or for a ``key@=`` value naming a file, that file's contents."""
        if self.load_files:
            contents = get_paramfile(value, self.environ)
            if contents is not None:
                return contents
        return value


def parse_shorthand(value: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse one shorthand text into a dict, keys in the order written.

    Raises :class:`ShorthandParseError` for bad syntax, and
    :class:`~ec2_import_image.dropin.params.paramfile.ResourceLoadingError` when a
    ``key@=file://...`` value names a file that cannot be read (``environ``: the
    run's variables, for the file's path and encoding).
    """
    try:
        return _Reader(value, environ).read_object()
    except RecursionError:
        raise ShorthandNestingError() from None


def coerce_to_shape(value: Any, shape: Shape) -> Any:
    """Adjust parsed shorthand to ``shape`` the way v2 does after parsing.

    * list: a single non-list value becomes a one-item list (its contents are
      then left as they are); list items are coerced to the member shape;
    * structure: known members are coerced, unknown keys kept for validation;
    * map: values are coerced to the value shape;
    * integer/long: ``int()``; float/double: ``float()``; boolean: "true" /
      "false" in any case (anything else is kept as written);
    * other scalars (string, timestamp, blob) are kept.

    Values that do not fit (a dict for a structure member that is a list of
    something else, a string for a structure, ...) are left for validation.
    A scalar that cannot be converted crashes v2 with Python's own message
    (``could not convert string to float: 'big'``, ``'dict' object has no
    attribute 'lower'``): the same message is raised here as a
    ``GeneralError``.  Returns new containers; ``value`` itself is not modified.
    """
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        result = dict(value)
        # Model order, not written order: it decides which bad value errors first.
        for name, member in shape.members.items():
            if name in result:
                result[name] = coerce_to_shape(result[name], member)
        return result
    if kind == "list":
        if value is None:
            return None
        if not isinstance(value, list):
            return [value]
        return [coerce_to_shape(item, shape.member) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            return value
        return {key: coerce_to_shape(item, shape.value) for key, item in value.items()}
    return _coerce_scalar(value, kind)


def _coerce_scalar(value: Any, kind: str) -> Any:
    try:
        return _convert_scalar(value, kind)
    except (ValueError, TypeError, AttributeError) as error:
        raise crash_as_in_v2(error) from error


def _convert_scalar(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return value


def parse_shorthand_words(words: list[str], shape: Shape, environ: Mapping[str, str]) -> list[Any]:
    """Parse a list option's argv words, one item each, then coerce them to ``shape``.

    ``shape`` is the option's list shape.  Every word is parsed before any is
    coerced, so a syntax error in a later word wins over a conversion error in
    an earlier one, as in v2.
    """
    if shape.type_name != "list":
        raise TypeError(f"parse_shorthand_words needs a list shape, not {shape!r}")
    parsed = [parse_shorthand(word, environ) for word in words]
    return [coerce_to_shape(item, shape.member) for item in parsed]
