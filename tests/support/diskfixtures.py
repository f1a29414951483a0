"""The disk-image fixtures of tests/fixtures/disks/, unpacked once per test session.

They were made by real tools (scripts/make-disk-fixtures.sh; the file systems of
tests/fixtures/fsread/ by scripts/make-fsread-fixtures.sh) and packed as their
non-zero extents (scripts/pack_sparse.py): an xz stream of a JSON line (size and
extents) and the extents' bytes.  Unpacking writes a sparse file of the
original size, so a 10 GiB-virtual disk costs only its few MiB of data.
"""

from __future__ import annotations

import json
import lzma
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "disks"
FSREAD_FIXTURES = FIXTURES.parent / "fsread"


def unpack(packed: Path, target: Path) -> None:
    with lzma.open(packed, "rb") as source, target.open("wb") as out:
        header = json.loads(source.readline())
        out.truncate(header["size"])
        for offset, length in header["extents"]:
            out.seek(offset)
            out.write(source.read(length))


class DiskFixtures:
    def __init__(self, directory: Path, source: Path = FIXTURES) -> None:
        self._directory = directory
        self._source = source

    def path(self, name: str) -> Path:
        target = self._directory / name
        if not target.exists():
            unpack(self._source / f"{name}.xz", target)
        return target


def names() -> list[str]:
    return sorted(path.name.removesuffix(".xz") for path in FIXTURES.glob("*.xz"))
