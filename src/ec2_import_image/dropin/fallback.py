"""The AWS CLI that runs what this tool does not serve: which executable, which version.

Scripts that call ``aws ec2 import-image`` call ``aws s3 cp`` and ``aws iam
create-role`` too; with the drop-in first on PATH those must still work, so
the drop-in hands them to the real AWS CLI (``commands/handover.py``).  This
module finds it, without importing botocore:

- ``EC2_IMPORT_IMAGE_FALLBACK``, when set: the path of the AWS CLI's ``aws``
  (a bare name is looked up on PATH, as a shell would).  Set empty, it turns
  the hand-over off: the recorded cases run so, so that they never depend on
  the machine's PATH.
- otherwise the first ``aws`` on PATH that is not this tool, however this tool
  was installed: entries that resolve to the running console script, and
  console scripts that import this tool's package (a venv, pipx, a symlink, a
  second copy), are skipped.
- a run started by a hand-over sees ``EC2_IMPORT_IMAGE_HANDOVER`` in its
  environment: how many hand-overs led to it, a digest of the command line
  handed over, and the executable it went to.  The same command line coming
  back means that executable was this tool after all, through some wrapper the
  two checks above cannot see through: a loop, refused.  Another command line
  is the AWS CLI calling ``aws`` itself (``credential_process = aws configure
  export-credentials ...``, say), handed over again; a fourth hand-over in a row
  is refused whatever the line, a loop that changes its words.

Unknown command words are handed over only to AWS CLI v2 (v2's answer is the
spec: v2 gives exactly that answer for a typo, and knows commands newer than
the v2.36.7 this tool follows; v1's grammar and messages differ).  The major
version comes from ``<fallback> --version``, asked once per executable and
kept in the tool's cache, keyed by the executable's resolved path, size and
modification time.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from typing import NamedTuple

FALLBACK_VARIABLE = "EC2_IMPORT_IMAGE_FALLBACK"
#: set in the environment of the AWS CLI a command line is handed to (see ``Marker``)
HANDOVER_MARKER = "EC2_IMPORT_IMAGE_HANDOVER"
#: hand-overs in a row after which a run refuses, whatever its command line
MAX_HOPS = 4
EXECUTABLE = "aws"
COMPLETER = "aws_completer"
#: what every console script of this tool names, and no file of the AWS CLI
OWN_PACKAGE = b"ec2_import_image"
#: how much of a script is read to tell a copy of this tool (console scripts are tiny)
HEAD_BYTES = 8192
#: how long ``<fallback> --version`` may take (v1 and v2 answer in well under a second)
VERSION_TIMEOUT = 5.0
_VERSION = re.compile(rb"\baws-cli/(\d+)\.")
#: this tool's ``--version`` says ``aws-cli/2.36.7 ... ec2-import-image/<version>``
_OWN_VERSION = b" ec2-import-image/"


class NoFallback(enum.Enum):
    """Why there is no AWS CLI to hand a command line to."""

    #: ``EC2_IMPORT_IMAGE_FALLBACK`` is set empty
    DISABLED = "disabled"
    #: no ``aws`` on PATH but this tool
    NOT_FOUND = "not-found"
    #: ``EC2_IMPORT_IMAGE_FALLBACK`` names no executable file
    NOT_EXECUTABLE = "not-executable"
    #: ``EC2_IMPORT_IMAGE_FALLBACK`` names this tool
    SELF = "self"
    #: this run was started by a hand-over: handing over again would loop
    LOOP = "loop"


class Fallback(NamedTuple):
    """The AWS CLI found, or why there is none."""

    path: str | None
    reason: NoFallback | None = None
    #: the value the reason is about (the variable's, or the marker's)
    detail: str = ""


def line_digest(argv: Sequence[str]) -> str:
    """A short digest of a command line (its words, in order)."""
    import hashlib

    return hashlib.sha256("\0".join(argv).encode("utf-8", "surrogateescape")).hexdigest()[:16]


class Marker(NamedTuple):
    """The value of ``EC2_IMPORT_IMAGE_HANDOVER``: ``HOPS DIGEST PATH``."""

    #: hand-overs in a row that led here (1 for the first)
    hops: int
    #: ``line_digest`` of the command line handed over
    digest: str
    #: the executable it was handed to
    path: str

    def encode(self) -> str:
        return f"{self.hops} {self.digest} {self.path}"

    @classmethod
    def parse(cls, value: str) -> Marker | None:
        hops, _, rest = value.partition(" ")
        digest, _, path = rest.partition(" ")
        if not hops.isdigit() or len(digest) != 16 or not path:
            return None
        return cls(int(hops), digest, path)


def marker_for(path: str, argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The marker of handing ``argv`` to ``path`` from a run with ``environ``."""
    previous = Marker.parse(environ.get(HANDOVER_MARKER, ""))
    hops = 1 if previous is None else previous.hops + 1
    return Marker(hops, line_digest(argv), path).encode()


