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
    """The text is not a YAML document the safe loader reads.

    ``str()`` is the parser's first line (what the drop-in prints, as v2 does);
    ``located()`` says where: the line and column (1-based) of the problem
    from ruamel's marks, and what was being parsed, for a person to find it.
    """

    def __init__(
        self,
        message: str,
        *,
        problem: str | None = None,
        line: int | None = None,
        column: int | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.line = line
        self.column = column
        self.context = context

    def located(self) -> str:
        """``line 4, column 9: expected ',' or ']', but got ':' (while parsing a flow
        sequence at line 3, column 12)``; ``str()`` when the parser gave no mark."""
        if self.line is None or self.column is None:
            return str(self)
        text = f"line {self.line}, column {self.column}: {self.problem or self}"
        return f"{text} ({self.context})" if self.context else text


def _marked(error: Exception) -> YamlError:
    """ruamel's error as a ``YamlError``, its marks (0-based) turned into line and column."""
    first = str(error).strip().splitlines()
    message = first[0] if first else "invalid YAML"
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return YamlError(message)
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None:
        context = f"{context} at line {context_mark.line + 1}, column {context_mark.column + 1}"
    problem = getattr(error, "problem", None)
    return YamlError(
        message,
        problem=str(problem) if problem else None,
        line=mark.line + 1,
        column=mark.column + 1,
        context=str(context) if context else None,
    )


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
        raise _marked(error) from None
