"""Pack a mostly empty disk image as its non-zero extents, xz-compressed (the test fixtures).

The packed file is one xz stream: a JSON line ``{"size": N, "extents": [[offset, length],
...]}`` and then the extents' bytes in order.  Unpacking (tests/support/diskfixtures.py)
writes a sparse file of the original size, so a 10 GiB-virtual disk costs only its data.
Holes are skipped with SEEK_DATA/SEEK_HOLE; data regions are cut at zero 64 KiB chunks.

Usage: python3 scripts/pack_sparse.py IMAGE OUTPUT.xz
"""

from __future__ import annotations

import json
import lzma
import os
import sys

CHUNK = 64 * 1024


def _data_regions(fd: int, size: int) -> list[tuple[int, int]]:
    regions = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError:
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        regions.append((start, end))
        offset = end
    return regions


def extents(path: str) -> tuple[int, list[tuple[int, bytes]]]:
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        found: list[tuple[int, bytes]] = []
        for start, end in _data_regions(fd, size):
            for offset in range(start - start % CHUNK, end, CHUNK):
                data = os.pread(fd, CHUNK, offset)
                if not any(data):
                    continue
                if found and found[-1][0] + len(found[-1][1]) == offset:
                    found[-1] = (found[-1][0], found[-1][1] + data)
                else:
                    found.append((offset, data))
        return size, found
    finally:
        os.close(fd)


def main(image: str, output: str) -> None:
    size, found = extents(image)
    header = {"size": size, "extents": [[offset, len(data)] for offset, data in found]}
    with lzma.open(output, "wb", preset=9 | lzma.PRESET_EXTREME) as out:
        out.write(json.dumps(header).encode() + b"\n")
        for _, data in found:
            out.write(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
