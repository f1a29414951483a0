#!/usr/bin/env python3
"""What two start-up decisions of the drop-in cost, measured on this machine.

    python bench/startup.py [--runs N]

1. click on the run path: the same command line run as a fresh process three
   ways (the console script's path, which does not import click; the same with
   click imported first; through the click command); median wall times.
2. the typed records of the start-up path: defining a record of twenty fields as
   ``typing.NamedTuple`` (with the string annotations of ``from __future__ import
   annotations``), as ``collections.namedtuple``, as a class with ``__slots__``
   (``dropin/record.py``) and as a frozen dataclass, and building one instance;
   and importing ``dataclasses``, in a fresh process.

The figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from types import CodeType

ARGV = ["ec2", "import-image", "--generate-cli-skeleton"]
CLICK_VARIANTS = {
    "the console script's path (no click)": (
        f"import sys; sys.argv = ['aws', *{ARGV!r}]\n"
        "from ec2_import_image.dropin.entry import aws_main; aws_main()"
    ),
    "the same, click imported first": (
        f"import click, sys; sys.argv = ['aws', *{ARGV!r}]\n"
        "from ec2_import_image.dropin.entry import aws_main; aws_main()"
    ),
    "through the click command": (
        "from ec2_import_image.dropin.clickcommand import aws_command\n"
        f"aws_command.main(args={ARGV!r}, prog_name='aws')"
    ),
}

FIELDS = [f"field_{i}" for i in range(20)]
ANNOTATIONS = "".join(f"    {name}: str | None = None\n" for name in FIELDS)
RECORDS = {
    "typing.NamedTuple (string annotations)": (
        "from __future__ import annotations\nfrom typing import NamedTuple\n"
        f"class R(NamedTuple):\n{ANNOTATIONS}"
    ),
    "collections.namedtuple": (
        "from collections import namedtuple\n"
        f"R = namedtuple('R', {FIELDS!r}, defaults=[None] * {len(FIELDS)})\n"
    ),
    "class with __slots__ (dropin/record.py)": (
        "from __future__ import annotations\n"
        "from ec2_import_image.dropin.record import Record\n"
        f"class R(Record):\n    __slots__ = {tuple(FIELDS)!r}\n"
        + ANNOTATIONS.replace(" = None", "")
        + "    def __init__(self, "
        + ", ".join(f"{name}: str | None = None" for name in FIELDS)
        + ") -> None:\n        self._fill(locals())\n"
    ),
    "dataclass(frozen=True, slots=True)": (
        "from __future__ import annotations\nfrom dataclasses import dataclass\n"
        f"@dataclass(frozen=True, slots=True)\nclass R:\n{ANNOTATIONS}"
    ),
}


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def click_costs(runs: int) -> list[str]:
    home = tempfile.mkdtemp(prefix="startup-home-")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "EC2_IMPORT_IMAGE_FALLBACK": "",
    }
    times: dict[str, list[float]] = {name: [] for name in CLICK_VARIANTS}
    for index in range(runs + 2):
        for name, code in CLICK_VARIANTS.items():  # alternating: the same load for each
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", code],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                check=False,
            )
            if index >= 2:
                times[name].append(time.perf_counter() - start)
    base = _median_ms(next(iter(times.values())))
    rows = [
        "| the skeleton command line run | median (ms) | click's share (ms) |",
        "|---|---:|---:|",
    ]
    for name, samples in times.items():
        median = _median_ms(samples)
        rows.append(f"| {name} | {median:.1f} | {median - base:+.1f} |")
    return rows


def _per_call_us(function: Callable[[], object], number: int) -> float:
    return timeit.timeit(function, number=number) / number * 1e6


def record_costs() -> list[str]:
    rows = ["| a record of 20 fields | define (µs) | build one (µs) |", "|---|---:|---:|"]
    for name, source in RECORDS.items():
        code = compile(source, "<record>", "exec")

        def define(code: CodeType = code) -> dict[str, object]:
            namespace: dict[str, object] = {}
            exec(code, namespace)  # the benchmark's own source above
            return namespace

        record = define()["R"]
        assert callable(record)
        values = dict.fromkeys(FIELDS, "x")

        def build(record: Callable[..., object] = record) -> object:
            return record(**values)  # noqa: B023 - used before the loop moves on

        define_us = _per_call_us(define, 300)
        build_us = _per_call_us(build, 20000)
        rows.append(f"| {name} | {define_us:.0f} | {build_us:.2f} |")
    imports = []
    for _ in range(7):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import dataclasses"],
            capture_output=True,
            text=True,
            check=True,
        )
        last = done.stderr.strip().splitlines()[-1]
        imports.append(int(last.split("|")[1]))
    rows.append(
        f"\n`import dataclasses` in a fresh process: {statistics.median(imports) / 1000:.1f} ms"
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    print("\n".join(click_costs(args.runs)))
    print()
    print("\n".join(record_costs()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
