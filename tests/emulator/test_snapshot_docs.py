"""docs/emulator.md lists every EBS direct error, fault field and option the emulator has."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from ec2_import_emulator import server
from ec2_import_emulator.ebsdirect import errors
from ec2_import_emulator.ebsdirect.faults import FaultPlan
from ec2_import_emulator.snapshotvalidate import UNSUPPORTED_FORMAT

DOC = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")


def _samples() -> list[errors.EbsError]:
    built = []
    for name, function in inspect.getmembers(errors, inspect.isfunction):
        if function.__module__ != errors.__name__ or name.startswith("_"):
            continue
        parameters = inspect.signature(function).parameters
        built.append(function(*[1 if p.annotation == "int" else "x" for p in parameters.values()]))
    return built


@pytest.mark.parametrize("error", _samples(), ids=lambda error: f"{error.code}-{error.reason}")
def test_every_ebs_error_is_documented(error: errors.EbsError) -> None:
    assert f"| {error.code} ({error.status}) |" in DOC
    if error.reason is not None:
        assert error.reason in DOC


@pytest.mark.parametrize("field", [f.name for f in fields(FaultPlan)])
def test_every_fault_field_is_documented(field: str) -> None:
    assert f"| `{field}` |" in DOC


@pytest.mark.parametrize(
    "option",
    [
        option
        for action in server.parser()._actions
        for option in action.option_strings
        if option.startswith("--ebs-")
    ],
)
def test_every_ebs_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC


def test_confirmed_snapshot_messages_are_quoted_exactly() -> None:
    assert UNSUPPORTED_FORMAT in DOC
    assert errors.token_conflict().message in DOC
    assert errors.read_failed().message in DOC
