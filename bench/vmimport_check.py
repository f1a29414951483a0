#!/usr/bin/env python3
"""``vmimport check`` of a 10 GiB-virtual disk: wall time and bytes read, local and on S3.

    python bench/vmimport_check.py [--runs N] [--output docs/performance.md]

Two scenarios, each a fresh ``vmimport --debug check`` process (as a user
runs it), whose debug log says how many bytes it read in how many requests:

- a sparse RAW file of 10 GiB (GPT, EFI system partition, ext4: the
  real-tool fixture ``big.raw``), read locally;
- the same disk as a stream-optimized VMDK on the emulator's S3, read with
  ranged GETs, with the account checks an S3 disk brings (the role set up by
  ``vmimport setup-role``).

The table goes to stdout and between the ``check-bench`` markers of the
output file.  The target (issue 13): under a second, a few MiB read.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.diskfixtures import FIXTURES, unpack  # noqa: E402

VMIMPORT = ROOT / ".venv" / "bin" / "vmimport"
BUCKET = "bench-disks"
READ = re.compile(r": (\d+) bytes read in (\d+) requests")
START, END = "<!-- check-bench:start -->", "<!-- check-bench:end -->"


def machine() -> str:
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def run_check(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(VMIMPORT), "--debug", *argv], capture_output=True, text=True, env=env, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"vmimport check failed ({result.returncode}):\n{result.stdout}")
    match = READ.search(result.stderr)
    if match is None:
        raise SystemExit("no 'bytes read' line in the debug log")
    return elapsed, int(match.group(1)), int(match.group(2))


def measure(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, int, int]:
    run_check(argv, env)  # warm-up (bytecode, page cache)
    samples = [run_check(argv, env) for _ in range(runs)]
    return (
        statistics.median(s[0] for s in samples),
        samples[-1][1],
        samples[-1][2],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "9")))
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)

    import boto3

    from ec2_import_emulator.server import Emulator

    folder = Path(tempfile.mkdtemp(prefix="vmimport-check-bench-"))
    raw, vmdk = folder / "big.raw", folder / "big.stream.vmdk"
    unpack(FIXTURES / "big.raw.xz", raw)
    unpack(FIXTURES / "big.stream.vmdk.xz", vmdk)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "AWS_ACCESS_KEY_ID": "AKIABENCHBENCHBENCH",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(folder / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    rows = []
    time_raw, bytes_raw, requests_raw = measure(["check", str(raw)], env, args.runs)
    rows.append(
        ("local RAW, 10 GiB virtual", raw.stat().st_size, time_raw, bytes_raw, requests_raw)
    )
    with Emulator(0) as emulator:
        endpoint = emulator.endpoint
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        boto3.client("s3", endpoint_url=endpoint).upload_file(str(vmdk), BUCKET, "big.vmdk")
        setup = [str(VMIMPORT), "--endpoint-url", endpoint, "setup-role", "--bucket", BUCKET]
        subprocess.run(setup, env=env, check=True, capture_output=True)
        s3_argv = ["--endpoint-url", endpoint, "check", f"s3://{BUCKET}/big.vmdk"]
        time_s3, bytes_s3, requests_s3 = measure(s3_argv, env, args.runs)
    rows.append(
        (
            "stream-optimized VMDK on S3, 10 GiB virtual, with the account",
            vmdk.stat().st_size,
            time_s3,
            bytes_s3,
            requests_s3,
        )
    )
    lines = [
        "| scenario | file size | wall time (s) | bytes read | read requests |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, size, seconds, read, requests in rows:
        lines.append(
            f"| {name} | {size / 2**20:.1f} MiB | {seconds:.3f} | {read / 2**10:.0f} KiB "
            f"| {requests} |"
        )
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    block = (
        f"{START}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}; median of {args.runs} "
        f"runs after one warm-up, each a fresh `vmimport --debug check` process.\n\n{text}{END}"
    )
    current = args.output.read_text() if args.output.exists() else "# Performance\n"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## vmimport check\n\n" + block + "\n"
    args.output.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
