"""click's completion protocol for ``aws`` and ``ec2-import-image``.

click answers ``_AWS_COMPLETE=bash_source|zsh_source|fish_source aws`` with a
shell script, and ``_AWS_COMPLETE=bash_complete|zsh_complete|fish_complete``
(with ``COMP_WORDS``/``COMP_CWORD``) with the candidates; it resolves the
command and asks its ``shell_complete`` (``clickcommand.AwsStyleCommand``), which
calls ``click_candidates`` here with the complete words and the incomplete one.

bash splits a word at ``=`` and ``:`` (``COMP_WORDBREAKS``), so
``Format=vm`` reaches the program as ``Format``, ``=``, ``vm``, and bash
replaces only the part after the last ``=``.  For bash the words are glued
back together before completing, and the candidates are cut to that part.
zsh and fish pass whole words and take whole-word candidates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from click.shell_completion import CompletionItem, split_arg_string

from ec2_import_image.dropin.completion.engine import Candidate, complete
from ec2_import_image.dropin.programs import completion_variable

#: the characters of bash's default COMP_WORDBREAKS that occur in option values
BASH_BREAKS = "=:"


def glue_bash_words(tokens: Sequence[str]) -> list[str]:
    """Join words bash split at ``=``/``:``: ``["a", "=", "b"]`` -> ``["a=b"]``."""
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


def trim_for_bash(incomplete: str, values: Sequence[str]) -> list[str]:
    """The part of each candidate bash replaces: after the word's last ``=`` or ``:``."""
    cut = max(incomplete.rfind(c) for c in BASH_BREAKS) + 1
    head = incomplete[:cut]
    return [value[cut:] for value in values if value.startswith(head)]


def _bash_words(environ: Mapping[str, str]) -> tuple[list[str], str] | None:
    """The logical words and incomplete word of a bash request, from click's variables."""
    try:
        words = split_arg_string(environ["COMP_WORDS"])
        cword = int(environ["COMP_CWORD"])
    except (KeyError, ValueError):
        return None
    before = words[1:cword]
    current = words[cword] if cword < len(words) else ""
    glued = glue_bash_words([*before, current])
    return glued[:-1], glued[-1]


def click_candidates(
    program: str,
    words: Sequence[str],
    incomplete: str,
    environ: Mapping[str, str] | None = None,
) -> list[CompletionItem]:
    """The answer to click's ``shell_complete`` for one of the tool's programs."""
    environ = os.environ if environ is None else environ
    instruction = environ.get(completion_variable(program), "")
    if instruction.startswith("bash"):
        logical = _bash_words(environ)
        if logical is not None:
            words, incomplete = logical
            candidates = complete(words, incomplete, program, environ)
            values = trim_for_bash(incomplete, [c.value for c in candidates])
            return [CompletionItem(value) for value in values]
    candidates = complete(words, incomplete, program, environ)
    return [_item(candidate) for candidate in candidates]


def _item(candidate: Candidate) -> CompletionItem:
    help_text = " ".join(candidate.help.split())
    if candidate.type_name:
        help_text = f"[{candidate.type_name}] {help_text}".strip()
    return CompletionItem(candidate.value, help=help_text or None)
