"""The click commands ``aws`` and ``ec2-import-image``.

click is the command framework: these commands are what shell completion
(click's protocol, see ``completion/click_hook.py``) and any click-based
embedding talk to.  Their arguments are parsed by the project's own
v2-compatible parser, behind ``Command.parse_args``, because v2's rules
(argparse's) differ from click's.  The console scripts reach these commands
only when completion is asked for (``entry.py``): importing click costs a third
of the tool's start-up, and a plain run does not need it.
"""

from __future__ import annotations

import os
from typing import Any

import click
from click.shell_completion import CompletionItem

from ec2_import_image.dropin.programs import AWS, SHORT
from ec2_import_image.environment import Environment

_ARGV = "ec2_import_image.argv"


class AwsStyleCommand(click.Command):
    """A click command whose arguments are parsed the AWS CLI v2 way."""

    def __init__(self, name: str, program: str) -> None:
        super().__init__(
            name,
            context_settings={"help_option_names": [], "ignore_unknown_options": True},
            add_help_option=False,
        )
        self.program = program

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGV] = list(args)
        return []

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """click's completion protocol (``_AWS_COMPLETE=bash_complete`` ...): see completion/."""
        from ec2_import_image.dropin.completion.click_hook import click_candidates

        # click's completion runs in the shell's process: its variables are the environment
        return click_candidates(self.program, ctx.meta.get(_ARGV, []), incomplete, os.environ)

    def invoke(self, ctx: click.Context) -> Any:
        from ec2_import_image.dropin.app import run

        env = ctx.obj if isinstance(ctx.obj, Environment) else Environment(program=self.program)
        return run(ctx.meta[_ARGV], env)


aws_command = AwsStyleCommand(AWS, AWS)
short_command = AwsStyleCommand(SHORT, SHORT)


def command_for(program: str) -> AwsStyleCommand:
    return short_command if program == SHORT else aws_command
