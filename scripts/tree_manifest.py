"""Write the manifest of a directory tree: what a file-system reader must read back from it.

One JSON object per line, sorted by path (relative, ``/``-separated, no leading
slash): ``{"path", "type", "size", "sha256", "target"}`` with ``type`` one of
``file``, ``directory``, ``symlink``, ``other`` (devices, FIFOs, sockets).
``size`` and ``sha256`` are a regular file's; ``target`` and ``size`` (its
length in bytes) a symbolic link's; the others are null.  Nothing is followed:
a link is recorded as a link.

scripts/make-fsread-fixtures.sh makes one from the tree it gives mkfs; the
fsread tests compare what the readers read with it, file by file.

Usage: python3 scripts/tree_manifest.py TREE OUTPUT.jsonl
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path


def _record(root: Path, path: Path) -> dict[str, object]:
    info = path.lstat()
    relative = path.relative_to(root).as_posix()
    record: dict[str, object] = {
        "path": relative,
        "type": "other",
        "size": None,
        "sha256": None,
        "target": None,
    }
    if stat.S_ISDIR(info.st_mode):
        record["type"] = "directory"
    elif stat.S_ISLNK(info.st_mode):
        target = os.fsencode(os.readlink(path))
        record.update(type="symlink", size=len(target), target=os.fsdecode(target))
    elif stat.S_ISREG(info.st_mode):
        digest = hashlib.sha256()
        with path.open("rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
        record.update(type="file", size=info.st_size, sha256=digest.hexdigest())
    return record


def manifest(root: Path) -> list[dict[str, object]]:
    records = []
    for directory, names, files in os.walk(root):
        for name in [*names, *files]:
            records.append(_record(root, Path(directory) / name))
    return sorted(records, key=lambda record: str(record["path"]))


def main(tree: str, output: str) -> None:
    lines = [json.dumps(record, sort_keys=True) for record in manifest(Path(tree))]
    Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
