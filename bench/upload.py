#!/usr/bin/env python3
"""Upload benchmark: ``vmimport``'s upload against boto3's ``upload_file``, to a stub that
discards what it receives.

    python bench/upload.py [--runs N] [--scheme https|http] [--output docs/performance.md]
    python bench/upload.py --tune      # vmimport's upload at several part sizes and pools

The stub (tests/support/s3stub.py, ``digests=False``) runs in this process and
keeps no bytes; each upload is a fresh child process (``bench/upload_client.py``)
reading a sparse file (1 GiB, and 4 GiB for memory), so the disk does not
count.  The two tools run in alternation, each with its own defaults.  A time
is the median of ``--runs`` runs, measured around the upload call in the
child; a memory figure is the child's peak resident set size (``ru_maxrss``).
HTTPS by default, as S3 is used: botocore then streams each of boto3's parts
with its CRC32 in an ``aws-chunked`` trailer, and each of vmimport's with the
SHA-256 its hash pass computed in a header (over plain HTTP it reads each part
once more to sign its payload, for both tools).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import machine, replace_block  # noqa: E402  (bench/run.py, beside this file)
from tests.support import tls  # noqa: E402
from tests.support.s3stub import S3Stub  # noqa: E402

CLIENT = ROOT / "bench" / "upload_client.py"
GiB = 1024**3
TOOLS = ("vmimport", "boto3")


class Run:
    def __init__(self, upload: float, hashed: float, peak_kb: int) -> None:
        self.upload = upload
        self.hashed = hashed
        self.peak_mb = peak_kb / 1024


def environment(home: Path, ca_bundle: Path | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
    }
    if ca_bundle is not None:
        env["AWS_CA_BUNDLE"] = str(ca_bundle)
    return env


def home(where: Path, scheme: str) -> tuple[dict[str, str], tuple[Path, Path] | None]:
    """A child's environment in the scratch directory ``where`` (empty AWS files), and the
    loopback certificate when ``scheme`` is https and openssl can make one."""
    (where / "config").write_text("")
    (where / "credentials").write_text("")
    cert = tls.self_signed(where) if scheme == "https" and tls.OPENSSL is not None else None
    return environment(where, cert[0] if cert else None), cert


def upload_once(
    tool: str, endpoint: str, path: Path, env: dict[str, str], extra: list[str] | None = None
) -> Run:
    key = f"{tool}-{time.monotonic_ns()}/{path.name}"
    argv = [sys.executable, str(CLIENT), tool, endpoint, str(path), key, *(extra or [])]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    out = child.stdout.read()
    child.stdout.close()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tool} failed (status {status}): {' '.join(argv)}")
    result = json.loads(out)
    return Run(result["upload"], result["hash"], int(usage.ru_maxrss))


def sparse(directory: Path, size: int) -> Path:
    path = directory / f"disk-{size // GiB}g.img"
    with open(path, "wb") as file:
        file.truncate(size)
    return path


def compare(endpoint: str, files: dict[int, Path], env: dict[str, str], runs: int) -> str:
    one, four = files[1], files[4]
    samples: dict[str, list[Run]] = {tool: [] for tool in TOOLS}
    upload_once("vmimport", endpoint, one, env)  # warm-up: page cache, byte-code
    for _ in range(runs):
        for tool in TOOLS:
            samples[tool].append(upload_once(tool, endpoint, one, env))
    big = {tool: upload_once(tool, endpoint, four, env) for tool in TOOLS}
    mine, theirs = samples["vmimport"], samples["boto3"]
    up_mine = statistics.median(r.upload for r in mine)
    up_theirs = statistics.median(r.upload for r in theirs)
    hashed = statistics.median(r.hashed for r in mine)
    both = statistics.median(r.upload + r.hashed for r in mine)
    peak = {tool: max(r.peak_mb for r in samples[tool]) for tool in TOOLS}
    rows = [
        "| 1 GiB file | vmimport | boto3 `upload_file` | vmimport / boto3 |",
        "|---|---:|---:|---:|",
        f"| upload (s, median) | {up_mine:.2f} | {up_theirs:.2f} | {up_mine / up_theirs:.2f} |",
        f"| SHA-256 pass before it (s) | {hashed:.2f} | — | |",
        f"| hash + upload (s) | {both:.2f} | {up_theirs:.2f} | {both / up_theirs:.2f} |",
        f"| peak RSS, 1 GiB file (MB) | {peak['vmimport']:.1f} | {peak['boto3']:.1f} | "
        f"{peak['vmimport'] / peak['boto3']:.2f} |",
        f"| peak RSS, 4 GiB file (MB) | {big['vmimport'].peak_mb:.1f} | "
        f"{big['boto3'].peak_mb:.1f} | {big['vmimport'].peak_mb / big['boto3'].peak_mb:.2f} |",
        f"| upload of the 4 GiB file (s, one run) | {big['vmimport'].upload:.2f} | "
        f"{big['boto3'].upload:.2f} | {big['vmimport'].upload / big['boto3'].upload:.2f} |",
    ]
    runs_line = ", ".join(
        f"{tool}: " + " ".join(f"{r.upload:.2f}" for r in samples[tool]) for tool in TOOLS
    )
    return "\n".join(rows) + f"\n\nEach run's upload time (s): {runs_line}.\n"


def tune(endpoint: str, path: Path, env: dict[str, str], runs: int) -> str:
    """vmimport's upload of ``path`` at several part sizes and pool sizes, boto3's defaults
    measured in alternation for reference."""
    grid = list(itertools.product((8, 16, 32, 64), (4, 8, 10)))
    times: dict[tuple[int, int] | str, list[float]] = {cell: [] for cell in grid}
    times["boto3"] = []
    for _ in range(runs):
        for part_mib, threads in grid:
            extra = ["--part-mib", str(part_mib), "--concurrency", str(threads)]
            times[(part_mib, threads)].append(
                upload_once("vmimport", endpoint, path, env, extra).upload
            )
            times["boto3"].append(upload_once("boto3", endpoint, path, env).upload)
    reference = statistics.median(times["boto3"])
    lines = [
        "| part size (MiB) | threads | upload (s, median) | / boto3 defaults |",
        "|---:|---:|---:|---:|",
    ]
    for part_mib, threads in grid:
        median = statistics.median(times[(part_mib, threads)])
        lines.append(f"| {part_mib} | {threads} | {median:.2f} | {median / reference:.2f} |")
    lines.append(f"| boto3 defaults (8 MiB, 10 threads) | | {reference:.2f} | 1.00 |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_UPLOAD_RUNS", "5")))
    parser.add_argument("--scheme", choices=["https", "http"], default="https")
    parser.add_argument("--tune", action="store_true", help="try part sizes and pool sizes")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as scratch:
        where = Path(scratch)
        env, cert = home(where, args.scheme)
        use_tls = cert is not None
        files = {size: sparse(where, size * GiB) for size in (1, 4)}
        with S3Stub(digests=False, tls=cert) as stub:
            if args.tune:
                sys.stdout.write(tune(stub.endpoint, files[1], env, args.runs))
                return 0
            text = compare(stub.endpoint, files, env, args.runs)
    sys.stdout.write(text)
    block = (
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; "
        f"{'HTTPS' if use_tls else 'HTTP'} to the loopback stub, each tool with its defaults, "
        f"median of {args.runs} runs after a warm-up.\n\n{text}"
    )
    replace_block(args.output, "bench-upload", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
