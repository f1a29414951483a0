"""File names after ``file://`` and ``fileb://``, the way v2's completer offers them.

The part after the prefix is a path typed so far; candidates are the entries
of its directory whose names start with its last component (hidden entries
only when that starts with a dot), each written back with the prefix and the
directory as typed, directories ending with ``/``.  ``~`` is expanded for
the lookup but kept in the candidates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ec2_import_image.environment import expand_user

FILE_PREFIXES = ("fileb://", "file://")


def file_prefix(fragment: str) -> str | None:
    for prefix in FILE_PREFIXES:
        if fragment.startswith(prefix):
            return prefix
    return None


def complete_path(fragment: str, environ: Mapping[str, str]) -> list[str]:
    """``file://``/``fileb://`` candidates for ``fragment``; [] for anything else.

    ``~`` is the home directory of ``environ``, the shell's variables.
    """
    prefix = file_prefix(fragment)
    if prefix is None:
        return []
    typed = fragment[len(prefix) :]
    if typed == "~":
        return [f"{prefix}~/"]
    directory, partial = os.path.split(typed)
    lookup = directory or "."
    lookup = expand_user(lookup, environ)
    try:
        entries = sorted(os.scandir(lookup), key=lambda e: e.name)
    except OSError:
        return []
    results = []
    for entry in entries:
        if not entry.name.startswith(partial):
            continue
        if entry.name.startswith(".") and not partial.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        name = os.path.join(directory, entry.name) if directory else entry.name
        results.append(prefix + name + ("/" if is_dir else ""))
    return results
