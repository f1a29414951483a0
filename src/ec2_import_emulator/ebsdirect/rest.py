"""The EBS direct APIs' REST-JSON wire, driven by botocore's ``ebs`` model.

Each operation has an HTTP method and a URI template (``PUT
/snapshots/{snapshotId}/blocks/{blockIndex}``); each input member says where it
travels: the URI, the query string, a header (``x-amz-Checksum``), the JSON
body, or the body itself (the payload: PutSnapshotBlock's block).  Requests are
matched and parsed by those traits and checked against the model's constraints
(required, min and max, length, pattern, enum), answered with AWS's "1
validation error detected" ValidationException; replies put header members in
headers, a blob payload in the body, the rest in a JSON body (timestamps as
epoch seconds, rest-json's default), with the operation's ``responseCode``.
Errors are a JSON body with ``Message`` and ``Reason`` and the code in
``x-amzn-ErrorType``, which botocore reads.

One deliberate difference from the model: MaxResults below its minimum of 100
is taken as 100, as the EBS FAQ says the service does ("the API will return at
least 100 results"; botocore refuses such a value before sending it anyway).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from ec2_import_emulator.ebsdirect import errors

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape

#: members whose model minimum the service does not enforce (see the module's docstring)
_LENIENT_MIN = frozenset({"MaxResults"})


@cache
def ebs_model() -> ServiceModel:
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model("ebs", "service-2"), "ebs")


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    literal_segments: int


@cache
def routes() -> tuple[Route, ...]:
    """Every operation's method and URI pattern, the most literal first."""
    model = ebs_model()
    found = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = str(http["requestUri"]).split("?", 1)[0]
        parts, literal = [], 0
        for segment in template.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                label = segment[1:-1].rstrip("+")
                parts.append(f"(?P<{label}>[^/]+)")
            else:
                parts.append(re.escape(segment))
                literal += 1
        pattern = re.compile("^/" + "/".join(parts) + "/?$")
        found.append(Route(name, str(http["method"]), pattern, literal))
    return tuple(sorted(found, key=lambda route: -route.literal_segments))


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation a request is for and its URI labels, None when none matches."""
    for route in routes():
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found is not None:
            return route.operation, {
                k: urllib.parse.unquote(v) for k, v in found.groupdict().items()
            }
    return None


def is_ebs_path(path: str) -> bool:
    return path == "/snapshots" or path.startswith("/snapshots/")


def operation(name: str) -> OperationModel:
    return ebs_model().operation_model(name)


# -- requests -----------------------------------------------------------------


def _wire_name(member: str) -> str:
    """A member's name in AWS's validation messages (lower camel case)."""
    return member[:1].lower() + member[1:]


def _scalar(shape: Shape, member: str, raw: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise errors.constraint(_wire_name(member), raw, f"Member must be an {kind}") from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise errors.constraint(_wire_name(member), raw, "Member must be a boolean")
        return raw.lower() == "true"
    return raw


def _check(shape: Shape, member: str, value: Any) -> None:
    """The model's constraints on one value (and on the members of a structure or list)."""
    name = _wire_name(member)
    meta = shape.metadata
    shown = None if meta.get("sensitive") else value
    if shape.type_name == "structure":
        structure: Any = shape
        for required in structure.required_members:
            if required not in value:
                raise errors.missing(_wire_name(required))
        for key, sub in structure.members.items():
            if key in value:
                _check(sub, key, value[key])
        return
    if shape.type_name == "list":
        list_shape: Any = shape
        for item in value:
            _check(list_shape.member, member, item)
        return
    if shape.type_name in ("integer", "long"):
        if "min" in meta and value < meta["min"] and member not in _LENIENT_MIN:
            rule = f"Member must have value greater than or equal to {meta['min']}"
            raise errors.constraint(name, shown, rule)
        if "max" in meta and value > meta["max"]:
            rule = f"Member must have value less than or equal to {meta['max']}"
            raise errors.constraint(name, shown, rule)
        return
    if shape.type_name == "string":
        if "min" in meta and len(value) < meta["min"]:
            rule = f"Member must have length greater than or equal to {meta['min']}"
            raise errors.constraint(name, shown, rule)
        if "max" in meta and len(value) > meta["max"]:
            rule = f"Member must have length less than or equal to {meta['max']}"
            raise errors.constraint(name, shown, rule)
        if "pattern" in meta and re.fullmatch(meta["pattern"], value) is None:
            rule = f"Member must satisfy regular expression pattern: {meta['pattern']}"
            raise errors.constraint(name, shown, rule)
        if "enum" in meta and value not in meta["enum"]:
            rule = f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]"
            raise errors.constraint(name, shown, rule)


