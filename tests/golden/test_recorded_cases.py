"""Every recorded AWS CLI v2.36.7 case, replayed against the tool (see tests/support/cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cases import Case, check, load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.ident for c in CASES])
def test_recorded_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_case(case, tmp_path, monkeypatch)
    check(case, outcome)
