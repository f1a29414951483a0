"""The drop-in's real parse (``cli.parse.parse_invocation``), for tests of the command line.

``parse_line`` parses as a run does, aliases and the resolution of the global
options included, in an environment without configuration or alias files
(HOME does not exist) unless the test gives its own variables.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ec2_import_image.dropin.cli.commandline import Invocation
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.cli.parse import parse_invocation
from ec2_import_image.dropin.programs import AWS
from ec2_import_image.environment import Environment

#: no HOME, hence no alias, config or credentials file; no AWS CLI to hand over to
NO_FILES: dict[str, str] = {
    "HOME": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "EC2_IMPORT_IMAGE_FALLBACK": "",
}


def quiet_environment(environ: Mapping[str, str] | None = None, program: str = AWS) -> Environment:
    """An Environment with no terminal, empty stdin and streams kept in memory."""
    return Environment(
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ=NO_FILES if environ is None else environ,
        program=program,
        stdin_isatty=False,
        stdout_isatty=False,
        stderr_isatty=False,
    )


def parse_line(
    argv: Sequence[str], program: str = AWS, environ: Mapping[str, str] | None = None
) -> Invocation:
    """``argv`` (without the program name) parsed as a run of ``program`` parses it."""
    return parse_invocation(list(argv), quiet_environment(environ, program))


def given_globals(options: GlobalOptions) -> dict[str, Any]:
    """The global options as the command line gave them (the compiled query left out)."""
    values = options.as_dict()
    del values["query_expression"]
    return values
