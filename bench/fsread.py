#!/usr/bin/env python3
"""Reading a 40 MB file through the ext and XFS readers: throughput and read requests.

    python bench/fsread.py [--runs N] [--output docs/performance.md]

The images are made at run time by the real tools (``mkfs.ext4 -d``, ``mkfs.ext2 -d``,
``mkfs.xfs -p`` with a protofile, ``debugfs``; no mount, no root), each holding one
40 MB file of random bytes:

- ext4: extents (one extent of up to 32768 blocks, so a few);
- ext4, fragmented: debugfs writes the file into 64 KiB gaps (611 extents, an extent
  tree of depth 1);
- ext2: a block map (direct, indirect and double-indirect blocks);
- XFS v5: an extent list.

Each run opens the volume on a local file and reads the file whole with
``Tree.read_file``; the table gives the median throughput, and the reads the
reader asked of the image (a counting blob in between): a reader that read block by
block would show ten thousand.  For reference, one ``pread`` of the same 40 MB from
the image file.  The table goes to stdout and between the ``fsread-bench`` markers of
the output file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ec2_import_image.diskimage.blob import Blob  # noqa: E402
from ec2_import_image.diskimage.sources import FileBlob  # noqa: E402
from ec2_import_image.fsread.ext import ExtVolume  # noqa: E402
from ec2_import_image.fsread.tree import Tree, Volume  # noqa: E402
from ec2_import_image.fsread.xfs import XfsVolume  # noqa: E402

SIZE = 40 * 1000 * 1000
START, END = "<!-- fsread-bench:start -->", "<!-- fsread-bench:end -->"
TOOLS = ("mkfs.ext4", "mkfs.ext2", "mkfs.xfs", "debugfs")


class CountingBlob:
    """A blob that counts the reads asked of it and their bytes."""

    def __init__(self, base: Blob) -> None:
        self._base = base
        self.reads = 0
        self.bytes = 0

    @property
    def size(self) -> int:
        return self._base.size

    def read(self, offset: int, length: int) -> bytes:
        data = self._base.read(offset, length)
        self.reads += 1
        self.bytes += len(data)
        return data


def machine() -> str:
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def make_images(folder: Path) -> dict[str, tuple[Path, Callable[[Blob], Volume]]]:
    tree = folder / "tree"
    (tree / "data").mkdir(parents=True)
    big = tree / "data" / "big.bin"
    big.write_bytes(os.urandom(SIZE))
    images: dict[str, tuple[Path, Callable[[Blob], Volume]]] = {}

    ext4 = folder / "ext4.img"
    run("truncate", "-s", "128M", str(ext4))
    run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", str(tree), str(ext4))
    images["ext4, extents"] = (ext4, ExtVolume)

    fragmented = folder / "ext4-fragmented.img"
    empty = folder / "empty"
    empty.mkdir()
    run("truncate", "-s", "256M", str(fragmented))
    run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", str(empty), str(fragmented))
    gap = folder / "gap"
    gap.write_bytes(b"g" * 65536)
    count = SIZE // 65536 + 2
    commands = ["mkdir /gaps", "cd /gaps"]
    commands += [f"write {gap} g{index}" for index in range(2 * count)]
    commands += [f"rm g{index}" for index in range(1, 2 * count, 2)]
    commands += ["cd /", "mkdir data", "cd data", f"write {big} big.bin"]
    script = folder / "debugfs.cmds"
    script.write_text("\n".join(commands) + "\n")
    run("debugfs", "-w", "-f", str(script), str(fragmented))
    images["ext4, 611 extents"] = (fragmented, ExtVolume)

    ext2 = folder / "ext2.img"
    run("truncate", "-s", "128M", str(ext2))
    run("mkfs.ext2", "-q", "-F", "-b", "4096", "-d", str(tree), str(ext2))
    images["ext2, block map"] = (ext2, ExtVolume)

    xfs = folder / "xfs.img"
    proto = folder / "proto"
    proto.write_text(f"bench\n0 0\nd--755 0 0\ndata d--755 0 0\nbig.bin ---644 0 0 {big}\n$\n$\n")
    run("truncate", "-s", "300M", str(xfs))
    run("mkfs.xfs", "-q", "-f", "-p", str(proto), str(xfs))
    images["XFS v5, extent list"] = (xfs, XfsVolume)
    return images


def measure(
    path: Path, open_volume: Callable[[Blob], Volume], digest: str, runs: int
) -> tuple[float, int, int]:
    seconds = []
    counting = CountingBlob(FileBlob(path))
    for _ in range(runs + 1):  # the first warms the page cache
        counting = CountingBlob(FileBlob(path))
        started = time.perf_counter()
        data = Tree(open_volume(counting)).read_file("/data/big.bin", limit=SIZE)
        seconds.append(time.perf_counter() - started)
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"{path.name}: the file read back is not the file written")
    return statistics.median(seconds[1:]), counting.reads, counting.bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"bench/fsread.py needs {', '.join(missing)} (e2fsprogs, xfsprogs)")
    folder = Path(tempfile.mkdtemp(prefix="fsread-bench-"))
    try:
        images = make_images(folder)
        digest = hashlib.sha256((folder / "tree" / "data" / "big.bin").read_bytes()).hexdigest()
        lines = [
            "| image | MB/s | wall time (s) | reads of the image | bytes read |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, (path, open_volume) in images.items():
            seconds, reads, read = measure(path, open_volume, digest, args.runs)
            lines.append(
                f"| {name} | {SIZE / seconds / 1e6:.0f} | {seconds:.3f} | {reads} "
                f"| {read / 1e6:.1f} MB |"
            )
        blob = FileBlob(folder / "ext4.img")
        samples = []
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            blob.read(0, SIZE)
            samples.append(time.perf_counter() - started)
        seconds = statistics.median(samples[1:])
        lines.append(f"| one pread of 40 MB (reference) | {SIZE / seconds / 1e6:.0f} "
                     f"| {seconds:.3f} | 1 | 40.0 MB |")  # fmt: skip
    finally:
        shutil.rmtree(folder)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    block = (
        f"{START}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}; a 40 MB file read whole, "
        f"median of {args.runs} runs after one warm-up (page cache warm).\n\n{text}{END}"
    )
    current = args.output.read_text() if args.output.exists() else "# Performance\n"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## File-system readers (fsread)\n\n" + block + "\n"
    args.output.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
