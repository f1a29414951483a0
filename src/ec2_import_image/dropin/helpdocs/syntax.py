"""The syntax blocks of an option's entry: Shorthand Syntax, JSON Syntax, list Syntax.

Following v2's rules for which blocks an option gets:

- a structure, or a list of structures, gets a Shorthand Syntax line (member
  ``Name=type`` pairs, nested structures in ``{}``, nested lists of
  structures in ``[]``, `` ...`` after a top-level list's item) unless it
  nests too deep, and a JSON Syntax block (enum values inline, ``"a"|"b"``);
- a list of scalars gets a ``"string" "string" ...`` Syntax line instead;
- a scalar gets none.
"""

from __future__ import annotations

from ec2_import_image.model import Shape

COMPLEX_TYPES = frozenset({"structure", "list", "map"})
MAX_SHORTHAND_DEPTH = 3
JSON_INDENT = "  "


class _TooComplex(Exception):
    pass


def supports_shorthand(shape: Shape) -> bool:
    if shape.type_name not in COMPLEX_TYPES:
        return False
    return shape.type_name != "list" or shape.member.type_name in COMPLEX_TYPES


def is_scalar_list(shape: Shape) -> bool:
    return shape.type_name == "list" and shape.member.type_name not in COMPLEX_TYPES


def shorthand_syntax(shape: Shape) -> str:
    """The shorthand form of ``shape``'s value, or ``""`` when it nests too deep."""
    try:
        if shape.type_name == "list":
            return _shorthand(shape.member, []) + " ..."
        return _shorthand(shape, [])
    except _TooComplex:
        return ""


def _shorthand(shape: Shape, stack: list[str]) -> str:
    if len(stack) > MAX_SHORTHAND_DEPTH:
        raise _TooComplex
    if shape.type_name == "structure":
        parts = []
        for name, member in shape.members.items():
            if member.name in stack:
                parts.append(f"{name}=( ... recursive ... )")
                continue
            parts.append(f"{name}={_shorthand_nested(member, stack)}")
        inner = ",".join(parts)
        return "{" + inner + "}" if stack else inner
    if shape.type_name == "list":
        item = _shorthand_nested(shape.member, stack)
        if shape.member.type_name in COMPLEX_TYPES or len(stack) > 1:
            return f"[{item},{item}]"
        return f"{item},{item}"
    if shape.type_name == "map":
        value = _shorthand_nested(shape.value, stack)
        pairs = f"KeyName1={value},KeyName2={value}"
        return "{" + pairs + "}" if stack else pairs
    return shape.type_name


def _shorthand_nested(shape: Shape, stack: list[str]) -> str:
    """``shape``'s shorthand one level down: its name is on the stack while it is written."""
    stack.append(shape.name)
    try:
        return _shorthand(shape, stack)
    finally:
        stack.pop()


def scalar_placeholder(shape: Shape, *, with_enum: bool = True) -> str:
    """How a scalar is shown in JSON: ``"string"``, ``"a"|"b"``, ``true|false``, ``integer``."""
    if shape.type_name == "string":
        if shape.enum and with_enum:
            return "|".join(f'"{value}"' for value in shape.enum)
        return '"string"'
    if shape.type_name == "boolean":
        return "true|false"
    return shape.type_name


def list_syntax(shape: Shape) -> str:
    """The Syntax line of a list of scalars: ``"string" "string" ...``."""
    item = scalar_placeholder(shape.member, with_enum=False)
    return f"{item} {item} ..."


def json_syntax(shape: Shape) -> str:
    """The JSON form of ``shape``'s value, indented by two spaces a level."""
    return _json(shape, [])


def _json(shape: Shape, stack: list[str]) -> str:
    if shape.name in stack and stack.count(shape.name) > 1:
        return "{ ... recursive ... }" if shape.type_name == "structure" else ""
    stack.append(shape.name)
    try:
        return _json_value(shape, stack)
    finally:
        stack.pop()


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + JSON_INDENT)


def _json_value(shape: Shape, stack: list[str]) -> str:
    if shape.type_name == "list":
        if shape.member.type_name not in COMPLEX_TYPES:
            return f"[{scalar_placeholder(shape.member)}, ...]"
        item = _json(shape.member, stack)
        return f"[\n{JSON_INDENT}{_indent(item)}\n{JSON_INDENT}...\n]"
    if shape.type_name == "map":
        key = scalar_placeholder(shape.key)
        value = (
            scalar_placeholder(shape.value)
            if shape.value.type_name not in COMPLEX_TYPES
            else _indent(_json(shape.value, stack))
        )
        return f"{{{key}: {value}\n{JSON_INDENT}...\n}}"
    if shape.type_name == "structure":
        members = []
        for name, member in shape.members.items():
            if member.type_name in COMPLEX_TYPES:
                value = _json(member, stack)
            else:
                value = scalar_placeholder(member)
            members.append(f'"{name}": {value}')
        inner = ",\n".join(members)
        return "{\n" + JSON_INDENT + _indent(inner) + "\n}"
    return scalar_placeholder(shape)
