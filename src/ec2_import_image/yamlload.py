"""YAML documents read safely: plain data only, and no alias bombs.

ruamel.yaml's safe loader builds only plain values (mappings, lists,
scalars), never objects named by the document.  Aliases are the other
danger: ``&a [*b, *b, ...]`` ten levels deep is a few hundred bytes that
expand to billions of values (a "billion laughs"), which the loader builds
for minutes until memory runs out.  So the document is first composed into
its node graph, where an alias is a second reference to the same node, and
the size it would expand to is counted on that graph (each node once, with
its expanded size remembered) before anything is built.
"""

from __future__ import annotations

from typing import Any

#: the most values a document may expand to; real requests and manifests stay far below
MAX_EXPANDED_NODES = 1_000_000


class YamlError(ValueError):
    """The text is not YAML, or expands beyond ``MAX_EXPANDED_NODES``, or is recursive."""


class YamlTooLarge(YamlError):
    """The aliases of the document expand beyond the bound."""


def expanded_size(root: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """How many nodes the document would hold with every alias expanded (stops past ``limit``).

    Raises ``YamlError`` for a node that contains itself (a recursive alias).
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, int] = {}
    # an explicit stack: deep documents must not exhaust Python's recursion
    stack: list[tuple[Any, bool]] = [(root, False)]
    in_progress: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = min(total, limit + 1)
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise YamlError("a recursive alias (a node that contains itself)")
        in_progress.add(key)
        stack.append((node, True))
        if isinstance(node, MappingNode | SequenceNode):
            for child in _children(node):
                if id(child) in in_progress:
                    raise YamlError("a recursive alias (a node that contains itself)")
                if id(child) not in sizes:
                    stack.append((child, False))
    return sizes[id(root)]


def _children(node: Any) -> list[Any]:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def safe_load(text: str | bytes, limit: int = MAX_EXPANDED_NODES) -> Any:
    """The plain data of a YAML document (YAML 1.2), after the expansion check."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        root = yaml.compose(text)
    except YAMLError as error:
        raise YamlError(str(error).splitlines()[0] if str(error) else "invalid YAML") from None
    if root is None:
        return None
    size = expanded_size(root, limit)
    if size > limit:
        raise YamlTooLarge(f"its aliases expand to more than {limit:,} values (a YAML alias bomb?)")
    try:
        return yaml.load(text)
    except (YAMLError, RecursionError) as error:
        raise YamlError(str(error).splitlines()[0] if str(error) else "invalid YAML") from None
