#!/usr/bin/env python3
"""Listing a 40 MB zstd-compressed initramfs (``guestos.initramfs.list_initramfs``).

    python bench/initramfs.py [--runs N] [--size-mb 40]

The image is built here, in memory: an uncompressed early-microcode archive, then a newc
archive of about 3000 files (a kernel's modules and firmware: half their bytes random, half
text) compressed by zstd (level 3, as dracut and initramfs-tools use it) until the
compressed image is the size asked.  The OS read of a 10 GiB disk with such an initramfs
must stay under 2 s (issue 20); the listing is most of its work.  Prints the sizes and the
median, best and worst times of N runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ec2_import_image.guestos.initramfs import list_initramfs  # noqa: E402

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdCompressor
else:
    from backports.zstd import ZstdCompressor


def newc(name: str, mode: int, data: bytes) -> bytes:
    raw = name.encode() + b"\0"
    fields = [0, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(raw), 0]
    head = b"070701" + b"".join(b"%08x" % field for field in fields) + raw
    head += bytes(-len(head) % 4)
    return head + data + bytes(-len(data) % 4)


def build(target: int) -> tuple[bytes, int, int]:
    """(image, decompressed size of the main archive, entries) for a ~``target``-byte image."""
    rng = random.Random(20)
    early = newc("kernel/x86/microcode/GenuineIntel.bin", 0o100644, b"i" * 300_000)
    early += newc("TRAILER!!!", 0, b"")
    early += bytes(-len(early) % 512)
    compressor = ZstdCompressor(level=3)
    out = [early]
    compressed = len(early)
    plain = 0
    count = 0
    kernel = "lib/modules/6.8.0-45-generic/kernel/drivers"
    while compressed < target:
        size = rng.randint(2_000, 60_000)
        half = size // 2
        text = (f"module {count} symbol table entry\n" * (half // 30 + 1)).encode()[:half]
        data = os.urandom(size - half) + text
        member = newc(f"{kernel}/dir{count % 97}/mod{count}.ko.zst", 0o100644, data)
        plain += len(member)
        count += 1
        out.append(compressor.compress(member))
        compressed += len(out[-1])
    tail = newc("TRAILER!!!", 0, b"")
    out.append(compressor.compress(tail, ZstdCompressor.FLUSH_FRAME))
    return b"".join(out), plain + len(tail), count + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=40)
    args = parser.parse_args()
    image, plain, entries = build(args.size_mb * 1_000_000)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        listed = list_initramfs(image)
        times.append(time.perf_counter() - started)
        assert len(listed) == entries, (len(listed), entries)
    print(
        f"initramfs: {len(image) / 1e6:.1f} MB zstd ({plain / 1e6:.1f} MB decompressed), "
        f"{entries} entries"
    )
    print(
        f"list_initramfs: median {statistics.median(times):.3f} s, "
        f"best {min(times):.3f} s, worst {max(times):.3f} s ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
