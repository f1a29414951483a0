"""botocore's endpoints file, reduced to the services this tool calls, kept between runs.

botocore's client creation reads ``endpoints.json`` (over 1 MB of JSON for
every service of every partition) to build its endpoint resolver, though the
tool only ever calls EC2 and the services of the credential providers.  The
reduced data (every partition with its defaults and regions, and only those
services) resolves every endpoint of those services exactly as the whole file
does.  It is kept in the tool's cache (``ec2_import_image.dropin.cache``), keyed by
the file's path, size and modification time, so a run after the first reads
a few KB instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from typing import Any

from ec2_import_image.dropin import cache


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
    key = None if path is None else cache.key_for("endpoints", [path], *sorted(services))
    data = cache.load(key)
    if path is not None and isinstance(data, dict) and "partitions" in data:
        return data, path.removesuffix(".json")
    full, full_path = load_full()
    data = _plain(reduce(full, services))
    cache.store(key, data)
    return data, full_path


def _endpoints_path(search_paths: Sequence[str]) -> str | None:
    """Where the loader finds ``endpoints.json``: its first search path that has it."""
    for directory in search_paths:
        candidate = os.path.join(directory, "endpoints.json")
        if os.path.isfile(candidate):
            return candidate
    return None
