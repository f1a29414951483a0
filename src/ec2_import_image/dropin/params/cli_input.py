"""``--cli-input-json`` and ``--cli-input-yaml``: a whole request as one document.

As in v2 the option's value goes through the file step twice: once like
every option's value, and once more here, so ``file:///dev/stdin`` finds the
pipe already empty the second time (v2 then reports invalid JSON).  YAML is
read with ruamel.yaml's safe loader, YAML 1.2 as v2 reads it: ``yes`` stays a
string, dates become datetimes, and no object is ever constructed from a tag.

Aliases let a few lines of YAML stand for billions of values (ten anchors of
ten aliases each: 10^10): loading such a document is cheap, since its values
are shared, but everything after it (validation, serialization) walks them
one by one, and v2 runs for half a minute into a MemoryError.  The document
is therefore composed first, and the number of values it holds with every
alias expanded is counted on the composed nodes, which aliases share: a
document whose aliases take it past ``MAX_EXPANDED_VALUES`` (or that refers
to itself) is refused as a parameter error, before anything is constructed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ec2_import_image.dropin.errors import ParamValidationError, crash_as_in_v2, param_error
from ec2_import_image.dropin.params.paramfile import get_paramfile

#: the names of the two options
JSON_INPUT = "cli-input-json"
YAML_INPUT = "cli-input-yaml"


def load_cli_input(name: str, raw: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the document given to ``--cli-input-json`` or ``--cli-input-yaml`` (``name``).

    ``environ``: the run's variables, for a ``file://`` document's path and encoding.
    """
    loaded_file = get_paramfile(raw, environ)
    text: Any = raw if loaded_file is None else loaded_file
    if name == YAML_INPUT:
        data = _load_yaml(name, text)
    else:
        try:
            data = json.loads(text)
        except ValueError:
            raise param_error(name, "Invalid JSON received.") from None
        except RecursionError as error:
            # nested too deeply for Python's decoder: v2 does not catch it either (255)
            raise crash_as_in_v2(error) from error
    if not isinstance(data, dict):
        raise ParamValidationError(
            f"Error parsing parameter '--{name}': Invalid type: expecting map, "
            f"received {type(data)}"
        )
    return data


#: The most values a ``--cli-input-yaml`` document may hold once its aliases are expanded.
#: A real request holds tens of values (a few thousand for a long list of task ids);
#: a document without aliases is not counted against it.
MAX_EXPANDED_VALUES = 100_000


def _load_yaml(name: str, text: Any) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
        if node is None:  # an empty document
            return None
        problem = _expansion_problem(node)
        if problem is not None:
            raise param_error(name, problem)
        return yaml.constructor.construct_document(node)
    except YAMLError:
        raise param_error(name, "Invalid YAML received.") from None
    except RecursionError as error:
        # nested too deeply for the composer: v2 does not catch it either (255)
        raise crash_as_in_v2(error) from error


def _expansion_problem(root: Any) -> str | None:
    """Why the document's aliases make it too big, or None when they do not."""
    expanded, distinct = expanded_size(root)
    if expanded is None:
        return (
            "The YAML document refers to itself (an alias inside the value of its own "
            "anchor), which expands without end."
        )
    if expanded > distinct and expanded > MAX_EXPANDED_VALUES:
        return (
            f"The YAML document's aliases expand it to {expanded:,} values, more than the "
            f"{MAX_EXPANDED_VALUES:,} a document may hold. Write the values out, or use "
            "fewer aliases."
        )
    return None


def expanded_size(root: Any) -> tuple[int | None, int]:
    """Values under ``root`` with every alias expanded (None: endless), and distinct nodes.

    Composed YAML is a graph: an alias is the very node its anchor names.  The
    expanded size of a node is one plus that of each child (a mapping's keys
    and values), computed once per node, without recursion (a deep document
    must not exhaust the stack here).
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
