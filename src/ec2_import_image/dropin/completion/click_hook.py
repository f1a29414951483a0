"""click's completion protocol for ``aws`` and ``ec2-import-image``.

click answers ``_AWS_COMPLETE=bash_source|zsh_source|fish_source aws`` with a
shell script, and ``_AWS_COMPLETE=bash_complete|zsh_complete|fish_complete``
(with ``COMP_WORDS``/``COMP_CWORD``) with the candidates; it resolves the
command and asks its ``shell_complete`` (``clickcommand.AwsStyleCommand``), which
calls ``click_candidates`` here with the complete words and the incomplete one.

For bash, click's script passes bash's own words, quotes included, one per
line: bash splits a word at ``=``, ``:`` and ``@`` (``COMP_WORDBREAKS``), so
``Format=vm`` arrives as ``Format``, ``=``, ``vm``, and bash replaces only the
end of the word (after its last break, or after a quote left open).  Those
words are glued back together and read as the shell reads them, and the
candidates cut to the part bash replaces (``shellwords``).  zsh and fish pass
whole words and take whole-word candidates.  A line outside the tool's
commands is completed by the AWS CLI's own ``aws_completer`` when there is
one (``handoff``).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from click.shell_completion import CompletionItem

from ec2_import_image.dropin.completion.engine import Candidate, complete
from ec2_import_image.dropin.completion.handoff import hand_off, merge
from ec2_import_image.dropin.completion.shellwords import (
    ShellWord,
    cut_for_bash,
    glue_bash_words,
    read_word,
    split_raw,
)
from ec2_import_image.dropin.programs import completion_variable


def _bash_words(environ: Mapping[str, str]) -> tuple[list[str], str] | None:
    """The raw words before the cursor (program first) and the raw word being typed.

    click's bash script joins bash's words with newlines; a line joined with
    blanks (as a person types it for a test) is split as the shell splits it.
    """
    try:
        joined = environ["COMP_WORDS"]
        cword = int(environ["COMP_CWORD"])
    except (KeyError, ValueError):
        return None
    if "\n" in joined:
        tokens = joined.split("\n")
    else:
        tokens, last = split_raw(joined)
        tokens += [last] if last else []
    current = tokens[cword] if 0 <= cword < len(tokens) else ""
    glued = glue_bash_words([*tokens[:cword], current])
    return glued[:-1], glued[-1]


def click_candidates(
    program: str, words: Sequence[str], incomplete: str, environ: Mapping[str, str]
) -> list[CompletionItem]:
    """The answer to click's ``shell_complete`` for one of the tool's programs.

    ``environ``: the variables click's shell script set (``COMP_WORDS``...) and
    the shell's own.
    """
    instruction = environ.get(completion_variable(program), "")
    if instruction.startswith("bash"):
        raw = _bash_words(environ)
        if raw is not None:
            return [CompletionItem(value) for value in _bash_values(program, *raw, environ)]
    candidates = complete(words, incomplete, program, environ)
    line = shlex.join([program, *words]) + " " + incomplete
    answer = hand_off(program, words, incomplete, line=line, point=len(line), environ=environ)
    items = [_item(candidate) for candidate in candidates] if answer.keep_own else []
    if answer.theirs:
        # zsh and fish take words: no blank after them, one item per word
        own = {item.value for item in items}
        theirs = dict.fromkeys(value.rstrip() for value in answer.theirs)
        items += [CompletionItem(value) for value in theirs if value not in own]
        items.sort(key=lambda item: str(item.value))
    return items


def _bash_values(
    program: str, before: list[str], raw_current: str, environ: Mapping[str, str]
) -> list[str]:
    """bash's candidates: the tool's cut to what bash replaces, or the AWS CLI's."""
    words = [read_word(raw).text for raw in before[1:]]
    current: ShellWord = read_word(raw_current)
    candidates = complete(words, current.text, program, environ)
    own = cut_for_bash(current, [c.value for c in candidates])
    line = " ".join([*before, raw_current])
    return merge(
        own, hand_off(program, words, current.text, line=line, point=len(line), environ=environ)
    )


def _item(candidate: Candidate) -> CompletionItem:
    help_text = " ".join(candidate.help.split())
    if candidate.type_name:
        help_text = f"[{candidate.type_name}] {help_text}".strip()
    return CompletionItem(candidate.value, help=help_text or None)
