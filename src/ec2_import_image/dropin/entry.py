"""Console entry points: ``aws`` and ``ec2-import-image``.

A run goes straight to ``app.run``; the click commands (``clickcommand.py``)
answer shell completion, which click's protocol asks for through an
environment variable (``_AWS_COMPLETE``, ``_EC2_IMPORT_IMAGE_COMPLETE``), so
click is imported only then.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping

from ec2_import_image.dropin.programs import AWS, SHORT, completion_variable
from ec2_import_image.environment import Environment


def main(argv: list[str], env: Environment) -> int:
    """Run one command line (argv without the program name); return the exit code."""
    from ec2_import_image.dropin.app import run

    return run(argv, env)


OUTPUT_ENCODING = "AWS_CLI_OUTPUT_ENCODING"


def use_output_encoding(environ: Mapping[str, str]) -> None:
    """v2 writes stdout and stderr in ``AWS_CLI_OUTPUT_ENCODING`` when it names a codec.

    An unknown codec is ignored here (an error may have to be printed with the
    streams as they are); ``app`` reports it at the point v2 does.
    """
    encoding = environ.get(OUTPUT_ENCODING)
    if not encoding:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(LookupError, AttributeError):
            stream.reconfigure(encoding=encoding)  # type: ignore[union-attr]


def _console(program: str) -> None:
    if completion_variable(program) in os.environ:
        from ec2_import_image.dropin.clickcommand import command_for

        command_for(program).main(prog_name=program)  # answers and exits
    use_output_encoding(os.environ)
    rc = main(sys.argv[1:], Environment(program=program, console_script=sys.argv[0]))
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
