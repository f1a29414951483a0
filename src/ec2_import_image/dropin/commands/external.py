"""Programs the drop-in runs in a child process: external aliases and the AWS CLI.

An external alias (``name = !command``) is a command line run by the shell, as
v2 runs it; a command line this tool does not serve goes to the AWS CLI
(``commands/handover.py``) in a child process when the run is in-process
(tests, an embedding) and cannot replace its process.  The child gets the
run's stdin, stdout and stderr and the variables it is given; its exit status
is the command's.  A stream that is not a file (a test's ``StringIO``) gets
what the child wrote to it once the child has ended.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from typing import IO, Any

from ec2_import_image.environment import Environment


def _fileno(stream: IO[str]) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def run_external(command: str, env: Environment) -> int:
    """Run ``command`` with ``/bin/sh``; return its exit status (negative for a signal)."""
    return _run_child(command, env, env.environ)


def run_program(args: Sequence[str], env: Environment, environ: Mapping[str, str]) -> int:
    """Run the program ``args[0]`` with ``environ``; its exit status (negative for a signal)."""
    return _run_child(list(args), env, environ)


def _run_child(args: str | list[str], env: Environment, environ: Mapping[str, str]) -> int:
    """A command line (by the shell) or an argument vector, on the run's streams."""
    for stream in (env.stdout, env.stderr):
        stream.flush()
    stdin, stdout, stderr = (_fileno(s) for s in (env.stdin, env.stdout, env.stderr))
    options: dict[str, Any] = {
        "stdout": subprocess.PIPE if stdout is None else stdout,
        "stderr": subprocess.PIPE if stderr is None else stderr,
    }
    if stdin is None:
        options["input"] = env.stdin.read().encode()
    else:
        options["stdin"] = stdin
    shell = isinstance(args, str)
    result = subprocess.run(args, shell=shell, env=dict(environ), check=False, **options)
    if stdout is None:
        env.stdout.write(result.stdout.decode("utf-8", "backslashreplace"))
    if stderr is None:
        env.stderr.write(result.stderr.decode("utf-8", "backslashreplace"))
    return result.returncode
