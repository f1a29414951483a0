"""Console entry points: ``aws`` and ``ec2-import-image``.

click is the command framework (entry points, the command tree for
completion, in-process testing); the command line itself is parsed by the
project's own v2-compatible parser, behind ``Command.parse_args``, because
v2's rules (argparse's) differ from click's.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.shell_completion import CompletionItem

from ec2_import_image.cli.commandline import AWS, SHORT
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
        from ec2_import_image.completion.click_hook import click_candidates

        return click_candidates(self.program, ctx.meta.get(_ARGV, []), incomplete)

    def invoke(self, ctx: click.Context) -> Any:
        from ec2_import_image.app import run

        env = ctx.obj if isinstance(ctx.obj, Environment) else Environment(program=self.program)
        return run(ctx.meta[_ARGV], env)


aws_command = AwsStyleCommand(AWS, AWS)
short_command = AwsStyleCommand(SHORT, SHORT)


def main(argv: list[str], env: Environment) -> int:
    """Run in-process (tests use this): argv without the program name."""
    command = short_command if env.program == SHORT else aws_command
    rc = command.main(args=argv, prog_name=env.program, obj=env, standalone_mode=False)
    return int(rc)


def _console(program: str) -> None:
    env = Environment(program=program)
    rc = main(sys.argv[1:], env)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``aws ... | head -1``): what v2 reports was reported
        # already; do not let Python complain while it closes stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(rc)


def aws_main() -> None:
    _console(AWS)


def short_main() -> None:
    _console(SHORT)
