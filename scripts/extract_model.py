#!/usr/bin/env python3
"""Extract the pinned VM Import model from the installed botocore's EC2 data.

The tool knows three EC2 operations.  Their shapes (documentation included)
and the service metadata are copied into ``service-2.json``, the paginator of
DescribeImportImageTasks into ``paginators-1.json``, both in botocore's own
layouts and in botocore's data directory layout
(``src/ec2_import_image/model/data/ec2/<api version>/``), so that the
directory is a search path of botocore's loader.  ``service-2.json`` records
the botocore version it came from; moving the reference forward means
regenerating the files on purpose and re-recording the golden cases.

    python scripts/extract_model.py            # (re)write the shipped files
    python scripts/extract_model.py --check    # exit 1 when they differ
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OPERATIONS = ("CancelImportTask", "DescribeImportImageTasks", "ImportImage")
SERVICE = "ec2"
API_VERSION = "2016-11-15"
#: botocore's data layout: <search path>/<service>/<api version>/<type>.json
TARGET = Path(__file__).resolve().parent.parent / "src/ec2_import_image/model/data"


def _reachable(shapes: dict[str, Any], roots: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        shape = shapes[name]
        for key in ("member", "key", "value"):
            if key in shape:
                stack.append(shape[key]["shape"])
        stack.extend(m["shape"] for m in shape.get("members", {}).values())
    return sorted(seen)


def build() -> dict[str, dict[str, Any]]:
    """The shipped files' contents by type name (``service-2``, ``paginators-1``)."""
    import botocore
    from botocore.loaders import create_loader

    loader = create_loader()
    service = loader.load_service_model(SERVICE, "service-2", API_VERSION)
    paginators = loader.load_service_model(SERVICE, "paginators-1", API_VERSION)
    operations = {name: service["operations"][name] for name in OPERATIONS}
    roots = [
        op[key]["shape"] for op in operations.values() for key in ("input", "output") if key in op
    ]
    shapes = {name: service["shapes"][name] for name in _reachable(service["shapes"], roots)}
    pages = {
        name: paginators["pagination"][name]
        for name in OPERATIONS
        if name in paginators["pagination"]
    }
    return {
        "service-2": {
            "pinned": {
                "source": "botocore",
                "botocore_version": botocore.__version__,
                "reference": "aws-cli/2.36.7",
            },
            "version": "2.0",
            "metadata": service["metadata"],
            "documentation": service.get("documentation", ""),
            "operations": operations,
            "shapes": shapes,
        },
        "paginators-1": {"pagination": pages},
    }


def render(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--output", type=Path, default=TARGET, help="the data directory")
    args = parser.parse_args(argv)
    differ = 0
    for type_name, content in build().items():
        path = args.output / SERVICE / API_VERSION / f"{type_name}.json"
        text = render(content)
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                print(f"{path} differs from the installed botocore's model", file=sys.stderr)
                differ = 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return differ


if __name__ == "__main__":
    sys.exit(main())
