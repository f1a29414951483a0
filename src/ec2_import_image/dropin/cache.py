"""The tool's cache directory: data it can rebuild, kept between runs to start faster.

Entries are ``marshal`` files (plain data only) in
``${XDG_CACHE_HOME:-~/.cache}/ec2-import-image/`` (the run's variables, not
the process's, say where), named by a key derived
from what they were built from (file paths, sizes and modification times), so
a changed source is rebuilt rather than read stale.  A cache that cannot be
read or written is not an error: the data is built as if there were none.

What is read is checked before it is used: each kind of entry comes with a
check of its shape (``load(name, check)``), and an entry that does not read,
or reads as something else than that kind holds (a file truncated or written
over by hand, a layout from another version), counts as no entry: the data
is built again and the entry written anew.

The directory is the user's alone: it is created with mode 0700, and a
directory of that name that the user owns but others may read or enter (as
earlier versions created it, under the umask) is narrowed to 0700 when an
entry is written.  Entries are read only from a directory the user owns and
nobody else can write to, and written only there: ``marshal`` data must come
from the tool itself.

A few entries are directories, for a reader that takes a directory
(botocore's data loader, ``service/datapath.py``): ``directory_key``,
``load_directory``, ``store_directory``.  A directory entry is built whole in a
temporary directory beside it and renamed into place, so a reader never sees
one half made; its check is handed the entry's path.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ec2_import_image.environment import expand_user

#: bump when the layout of any entry changes
CACHE_VERSION = "2"
#: the mode of the cache directory
DIRECTORY_MODE = 0o700


def cache_dir(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(expand_user("~", environ), ".cache")
    return os.path.join(base, "ec2-import-image")


def key_for(kind: str, files: Iterable[str], *extra: str) -> str | None:
    """A name for an entry built from ``files`` (None when one of them cannot be seen)."""
    name = directory_key(kind, files, *extra)
    return None if name is None else f"{name}.marshal"


def directory_key(kind: str, files: Iterable[str], *extra: str) -> str | None:
    """A name for a directory entry built from ``files`` (None when one cannot be seen)."""
    parts = [CACHE_VERSION, kind, *extra]
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            return None
        parts += [path, str(status.st_size), str(status.st_mtime_ns)]
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"


def load(name: str | None, check: Callable[[Any], bool], environ: Mapping[str, str]) -> Any:
    """The entry's data when it reads and ``check`` accepts its shape; else None."""
    if name is None:
        return None
    directory = cache_dir(environ)
    if not _owned_privately(directory):
        return None
    with contextlib.suppress(Exception), open(os.path.join(directory, name), "rb") as handle:
        data = marshal.load(handle)
        if check(data):
            return data
    return None


def store(name: str | None, data: Any, environ: Mapping[str, str]) -> None:
    """Write an entry atomically; one that cannot be written is simply not kept."""
    if name is None:
        return
    directory = cache_dir(environ)
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(directory, mode=DIRECTORY_MODE, exist_ok=True)
        _narrow(directory)
        if not _owned_privately(directory):
            return
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                marshal.dump(data, out)
            os.replace(temporary, os.path.join(directory, name))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def load_directory(
    name: str | None, check: Callable[[str], bool], environ: Mapping[str, str]
) -> str | None:
    """The path of the directory entry ``name`` when it is there and ``check`` accepts it."""
    if name is None:
        return None
    directory = cache_dir(environ)
    if not _owned_privately(directory):
        return None
    path = os.path.join(directory, name)
    return path if _accepted(path, check) else None


def store_directory(
    name: str | None,
    build: Callable[[str], None],
    check: Callable[[str], bool],
    environ: Mapping[str, str],
) -> str | None:
    """Make the directory entry ``name`` with ``build(path)``; its path, or None if not made.

    ``build`` fills an empty private directory; anything it raises means no
    entry.  An entry of that name that ``check`` refuses (broken by hand, say)
    is replaced; one it accepts, which another run put in place meanwhile, is
    kept and used: runs started together share one entry, and none removes
    an entry another is reading.
    """
    if name is None:
        return None
    directory = cache_dir(environ)
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(directory, mode=DIRECTORY_MODE, exist_ok=True)
        _narrow(directory)
        if not _owned_privately(directory):
            return None
        final = os.path.join(directory, name)
        temporary = tempfile.mkdtemp(dir=directory, prefix=f".{name}-", suffix=".tmp")
        try:
            build(temporary)
            if os.path.lexists(final):
                if _accepted(final, check):
                    return final
                _discard(final, directory)
            os.rename(temporary, final)
            return final
        except Exception:
            return final if _accepted(final, check) else None
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    return None


def _accepted(path: str, check: Callable[[str], bool]) -> bool:
    """Whether ``path`` is a directory (not a link to one) that ``check`` accepts."""
    try:
        return os.path.isdir(path) and not os.path.islink(path) and check(path)
    except Exception:
        return False


def _discard(path: str, directory: str) -> None:
    """Remove an entry: renamed aside first, so no reader sees it half removed."""
    aside = tempfile.mkdtemp(dir=directory, suffix=".old")
    os.rename(path, os.path.join(aside, "entry"))
    shutil.rmtree(aside, ignore_errors=True)


def _narrow(directory: str) -> None:
    """Take away what others may do in the user's own cache directory (mode 0700)."""
    status = os.stat(directory)
    if _is_mine(status) and stat.S_IMODE(status.st_mode) & ~DIRECTORY_MODE:
        os.chmod(directory, DIRECTORY_MODE)


def _owned_privately(directory: str) -> bool:
    """Whether ``directory`` is the user's and nobody else can write in it.

    Where there are no POSIX owners and modes (Windows), any directory is.
    """
    try:
        status = os.stat(directory)
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return _is_mine(status) and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _is_mine(status: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or status.st_uid == os.getuid()


def is_list_of(item_check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A check of a list whose every item passes ``item_check``."""

    def check(value: Any) -> bool:
        return isinstance(value, list) and all(item_check(item) for item in value)

    return check


def is_str_map(value_check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A check of a dict with string keys whose every value passes ``value_check``."""

    def check(value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(key, str) and value_check(item) for key, item in value.items()
        )

    return check
