"""An external alias (``name = !command``): the command line run by the shell, as v2 runs it.

The shell gets the run's stdin, stdout and stderr and its variables; its exit
status is the command's.  A stream that is not a file (a test's ``StringIO``)
gets what the shell wrote to it once the shell has ended.
"""

from __future__ import annotations

import subprocess
from typing import IO, Any

from ec2_import_image.environment import Environment


def _fileno(stream: IO[str]) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def run_external(command: str, env: Environment) -> int:
    """Run ``command`` with ``/bin/sh``; return its exit status (negative for a signal)."""
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
    result = subprocess.run(command, shell=True, env=dict(env.environ), check=False, **options)
    if stdout is None:
        env.stdout.write(result.stdout.decode("utf-8", "backslashreplace"))
    if stderr is None:
        env.stderr.write(result.stderr.decode("utf-8", "backslashreplace"))
    return result.returncode
