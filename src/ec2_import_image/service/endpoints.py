"""botocore's endpoints file, reduced to the services this tool calls, kept between runs.

botocore's client creation reads ``endpoints.json`` (over 1 MB of JSON for
every service of every partition) to build its endpoint resolver, though the
tool only ever calls EC2 and the services of the credential providers.  The
reduced data (every partition with its defaults and regions, and only those
services) resolves every endpoint of those services exactly as the whole file
does.  It is kept in the user's cache directory, keyed by the file's path,
size and modification time, so a run after the first reads a few KB instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable, Collection, Sequence
from typing import Any

CACHE_VERSION = "1"


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ec2-import-image")


def _plain(value: Any) -> Any:
    """Plain dicts and lists (botocore reads JSON into OrderedDicts, which marshal refuses)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def reduce(endpoints: dict[str, Any], services: Collection[str]) -> dict[str, Any]:
    """The endpoints data with each partition's services limited to ``services``."""
    reduced = dict(endpoints)
    reduced["partitions"] = [
        {
            **partition,
            "services": {
                name: data
                for name, data in partition.get("services", {}).items()
                if name in services
            },
        }
        for partition in endpoints.get("partitions", [])
    ]
    return reduced


def _cache_file(path: str, services: Collection[str]) -> str | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = "|".join(
        [CACHE_VERSION, path, str(stat.st_size), str(stat.st_mtime_ns), *sorted(services)]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return os.path.join(cache_dir(), f"endpoints-{digest}.marshal")


def reduced_endpoints(
    search_paths: Sequence[str],
    services: Collection[str],
    load_full: Callable[[], tuple[Any, str]],
) -> tuple[Any, str]:
    """What botocore's ``load_data_with_path("endpoints")`` gives, reduced, cached.

    ``search_paths`` are the loader's (the first one holding ``endpoints.json``
    is the file botocore reads); ``load_full`` reads it as botocore would.
    """
    path = _endpoints_path(search_paths)
    cached = None if path is None else _cache_file(path, services)
    if path is not None and cached is not None:
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            with open(cached, "rb") as handle:
                data = marshal.load(handle)
            if isinstance(data, dict) and "partitions" in data:
                return data, path.removesuffix(".json")
    full, full_path = load_full()
    data = _plain(reduce(full, services))
    if cached is not None:
        _store(cached, data)
    return data, full_path


def _endpoints_path(search_paths: Sequence[str]) -> str | None:
    """Where the loader finds ``endpoints.json``: its first search path that has it."""
    for directory in search_paths:
        candidate = os.path.join(directory, "endpoints.json")
        if os.path.isfile(candidate):
            return candidate
    return None


def _store(path: str, data: dict[str, Any]) -> None:
    """Write the cache atomically; a cache that cannot be written is simply not kept."""
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                marshal.dump(data, out)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
