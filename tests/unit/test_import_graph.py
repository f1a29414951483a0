"""The import graph of ``src/``: no cycles, and the rooms of the house kept apart.

Every ``import`` and ``from ... import`` statement counts, at module level or
inside a function, except those under ``if TYPE_CHECKING:`` (never executed).
A ``from package import name`` whose name is a submodule is an edge to that
submodule; otherwise it is an edge to the package.  Importing a submodule runs
its package's ``__init__``; that implicit edge is not drawn (an ``__init__``
that imported its own submodules would show up through its own statements).

The rooms (see docs/architecture.md):

- ``ec2_import_emulator`` (the emulator, behind the ``emulator`` extra) may import
  the shared parts of ``ec2_import_image``, never a program's room;
- nothing in ``ec2_import_image`` imports ``ec2_import_emulator``;
- the programs' rooms (``ec2_import_image.dropin``, ``ec2_import_image.vmimport``)
  do not import each other; the shared parts import no program's room.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ("ec2_import_image", "ec2_import_emulator")
EMULATOR = "ec2_import_emulator"
PROGRAMS = ("ec2_import_image.dropin", "ec2_import_image.vmimport")
#: ``python -m ec2_import_image`` runs the drop-in: the distribution's one door into a room
ENTRY_POINTS = {"ec2_import_image.__main__": "ec2_import_image.dropin.entry"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((SRC / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (``if TYPE_CHECKING:`` bodies skipped)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve_relative(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def edges(known: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in _import_nodes(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = (
                    _resolve_relative(name, is_package, node) if node.level else node.module or ""
                )
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                    for alias in node.names
                ]
            for named in targets:
                # the longest known module the name covers (``a.b.c`` -> ``a.b`` if only that)
                target = named
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_there_is_no_import_cycle() -> None:
    assert find_cycles(edges(modules())) == []


def test_nothing_outside_the_emulator_imports_it() -> None:
    graph = edges(modules())
    offenders = [
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if _within(target, EMULATOR) and not _within(source, EMULATOR)
    ]
    assert offenders == []


def test_programs_and_shared_parts_keep_to_their_rooms() -> None:
    graph = edges(modules())
    offenders = []
    for source, targets in graph.items():
        home = next((p for p in PROGRAMS if _within(source, p)), None)
        for target in targets:
            room = next((p for p in PROGRAMS if _within(target, p)), None)
            if room is None or room == home or ENTRY_POINTS.get(source) == target:
                continue
            # a program's room is imported only from inside it
            offenders.append((source, target))
    assert offenders == []


def test_the_checker_sees_cycles_and_function_level_imports(tmp_path: Path) -> None:
    """The test above can fail: a cycle through an import inside a function is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import skipped\n"
        "def f():\n    import inner\n"
    )
    names = {alias.name for node in _import_nodes(tree) for alias in node.names}
    assert names == {"TYPE_CHECKING", "inner"}
