"""--cli-input-yaml: read as v2 reads it, except documents whose aliases explode."""

from __future__ import annotations

import os
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

from ec2_import_image.dropin.errors import GeneralError, ParamValidationError
from ec2_import_image.dropin.params import cli_input
from ec2_import_image.dropin.params.cli_input import (
    MAX_EXPANDED_VALUES,
    load_cli_input,
)
from ec2_import_image.yamlload import expanded_size

BOMB_LEVELS = 10


def bomb(levels: int = BOMB_LEVELS) -> str:
    """Ten aliases of the level below on each level: 10**levels strings at the bottom."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    lines.append(f"Description: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def compose(text: str) -> Any:
    return YAML(typ="safe", pure=True).compose(text)


def v2_load(text: str) -> Any:
    """What v2 loads (its loader, unguarded)."""
    return YAML(typ="safe", pure=True).load(text)


def test_the_expanded_size_counts_every_alias_as_its_whole_value() -> None:
    # the root, 10 levels of (key, list), 10 ** k items per level, plus Description
    expanded, distinct = expanded_size(compose(bomb()))
    per_level = [1 + 1 + sum(10**j for j in range(1, k + 2)) for k in range(BOMB_LEVELS)]
    assert expanded == 1 + sum(per_level) + 2 + sum(10**j for j in range(1, BOMB_LEVELS + 1))
    assert expanded is not None and expanded > 10**10
    assert distinct < 300


def test_a_bomb_is_refused_before_anything_is_constructed(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object) -> None:
        raise AssertionError("the document was constructed")

    monkeypatch.setattr(SafeConstructor, "construct_document", never)
    with pytest.raises(ParamValidationError) as refused:
        load_cli_input("cli-input-yaml", bomb(), {})
    expanded, _ = expanded_size(compose(bomb()))
    assert refused.value.message == (
        "Error parsing parameter 'cli-input-yaml': The YAML document's aliases expand it to "
        f"{expanded:,} values, more than the 100,000 a document may hold. Write the values "
        "out, or use fewer aliases."
    )


def test_a_document_that_refers_to_itself_is_refused() -> None:
    for text in ("a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [[x, [*a]]]\n"):
        with pytest.raises(ParamValidationError, match="refers to itself"):
            load_cli_input("cli-input-yaml", text, {})


def test_aliases_that_stay_under_the_bound_load_as_v2_loads_them() -> None:
    text = (
        "base: &bucket {S3Bucket: images, S3Key: disk.ova}\n"
        "DiskContainers:\n"
        "  - {Format: ova, UserBucket: *bucket}\n"
        "  - Format: vmdk\n"
        "    UserBucket:\n"
        "      <<: *bucket\n"
        "      S3Key: disk.vmdk\n"
        "ClientData: {UploadStart: 2024-01-02T03:04:05Z}\n"
        "Tags: &tags [a, b]\n"
        "More: [*tags, *tags]\n"
    )
    loaded = load_cli_input("cli-input-yaml", text, {})
    assert loaded == v2_load(text)
    assert loaded["DiskContainers"][1]["UserBucket"] == {"S3Bucket": "images", "S3Key": "disk.vmdk"}


def test_the_bound_is_on_what_aliases_add(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_input, "MAX_EXPANDED_VALUES", 20)
    plain = "Ids: [" + ", ".join(f"i-{n}" for n in range(30)) + "]\n"
    assert len(load_cli_input("cli-input-yaml", plain, {})["Ids"]) == 30  # no alias: not counted
    with pytest.raises(ParamValidationError, match="more than the 20 a document may hold"):
        load_cli_input("cli-input-yaml", plain + "Again: &x [a]\nMore: [*x]\n", {})
    assert MAX_EXPANDED_VALUES == 100_000


@pytest.mark.parametrize("text", ["", "# nothing\n", "~\n", "[a, b]\n", "a: [\n"])
def test_other_documents_are_judged_as_before(text: str) -> None:
    with pytest.raises(ParamValidationError) as refused:
        load_cli_input("cli-input-yaml", text, {})
    message = refused.value.message
    assert message == "Error parsing parameter 'cli-input-yaml': Invalid YAML received." or (
        message.startswith(
            "Error parsing parameter '--cli-input-yaml': Invalid type: expecting map"
        )
    )


def test_a_document_nested_too_deeply_fails_as_v2s_does() -> None:
    with pytest.raises(GeneralError, match=r"^maximum recursion depth exceeded"):
        load_cli_input("cli-input-yaml", "a: " + "[" * 500 + "]" * 500 + "\n", {})


def test_no_object_is_constructed_from_a_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object) -> None:
        raise AssertionError("an object was constructed from a tag")

    monkeypatch.setattr(os, "system", never)
    with pytest.raises(ParamValidationError, match="Invalid YAML received"):
        load_cli_input("cli-input-yaml", "a: !!python/object/apply:os.system [echo hi]\n", {})
