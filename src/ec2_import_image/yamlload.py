"""YAML documents read safely: plain data only, and no alias bombs.

Shared by the drop-in's ``--cli-input-yaml`` and ``vmimport``'s batch
manifests.  ruamel.yaml's safe loader builds only plain values (mappings,
lists, scalars, YAML 1.2's dates), never objects named by the document.
Aliases are the other danger: ``&a [*b, *b, ...]`` ten levels deep is a few
hundred bytes that stand for billions of values (a "billion laughs").
Loading it is cheap, since its values are shared, but everything after it
(validation, serialization) walks them one by one: v2 runs for half a minute
into a MemoryError.  So the document is composed into its node graph first,
where an alias is the very node its anchor names; the size it would expand to
is counted on that graph (each node once, without recursion), and a document
whose aliases take it past the caller's bound, or that contains itself, is
refused before anything is constructed.  A document without aliases is not
counted against the bound.

The composed graph is then built into values by the safe constructor's
``construct_document``, a method ruamel.yaml does not document (a private hook,
in ``tests/unit/test_private_hooks.py``).  A ruamel.yaml without it gets the
text loaded again by its public ``load``: slower, and the same values, since
the safe loader composes the same text into the same graph that was counted.
"""

from __future__ import annotations

from typing import Any


class YamlError(ValueError):
    """The text is not a YAML document the safe loader reads."""


class YamlRecursive(YamlError):
    """A node contains itself (an alias inside the value of its own anchor): endless."""


class YamlTooLarge(YamlError):
    """The document's aliases expand it beyond the bound."""

    def __init__(self, expanded: int, limit: int) -> None:
        super().__init__(f"its aliases expand it to {expanded:,} values, more than {limit:,}")
        self.expanded = expanded
        self.limit = limit


def expanded_size(root: Any) -> tuple[int | None, int]:
    """Values under ``root`` with every alias expanded (None: endless), and distinct nodes.

    The expanded size of a node is one plus that of each child (a mapping's
    keys and values), computed once per node, without recursion (a deep
    document must not exhaust the stack here).
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    def children(node: Any) -> list[Any]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, MappingNode):
            return [item for pair in node.value for item in pair]
        return []

    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            sizes[key] = 1 + sum(sizes[id(child)] for child in children(node))
            on_path.discard(key)
            continue
        if key in sizes:
            continue
        if key in on_path:
            return None, len(sizes)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children(node) if id(child) not in sizes)
    return sizes[id(root)], len(sizes)


def safe_load(text: str | bytes, limit: int) -> Any:
    """The plain data of one YAML document, once its expanded size is under ``limit``.

    Raises ``YamlError`` (or its subclasses) for what cannot be read; a
    ``RecursionError`` from a document nested deeper than the composer can go
    is left to the caller (the drop-in reports it as v2 does).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
        if node is None:  # an empty document
            return None
        expanded, distinct = expanded_size(node)
        if expanded is None:
            raise YamlRecursive("the document refers to itself (an alias inside its own anchor)")
        if expanded > distinct and expanded > limit:
            raise YamlTooLarge(expanded, limit)
        construct = getattr(getattr(yaml, "constructor", None), "construct_document", None)
        if callable(construct):
            return construct(node)
        return yaml.load(text)
    except YAMLError as error:
        first = str(error).strip().splitlines()
        raise YamlError(first[0] if first else "invalid YAML") from None
