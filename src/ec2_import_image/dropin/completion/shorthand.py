"""Completion inside a shorthand value: member names, and the values of enumerated members.

``Format=vm`` completes to ``Format=VMDK``; ``Format=ova,User`` to
``Format=ova,UserBucket={``; ``ResourceType=im`` to ``ResourceType=image``.
The text typed so far is scanned with the shorthand grammar's brackets
(``{}`` a structure, ``[]`` a list, ``,`` between pairs or items, quotes
skipped) to find which structure, member and value the cursor is in.
Candidates are the whole word: what was typed before the completed part,
then the completion.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from ec2_import_image.model import Shape

#: a member's valid values, from its shape and path
ValuesOf = Callable[[Shape, tuple[str, ...]], tuple[str, ...]]

COMPLEX = frozenset({"structure", "list", "map"})


class _Nesting(enum.Enum):
    STRUCTURE = "structure"  # key=value pairs
    LIST = "list"  # items


class _Typing(enum.Enum):
    KEY = "key"  # a member name
    VALUE = "value"  # a scalar value
    CLOSED = "closed"  # nothing yet, after a closed structure or list


@dataclass
class _Context:
    """A structure (``key=value`` pairs) or a list (items) being typed."""

    kind: _Nesting
    shape: Shape  # the structure, or the list's member shape
    path: tuple[str, ...]
    keys: set[str] = field(default_factory=set)


@dataclass
class _Cursor:
    """Where the scan ended."""

    context: _Context
    mode: _Typing
    start: int  # where the word being typed starts in the fragment
    member: Shape | None = None  # the member whose value is typed
    member_path: tuple[str, ...] = ()
    #: the list of scalars the previous pair started (``Values=a,b``)
    scalar_list: tuple[Shape, tuple[str, ...]] | None = None


def _suffix(shape: Shape) -> str:
    if shape.type_name == "structure":
        return "={"
    if shape.type_name == "list" and shape.member.type_name in COMPLEX:
        return "=[{" if shape.member.type_name == "structure" else "=["
    return "="


def _skip_quoted(text: str, index: int) -> int:
    quote = text[index]
    index += 1
    while index < len(text) and text[index] != quote:
        index += 2 if text[index] == "\\" else 1
    return index + 1


def _scan(fragment: str, top: _Context) -> _Cursor | None:
    stack = [top]
    cursor = _Cursor(top, _Typing.KEY, 0)
    index = 0
    while index < len(fragment):
        char = fragment[index]
        context = stack[-1]
        if cursor.mode is _Typing.KEY:
            if char == "=" and context.kind is _Nesting.STRUCTURE:
                key = fragment[cursor.start : index].strip()
                member = context.shape.members.get(key)
                context.keys.add(key)
                if member is None:
                    return None
                path = (*context.path, key)
                index += 1
                if index < len(fragment) and fragment[index] == "{":
                    if member.type_name != "structure":
                        return None
                    stack.append(_Context(_Nesting.STRUCTURE, member, path))
                    cursor = _Cursor(stack[-1], _Typing.KEY, index + 1)
                    index += 1
                    continue
                if index < len(fragment) and fragment[index] == "[":
                    if member.type_name != "list":
                        return None
                    stack.append(_Context(_Nesting.LIST, member.member, path))
                    cursor = _Cursor(stack[-1], _Typing.VALUE, index + 1, member.member, path)
                    index += 1
                    continue
                scalar_list = (member, path) if member.type_name == "list" else None
                cursor = _Cursor(context, _Typing.VALUE, index, member, path, scalar_list)
                cursor.start = index
                continue
            if char in ",}":
                index += 1
                if char == "}" and len(stack) > 1:
                    stack.pop()
                cursor = _Cursor(stack[-1], _Typing.KEY, index, scalar_list=cursor.scalar_list)
                continue
            index += 1
            continue
        # typing a value
        if char in "'\"":
            index = _skip_quoted(fragment, index)
            continue
        if char == "{" and context.kind is _Nesting.LIST and index == cursor.start:
            stack.append(_Context(_Nesting.STRUCTURE, context.shape, context.path))
            cursor = _Cursor(stack[-1], _Typing.KEY, index + 1)
            index += 1
            continue
        if char == ",":
            index += 1
            if context.kind is _Nesting.LIST:
                cursor = _Cursor(context, _Typing.VALUE, index, context.shape, context.path)
            else:
                cursor = _Cursor(context, _Typing.KEY, index, scalar_list=cursor.scalar_list)
            continue
        if char in "}]":
            index += 1
            if len(stack) > 1:
                stack.pop()
            # after a closed value comes "," (next pair or item) or another close
            cursor = _Cursor(stack[-1], _Typing.CLOSED, index)
            continue
        index += 1
    return cursor


def complete_shorthand(
    shape: Shape, fragment: str, path: tuple[str, ...], values_of: ValuesOf
) -> list[str]:
    """Whole-word candidates for a shorthand ``fragment`` of an option with ``shape``."""
    item = shape.member if shape.type_name == "list" else shape
    if item.type_name != "structure" or fragment[:1] in ("{", "["):
        return []
    cursor = _scan(fragment, _Context(_Nesting.STRUCTURE, item, path))
    if cursor is None:
        return []
    typed = fragment[cursor.start :]
    head = fragment[: cursor.start]
    results: list[str] = []
    if cursor.mode is _Typing.KEY and cursor.context.kind is _Nesting.STRUCTURE:
        for name, member in cursor.context.shape.members.items():
            if name.startswith(typed) and name not in cursor.context.keys:
                results.append(head + name + _suffix(member))
        if cursor.scalar_list is not None:
            list_shape, list_path = cursor.scalar_list
            results += _values(head, typed, values_of(list_shape, list_path))
    elif cursor.mode is _Typing.VALUE and cursor.member is not None:
        if cursor.member.type_name == "structure" and not typed:
            results.append(head + "{")
        elif cursor.member.type_name == "list" and cursor.member.member.type_name == "structure":
            if not typed:
                results.append(head + "[{")
        else:
            results += _values(head, typed, values_of(cursor.member, cursor.member_path))
    return results


def _values(head: str, typed: str, values: tuple[str, ...]) -> list[str]:
    return [head + value for value in values if value.lower().startswith(typed.lower())]
