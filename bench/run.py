#!/usr/bin/env python3
"""Whole-process benchmark of the drop-in, optionally side by side with another ``aws``.

    python bench/run.py [--runs N] [--warmup N] [--output docs/performance.md]
    REF_AWS=/path/to/aws python bench/run.py      # add the reference and the ratio

Each scenario is one command line, run as a fresh process (as scripts run it)
against a loopback EC2 endpoint where it sends anything.  A scenario's time is
the median wall time of ``--runs`` runs after ``--warmup`` runs; its memory the
largest peak resident set size (``ru_maxrss`` of the finished child).  With
``REF_AWS`` the two executables run in alternation, so both see the same load,
and the table gives this/reference per scenario.  The table goes to stdout and,
with the machine it ran on, into the ``--output`` file.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.ec2stub import Stub  # noqa: E402  (the project's loopback stub)

RESPONSES = ROOT / "tests" / "golden" / "cases" / "responses"
DEFAULT_AWS = ROOT / ".venv" / "bin" / "aws"


@dataclass
class Scenario:
    name: str
    argv: Callable[[str], list[str]]
    #: run through a shell (for pipes); argv is then joined
    shell: bool = False


DISK = "Format=ova,UserBucket={S3Bucket=b,S3Key=k.ova}"
QUERY = "{id: ImportTaskId, disks: SnapshotDetails[].Format}"


def call(endpoint: str, operation: str) -> list[str]:
    return ["--endpoint-url", endpoint, "ec2", operation]


SCENARIOS = [
    Scenario("skeleton", lambda e: ["ec2", "import-image", "--generate-cli-skeleton"]),
    Scenario("parse error", lambda e: ["ec2", "import-image", "--disk-containers", "Format"]),
    Scenario(
        "import-image json",
        lambda e: [*call(e, "import-image"), "--disk-containers", DISK, "--output", "json"],
    ),
    Scenario(
        "import-image table+query",
        lambda e: [*call(e, "import-image"), "--output", "table", "--query", QUERY],
    ),
    Scenario(
        "describe 3 pages",
        lambda e: [*call(e, "describe-import-image-tasks"), "--output", "json"],
    ),
    Scenario("help piped", lambda e: ["ec2", "import-image", "help"], shell=True),
]


@dataclass
class Samples:
    times: list[float] = field(default_factory=list)
    peak_kb: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def replies() -> dict[str, list[dict[str, object]]]:
    pages = [(RESPONSES / f"tasks-page{i}.xml").read_bytes() for i in (1, 2, 3)]
    return {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "import-full.xml").read_bytes()}],
        # three pages per call, again and again
        "DescribeImportImageTasks": [{"status": 200, "body": pages[i % 3]} for i in range(3000)],
    }


def run_once(aws: str, scenario: Scenario, endpoint: str, env: dict[str, str]) -> tuple[float, int]:
    argv = [aws, *scenario.argv(endpoint)]
    if scenario.shell:
        argv = ["/bin/sh", "-c", " ".join(argv) + " | cat > /dev/null"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, int(usage.ru_maxrss)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def bench(tools: Sequence[str], runs: int, warmup: int) -> dict[tuple[str, str], Samples]:
    results: dict[tuple[str, str], Samples] = {}
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text("")
    (home / ".aws" / "credentials").write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with Stub(replies()) as stub:
        for scenario in SCENARIOS:
            for tool in tools:
                results[(scenario.name, tool)] = Samples()
            for i in range(warmup + runs):
                for tool in tools:  # alternate, so both see the same load
                    elapsed, peak = run_once(tool, scenario, stub.endpoint, env)
                    if i >= warmup:
                        samples = results[(scenario.name, tool)]
                        samples.times.append(elapsed)
                        samples.peak_kb = max(samples.peak_kb, peak)
    shutil.rmtree(home, ignore_errors=True)
    return results


def table(results: dict[tuple[str, str], Samples], tools: Sequence[str]) -> str:
    this = tools[0]
    ref = tools[1] if len(tools) > 1 else None
    header = "| scenario | this (s) | this peak (MB) |"
    rule = "|---|---:|---:|"
    if ref:
        header += " reference (s) | reference peak (MB) | time ratio | memory ratio |"
        rule += "---:|---:|---:|---:|"
    lines = [header, rule]
    for scenario in SCENARIOS:
        mine = results[(scenario.name, this)]
        row = f"| {scenario.name} | {mine.median:.3f} | {mine.peak_kb / 1024:.1f} |"
        if ref:
            theirs = results[(scenario.name, ref)]
            row += (
                f" {theirs.median:.3f} | {theirs.peak_kb / 1024:.1f} |"
                f" {mine.median / theirs.median:.2f} | {mine.peak_kb / theirs.peak_kb:.2f} |"
            )
        lines.append(row)
    return "\n".join(lines) + "\n"


def write_report(path: Path, text: str, tools: Sequence[str], runs: int, warmup: int) -> None:
    block = (
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; median of {runs} runs after "
        f"{warmup} warm-up runs.\n\n"
        f"- this: `{tools[0]}`\n"
        + (f"- reference: `{tools[1]}` ({reference_version(tools[1])})\n" if len(tools) > 1 else "")
        + f"\n{text}"
    )
    replace_block(path, "bench", block)


def replace_block(path: Path, name: str, block: str) -> None:
    """Put ``block`` between the ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers of
    the file (appended, with its markers, when they are missing)."""
    marker_start = f"<!-- {name}:start -->"
    marker_end = f"<!-- {name}:end -->"
    block = f"{marker_start}\n{block}{marker_end}"
    current = path.read_text() if path.exists() else "# Performance\n"
    if marker_start in current and marker_end in current:
        head, rest = current.split(marker_start, 1)
        _, tail = rest.split(marker_end, 1)
        current = head + block + tail
    else:
        current += "\n" + block + "\n"
    path.write_text(current)


def reference_version(aws: str) -> str:
    try:
        out = subprocess.run(
            [aws, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return "unknown version"
    return (out.stdout or out.stderr).strip().split(" ")[0] or "unknown version"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "9")))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--aws", default=str(DEFAULT_AWS), help="the drop-in to measure")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    tools = [args.aws]
    ref = os.environ.get("REF_AWS")
    if ref:
        tools.append(ref)
    results = bench(tools, args.runs, args.warmup)
    text = table(results, tools)
    sys.stdout.write(text)
    write_report(args.output, text, tools, args.runs, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
