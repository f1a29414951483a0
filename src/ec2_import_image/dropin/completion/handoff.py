"""Lines outside the tool's commands, completed by the AWS CLI's own ``aws_completer``.

The drop-in hands the commands it does not serve to the AWS CLI
(``commands/handover.py``); completion follows.  A line whose command,
operation or waiter word is none of this tool's (``aws s3 cp --ac``, ``aws ec2
run-instances --``) gets the candidates of the ``aws_completer`` beside the
AWS CLI's ``aws`` (``fallback.completer_for``), asked with v2's protocol
(``COMP_LINE``, ``COMP_POINT``), which v1 shares; a command word being typed
(``aws s``, ``aws ec2 desc``) gets the tool's words and the AWS CLI's.
Without an AWS CLI, or in a run started by a hand-over, the tool's own
candidates stand, as before.  Nothing here imports botocore.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ec2_import_image.dropin.completion.engine import Reach, reach
from ec2_import_image.dropin.programs import completion_variable

#: how long the AWS CLI's completer may take (a prompt must not hang on it)
COMPLETER_TIMEOUT = 10.0
#: click's protocol variables, which are not the AWS CLI completer's business
_CLICK_VARIABLES = ("COMP_WORDS", "COMP_CWORD")


class HandOff(NamedTuple):
    """The AWS CLI's part of the answer."""

    #: whether the tool's own candidates stay in the answer
    keep_own: bool
    #: the AWS CLI completer's lines; None when it was not asked (or could not answer)
    theirs: list[str] | None


def hand_off(
    program: str,
    words: Sequence[str],
    incomplete: str,
    *,
    line: str,
    point: int,
    environ: Mapping[str, str],
) -> HandOff:
    """Ask the AWS CLI's completer about ``line``, cursor at ``point``, when it is concerned.

    ``words`` and ``incomplete`` are the logical words before the cursor
    (without the program name) and the word being typed.
    """
    where = reach(words, incomplete, program)
    if where is Reach.OWN:
        return HandOff(True, None)
    theirs = fallback_lines(line, point, environ, program)
    return HandOff(theirs is None or where is Reach.COMMAND_WORD, theirs)


def merge(own: Sequence[str], answer: HandOff) -> list[str]:
    """The lines a bash-style completer prints: the tool's, the AWS CLI's, or both sorted.

    The AWS CLI's completer ends some candidates with a blank (``ls ``), which
    does not make them other words than the tool's.
    """
    if answer.theirs is None:
        return list(own)
    if not answer.keep_own:
        return answer.theirs
    mine = set(own)
    extra = [line for line in answer.theirs if line.rstrip() not in mine]
    return sorted(dict.fromkeys([*own, *extra]), key=str.rstrip)


def fallback_lines(
    line: str, point: int, environ: Mapping[str, str], program: str = "aws"
) -> list[str] | None:
    """What the AWS CLI's ``aws_completer`` prints for ``line``; None without one.

    Imported only for lines outside the tool's commands: the tool's own lines
    are answered without looking for an AWS CLI.
    """
    import subprocess

    from ec2_import_image.dropin.fallback import (
        HANDOVER_MARKER,
        completer_for,
        find_fallback,
        marker_for,
    )

    fallback = find_fallback(environ)
    completer = None if fallback.path is None else completer_for(fallback.path)
    if completer is None:
        return None
    skip = {*_CLICK_VARIABLES, completion_variable(program)}
    variables = {k: v for k, v in environ.items() if k not in skip}
    marker = marker_for(completer, [line], environ)
    variables.update({"COMP_LINE": line, "COMP_POINT": str(point), HANDOVER_MARKER: marker})
    try:
        result = subprocess.run(
            [completer],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=variables,
            timeout=COMPLETER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [text for text in result.stdout.decode("utf-8", "replace").splitlines() if text]
