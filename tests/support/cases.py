"""Replay recorded AWS CLI v2.36.7 cases (tests/golden/cases) against the tool.

A case gives argv, environment, files, stdin and the stub's scripted replies;
it records v2's exit code, stdout, stderr and the requests the endpoint saw.
Cases run in-process through ``entry.main`` with an injected Environment,
except those that need the real process (stdin read through /dev/stdin),
which run ``python -m ec2_import_image`` in a subprocess.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.dropin.fallback import FALLBACK_VARIABLE
from tests.support.runner import Harness

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
#: the shared corpus recorded from v2.36.7, copied
CASES = GOLDEN / "cases"
#: the project's own cases, recorded from v2.36.7 the same way
EXTRA = GOLDEN / "extra"


@dataclass
class Case:
    path: Path
    data: dict[str, Any]

    @property
    def corpus(self) -> Path:
        return self.path.parent.parent

    @property
    def ident(self) -> str:
        return f"{self.data['area']}/{self.data['name']}"

    @property
    def compare(self) -> list[str]:
        return list(self.data.get("compare") or ["rc", "stdout", "stderr", "requests"])


class MissingCorpus(Exception):
    """A corpus folder (or an area asked for) that is not there, or holds no case.

    Raised at collection: a missing corpus must fail the run, not give a test
    parametrized over nothing that passes by running no case at all.
    """


def load_cases(*areas: str, corpus: Path = CASES) -> list[Case]:
    if not corpus.is_dir():
        raise MissingCorpus(f"the recorded cases' folder {corpus} is missing")
    cases: list[Case] = []
    found: set[str] = set()
    for area_dir in sorted(corpus.iterdir()):
        if area_dir.name == "responses" or (areas and area_dir.name not in areas):
            continue
        for path in sorted(area_dir.glob("*.json")):
            cases.append(Case(path, json.loads(path.read_text(encoding="utf-8"))))
            found.add(area_dir.name)
    missing = sorted(set(areas) - found)
    if missing:
        raise MissingCorpus(f"no recorded case in {corpus} for {', '.join(missing)}")
    if not cases:
        raise MissingCorpus(f"no recorded case in {corpus}")
    return cases


def _body(corpus: Path, body: Any) -> bytes:
    if body is None:
        return b""
    if re.fullmatch(r"[^\s<>]+\.xml", body):
        return (corpus / str(body)).read_bytes()
    return str(body).encode("utf-8")


def scripted_replies(case: Case) -> dict[str, list[dict[str, Any]]]:
    replies: dict[str, list[dict[str, Any]]] = {}
    for action, script in (case.data.get("replies") or {}).items():
        replies[action] = [
            {**reply, "body": _body(case.corpus, reply.get("body"))} for reply in script
        ]
    for path in (case.corpus / "responses").glob("*.xml"):
        if path.stem[:1].isupper() and path.stem not in replies:
            replies[path.stem] = [{"status": 200, "body": path.read_bytes()}]
    return replies


@dataclass
class Outcome:
    rc: Any
    stdout: str
    stderr: str
    requests: list[list[list[str]]]
    headers: list[dict[str, str]]


class Placeholders:
    def __init__(self, tmp: Path, endpoint: str, port: int, dead_port: int) -> None:
        self.tmp = str(tmp)
        self.endpoint = endpoint
        self.dead_endpoint = f"http://127.0.0.1:{dead_port}"
        self.port = port
        self.dead_port = dead_port

    def expand(self, text: str) -> str:
        for key, value in (
            ("{ENDPOINT}", self.endpoint),
            ("{DEAD_ENDPOINT}", self.dead_endpoint),
            ("{PORT}", str(self.port)),
            ("{DEAD_PORT}", str(self.dead_port)),
            ("{TMP}", self.tmp),
        ):
            text = text.replace(key, value)
        return text

    def normalise(self, text: str) -> str:
        text = text.replace(self.endpoint, "{ENDPOINT}").replace(
            self.dead_endpoint, "{DEAD_ENDPOINT}"
        )
        for tmp in sorted({self.tmp, os.path.realpath(self.tmp)}, key=len, reverse=True):
            text = text.replace(tmp, "{TMP}")
        text = re.sub(rf"(?<![0-9]){self.port}(?![0-9])", "{PORT}", text)
        return re.sub(rf"(?<![0-9]){self.dead_port}(?![0-9])", "{DEAD_PORT}", text)


def needs_process(env: dict[str, str]) -> bool:
    """Cases that need the real process: output re-encoded as bytes (AWS_CLI_OUTPUT_ENCODING)."""
    return "AWS_CLI_OUTPUT_ENCODING" in env


def run_case(case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    data = case.data
    harness = Harness(tmp, monkeypatch, scripted_replies(case))
    try:
        port = int(harness.endpoint.rsplit(":", 1)[1])
        ph = Placeholders(tmp, harness.endpoint, port, harness.dead_port)
        for rel, content in (data.get("files") or {}).items():
            if isinstance(content, dict):
                harness.write(rel, base64.b64decode(content["base64"]))
            else:
                harness.write(rel, ph.expand(content).encode("utf-8"))
        env = {k: ph.expand(v) for k, v in (data.get("env") or {}).items()}
        # a recorded case is this tool's answer: never an AWS CLI found on this machine's PATH
        env.setdefault(FALLBACK_VARIABLE, "")
        unset = data.get("unset_env") or []
        argv = [ph.expand(a) for a in data["argv"]]
        stdin = data.get("stdin")
        if stdin is not None or needs_process(env):
            text = None if stdin is None else ph.expand(stdin).encode()
            run = harness.run_process(argv, env=env, unset=unset, stdin=text)
        else:
            run = harness.run(argv, env=env, unset=unset)
    finally:
        harness.close()
    requests = [[[ph.normalise(k), ph.normalise(v)] for k, v in r.form] for r in run.requests]
    return Outcome(
        run.rc,
        ph.normalise(run.stdout),
        ph.normalise(run.stderr),
        requests,
        [r.headers for r in run.requests],
    )


def header_problems(case: Case, outcome: Outcome) -> Iterator[str]:
    spec = case.data.get("assert_headers") or {}
    for i, headers in enumerate(outcome.headers):
        for name in spec.get("absent", []):
            if name.lower() in headers:
                yield f"request {i + 1} has header {name}"
        for name in spec.get("present", []):
            if name.lower() not in headers:
                yield f"request {i + 1} lacks header {name}"
        for name, part in (spec.get("contains") or {}).items():
            if part not in headers.get(name.lower(), ""):
                yield f"request {i + 1} header {name} lacks {part!r}"


#: the source line an SSL error names (``(_ssl.c:1006)``): Python's own, which moves
#: from one Python version to the next; the cases were recorded on Python 3.11
_SSL_SOURCE_LINE = re.compile(r"\(_ssl\.c:\d+\)")


def _as_recorded(name: str, value: Any) -> Any:
    """``value`` as it compares with the recorded one on this Python."""
    if name != "stderr" or sys.version_info[:2] == (3, 11):
        return value
    return _SSL_SOURCE_LINE.sub("(_ssl.c:N)", value)


def check(case: Case, outcome: Outcome) -> None:
    expect = case.data["expect"]
    for name in case.compare:
        assert _as_recorded(name, getattr(outcome, name)) == _as_recorded(name, expect[name]), (
            f"{case.ident}: {name} differs\nstdout: {outcome.stdout!r}\nstderr: {outcome.stderr!r}"
        )
    assert list(header_problems(case, outcome)) == []
