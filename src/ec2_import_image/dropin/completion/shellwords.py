"""Words as bash sees them while it completes, and the part of a word a candidate replaces.

The engine completes logical words (quotes and backslashes removed:
``"Format=ov`` is ``Format=ov``) and answers with whole logical words
(``Format=OVA``).  bash (readline) does not replace the whole word with a
candidate, only its end:

- inside a quote left open, what follows the opening quote
  (``--disk-containers "Format=ov`` -> ``Format=ov``; readline closes the quote
  when one candidate is left);
- otherwise, what follows the last break character of ``COMP_WORDBREAKS`` not
  quoted (``Format=ov`` -> ``ov``): ``=``, ``:`` and ``@`` are the ones option
  values hold; a quoted or escaped one does not break.  ``@`` is one of
  readline's "special prefixes", which stay in the replaced part (``a@b`` ->
  ``@b``).

Each candidate is therefore cut by the length of the logical text before that
point: cut wrongly, a candidate deletes what was typed (``"OVA"`` for
``"Format=ov``).  Both bash styles use this: ``aws_completer`` (``complete -C``,
the raw line in ``COMP_LINE``) and click's ``bash_source`` (``complete -F``,
the raw words, split at the break characters, in ``COMP_WORDS``).  zsh and
fish replace the whole logical word and take whole-word candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

#: the characters of bash's default COMP_WORDBREAKS that occur in option values
BASH_BREAKS = "=:@"
#: break characters that belong to the part replaced (readline's special prefixes)
SPECIAL_PREFIXES = "@"
QUOTES = "'\""
#: what a backslash escapes inside double quotes (elsewhere there it is a backslash)
_DOUBLE_QUOTED_ESCAPES = '$`"\\\n'


class ShellWord(NamedTuple):
    """One word of a command line as the shell reads it."""

    #: the word with its quotes and backslashes removed
    text: str
    #: where, in ``text``, the part bash replaces with a candidate starts
    replaced_from: int


def read_word(raw: str) -> ShellWord:
    """The logical text of ``raw`` (one word, possibly with a quote left open)."""
    text = ""
    quote = ""
    quote_from = 0
    break_after = 0
    index = 0
    while index < len(raw):
        char = raw[index]
        index += 1
        if quote == "'":
            if char == quote:
                quote = ""
            else:
                text += char
        elif quote == '"':
            if char == quote:
                quote = ""
            elif char == "\\" and index < len(raw) and raw[index] in _DOUBLE_QUOTED_ESCAPES:
                text += raw[index]
                index += 1
            else:
                text += char
        elif char in QUOTES:
            quote, quote_from = char, len(text)
        elif char == "\\":
            if index < len(raw):
                text += raw[index]
                index += 1
        else:
            text += char
            if char in BASH_BREAKS:
                break_after = len(text) - 1 if char in SPECIAL_PREFIXES else len(text)
    return ShellWord(text, quote_from if quote else break_after)


def split_raw(line: str) -> tuple[list[str], str]:
    """The raw words of ``line`` (quotes kept), and the raw word being typed.

    The word being typed is ``""`` when the line ends with a blank.
    """
    words: list[str] = []
    start: int | None = None
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char.isspace():
            if start is not None:
                words.append(line[start:index])
                start = None
        else:
            if start is None:
                start = index
            if char in QUOTES:
                quote = char
            elif char == "\\":
                index += 1
        index += 1
    current = "" if start is None else line[start:]
    return words, current


def split_line(line: str) -> tuple[list[str], str]:
    """The logical words of ``line``, and the logical word being typed."""
    words, current = split_raw(line)
    return [read_word(word).text for word in words], read_word(current).text


def glue_bash_words(tokens: Sequence[str]) -> list[str]:
    """Join the words bash split at break characters: ``["a", "=", "b"]`` -> ``["a=b"]``."""
    out: list[str] = []
    join_next = False
    for token in tokens:
        is_break = bool(token) and all(c in BASH_BREAKS for c in token)
        if out and (is_break or join_next):
            out[-1] += token
        else:
            out.append(token)
        join_next = is_break
    return out


def cut_for_bash(word: ShellWord, values: Sequence[str]) -> list[str]:
    """The part of each whole-word candidate that bash puts in place of what it replaces."""
    cut = word.replaced_from
    head = word.text[:cut]
    return [value[cut:] for value in values if value.startswith(head)]
