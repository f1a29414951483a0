"""Sample documents for ``--generate-cli-skeleton``.

v2 builds them from the operation's shapes with botocore's argument generator;
this module does the same from the pinned model (no botocore import, so the
skeleton paths stay fast).  The rules, per shape type:

* structure: every member, in model order.  A structure already entered twice
  on the current path (a recursive shape) is an empty mapping.
* list: one element.
* map: one entry, ``"KeyName"``.
* string: ``""``, or the first enum value when the shape has an enum; for a
  sample *response* (``use_member_names``) the name it is reached under: the
  member name inside a structure, the member *shape* name inside a list,
  ``""`` as a map value or at the top.
* integer/long ``0``, float/double ``0.0``, boolean ``True``, timestamp
  ``datetime(1970, 1, 1)``; a blob is ``None`` (in the YAML skeleton, an empty
  ``!!binary`` scalar).

``input`` is that document dumped as JSON with four-space indentation
(timestamps in ISO 8601); ``yaml-input`` dumps it with ruamel.yaml's
round-trip dumper, each structure member carrying an end-of-line comment:
``[REQUIRED]`` for required members, the first sentence of its documentation
and, for enums, ``Valid values are: a, b, c.``.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

from ec2_import_image.model.shapes import Shape

__all__ = [
    "input_skeleton",
    "member_comment",
    "output_sample",
    "write_input_json",
    "write_yaml_input",
]

MAP_KEY = "KeyName"


class _Generator:
    """Walks a shape and builds the sample document."""

    def __init__(
        self,
        *,
        use_member_names: bool = False,
        new_mapping: Callable[[], MutableMapping[str, Any]] = dict,
        blob: Callable[[], Any] = lambda: None,
        annotate: Callable[[MutableMapping[str, Any], str, Shape, bool], None] | None = None,
    ) -> None:
        self._use_member_names = use_member_names
        self._new_mapping = new_mapping
        self._blob = blob
        self._annotate = annotate

    def generate(self, shape: Shape) -> Any:
        return self._value(shape, [], "")

    def _value(self, shape: Shape, path: list[str], name: str) -> Any:
        path.append(shape.name)
        try:
            kind = shape.type_name
            if kind == "structure":
                return self._structure(shape, path)
            if kind == "list":
                item_name = shape.member.name if self._use_member_names else ""
                return [self._value(shape.member, path, item_name)]
            if kind == "map":
                # A plain dict even in YAML: the key is a placeholder.
                return {MAP_KEY: self._value(shape.value, path, "")}
            if kind == "string":
                if self._use_member_names:
                    return name
                return shape.enum[0] if shape.enum else ""
            if kind in ("integer", "long"):
                return 0
            if kind in ("float", "double"):
                return 0.0
            if kind == "boolean":
                return True
            if kind == "timestamp":
                # A new object each time: the YAML dumper would anchor and
                # alias one object met twice.
                return datetime.datetime(1970, 1, 1, 0, 0, 0)
            if kind == "blob":
                return self._blob()
            return None
        finally:
            path.pop()

    def _structure(self, shape: Shape, path: list[str]) -> MutableMapping[str, Any]:
        document = self._new_mapping()
        if path.count(shape.name) > 1:
            return document
        required = shape.required_members
        for member_name, member in shape.members.items():
            document[member_name] = self._value(member, path, member_name)
            if self._annotate is not None:
                self._annotate(document, member_name, member, member_name in required)
        return document


def input_skeleton(shape: Shape | None) -> dict[str, Any]:
    """The sample input of ``--generate-cli-skeleton input`` as Python data."""
    if shape is None:
        return {}
    document = _Generator().generate(shape)
    return document if isinstance(document, dict) else {}


def output_sample(shape: Shape | None) -> dict[str, Any]:
    """The fake response behind ``--generate-cli-skeleton output``.

    Strings are named after what holds them (``"Architecture": "Architecture"``);
    enums are not consulted.
    """
    if shape is None:
        return {}
    document = _Generator(use_member_names=True).generate(shape)
    return document if isinstance(document, dict) else {}


def _json_default(value: object) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("utf-8")
    raise TypeError("Encountered unrecognized type in JSON encoder.")


def write_input_json(shape: Shape | None, stream: TextIO) -> None:
    """Write what ``--generate-cli-skeleton`` (or ``input``) prints."""
    json.dump(input_skeleton(shape), stream, indent=4, default=_json_default)
    stream.write("\n")


def member_comment(member: Shape, *, required: bool) -> str:
    """The end-of-line comment text of one member in the YAML skeleton.

    ``[REQUIRED]``, the documentation overview and the enum values, joined by
    single spaces (so an empty overview leaves a double space); ``""`` when
    that is blank.  The ``# `` prefix is not included.
    """
    from ec2_import_image.model.doctext import doc_overview  # only the YAML skeleton needs it

    parts: list[str] = []
    if required:
        parts.append("[REQUIRED]")
    parts.append(doc_overview(member.documentation))
    if member.enum:
        parts.append(f"Valid values are: {', '.join(member.enum)}.")
    comment = " ".join(parts)
    return "" if not comment or comment.isspace() else comment


class _Binary:
    """Placeholder for a blob in the YAML skeleton."""


def write_yaml_input(shape: Shape | None, stream: TextIO) -> None:
    """Write what ``--generate-cli-skeleton yaml-input`` prints (commented YAML)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.representer import RoundTripRepresenter

    def annotate(
        document: MutableMapping[str, Any], name: str, member: Shape, required: bool
    ) -> None:
        comment = member_comment(member, required=required)
        if comment and isinstance(document, CommentedMap):
            document.yaml_add_eol_comment("# " + comment, name)

    def represent_binary(representer: RoundTripRepresenter, _value: _Binary) -> Any:
        return representer.represent_scalar("tag:yaml.org,2002:binary", "")

    yaml = YAML()
    yaml.representer.add_representer(_Binary, represent_binary)
    document: Any = CommentedMap()
    if shape is not None:
        generator = _Generator(new_mapping=CommentedMap, blob=_Binary, annotate=annotate)
        document = generator.generate(shape)
    yaml.dump(document, stream)
