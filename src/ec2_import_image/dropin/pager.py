"""The output pager, as v2 uses it.

When stdout is a terminal, output goes through the pager named by
``AWS_PAGER``, else the profile's ``cli_pager``, else ``PAGER``, else ``less``;
``less`` gets ``LESS=FRX`` when ``LESS`` is unset, so one screen of output
does not wait for a key.  ``--no-cli-pager`` or an empty setting turns paging
off, and nothing is ever paged when stdout is not a terminal.  The pager
process starts on the first write (a command that prints nothing starts
none); a pager that cannot be started is v2's configuration error (253).

A pager that goes away early (the user quits it) ends the output quietly;
a failed write on stdout itself is v2's general error
(``errors.stdout_writes``).
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from collections.abc import Iterator
from typing import IO, TextIO, cast

from ec2_import_image.awsconfig.files import ConfigFiles
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.errors import PagerError, stdout_writes
from ec2_import_image.environment import Environment

DEFAULT_PAGER = "less"
DEFAULT_LESS_FLAGS = "FRX"


def configured_pager(config: ConfigFiles, options: GlobalOptions) -> str | None:
    if options.no_cli_pager:
        return None
    environ = config.environ
    if "AWS_PAGER" in environ:
        return environ["AWS_PAGER"]
    profile_pager = config.setting("cli_pager", profile=options.profile)
    if profile_pager is not None:
        return profile_pager
    if "PAGER" in environ:
        return environ["PAGER"]
    return DEFAULT_PAGER


def pager_error(error: OSError) -> PagerError:
    return PagerError(
        "Unable to redirect output to pager. Received the following error when opening "
        f'pager:\n{error}\n\nLearn more about configuring the output pager by running "aws help '
        'config-vars".'
    )


class LazyPagerStream:
    """A text stream that starts the pager on the first write."""

    def __init__(self, command: str, environ: dict[str, str]) -> None:
        self._command = command
        self._environ = environ
        self._process: subprocess.Popen[str] | None = None

    def _stdin(self) -> IO[str]:
        if self._process is None:
            try:
                self._process = subprocess.Popen(
                    shlex.split(self._command),
                    stdin=subprocess.PIPE,
                    env=self._environ,
                    text=True,
                )
            except OSError as error:
                raise pager_error(error) from None
        assert self._process.stdin is not None
        return self._process.stdin

    def write(self, text: str) -> int:
        return self._stdin().write(text)

    def flush(self) -> None:
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.flush()

    def isatty(self) -> bool:
        return True

    def close(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError):
            self._process.communicate()


@contextlib.contextmanager
def output_stream(
    env: Environment, config: ConfigFiles, options: GlobalOptions
) -> Iterator[TextIO]:
    """stdout, or the pager's stdin when stdout is a terminal and a pager is configured."""
    pager = configured_pager(config, options) if env.stdout_isatty else None
    if not pager:
        with stdout_writes():
            yield env.stdout
        return
    environ = dict(env.environ)
    environ.setdefault("LESS", DEFAULT_LESS_FLAGS)
    stream = LazyPagerStream(pager, environ)
    try:
        yield cast(TextIO, stream)
    except BrokenPipeError:
        pass  # the user quit the pager before the end of the output
    finally:
        stream.close()
