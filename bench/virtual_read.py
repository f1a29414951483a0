#!/usr/bin/env python3
"""Read every allocated 512 KiB block of a 20 GiB-virtual disk holding 1 GiB of data.

    python bench/virtual_read.py [--workdir DIR] [--runs N]

What the EBS direct road does with a disk, without the network: open the
container with ``open_virtual_disk``, enumerate ``allocated()``, read each
512 KiB block (the EBS snapshot block) that an extent touches, and hash it
with SHA-256 as PutSnapshotBlock needs.  The same disk as:

- RAW: a sparse file (holes found with SEEK_DATA/SEEK_HOLE);
- qcow2, uncompressed (``qemu-img convert -O qcow2``): the L1/L2 map;
- VMDK stream-optimized (``qemu-img convert -O vmdk -o subformat=streamOptimized``):
  the grain tables, each grain inflated.

The data: 64 runs of 16 MiB of random bytes spread evenly over the 20 GiB
(random: the worst case for the compressed VMDK).  Needs ``qemu-img`` on the
PATH (qemu-utils).  Reports wall time, CPU time (user+system of this process;
the figure to compare on a shared machine), the blocks read, MiB of data per
second of wall time and per CPU-second, and whether the three disks gave the
same blocks.  The images are made once in ``--workdir`` (kept when given).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ec2_import_image.diskimage.records import ContainerFormat  # noqa: E402
from ec2_import_image.diskimage.sources import FileBlob  # noqa: E402
from ec2_import_image.diskimage.virtual import open_virtual_disk  # noqa: E402

GIB = 1024**3
MIB = 1024**2
BLOCK = 512 * 1024
VIRTUAL = 20 * GIB
RUNS, RUN = 64, 16 * MIB


def make_images(workdir: Path) -> dict[str, Path]:
    raw = workdir / "disk.raw"
    images = {
        "raw": raw,
        "qcow2": workdir / "disk.qcow2",
        "vmdk-stream": workdir / "disk.stream.vmdk",
    }
    if all(path.exists() for path in images.values()):
        return images
    print(f"making the images in {workdir} (qemu-img; the VMDK takes a minute)", file=sys.stderr)
    with raw.open("wb") as out:
        out.truncate(VIRTUAL)
        stride = VIRTUAL // RUNS
        for index in range(RUNS):
            out.seek(index * stride)
            out.write(os.urandom(RUN))
    for name, args in (
        ("qcow2", ["-O", "qcow2"]),
        ("vmdk-stream", ["-O", "vmdk", "-o", "subformat=streamOptimized"]),
    ):
        subprocess.run(
            ["qemu-img", "convert", "-f", "raw", *args, str(raw), str(images[name])], check=True
        )
    # qemu-img 7.2 ends this stream with its last grain, without the end-of-stream marker (a
    # zero sector) that VMware's specification closes a stream with and the readers look for
    # to tell a whole stream from a cut one: add it (QEMU reads the file the same)
    stream = images["vmdk-stream"]
    with stream.open("rb+") as out:
        out.seek(0, os.SEEK_END)
        if out.tell() % 512:
            out.write(bytes(512 - out.tell() % 512))
        out.write(bytes(512))
    return images


def blocks(extents: list[tuple[int, int]]) -> list[int]:
    """The 512 KiB block indexes the extents touch, in order, each once."""
    found: list[int] = []
    for offset, length in extents:
        first, last = offset // BLOCK, (offset + length - 1) // BLOCK
        start = first if not found or found[-1] < first else found[-1] + 1
        found.extend(range(start, last + 1))
    return found


def read_all(path: Path, fmt: ContainerFormat | None) -> tuple[float, float, int, int, str]:
    """(wall s, CPU s, blocks read, bytes mapped, digest of all block hashes)."""
    times = os.times()
    started = time.perf_counter()
    with FileBlob(path) as blob:
        disk = open_virtual_disk(blob, path.name, declared=fmt)
        extents = list(disk.allocated())
        indexes = blocks(extents)
        summary = hashlib.sha256()
        for index in indexes:
            summary.update(hashlib.sha256(disk.read(index * BLOCK, BLOCK)).digest())
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.user - times.user) + (after.system - times.system)
    mapped = sum(length for _, length in extents)
    return wall, cpu, len(indexes), mapped, summary.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if shutil.which("qemu-img") is None:
        raise SystemExit("qemu-img is needed (apt-get install qemu-utils)")
    temporary = None
    if args.workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="virtual-read-")
        workdir = Path(temporary.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        images = make_images(workdir)
        print(
            f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}; 20 GiB virtual, 1 GiB of data; "
            f"best of {args.runs} runs (files in the page cache)"
        )
        print("| disk | wall s | CPU s | 512 KiB blocks | MiB/s (wall) | MiB/CPU-s | same blocks |")
        print("|---|---:|---:|---:|---:|---:|---|")
        reference = None
        for name, path in images.items():
            fmt = ContainerFormat.RAW if name == "raw" else None
            best = min((read_all(path, fmt) for _ in range(args.runs)), key=lambda r: r[0])
            wall, cpu, count, _mapped, digest = best
            reference = reference or digest
            data = count * BLOCK / MIB
            same = "yes" if digest == reference else "NO"
            print(
                f"| {name} | {wall:.2f} | {cpu:.2f} | {count} | {data / wall:.0f} "
                f"| {data / max(cpu, 1e-9):.0f} | {same} |"
            )
    finally:
        if temporary is not None:
            temporary.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
