"""Safe YAML: plain data, aliases counted before anything is built."""

from __future__ import annotations

import pytest

from ec2_import_image.yamlload import YamlError, YamlTooLarge, expanded_size, safe_load


def bomb(levels: int, width: int = 10) -> str:
    lines = ['a0: &a0 ["x"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_plain_documents_and_ordinary_aliases_load() -> None:
    assert safe_load("a: &x [1, 2]\nb: *x\nyes: no\n") == {"a": [1, 2], "b": [1, 2], "yes": "no"}
    assert safe_load("") is None


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    # 10**10 leaves: building it would run for minutes into MemoryError; counting is instant
    with pytest.raises(YamlTooLarge, match="alias bomb"):
        safe_load(bomb(10))


def test_the_bound_is_counted_exactly() -> None:
    from ruamel.yaml import YAML

    root = YAML(typ="safe", pure=True).compose(bomb(2, width=3))
    # a0: 2 nodes; a1: 1 + 3*2 = 7; a2: 1 + 3*7 = 22; mapping: 1 + keys 3 + values 2+7+22
    assert expanded_size(root) == 1 + 3 + 2 + 7 + 22
    assert safe_load(bomb(2, width=3), limit=35) is not None
    with pytest.raises(YamlTooLarge):
        safe_load(bomb(2, width=3), limit=34)


def test_no_objects_and_no_recursion() -> None:
    with pytest.raises(YamlError):
        safe_load("!!python/object:os.system {}\n")
    with pytest.raises(YamlError, match="recursive"):
        safe_load("a: &a [*a]\n")
    with pytest.raises(YamlError):
        safe_load("a: [unclosed\n")
