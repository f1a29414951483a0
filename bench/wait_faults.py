#!/usr/bin/env python3
"""Real-time timings of the waiter against a faulty loopback endpoint (issue 11's "Done when").

    python bench/wait_faults.py [--aws .venv/bin/aws]

Three scenarios, each a fresh ``aws`` process with botocore's default retries
(standard mode, 3 attempts per poll) and real time:

1. polls answer 503 for 20 s after ImportImage, then ``completed``:
   ``import-image --wait`` must exit 0 with the final task;
2. polls answer 503 always, ``--max-wait 30``: exit 255 within 40 s, the task id
   and the resume command on stderr;
3. ``wait image-import-completed`` with no task at all: exit 0 in under 5 s.

Prints one line per scenario (exit code, wall time, verdict) and exits 1 if a
check fails.  The tests cover the same ground on a fake clock; this measures
the real thing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.ec2stub import Stub  # noqa: E402  (the project's loopback stub)
from tests.support.importtasks import (  # noqa: E402
    COMPLETED,
    TASK_ID,
    UNAVAILABLE,
    recorded,
)

DEFAULT_AWS = ROOT / ".venv" / "bin" / "aws"


class TimedStub(Stub):
    """Answers DescribeImportImageTasks 503 until ``until`` seconds after ImportImage."""

    def __init__(self, until: float | None) -> None:
        super().__init__({"ImportImage": [recorded("ImportImage")]})
        self.until = until
        self.started: float | None = None
        self._clock_lock = threading.Lock()

    def choose(self, action: str) -> Mapping[str, Any]:
        if action == "ImportImage":
            with self._clock_lock:
                self.started = time.monotonic()
            return super().choose(action)
        if action != "DescribeImportImageTasks":
            return super().choose(action)
        if self.until is None:
            return UNAVAILABLE
        with self._clock_lock:
            started = self.started
        if started is None or time.monotonic() - started < self.until:
            return UNAVAILABLE
        return COMPLETED


def run(aws: str, argv: Sequence[str], home: str) -> tuple[int, str, str, float]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    began = time.monotonic()
    done = subprocess.run(
        [aws, *argv], capture_output=True, text=True, env=env, cwd=home, timeout=300, check=False
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - began


Check = Callable[[int, str, str, float], bool]


def scenario(
    aws: str, home: str, name: str, *, stub: Stub, argv: Sequence[str], check: Check
) -> bool:
    with stub:
        rc, out, err, seconds = run(aws, ["--endpoint-url", stub.endpoint, *argv], home)
        polls = sum(1 for r in stub.requests if r.action == "DescribeImportImageTasks")
    ok = check(rc, out, err, seconds)
    print(
        f"{name}: exit {rc} in {seconds:.1f} s, {polls} DescribeImportImageTasks requests: "
        f"{'ok' if ok else 'FAILED'}"
    )
    if not ok:
        print(err, file=sys.stderr)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aws", default=str(DEFAULT_AWS))
    args = parser.parse_args()
    importing = ["ec2", "import-image", "--wait", "--output", "json"]
    resume = f"aws ec2 wait image-import-completed --import-task-ids {TASK_ID}"
    with tempfile.TemporaryDirectory() as home:
        results = [
            scenario(
                args.aws,
                home,
                "503 for 20 s, then completed",
                stub=TimedStub(until=20.0),
                argv=importing,
                check=lambda rc, out, err, s: (
                    rc == 0 and '"Status": "completed"' in out and s >= 20
                ),
            ),
            scenario(
                args.aws,
                home,
                "503 always, --max-wait 30",
                stub=TimedStub(until=None),
                argv=[*importing, "--max-wait", "30"],
                check=lambda rc, out, err, s: (
                    rc == 255 and s < 40 and TASK_ID in err and resume in err
                ),
            ),
            scenario(
                args.aws,
                home,
                "wait with no task at all",
                stub=Stub({"DescribeImportImageTasks": [recorded("tasks-empty")]}),
                argv=["ec2", "wait", "image-import-completed"],
                check=lambda rc, out, err, s: rc == 0 and s < 5,
            ),
        ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
