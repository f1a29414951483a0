"""EC2 Query API wire format, driven by the pinned model.

Requests arrive as flattened form pairs (``DiskContainer.1.UserBucket.S3Bucket``,
``Filters.1.Value.2``): a member's wire name is its ``queryName``, else its
``locationName`` with a capital first letter, else the member name; list items
are numbered from 1.  Replies are XML: the member's ``locationName`` (else its
name) as the element, list items inside it as ``<item>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from ec2_import_emulator import errors
from ec2_import_image.model.shapes import Model, Shape, load_model

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


# -- requests -----------------------------------------------------------------


def _query_name(member: str, shape: Shape) -> str:
    location = shape.location_name
    return location[0].upper() + location[1:] if location else member


def _indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    found: set[int] = set()
    for key in form:
        if key.startswith(prefix):
            head = key[len(prefix) :].split(".", 1)[0]
            if head.isdigit() and int(head) > 0:
                found.add(int(head))
    return sorted(found)


def _scalar(shape: Shape, name: str, raw: str) -> Any:
    kind = shape.type_name
    if kind == "boolean":
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise errors.malformed_value(name, raw, "boolean")
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise errors.malformed_value(name, raw, "integer") from None
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError:
            raise errors.malformed_value(name, raw, "number") from None
    return raw


def _parse(shape: Shape, form: Mapping[str, str], name: str) -> Any:
    """The value whose wire name is ``name`` (``None`` when absent)."""
    if shape.type_name == "structure":
        result: dict[str, Any] = {}
        for member, sub in shape.members.items():
            wire = _query_name(member, sub)
            value = _parse(sub, form, f"{name}.{wire}" if name else wire)
            if value is not None:
                result[member] = value
        return result or None
    if shape.type_name == "list":
        items = [_parse(shape.member, form, f"{name}.{i}") for i in _indexes(form, f"{name}.")]
        present = [item for item in items if item is not None]
        return present or None
    if name in form:
        return _scalar(shape, name, form[name])
    return None


def parse_request(
    operation: str, form: Mapping[str, str], model: Model | None = None
) -> dict[str, Any]:
    """The operation's input as botocore would have taken it (member names, typed).

    ``model`` is the pinned VM Import model unless another is given (the image
    actions use botocore's whole EC2 model: ``ec2model``).
    """
    shape = (model or load_model()).operation(operation).input_shape
    parsed = None if shape is None else _parse(shape, form, "")
    return dict(parsed or {})


# -- replies ------------------------------------------------------------------


def _text(shape: Shape, value: Any) -> str:
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name in ("double", "float"):
        return repr(float(value))
    return escape(str(value))


def _element(name: str, shape: Shape, value: Any, out: list[str]) -> None:
    if shape.type_name == "structure":
        out.append(f"<{name}>")
        _members(shape, value, out)
        out.append(f"</{name}>")
    elif shape.type_name == "list":
        if not value:
            out.append(f"<{name}/>")
            return
        out.append(f"<{name}>")
        item = shape.member.location_name or "item"
        for entry in value:
            _element(item, shape.member, entry, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(shape, value)}</{name}>")


def _members(shape: Shape, value: Mapping[str, Any], out: list[str]) -> None:
    for member, sub in shape.members.items():
        if member in value and value[member] is not None:
            _element(sub.location_name or member, sub, value[member], out)


def render_result(
    operation: str, result: Mapping[str, Any], request_id: str, model: Model | None = None
) -> bytes:
    """The reply document of a successful call, members in model order."""
    shape = (model or load_model()).operation(operation).output_shape
    out = [XML_DECLARATION, f'<{operation}Response xmlns="{NAMESPACE}">']
    out.append(f"<requestId>{escape(request_id)}</requestId>")
    if shape is not None:
        _members(shape, result, out)
    out.append(f"</{operation}Response>")
    return "".join(out).encode("utf-8")


def render_error(error: errors.ApiError, request_id: str) -> bytes:
    """EC2's error document."""
    return (
        f"{XML_DECLARATION}<Response><Errors><Error><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error></Errors>"
        f"<RequestID>{escape(request_id)}</RequestID></Response>"
    ).encode()
