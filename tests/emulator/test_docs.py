"""docs/emulator.md lists every error the emulator answers."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import errors

DOC = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")


def _samples() -> list[errors.ApiError]:
    built = []
    for name, function in inspect.getmembers(errors, inspect.isfunction):
        if function.__module__ != errors.__name__ or name.startswith("_"):
            continue
        parameters = inspect.signature(function).parameters
        arguments: list[Any] = [1 if p.annotation == "int" else "x" for p in parameters.values()]
        if parameters and list(parameters)[-1] == "allowed":
            arguments[-1] = ("a", "b")
        built.append(function(*arguments))
    return built


@pytest.mark.parametrize("error", _samples(), ids=lambda error: error.code)
def test_every_error_code_is_documented(error: errors.ApiError) -> None:
    assert f"| {error.code} " in DOC


@pytest.mark.parametrize(
    "message",
    [
        "Value (ovaa) for parameter DiskContainer.1.Format is invalid. "
        "Supported formats: OVA, VHD, VHDX, VMDK, RAW",
        "The service role vmimport provided does not exist or does not have sufficient permissions",
        "Request would have succeeded, but DryRun flag is set.",
        "The import task ID 'import-ami-nope' is malformed.",
    ],
)
def test_confirmed_messages_are_quoted_exactly(message: str) -> None:
    assert message in DOC
