"""The tool's cache directory: data it can rebuild, kept between runs to start faster.

Entries are ``marshal`` files (plain data only) in
``${XDG_CACHE_HOME:-~/.cache}/ec2-import-image/``, named by a key derived
from what they were built from (file paths, sizes and modification times), so
a changed source is rebuilt rather than read stale.  A cache that cannot be
read or written is not an error: the data is built as if there were none.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from collections.abc import Iterable
from typing import Any

#: bump when the layout of any entry changes
CACHE_VERSION = "2"


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ec2-import-image")


def key_for(kind: str, files: Iterable[str], *extra: str) -> str | None:
    """A name for an entry built from ``files`` (None when one of them cannot be seen)."""
    parts = [CACHE_VERSION, kind, *extra]
    for path in files:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        parts += [path, str(stat.st_size), str(stat.st_mtime_ns)]
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"{kind}-{digest}.marshal"


def load(name: str | None) -> Any:
    """The entry's data, or None when there is none (or it cannot be read)."""
    if name is None:
        return None
    path = os.path.join(cache_dir(), name)
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError), open(path, "rb") as handle:
        return marshal.load(handle)
    return None


def store(name: str | None, data: Any) -> None:
    """Write an entry atomically; one that cannot be written is simply not kept."""
    if name is None:
        return
    directory = cache_dir()
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                marshal.dump(data, out)
            os.replace(temporary, os.path.join(directory, name))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
