#!/usr/bin/env python3
"""Reading a 40 MiB btrfs file compressed with zstd, LZO and zlib: time and throughput.

    python bench/fsread_btrfs.py [--runs N]

The real-tool fixture ``btrfs-bench.raw`` (scripts/make-btrfs-lvm-fixtures.sh)
holds one 40 MiB file per compression, written by the kernel under
``compress=zstd``, ``lzo`` and ``zlib``: 320 extents of 128 KiB of text that
compresses about 4:1, each decompressed on its own as btrfs stores them.  Each
run opens the file system afresh (no cache), reads the file whole through
``fsread.tree.Tree`` and checks its SHA-256 against the recipe's.  zstd and
zlib are decoded by C libraries; LZO by the project's own Python decoder
(``fsread/lzo.py``: python-lzo is GPL), which is what this measures most.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.btrfslvm import FIXTURES, Images  # noqa: E402

from ec2_import_image.diskimage.sources import FileBlob  # noqa: E402
from ec2_import_image.fsread.btrfs import Btrfs  # noqa: E402
from ec2_import_image.fsread.tree import Tree  # noqa: E402

SIZE = 40 * 1024 * 1024


def read_once(image: Path, name: str) -> tuple[float, str]:
    started = time.perf_counter()
    with FileBlob(image) as blob:
        data = Tree(Btrfs(blob).top_level()).read_file(name, limit=SIZE)
    elapsed = time.perf_counter() - started
    assert len(data) == SIZE
    return elapsed, hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    expected = (FIXTURES / "btrfs-bench.sha256").read_text().strip()
    print(
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"{'file':<10} {'median s':>9} {'MB/s':>7}")
    with tempfile.TemporaryDirectory() as scratch:
        image = Images(Path(scratch)).path("btrfs-bench.raw")
        for method in ("zstd", "zlib", "lzo"):
            times = []
            for _ in range(args.runs):
                elapsed, digest = read_once(image, f"{method}.bin")
                if digest != expected:
                    raise SystemExit(f"{method}.bin read wrong")
                times.append(elapsed)
            median = statistics.median(times)
            print(f"{method + '.bin':<10} {median:>9.2f} {SIZE / median / 1e6:>7.1f}")


if __name__ == "__main__":
    main()