def _looping(environ: Mapping[str, str], argv: Sequence[str] | None) -> Fallback | None:
    """A refusal when handing over again would loop (see the module's docstring)."""
    value = environ.get(HANDOVER_MARKER)
    if not value:
        return None
    marker = Marker.parse(value)
    if marker is None:
        return Fallback(None, NoFallback.LOOP, value)
    if marker.hops >= MAX_HOPS or (argv is not None and marker.digest == line_digest(argv)):
        return Fallback(None, NoFallback.LOOP, marker.path)
    return None


def find_fallback(
    environ: Mapping[str, str],
    console_script: str | None = None,
    argv: Sequence[str] | None = None,
) -> Fallback:
    """The AWS CLI to hand ``argv`` to, for a run with ``environ``.

    ``console_script`` is the file the running process was started as, when
    it is one (``Environment.console_script``); ``argv``, the command line to
    hand over (None: only the count of hand-overs guards against a loop).
    """
    looping = _looping(environ, argv)
    if looping is not None:
        return looping
    own = {os.path.realpath(console_script)} if console_script else set()
    configured = environ.get(FALLBACK_VARIABLE)
    if configured is not None:
        return _configured(configured, environ, own)
    for directory in _path_entries(environ):
        candidate = shutil.which(EXECUTABLE, path=directory)
        if candidate is not None and not is_this_tool(candidate, own):
            return Fallback(candidate)
    return Fallback(None, NoFallback.NOT_FOUND)


def _configured(value: str, environ: Mapping[str, str], own: set[str]) -> Fallback:
    if not value:
        return Fallback(None, NoFallback.DISABLED)
    path: str | None = value
    if os.sep not in value and (os.altsep is None or os.altsep not in value):
        path = shutil.which(value, path=environ.get("PATH", os.defpath))
    if path is None or not os.path.isfile(path) or not os.access(path, os.X_OK):
        return Fallback(None, NoFallback.NOT_EXECUTABLE, value)
    if is_this_tool(path, own):
        return Fallback(None, NoFallback.SELF, path)
    return Fallback(path)


def _path_entries(environ: Mapping[str, str]) -> list[str]:
    """PATH's directories in order, once each (an empty entry is the current directory)."""
    seen: list[str] = []
    for entry in environ.get("PATH", os.defpath).split(os.pathsep):
        directory = entry or os.curdir
        if directory not in seen:
            seen.append(directory)
    return seen


def is_this_tool(path: str, own: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``path`` runs this tool: the running script itself, or a script importing it."""
    real = os.path.realpath(path)
    if real in own:
        return True
    try:
        with open(real, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return False
    return head.startswith(b"#!") and OWN_PACKAGE in head


def major_version(path: str, environ: Mapping[str, str]) -> int | None:
    """The major version of the AWS CLI at ``path`` (1, 2...), None when unknown.

    A copy of this tool that slipped through ``find_fallback`` answers as
    such and counts as unknown.  An answer is cached; a time-out or an
    executable that cannot be started is not (it may work next time).
    """
    from ec2_import_image.dropin import cache

    key = cache.key_for("fallback-version", [os.path.realpath(path)])
    cached = cache.load(key, _is_version, environ)
    if cached is not None:
        return int(cached) or None
    answer = _ask_version(path, environ)
    if answer is None:
        return None
    cache.store(key, answer, environ)
    return answer or None


def _is_version(value: object) -> bool:
    """The shape of a cached answer: a major version, 0 for "not an AWS CLI"."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _ask_version(path: str, environ: Mapping[str, str]) -> int | None:
    """Run ``<path> --version``: its major version, 0 for no AWS CLI's answer, None for none."""
    import subprocess

    try:
        result = subprocess.run(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env={**environ, HANDOVER_MARKER: marker_for(path, ["--version"], environ)},
            timeout=VERSION_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = result.stdout + result.stderr  # v1 printed its version on stderr once
    match = _VERSION.search(text)
    if match is None or _OWN_VERSION in text:
        return 0
    return int(match.group(1))


def completer_for(path: str) -> str | None:
    """The AWS CLI's ``aws_completer`` beside its ``aws`` (as found, or resolved)."""
    for directory in dict.fromkeys(
        (os.path.dirname(path), os.path.dirname(os.path.realpath(path)))
    ):
        candidate = shutil.which(COMPLETER, path=directory or os.curdir)
        if candidate is not None and not is_this_tool(candidate):
            return candidate
    return None
