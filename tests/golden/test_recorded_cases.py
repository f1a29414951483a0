"""Every case recorded from AWS CLI v2.36.7, replayed against the tool (tests/support/cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cases import EXTRA, Case, check, load_cases, run_case

CASES = load_cases()
EXTRA_CASES = load_cases(corpus=EXTRA)


@pytest.mark.parametrize("case", CASES, ids=[c.ident for c in CASES])
def test_recorded_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared corpus."""
    outcome = run_case(case, tmp_path, monkeypatch)
    check(case, outcome)


@pytest.mark.parametrize("case", EXTRA_CASES, ids=[c.ident for c in EXTRA_CASES])
def test_extra_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's own cases, recorded from v2.36.7 (tests/golden/extra)."""
    outcome = run_case(case, tmp_path, monkeypatch)
    check(case, outcome)