def _typed_json(shape: Shape, member: str, value: Any) -> Any:
    """A JSON body value checked against its shape's type."""
    kind = shape.type_name
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "long": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "list": isinstance(value, list),
        "structure": isinstance(value, dict),
    }.get(kind, True)
    if not ok:
        raise errors.constraint(_wire_name(member), None, f"Member must be a {kind}")
    if kind == "list":
        list_shape: Any = shape
        return [_typed_json(list_shape.member, member, item) for item in value]
    if kind == "structure":
        structure: Any = shape
        members = structure.members
        return {k: _typed_json(members[k], k, v) for k, v in value.items() if k in members}
    return value


def parse(
    name: str,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's input as botocore built it (member names, typed), checked."""
    shape: Any = operation(name).input_shape
    if shape is None:
        return {}
    payload = shape.serialization.get("payload")
    document: dict[str, Any] = {}
    if payload is None and body.strip():
        try:
            loaded = json.loads(body)
        except ValueError:
            raise errors.validation("The request body is not valid JSON.") from None
        if not isinstance(loaded, dict):
            raise errors.validation("The request body is not a JSON object.")
        document = loaded
    params: dict[str, Any] = {}
    for member, sub in shape.members.items():
        where = sub.serialization.get("location")
        wire = sub.serialization.get("name", member)
        if member == payload:
            params[member] = body
        elif where == "uri":
            if wire in labels:
                params[member] = _scalar(sub, member, labels[wire])
        elif where == "querystring":
            if query.get(wire):
                params[member] = _scalar(sub, member, query[wire][0])
        elif where == "header":
            if wire.lower() in headers:
                params[member] = _scalar(sub, member, headers[wire.lower()])
        elif member in document:
            params[member] = _typed_json(sub, member, document[member])
    for required in shape.required_members:
        if required not in params:
            raise errors.missing(_wire_name(required))
    for member, value in params.items():
        if member != payload:
            _check(shape.members[member], member, value)
    return params


# -- replies ------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _json_value(shape: Shape, value: Any) -> Any:
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    if shape.type_name == "list":
        list_shape: Any = shape
        return [_json_value(list_shape.member, item) for item in value]
    if shape.type_name == "structure":
        structure: Any = shape
        members = structure.members
        return {k: _json_value(members[k], v) for k, v in value.items() if v is not None}
    return value


def render(name: str, result: Mapping[str, Any]) -> Reply:
    """The reply of a successful call: header members, then a blob payload or a JSON body."""
    op = operation(name)
    status = int(op.http.get("responseCode", 200))
    shape: Any = op.output_shape
    headers: list[tuple[str, str]] = []
    document: dict[str, Any] = {}
    payload = None if shape is None else shape.serialization.get("payload")
    members = {} if shape is None else shape.members
    for member, sub in members.items():
        value = result.get(member)
        if value is None or member == payload:
            continue
        if sub.serialization.get("location") == "header":
            headers.append((sub.serialization.get("name", member), str(value)))
        else:
            document[member] = _json_value(sub, value)
    if payload is not None:
        data = bytes(result.get(payload, b""))
        headers.append(("Content-Type", "application/octet-stream"))
        return Reply(status, tuple(headers), data)
    headers.append(("Content-Type", "application/json"))
    return Reply(status, tuple(headers), json.dumps(document).encode())


def render_error(error: errors.EbsError) -> Reply:
    document: dict[str, str] = {"Message": error.message}
    if error.reason is not None:
        document["Reason"] = error.reason
    headers = (("x-amzn-ErrorType", error.code), ("Content-Type", "application/json"))
    return Reply(error.status, headers, json.dumps(document).encode())
