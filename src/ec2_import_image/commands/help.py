"""``help``: the manual pages of ``aws help``, ``aws ec2 help`` and ``aws ec2 <operation> help``.

The pages are built by ``helpdocs.pages`` from the pinned model's
documentation and the project's own texts, and shown by
``helpdocs.paging``: through a pager with bold and underline on a terminal,
as plain text in a pipe.
"""

from __future__ import annotations

from ec2_import_image.cli.commandline import Invocation
from ec2_import_image.environment import Environment
from ec2_import_image.helpdocs.pages import (
    main_page,
    operation_page,
    service_page,
    wait_page,
    waiter_page,
)
from ec2_import_image.helpdocs.paging import show_page
from ec2_import_image.helpdocs.styled import Line
from ec2_import_image.helpdocs.waiters import WAIT, tool_waiters


def help_lines(invocation: Invocation) -> list[Line]:
    """The page an invocation asks for."""
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


def show_help(invocation: Invocation, env: Environment) -> int:
    show_page(help_lines(invocation), env)
    return 0
