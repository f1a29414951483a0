"""The oracle of the file-system readers: the tree given to mkfs, and what a reader reads.

scripts/make-fsread-fixtures.sh recorded the source tree it put into every image of
tests/fixtures/fsread/ as ``tree.jsonl`` (scripts/tree_manifest.py: path, type, size,
sha256, link target) and blkid's view of each image as ``blkid.json``.  ``read_tree``
walks a reader's volume the same way and returns records of the same shape, so a test
compares the two, file by file.
"""

from __future__ import annotations

import hashlib
import json

from ec2_import_image.fsread.tree import FileType, Handle, Volume
from tests.support.diskfixtures import FSREAD_FIXTURES

Record = dict[str, object]


def manifest() -> dict[str, Record]:
    lines = (FSREAD_FIXTURES / "tree.jsonl").read_text(encoding="utf-8").splitlines()
    return {str(record["path"]): record for record in map(json.loads, lines)}


def blkid(image: str) -> dict[str, str]:
    views: dict[str, dict[str, str]] = json.loads((FSREAD_FIXTURES / "blkid.json").read_text())
    return views[image]


def images(prefix: str) -> list[str]:
    return sorted(
        path.name.removesuffix(".xz") for path in FSREAD_FIXTURES.glob(f"{prefix}*.img.xz")
    )


def read_tree(
    volume: Volume, *, skip: tuple[str, ...] = (), most: int = 100_000, limit: int | None = None
) -> dict[str, Record]:
    """Every file under the root as a manifest record (``skip``: top-level names left out).

    At most ``most`` files are visited, a directory reached twice is not walked again, and
    with ``limit`` at most that many bytes of a file are read (its digest is then of those).
    """
    records: dict[str, Record] = {}
    walked: set[Handle] = set()

    def walk(directory: Handle, prefix: str) -> None:
        walked.add(directory)
        for entry in volume.entries(directory):
            path = prefix + entry.name
            if (not prefix and entry.name in skip) or len(records) >= most:
                continue
            found = volume.stat(entry.handle)
            record: Record = {
                "path": path,
                "type": found.type.value,
                "size": None,
                "sha256": None,
                "target": None,
            }
            if found.type is FileType.FILE:
                size = found.size if limit is None else min(found.size, limit)
                data = volume.read(entry.handle, 0, size)
                record.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
            elif found.type is FileType.SYMLINK:
                target = volume.read_link(entry.handle)
                record.update(size=len(target), target=target.decode("utf-8", "surrogateescape"))
            elif found.type is FileType.DIRECTORY and entry.handle not in walked:
                walk(entry.handle, path + "/")
            records[path] = record

    walk(volume.root(), "")
    return records


def differences(read: dict[str, Record], expected: dict[str, Record]) -> list[str]:
    """The paths where what was read differs from the manifest, each with both records."""
    return [
        f"{path}: read {read.get(path)}, expected {expected.get(path)}"
        for path in sorted(set(read) | set(expected))
        if read.get(path) != expected.get(path)
    ]
