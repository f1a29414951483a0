"""``aws_completer``: v2's completer protocol, for ``complete -C aws_completer aws``.

bash runs the program with ``COMP_LINE`` (the command line) and ``COMP_POINT``
(the cursor's index in it); tcsh sets ``COMMAND_LINE`` instead.  The program
prints the candidates for the word under the cursor, one per line, and exits
0 whatever happens (a completer must never print a traceback into a prompt).

The line up to the cursor is split as the shell splits it (quotes and
backslashes); the first word names the program (``aws`` or
``ec2-import-image``).  bash replaces only the end of the word being typed
(after an open quote, or after its last ``=``, ``:`` or ``@``), so candidates
are cut to that part (``shellwords``).  A line outside the tool's commands is
completed by the AWS CLI's own ``aws_completer`` when there is one
(``handoff``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from ec2_import_image.dropin.completion.engine import complete
from ec2_import_image.dropin.completion.handoff import hand_off, merge
from ec2_import_image.dropin.completion.shellwords import cut_for_bash, read_word, split_raw
from ec2_import_image.dropin.programs import AWS, SHORT


def program_of(word: str) -> str:
    return SHORT if os.path.basename(word) == SHORT else AWS


def candidates_for_line(line: str, point: int, environ: Mapping[str, str]) -> list[str]:
    """The lines ``aws_completer`` prints for ``line`` with the cursor at ``point``."""
    raw_words, raw_current = split_raw(line[:point])
    if not raw_words:
        return []
    words = [read_word(raw).text for raw in raw_words[1:]]
    current = read_word(raw_current)
    program = program_of(read_word(raw_words[0]).text)
    own = cut_for_bash(current, [c.value for c in complete(words, current.text, program, environ)])
    return merge(
        own, hand_off(program, words, current.text, line=line, point=point, environ=environ)
    )


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
