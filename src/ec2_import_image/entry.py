"""Console entry points: ``aws`` and ``ec2-import-image``.

A run goes straight to ``app.run``; the click commands (``clickcommand.py``)
answer shell completion, which click's protocol asks for through an
environment variable (``_AWS_COMPLETE``, ``_EC2_IMPORT_IMAGE_COMPLETE``), so
click is imported only then.
"""

from __future__ import annotations

import os
import sys

from ec2_import_image.cli.commandline import AWS, SHORT
from ec2_import_image.environment import Environment


def completion_variable(program: str) -> str:
    """click's completion variable: ``_AWS_COMPLETE``, ``_EC2_IMPORT_IMAGE_COMPLETE``."""
    return "_" + program.replace("-", "_").upper() + "_COMPLETE"


def main(argv: list[str], env: Environment) -> int:
    """Run one command line (argv without the program name); return the exit code."""
    from ec2_import_image.app import run

    return run(argv, env)


def _console(program: str) -> None:
    if completion_variable(program) in os.environ:
        from ec2_import_image.clickcommand import command_for

        command_for(program).main(prog_name=program)  # answers and exits
    rc = main(sys.argv[1:], Environment(program=program))
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
