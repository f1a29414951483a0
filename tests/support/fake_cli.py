"""A fake AWS CLI on PATH: ``aws`` and ``aws_completer`` scripts that record how they were run.

``FakeCli(directory).install()`` writes both into ``directory``.  ``aws``
records its argv, stdin, environment and process ids (one JSON line per run in
``calls.jsonl``), answers ``--version`` with the version it was given, and
otherwise prints ``stdout``/``stderr`` (``{args}`` replaced with its
arguments) and exits with ``rc``.  ``aws_completer`` records its environment
the same way and prints ``candidates`` one per line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

V2 = "aws-cli/2.99.0 Python/3.13.0 Linux/6.0 exe/x86_64.ubuntu.24"
V1 = "aws-cli/1.45.11 Python/3.11.7 Linux/6.0 botocore/1.43.11"

_AWS = """#!{python}
import json, os, sys
args = sys.argv[1:]
stdin = "" if args == ["--version"] else sys.stdin.read()
record = {{"program": "aws", "argv0": sys.argv[0], "args": args, "stdin": stdin,
          "env": dict(os.environ), "pid": os.getpid(), "ppid": os.getppid()}}
with open({calls!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps(record) + "\\n")
if args == ["--version"]:
    print({version!r})
    sys.exit(0)
sys.stdout.write({stdout!r}.replace("{{args}}", " ".join(args)))
sys.stderr.write({stderr!r}.replace("{{args}}", " ".join(args)))
sys.exit({rc!r})
"""

_COMPLETER = """#!{python}
import json, os
record = {{"program": "aws_completer", "env": dict(os.environ)}}
with open({calls!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps(record) + "\\n")
print("\\n".join({candidates!r}))
"""


class FakeCli:
    """The scripts, what they answer, and what they recorded."""

    def __init__(
        self,
        directory: Path,
        *,
        version: str = V2,
        rc: int = 0,
        stdout: str = "fake aws stdout: {args}\n",
        stderr: str = "fake aws stderr: {args}\n",
        candidates: tuple[str, ...] = ("cp", "ls", "mb"),
    ) -> None:
        self.directory = directory
        self.version = version
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.candidates = candidates

    @property
    def aws(self) -> Path:
        return self.directory / "aws"

    @property
    def completer(self) -> Path:
        return self.directory / "aws_completer"

    @property
    def calls_file(self) -> Path:
        return self.directory / "calls.jsonl"

    def install(self) -> FakeCli:
        self.directory.mkdir(parents=True, exist_ok=True)
        common = {"python": sys.executable, "calls": str(self.calls_file)}
        self.aws.write_text(
            _AWS.format(
                **common, version=self.version, stdout=self.stdout, stderr=self.stderr, rc=self.rc
            )
        )
        self.completer.write_text(_COMPLETER.format(**common, candidates=list(self.candidates)))
        for script in (self.aws, self.completer):
            script.chmod(0o755)
        return self

    def calls(self, program: str = "aws") -> list[dict[str, Any]]:
        """What the runs of ``program`` recorded, in order."""
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        return [r for r in records if r["program"] == program]

    def runs(self) -> list[dict[str, Any]]:
        """The runs of ``aws`` other than ``--version``."""
        return [r for r in self.calls() if r["args"] != ["--version"]]
