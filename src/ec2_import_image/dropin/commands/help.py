"""``help``: the manual pages of ``aws help``, ``aws ec2 help`` and ``aws ec2 <operation> help``.

The pages are built by ``helpdocs.pages`` from the pinned model's
documentation and the project's own texts, and shown by
``helpdocs.paging``: through a pager with bold and underline on a terminal,
as plain text in a pipe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ec2_import_image.dropin import cache
from ec2_import_image.dropin.cli.commandline import Invocation
from ec2_import_image.dropin.errors import ExitStatus, stdout_writes
from ec2_import_image.dropin.helpdocs.paging import show_page
from ec2_import_image.dropin.helpdocs.styled import STYLES, Line, Span
from ec2_import_image.environment import Environment
from ec2_import_image.model.shapes import MODEL_TYPES, model_file

#: the drop-in's package and the distribution's, whose files the pages are built from
DROPIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.dirname(DROPIN)


def help_lines(invocation: Invocation) -> list[Line]:
    """The page an invocation asks for."""
    from ec2_import_image.dropin.helpdocs.pages import (
        main_page,
        operation_page,
        service_page,
        wait_page,
        waiter_page,
    )
    from ec2_import_image.dropin.helpdocs.waiters import WAIT, tool_waiters

    words = invocation.words
    if words[1:2] == (WAIT,):
        waiters = tool_waiters()
        if len(words) > 2 and words[2] in waiters:
            return waiter_page(words[2], waiters[words[2]], invocation.program)
        return wait_page(invocation.program)
    if invocation.operation is not None:
        return operation_page(invocation.operation, invocation.program)
    if invocation.words:
        return service_page()
    return main_page(invocation.program)


def _page_sources() -> list[str]:
    """The files a page is built from: the model, the help modules, the option tables."""
    shared = [model_file(name) for name in MODEL_TYPES]
    shared.append(os.path.join(PACKAGE, "model", "doctext.py"))
    names = ["cli/options.py", "cli/known_commands.json"]
    helpdocs = os.path.join(DROPIN, "helpdocs")
    names += [f"helpdocs/{n}" for n in sorted(os.listdir(helpdocs)) if n.endswith(".py")]
    return shared + [os.path.join(DROPIN, name) for name in names]


def cached_help_lines(invocation: Invocation, environ: Mapping[str, str]) -> list[Line]:
    """The page, from the tool's cache when it was built before from the same sources.

    Building a page converts the model's HTML documentation, which costs more
    than everything else a ``help`` run does; the result only changes with the
    files it is built from.  ``environ`` says where the cache is.
    """
    key = cache.key_for("help", _page_sources(), invocation.program, *invocation.words)
    stored = cache.load(key, _is_stored_page, environ)
    if stored is not None:
        return [tuple(Span(text, style) for text, style in spans) for spans in stored]
    lines = help_lines(invocation)
    cache.store(key, [[(span.text, span.style) for span in spans] for spans in lines], environ)
    return lines


def _is_stored_span(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and isinstance(value[0], str)
        and value[1] in STYLES
    )


#: how a page is kept in the cache: lines of (text, style) pairs (a cache entry's check)
_is_stored_page = cache.is_list_of(cache.is_list_of(_is_stored_span))


def show_help(invocation: Invocation, env: Environment) -> ExitStatus:
    lines = cached_help_lines(invocation, env.environ)
    with stdout_writes():
        show_page(lines, env)
    return ExitStatus.SUCCESS
