"""botocore's endpoints data, reduced to the services this tool calls.

botocore's client creation reads ``endpoints.json`` (over 1 MB of JSON for
every service of every partition) to build its endpoint resolver, though the
tool only ever calls EC2 and the services of the credential providers.  The
reduced data (every partition with its defaults and regions, and only those
services) resolves every endpoint of those services exactly as the whole file
does.  ``datapath.py`` keeps it, a few KB, in the view of botocore's data the
drop-in's loader reads; before a view is used, its copy is checked to have
the shape botocore's endpoint resolver reads (:func:`is_endpoints_data`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ec2_import_image.dropin import cache


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
