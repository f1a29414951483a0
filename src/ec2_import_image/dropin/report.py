"""The one place errors are caught: print as v2 prints, return v2's exit status.

Layouts, as v2.36.7 prints them on stderr:

- plain: a blank line, then ``aws: [ERROR]: <message>``;
- unknown options: a blank line, the usage block, then the plain layout;
- structured (parameter, configuration, credential, pager and service errors):
  by ``--cli-error-format`` / ``AWS_CLI_ERROR_FORMAT`` / ``cli_error_format``:
  ``enhanced`` (default) prefixes ``An error occurred (Code): `` (service
  errors already read that way) and lists extra fields, ``legacy`` prints the
  bare message, ``json``/``yaml``/``text``/``table`` print the error's fields
  with the output renderer of that name.  An invalid format falls back to
  enhanced.
- Ctrl-C: a newline on stdout, exit 130.

What is reported: the tool's own errors as raised (``CliError``); botocore's
and urllib3's exceptions, and Python's own raised from inside them, as v2
reports them (``service.errors``: v2 runs the same libraries); anything else
is a bug of this tool, reported as an ``InternalError`` that says so.  With
``--debug``, every error's traceback is logged first, as v2's driver logs it
(``Exception caught in main()`` at debug level).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, TextIO

from ec2_import_image.dropin.cli.commandline import usage
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.cli.options import ERROR_FORMAT_CHOICES
from ec2_import_image.dropin.errors import (
    CliError,
    ExitStatus,
    InternalError,
    PromptInterrupted,
    ServiceError,
    UnknownOptionsError,
    row_for,
)
from ec2_import_image.dropin.runstate import RunState

MAX_INLINE_ITEMS = 5


def write_error(stream: TextIO, message: str, program: str = "aws") -> None:
    text = message.strip()
    stream.write("\n")
    stream.write(f"{program}: [ERROR]: {text}" if text else f"{program}: [ERROR]:")
    stream.write("\n")


def as_cli_error(error: BaseException, *, traceback_logged: bool = False) -> CliError:
    """The tool's error for any exception: its own, v2's for the libraries', else internal."""
    if isinstance(error, CliError):
        return error
    if "botocore" in sys.modules:  # neither botocore nor urllib3 raised anything otherwise
        from ec2_import_image.dropin.service.errors import translate

        translated = translate(error)
        if translated is not None:
            return translated
    return InternalError(error, traceback_logged=traceback_logged)


def _log_traceback(error: BaseException, state: RunState) -> bool:
    """With ``--debug``, log ``error`` with its traceback as v2 does; whether it was logged.

    The debug log exists only when ``--debug`` started it; without it nothing
    is imported here (``logging`` is not on the drop-in's start-up path).
    """
    if state.debug_log is None:
        return False
    from ec2_import_image.debuglog import log

    log.debug("Exception caught in main()", exc_info=error)
    return True


def error_format(state: RunState) -> str:
    options = state.globals or GlobalOptions()
    if options.cli_error_format:
        return options.cli_error_format.lower()
    configured = state.config.error_format_setting(options.profile)
    if configured:
        value = configured.lower()
        return value if value in ERROR_FORMAT_CHOICES else "enhanced"
    return "enhanced"


def report_error(error: BaseException, state: RunState) -> ExitStatus:
    """Print ``error`` as v2 would and return the exit status."""
    env = state.env
    traceback_logged = _log_traceback(error, state)
    if isinstance(error, PromptInterrupted):
        env.stderr.write(f"{error}\n")
        return ExitStatus.ERROR_CTRL_C
    if isinstance(error, KeyboardInterrupt):
        env.stdout.write("\n")
        return ExitStatus.ERROR_CTRL_C
    try:
        return _print_error(as_cli_error(error, traceback_logged=traceback_logged), state)
    except Exception as failure:  # printing failed (stderr cannot encode the message...)
        with contextlib.suppress(Exception):
            write_error(env.stderr, str(failure), env.program)
        return ExitStatus.ERROR


def _print_error(cli_error: CliError, state: RunState) -> ExitStatus:
    row = row_for(cli_error)
    stderr = state.env.stderr
    program = state.env.program
    if isinstance(cli_error, UnknownOptionsError):
        # v2 writes "usage: " + a usage text that ends with a newline, then one more
        stderr.write("\n")
        stderr.write(usage(program) + "\n")
        write_error(stderr, cli_error.message, program)
        return row.rc
    if isinstance(cli_error, ServiceError):
        info = cli_error.details
        headline = cli_error.message
    elif row.code is not None:
        info = {"Code": row.code, "Message": cli_error.message}
        headline = f"An error occurred ({row.code}): {cli_error.message}"
    else:
        write_error(stderr, cli_error.message, program)
        return row.rc
    fmt = error_format(state)
    if fmt == "legacy" or not info:
        write_error(stderr, cli_error.message, program)
        return row.rc
    try:
        if fmt == "enhanced" or fmt not in ERROR_FORMAT_CHOICES:
            write_error(stderr, headline, program)
            _write_extra_fields(stderr, info)
        else:
            _render_structured(fmt, info, state)
    except Exception:
        # as v2: when the structured form cannot be shown, the plain message is tried
        write_error(stderr, cli_error.message, program)
    return row.rc


def _render_structured(fmt: str, info: dict[str, Any], state: RunState) -> None:
    from ec2_import_image.dropin.render import render

    color = (state.globals or GlobalOptions()).color
    use_color = color == "on" or (color == "auto" and bool(state.env.stderr_isatty))
    render(fmt, "error", info, state.env.stderr, color=use_color)


def _simple(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _write_extra_fields(stream: TextIO, info: dict[str, Any]) -> None:
    extra = {k: v for k, v in info.items() if k.lower() not in ("code", "message")}
    if not extra:
        return
    stream.write("\nAdditional error details:\n")
    complex_seen = False
    for key, value in extra.items():
        if _simple(value):
            stream.write(f"{key}: {value}\n")
        elif (
            isinstance(value, list)
            and len(value) < MAX_INLINE_ITEMS
            and all(_simple(v) for v in value)
        ):
            stream.write(f"{key}: [{', '.join(str(v) for v in value)}]\n")
        elif (
            isinstance(value, dict)
            and len(value) < MAX_INLINE_ITEMS
            and all(_simple(v) for v in value.values())
        ):
            inner = ", ".join(f"{k}: {v}" for k, v in value.items())
            stream.write(f"{key}: {{{inner}}}\n")
        else:
            stream.write(f"{key}: <complex value>\n")
            complex_seen = True
    if complex_seen:
        stream.write(
            'Use "--cli-error-format json" or another error format to see the full details.\n'
        )
