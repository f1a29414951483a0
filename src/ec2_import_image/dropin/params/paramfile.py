"""Values read from local files: ``file://PATH`` (text) and ``fileb://PATH`` (bytes).

AWS CLI v2 lets any parameter value (and any shorthand value written with
``key@=``) name a local file instead of spelling the value out.  The path after
the prefix has ``~`` and then ``$VARS`` expanded (from the run's variables)
and is opened relative to the process's working directory.  Text is decoded strictly, with universal
newlines, in ``AWS_CLI_FILE_ENCODING`` or else the locale's encoding (UTF-8
in the C and POSIX locales), as v2 decodes it; binary content is returned
untouched.  Anything else is not a file reference and gives ``None``.

This module sits on the start-up path of every command, so it imports nothing
beyond the standard library and the tool's errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from ec2_import_image.dropin.errors import GeneralError, crash_as_in_v2
from ec2_import_image.environment import expand_user, expand_vars

__all__ = ["BINARY_PREFIX", "TEXT_PREFIX", "ResourceLoadingError", "get_paramfile"]

TEXT_PREFIX = "file://"
BINARY_PREFIX = "fileb://"


class ResourceLoadingError(GeneralError):
    """A referenced file could not be read; ``str()`` is the message v2 prints.

    An option's value turns it into a parameter error; where v2 does not
    (``key@=file://`` in shorthand) it reaches the general handler (255), as here.
    """


def get_paramfile(value: str, environ: Mapping[str, str]) -> str | bytes | None:
    """Load the file that ``value`` refers to, or return ``None`` if it refers to none.

    ``file://PATH`` gives the file's text, ``fileb://PATH`` its bytes.  A file
    that cannot be opened or (for text) decoded raises :class:`ResourceLoadingError`.
    ``environ`` holds the run's variables (``~``, ``$VARS``, the file encoding).
    """
    if not isinstance(value, str):
        return None
    if value.startswith(TEXT_PREFIX):
        path = _local_path(value[len(TEXT_PREFIX) :], environ)
        return _read_text(value, path, text_encoding(environ))
    if value.startswith(BINARY_PREFIX):
        return _read_bytes(value, _local_path(value[len(BINARY_PREFIX) :], environ))
    return None


def _local_path(spec: str, environ: Mapping[str, str]) -> str:
    """The file system path a reference names: home directory first, then variables."""
    return expand_vars(expand_user(spec, environ), environ)


def text_encoding(environ: Mapping[str, str]) -> str:
    """The encoding of ``file://`` contents: ``AWS_CLI_FILE_ENCODING``, else the locale's."""
    if "AWS_CLI_FILE_ENCODING" in environ:
        return environ["AWS_CLI_FILE_ENCODING"]
    import locale

    if locale.setlocale(locale.LC_CTYPE) in ("C", "POSIX"):
        return "UTF-8"
    return locale.getpreferredencoding(False)


def _read_text(reference: str, path: str, encoding: str) -> str:
    try:
        with open(path, encoding=encoding) as handle:
            return handle.read()
    except LookupError as error:
        # an unknown AWS_CLI_FILE_ENCODING: v2 does not catch it either (255)
        raise crash_as_in_v2(error) from error
    except UnicodeDecodeError:
        raise ResourceLoadingError(
            f"Unable to load paramfile ({path}), text contents could not be decoded.  "
            "If this is a binary file, please use the fileb:// prefix instead of the "
            "file:// prefix."
        ) from None
    except (OSError, ValueError) as exc:
        raise _open_failure(reference, exc) from None


def _read_bytes(reference: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (OSError, ValueError) as exc:
        raise _open_failure(reference, exc) from None


def _open_failure(reference: str, exc: Exception) -> ResourceLoadingError:
    # The reference is quoted as written (prefix included); the OS error names
    # the expanded path, as ``open()`` reports it.  A ValueError can only be
    # "embedded null byte", which argv cannot carry; v2 lets that one escape.
    return ResourceLoadingError(f"Unable to load paramfile {reference}: {exc}")
