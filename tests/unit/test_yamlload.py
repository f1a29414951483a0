"""The shared safe YAML loader: plain data, aliases counted before anything is built."""

from __future__ import annotations

import pytest

from ec2_import_image.yamlload import (
    YamlError,
    YamlRecursive,
    YamlTooLarge,
    expanded_size,
    safe_load,
)

LIMIT = 1_000_000


def bomb(levels: int, width: int = 10) -> str:
    lines = ['a0: &a0 ["x"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_plain_documents_and_ordinary_aliases_load() -> None:
    loaded = safe_load("a: &x [1, 2]\nb: *x\nyes: no\n", LIMIT)
    assert loaded == {"a": [1, 2], "b": [1, 2], "yes": "no"}
    assert safe_load("", LIMIT) is None


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    # 10**10 leaves: building it would run for minutes into MemoryError; counting is instant
    with pytest.raises(YamlTooLarge) as caught:
        safe_load(bomb(10), LIMIT)
    assert caught.value.expanded > 10**10 and caught.value.limit == LIMIT


def test_the_bound_is_counted_exactly() -> None:
    from ruamel.yaml import YAML

    root = YAML(typ="safe", pure=True).compose(bomb(2, width=3))
    # a0: 2 nodes; a1: 1 + 3*2 = 7; a2: 1 + 3*7 = 22; mapping: 1 + keys 3 + values 2+7+22
    # distinct nodes: the mapping, its 3 keys, a0 and its "x", a1, a2
    assert expanded_size(root) == (1 + 3 + 2 + 7 + 22, 1 + 3 + 2 + 1 + 1)
    assert safe_load(bomb(2, width=3), limit=35) is not None
    with pytest.raises(YamlTooLarge):
        safe_load(bomb(2, width=3), limit=34)


def test_a_document_without_aliases_is_not_counted() -> None:
    assert safe_load("[" + ", ".join(["1"] * 100) + "]", limit=10) == [1] * 100


def test_no_objects_and_no_recursion() -> None:
    with pytest.raises(YamlError):
        safe_load("!!python/object:os.system {}\n", LIMIT)
    with pytest.raises(YamlRecursive):
        safe_load("a: &a [*a]\n", LIMIT)
    with pytest.raises(YamlError):
        safe_load("a: [unclosed\n", LIMIT)
