"""``aws_completer``: v2's completer protocol, for ``complete -C aws_completer aws``.

bash runs the program with ``COMP_LINE`` (the command line) and ``COMP_POINT``
(the cursor's index in it); tcsh sets ``COMMAND_LINE`` instead.  The program
prints the candidates for the word under the cursor, one per line, and exits
0 whatever happens (a completer must never print a traceback into a prompt).

The line up to the cursor is split as the shell splits it (quotes and
backslashes); the first word names the program (``aws`` or
``ec2-import-image``).  bash replaces only the part of the word after its
last ``=`` or ``:``, so candidates are cut to that part, as for click's bash
completion.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from ec2_import_image.dropin.completion.engine import complete
from ec2_import_image.dropin.programs import AWS, SHORT

BASH_BREAKS = "=:"


def split_line(text: str) -> tuple[list[str], str]:
    """Complete words and the word being typed (``""`` after a blank)."""
    words: list[str] = []
    current = ""
    in_word = False
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index < len(text):
                current += text[index]
                index += 1
            else:
                current += char
            continue
        if char.isspace():
            if in_word:
                words.append(current)
                current, in_word = "", False
            continue
        in_word = True
        if char in "'\"":
            quote = char
        elif char == "\\" and index < len(text):
            current += text[index]
            index += 1
        else:
            current += char
    return words, current


def program_of(word: str) -> str:
    return SHORT if os.path.basename(word) == SHORT else AWS


def candidates_for_line(line: str, point: int, environ: Mapping[str, str]) -> list[str]:
    """The lines ``aws_completer`` prints for ``line`` with the cursor at ``point``."""
    words, current = split_line(line[:point])
    if not words:
        return []
    program = program_of(words[0])
    values = [c.value for c in complete(words[1:], current, program, environ)]
    cut = max(current.rfind(c) for c in BASH_BREAKS) + 1
    return [value[cut:] for value in values if value.startswith(current[:cut])]


def run(environ: Mapping[str, str], stdout: TextIO) -> int:
    line = environ.get("COMP_LINE") or environ.get("COMMAND_LINE") or ""
    try:
        point = int(environ.get("COMP_POINT") or len(line))
    except ValueError:
        point = len(line)
    try:
        results = candidates_for_line(line, point, environ)
    except Exception:  # a completer prints nothing rather than a traceback
        return 0
    if results:
        stdout.write("\n".join(results) + "\n")
    return 0


def main() -> None:
    try:
        rc = run(os.environ, sys.stdout)
        sys.stdout.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        rc = 0
    sys.exit(rc)
