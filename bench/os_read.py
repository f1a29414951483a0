#!/usr/bin/env python3
"""The OS read of a 10 GiB-virtual disk (``guestos.read.read_os``): time, requests, bytes.

    python bench/os_read.py [--runs N] [--output docs/performance.md]

The disk is built here with real tools: a sparse 10 GiB file, a GPT (sgdisk: a BIOS boot
partition and a Linux root filling the rest), an ext4 file system made inside it by
``mkfs.ext4 -d`` at the partition's offset (``-E offset=``) from the Debian 12 tree of the
OS fixtures (scripts/os_fixtures.py), whose default kernel's initramfs is replaced by a
40 MB one: an uncompressed early-microcode archive, then ~3000 module files (half random
bytes, half text: the compressed size of a distribution's modules) with ``nvme.ko`` among
them, compressed by zstd (level 3, as dracut and initramfs-tools use it).

Three measurements, each the median of N runs:

- local, with and without the initramfs question (``read_initramfs``);
- over "S3": the same file behind ``diskimage.cache.CachedBlob`` (64 KiB blocks, as
  ``vmimport check`` reads an S3 object), whose statistics count the ranged requests and
  bytes the source was asked for, with and without the initramfs.

The target (issue 20): the local read under 2 s.  The table goes to stdout and between
the ``os-read-bench`` markers of the output file.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ec2_import_image.diskimage.cache import CachedBlob, ReadStats  # noqa: E402
from ec2_import_image.diskimage.sources import FileBlob  # noqa: E402
from ec2_import_image.guestos.osreport import DriverState, OsReport  # noqa: E402
from ec2_import_image.guestos.read import read_os  # noqa: E402

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdCompressor
else:
    from backports.zstd import ZstdCompressor

GIB = 1024**3
#: the kernel the tree's GRUB boots without a grubenv: its first entry, the newest
KERNEL = "6.1.0-15-amd64"
START, END = "<!-- os-read-bench:start -->", "<!-- os-read-bench:end -->"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def initramfs(target: int) -> bytes:
    """An early-microcode archive and a zstd main archive of ~``target`` bytes in all."""
    newc = _load(ROOT / "bench" / "initramfs.py", "bench_initramfs").newc
    rng = random.Random(20)
    early: bytes = newc("kernel/x86/microcode/GenuineIntel.bin", 0o100644, b"i" * 300_000)
    early += newc("TRAILER!!!", 0, b"") + bytes(-len(early) % 512)
    compressor = ZstdCompressor(level=3)
    modules = f"usr/lib/modules/{KERNEL}/kernel"
    out = [early, compressor.compress(newc(f"{modules}/drivers/nvme/host/nvme.ko", 0o100644, b"m"))]
    compressed = sum(len(piece) for piece in out)
    count = 0
    while compressed < target:
        size = rng.randint(2_000, 60_000)
        half = size // 2
        text = (f"module {count} symbol table entry\n" * (half // 30 + 1)).encode()[:half]
        member = newc(
            f"{modules}/drivers/dir{count % 97}/mod{count}.ko",
            0o100644,
            os.urandom(size - half) + text,
        )
        out.append(compressor.compress(member))
        compressed += len(out[-1])
        count += 1
    out.append(compressor.compress(newc("TRAILER!!!", 0, b""), ZstdCompressor.FLUSH_FRAME))
    return b"".join(out)


def build(directory: Path) -> tuple[Path, int]:
    """The 10 GiB disk, and its initramfs's size."""
    recipe = _load(ROOT / "scripts" / "os_fixtures.py", "os_fixtures")
    tree = directory / "tree"
    recipe.debian12(tree)
    image = initramfs(40_000_000)
    (tree / "boot" / f"initrd.img-{KERNEL}").write_bytes(image)
    disk = directory / "disk.raw"
    with disk.open("wb") as handle:
        handle.truncate(10 * GIB)
    subprocess.run(
        [
            "sgdisk",
            "-o",
            "-n",
            "1:2048:+1M",
            "-t",
            "1:EF02",
            "-n",
            "2:0:0",
            "-t",
            "2:8304",
            str(disk),
        ],
        check=True,
        capture_output=True,
    )
    layout = subprocess.run(
        ["sfdisk", "--json", str(disk)], check=True, capture_output=True, text=True
    )
    starts = [int(value) for value in re.findall(r'"start":\s*(\d+)', layout.stdout)]
    sizes = [int(value) for value in re.findall(r'"size":\s*(\d+)', layout.stdout)]
    offset, blocks = starts[1] * 512, sizes[1] * 512 // 4096
    subprocess.run(
        [
            "mkfs.ext4", "-q", "-F", "-b", "4096", "-E", f"offset={offset}",
            "-U", recipe.IDS["DEB_ROOT"], "-d", str(tree), str(disk), str(blocks),
        ],
        check=True,
    )  # fmt: skip
    return disk, len(image)


def measure(
    disk: Path, runs: int, *, cached: bool, initramfs: bool
) -> tuple[float, ReadStats, OsReport]:
    times: list[float] = []
    stats = ReadStats()
    report: OsReport | None = None
    for _ in range(runs):
        stats = ReadStats()
        with FileBlob(disk) as blob:
            source = CachedBlob(blob, stats=stats) if cached else blob
            started = time.perf_counter()
            report = read_os([source], read_initramfs=initramfs)
            times.append(time.perf_counter() - started)
    assert report is not None
    return statistics.median(times), stats, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        disk, size = build(Path(directory))
        rows = []
        for cached in (False, True):
            for question in (True, False):
                elapsed, stats, report = measure(disk, args.runs, cached=cached, initramfs=question)
                assert report.default_kernel == KERNEL and report.drivers is not None
                expected = DriverState.INITRAMFS if question else DriverState.MODULE
                assert report.drivers.nvme is expected, report.drivers
                where = "S3 (CachedBlob, 64 KiB blocks)" if cached else "local file"
                counted = f"{stats.requests} | {stats.bytes / 1e6:.2f} MB" if cached else "– | –"
                rows.append(
                    f"| {where} | {'yes' if question else 'no'} | {elapsed:.3f} s | {counted} |"
                )
    table = "\n".join(
        [
            f"10 GiB-virtual disk (GPT, ext4 root made by mkfs.ext4 -d), {size / 1e6:.1f} MB zstd "
            f"initramfs; measured {time.strftime('%Y-%m-%d')}, median of {args.runs} runs on "
            f"{platform.system()} "
            f"{platform.release()}, {os.cpu_count()} CPUs, Python {platform.python_version()}:",
            "",
            "| source | initramfs read | time | requests | bytes read |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    if args.output.exists():
        text = args.output.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _, tail = rest.split(END, 1)
            args.output.write_text(f"{head}{START}\n{table}\n{END}{tail}")


if __name__ == "__main__":
    main()
