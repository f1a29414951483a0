"""Region names for ``--region``, read from botocore's endpoint data without importing botocore.

The installed botocore package is located with ``importlib.util.find_spec``
(which does not run it) and its ``data/endpoints.json`` is read: the
Regions of the ``aws`` partition, with their descriptions.  Without
botocore or its data file there are no candidates.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path


@cache
def region_names() -> tuple[tuple[str, str], ...]:
    """(region, description) pairs of the ``aws`` partition."""
    try:
        spec = find_spec("botocore")
    except (ImportError, ValueError):
        return ()
    if spec is None or not spec.submodule_search_locations:
        return ()
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "endpoints.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for partition in data.get("partitions", []):
            if partition.get("partition") == "aws":
                regions = partition.get("regions", {})
                return tuple(
                    (name, str(info.get("description", ""))) for name, info in regions.items()
                )
    return ()
