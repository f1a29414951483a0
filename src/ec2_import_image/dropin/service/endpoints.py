"""botocore's endpoints file, reduced to the services this tool calls, kept between runs.

botocore's client creation reads ``endpoints.json`` (over 1 MB of JSON for
every service of every partition) to build its endpoint resolver, though the
tool only ever calls EC2 and the services of the credential providers.  The
reduced data (every partition with its defaults and regions, and only those
services) resolves every endpoint of those services exactly as the whole file
does.  It is kept in the tool's cache (``ec2_import_image.dropin.cache``), keyed by
the file's path, size and modification time, so a run after the first reads
a few KB instead.  What the cache gives back is used only when it has the
shape botocore's endpoint resolver reads (:func:`is_endpoints_data`); anything
else is rebuilt from the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
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
    environ: Mapping[str, str],
) -> tuple[Any, str]:
    """What botocore's ``load_data_with_path("endpoints")`` gives, reduced, cached.

    ``search_paths`` are the loader's (the first one holding ``endpoints.json``
    is the file botocore reads); ``load_full`` reads it as botocore would;
    ``environ`` says where the cache is.
    """
    path = _endpoints_path(search_paths)
    key = None if path is None else cache.key_for("endpoints", [path], *sorted(services))
    data = cache.load(key, is_endpoints_data, environ)
    if path is not None and data is not None:
        return data, path.removesuffix(".json")
    full, full_path = load_full()
    data = _plain(reduce(full, services))
    cache.store(key, data, environ)
    return data, full_path


def _endpoints_path(search_paths: Sequence[str]) -> str | None:
    """Where the loader finds ``endpoints.json``: its first search path that has it."""
    for directory in search_paths:
        candidate = os.path.join(directory, "endpoints.json")
        if os.path.isfile(candidate):
            return candidate
    return None


#: a partition's fields botocore's resolver reads as strings
PARTITION_NAMES = ("partition", "dnsSuffix", "regionRegex")


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


#: regions, or a service's endpoints: settings by name
_is_named_settings = cache.is_str_map(_is_dict)


def _is_service(value: Any) -> bool:
    """A service's entry: its endpoints by name, and optional defaults and partition endpoint."""
    return (
        isinstance(value, dict)
        and _is_named_settings(value.get("endpoints", {}))
        and isinstance(value.get("defaults", {}), dict)
        and isinstance(value.get("partitionEndpoint", ""), str)
    )


def _is_partition(value: Any) -> bool:
    """A partition as botocore's resolver reads it (names, regions, services, defaults)."""
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(name), str) for name in PARTITION_NAMES)
        and _is_named_settings(value.get("regions"))
        and cache.is_str_map(_is_service)(value.get("services"))
        and isinstance(value.get("defaults", {}), dict)
    )


_are_partitions = cache.is_list_of(_is_partition)


def is_endpoints_data(data: Any) -> bool:
    """Whether ``data`` has the shape of botocore's endpoints data (a cache entry's check)."""
    return isinstance(data, dict) and _are_partitions(data.get("partitions"))
