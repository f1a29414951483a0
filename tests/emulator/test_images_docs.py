"""docs/emulator.md lists every error the image actions answer, and the emulator's options."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator.errors import ApiError
from ec2_import_emulator.images import errors
from ec2_import_emulator.server import parser

DOC = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## Images") :]


def _samples() -> list[ApiError]:
    built = []
    for name, function in inspect.getmembers(errors, inspect.isfunction):
        if function.__module__ != errors.__name__ or name.startswith("_"):
            continue
        parameters = inspect.signature(function).parameters
        arguments: list[Any] = []
        for parameter in parameters.values():
            if parameter.annotation == "int":
                arguments.append(1)
            elif "Sequence" in str(parameter.annotation):
                arguments.append(["x"])
            else:
                arguments.append("x")
        built.append(function(*arguments))
    return built


@pytest.mark.parametrize(
    "error", _samples(), ids=lambda error: f"{error.code}:{error.message[:30]}"
)
def test_every_image_error_is_documented(error: ApiError) -> None:
    assert f"| {error.code} " in SECTION


@pytest.mark.parametrize(
    "message",
    [
        "AMI name web-1 is already in use by AMI ami-",
        "the encrypted flag cannot be specified since device /dev/xvda has a snapshot specified.",
        "You do not have permission to access the storage of this ami",
        "Snapshots encrypted with the AWS Managed CMK can\u2019t be shared. "
        "Specify another snapshot.",
        "Volume of size 4GB is smaller than snapshot 'snap-",
        "Either snapshot ID or volume size must be provided for: /dev/xvda",
    ],
)
def test_confirmed_messages_are_quoted(message: str) -> None:
    assert message in SECTION


def test_the_copy_quota_option() -> None:
    assert parser().parse_args([]).max_image_copies == 100
    assert parser().parse_args(["--max-image-copies", "3"]).max_image_copies == 3
    assert "`--max-image-copies N`" in DOC
