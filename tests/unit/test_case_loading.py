"""The recorded cases' loader fails when its corpus is missing (it used to give no case)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cases import CASES, EXTRA, MissingCorpus, load_cases


def test_a_missing_corpus_fails(tmp_path: Path) -> None:
    with pytest.raises(MissingCorpus, match="missing"):
        load_cases(corpus=tmp_path / "cases")


def test_an_empty_corpus_fails(tmp_path: Path) -> None:
    (tmp_path / "errors").mkdir()
    with pytest.raises(MissingCorpus, match="no recorded case"):
        load_cases(corpus=tmp_path)


def test_an_area_asked_for_that_has_no_case_fails(tmp_path: Path) -> None:
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "one.json").write_text(json.dumps({"area": "errors", "name": "one"}))
    assert [case.ident for case in load_cases("errors", corpus=tmp_path)] == ["errors/one"]
    with pytest.raises(MissingCorpus, match="for waiters"):
        load_cases("errors", "waiters", corpus=tmp_path)


def test_the_shipped_corpora_are_there() -> None:
    assert load_cases(corpus=CASES) and load_cases(corpus=EXTRA)
