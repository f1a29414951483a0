#!/usr/bin/env python3
"""The direct road against the S3 road: a disk written into an EBS snapshot with the EBS direct
APIs, side by side with its upload to S3, each to a loopback stub that checks and discards.

    python bench/ebs_direct.py [--runs N] [--scheme https|http] [--output docs/performance.md]
    python bench/ebs_direct.py --tune      # the writer at several thread counts
    python bench/ebs_direct.py --reference TREE   # and another checkout's writer, alternated

The stubs run in this process: ``tests/support/ebsstub.py`` with ``keep=False`` (it checks
each block's SHA-256, the volume's bounds, ChangedBlocksCount and the LINEAR checksum, and
keeps only each block's digest) and ``tests/support/s3stub.py`` with ``digests=False`` (as
``bench/upload.py``).  Each write or upload is a fresh child process (``bench/ebs_client.py``,
``bench/upload_client.py``: vmimport's hash pass and ``upload_file``) with each road's
defaults; times and CPU seconds (user and system, all of the child's threads) are measured
around the call in the child, memory is the child's peak resident set size.  The disks:

- dense 1 GiB: a RAW file of random bytes (a 64 MiB random pattern repeated: nothing is
  deduplicated), both roads;
- sparse 20 GiB virtual with 1 GiB written (64 runs of 16 MiB of random bytes spread
  evenly), as a sparse RAW file (its data found with SEEK_DATA/SEEK_HOLE) and as qcow2
  (``qemu-img convert -O qcow2``: its L1/L2 tables), the direct road (the S3 road would
  upload the 20 GiB RAW file, or the qcow2 file for the image road: not this comparison);
- dense 4 GiB, once per road, for memory: flat means the 4 GiB peak within 10% of the 1 GiB.

With ``--reference TREE`` (another checkout of this project, e.g. ``git worktree add`` of an
older commit: its ``src`` and its ``bench/ebs_client.py``, run by this tree's interpreter) the
reference tree's writer writes the dense 1 GiB disk too, in each round beside this tree's, and
its row and the CPU ratio of the two are added: a change's before and after under the same
load.

Targets (issue 19): the dense 1 GiB disk costs the direct road no more CPU per GiB than the
S3 road (its hash pass included: the S3 road cannot upload without it); the sparse disk
takes at most 1.3 times the dense 1 GiB's wall time.  The machine is shared with other jobs:
its load average is printed, and CPU seconds are the figure to compare.  Needs ``qemu-img``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import machine, replace_block  # noqa: E402  (bench/run.py, beside this file)
from tests.support.ebsstub import EbsStub  # noqa: E402
from tests.support.s3stub import S3Stub  # noqa: E402
from upload import home  # noqa: E402  (bench/upload.py, beside this file)

GiB = 1024**3
MiB = 1024**2
PATTERN = 64 * MiB
EBS_CLIENT = ROOT / "bench" / "ebs_client.py"
S3_CLIENT = ROOT / "bench" / "upload_client.py"


class Run(NamedTuple):
    wall: float
    cpu: float
    requests: int
    peak_mb: float


def child(argv: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """Run a child; its JSON line and its peak RSS (MB)."""
    process = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    out = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed (status {status}): {' '.join(argv)}")
    return json.loads(out), usage.ru_maxrss / 1024


def direct(
    endpoint: str,
    path: Path,
    env: dict[str, str],
    extra: list[str] | None = None,
    tree: Path | None = None,
) -> Run:
    """One write of ``path``, by this tree's writer or by ``tree``'s."""
    token = f"bench-{time.monotonic_ns()}"
    client = EBS_CLIENT if tree is None else tree / "bench" / "ebs_client.py"
    if tree is not None:
        env = {**env, "PYTHONPATH": str(tree / "src")}
    argv = [str(client), endpoint, str(path), token, *(extra or [])]
    if path.suffix == ".qcow2":
        argv.append("--qcow2")
    result, peak = child(argv, env)
    return Run(result["wall"], result["cpu"], result["requests"], peak)


def s3(endpoint: str, path: Path, env: dict[str, str]) -> Run:
    key = f"bench-{time.monotonic_ns()}/{path.name}"
    result, peak = child([str(S3_CLIENT), "vmimport", endpoint, str(path), key], env)
    return Run(
        result["hash"] + result["upload"],
        result["cpu_hash"] + result["cpu_upload"],
        result["requests"],
        peak,
    )


def dense(path: Path, size: int) -> Path:
    pattern = os.urandom(PATTERN)
    with path.open("wb") as out:
        for _ in range(size // PATTERN):
            out.write(pattern)
    return path


def sparse(workdir: Path) -> tuple[Path, Path]:
    """The 20 GiB-virtual disk holding 1 GiB, as RAW and qcow2."""
    raw, qcow2 = workdir / "sparse.raw", workdir / "sparse.qcow2"
    virtual, runs, run = 20 * GiB, 64, 16 * MiB
    with raw.open("wb") as out:
        out.truncate(virtual)
        for index in range(runs):
            out.seek(index * (virtual // runs))
            out.write(os.urandom(run))
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2)], check=True
    )
    return raw, qcow2


def median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(r, field) for r in runs))


def row(label: str, runs: list[Run], gib: float) -> str:
    wall, cpu = median(runs, "wall"), median(runs, "cpu")
    requests = median(runs, "requests")
    peak = max(r.peak_mb for r in runs)
    return (
        f"| {label} | {wall:.2f} | {cpu:.2f} | {cpu / gib:.2f} | {requests:.0f} "
        f"| {requests / wall:.0f} | {peak:.0f} |"
    )


def compare(
    ebs: str,
    s3_endpoint: str,
    disks: dict[str, Path],
    env: dict[str, str],
    runs: int,
    *,
    reference: Path | None = None,
) -> str:
    samples: dict[str, list[Run]] = {name: [] for name in ("s3", "dense", "raw", "qcow2")}
    direct(ebs, disks["dense"], env)  # warm-up: page cache, byte-code
    s3(s3_endpoint, disks["dense"], env)
    if reference is not None:
        samples["reference"] = []
        direct(ebs, disks["dense"], env, tree=reference)
    for _ in range(runs):
        samples["s3"].append(s3(s3_endpoint, disks["dense"], env))
        if reference is not None:
            samples["reference"].append(direct(ebs, disks["dense"], env, tree=reference))
        samples["dense"].append(direct(ebs, disks["dense"], env))
        samples["raw"].append(direct(ebs, disks["raw"], env))
        samples["qcow2"].append(direct(ebs, disks["qcow2"], env))
    big_direct = direct(ebs, disks["dense4"], env)
    big_s3 = s3(s3_endpoint, disks["dense4"], env)
    lines = [
        "| disk, road | wall s | CPU s | CPU s per GiB | requests | requests/s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row("dense 1 GiB, S3 road (hash pass + upload)", samples["s3"], 1),
        row("dense 1 GiB, direct", samples["dense"], 1),
        *(
            [row("dense 1 GiB, direct, reference tree", samples["reference"], 1)]
            if reference is not None
            else []
        ),
        row("sparse RAW (20 GiB virtual, 1 GiB data), direct", samples["raw"], 1),
        row("sparse qcow2 (20 GiB virtual, 1 GiB data), direct", samples["qcow2"], 1),
        row("dense 4 GiB, S3 road (one run)", [big_s3], 4),
        row("dense 4 GiB, direct (one run)", [big_direct], 4),
    ]
    dense_wall = median(samples["dense"], "wall")
    cpu_ratio = median(samples["dense"], "cpu") / median(samples["s3"], "cpu")
    sparse_ratio = max(median(samples[k], "wall") for k in ("raw", "qcow2")) / dense_wall
    peak_ratio = big_direct.peak_mb / max(r.peak_mb for r in samples["dense"])
    checks = [
        f"direct / S3 CPU per GiB (dense 1 GiB): {cpu_ratio:.2f} (target: at most 1.00)",
        f"sparse / dense 1 GiB wall time (direct, the slower of RAW and qcow2): "
        f"{sparse_ratio:.2f} (target: at most 1.30)",
        f"peak RSS 4 GiB / 1 GiB (direct): {peak_ratio:.2f} (target: at most 1.10)",
    ]
    if reference is not None:
        before = median(samples["reference"], "cpu")
        checks.append(
            f"direct CPU, this tree / the reference tree ({reference}), dense 1 GiB: "
            f"{median(samples['dense'], 'cpu') / before:.2f}; the reference tree / S3: "
            f"{before / median(samples['s3'], 'cpu'):.2f}"
        )
    each = "; ".join(
        f"{name}: " + " ".join(f"{r.wall:.2f}" for r in samples[name]) for name in samples
    )
    return (
        "\n".join(lines)
        + "\n\n"
        + "".join(f"- {line}\n" for line in checks)
        + f"\nEach run's wall time (s): {each}.\n"
    )


def tune(ebs: str, path: Path, env: dict[str, str], runs: int) -> str:
    lines = ["| threads | wall s (median) | CPU s (median) |", "|---:|---:|---:|"]
    for threads in (1, 2, 4, 8, 16):
        got = [direct(ebs, path, env, ["--concurrency", str(threads)]) for _ in range(runs)]
        lines.append(f"| {threads} | {median(got, 'wall'):.2f} | {median(got, 'cpu'):.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_EBS_RUNS", "3")))
    parser.add_argument("--scheme", choices=["https", "http"], default="https")
    parser.add_argument("--tune", action="store_true", help="try several thread counts")
    parser.add_argument(
        "--reference", type=Path, help="another checkout whose writer runs beside this one's"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    if shutil.which("qemu-img") is None:
        raise SystemExit("qemu-img is needed (apt-get install qemu-utils)")
    with tempfile.TemporaryDirectory(prefix="bench-ebs-") as scratch:
        where = Path(scratch)
        env, cert = home(where, args.scheme)
        use_tls = cert is not None
        print("making the disks", file=sys.stderr)
        disks = {"dense": dense(where / "dense.raw", GiB)}
        if not args.tune:
            disks["dense4"] = dense(where / "dense4.raw", 4 * GiB)
            disks["raw"], disks["qcow2"] = sparse(where)
        load_before = os.getloadavg()
        with EbsStub(keep=False, tls=cert) as ebs, S3Stub(digests=False, tls=cert) as stub:
            if args.tune:
                sys.stdout.write(tune(ebs.endpoint, disks["dense"], env, args.runs))
                return 0
            text = compare(
                ebs.endpoint, stub.endpoint, disks, env, args.runs, reference=args.reference
            )
        load_after = os.getloadavg()
    load = (
        f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after "
        f"(1-minute) on {os.cpu_count()} CPUs shared with other jobs"
    )
    sys.stdout.write(f"{load}\n\n{text}")
    against = f"; the reference tree: {args.reference}" if args.reference else ""
    block = (
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; {load}{against}; "
        f"{'HTTPS' if use_tls else 'HTTP'} to the loopback stubs, each road with its defaults, "
        f"median of {args.runs} runs after a warm-up.\n\n{text}"
    )
    replace_block(args.output, "bench-ebs-direct", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
