"""A policy document as typed statements: what IAM stores, read as IAM reads it.

Every field IAM lets be a string or a list of strings is a tuple here; a
Principal is a tuple of (kind, value) pairs (``*`` alone is kind ``*``);
Condition blocks are flattened to one clause per operator and key, their
values as strings (JSON booleans and numbers as IAM compares them).  Documents
come as dicts (botocore decodes IAM's), JSON text, or JSON text URL-encoded (as
IAM's API returns it without botocore).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple


class PolicyError(ValueError):
    """A document that is not a policy IAM would have stored."""


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Principal(NamedTuple):
    """One principal of a statement, or of a request: ``("Service", "vmie.amazonaws.com")``."""

    kind: str
    value: str


class Clause(NamedTuple):
    """One operator applied to one condition key: ``StringEquals sts:ExternalId [vmimport]``."""

    operator: str
    key: str
    values: tuple[str, ...]


class Statement(NamedTuple):
    label: str
    effect: Effect
    #: the Action (or, when ``not_action``, the NotAction) patterns
    actions: tuple[str, ...]
    not_action: bool
    #: the Resource (or NotResource) patterns; None when the statement names none (trust policies)
    resources: tuple[str, ...] | None
    not_resource: bool
    #: the Principal (or NotPrincipal); None in identity policies, which have none
    principals: tuple[Principal, ...] | None
    not_principal: bool
    conditions: tuple[Clause, ...]


class PolicyDocument(NamedTuple):
    #: where it comes from, for messages: ``inline policy vmimport``, ``trust policy``...
    name: str
    statements: tuple[Statement, ...]


def load(document: Any) -> Any:
    """The JSON value of a document given as a dict, JSON text or URL-encoded JSON text."""
    if not isinstance(document, str):
        return document
    text = document.strip()
    if not text.startswith("{"):
        text = urllib.parse.unquote(text)
    try:
        return json.loads(text)
    except ValueError as error:
        raise PolicyError(f"not JSON: {error}") from None


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyError(f"{field} must be a string or a list of strings")


def _condition_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise PolicyError("a condition value must be a string, a number or a boolean")


def _conditions(block: Any) -> tuple[Clause, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise PolicyError("Condition must be an object")
    clauses: list[Clause] = []
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"Condition {operator} must map keys to values")
        for key, values in keys.items():
            listed = values if isinstance(values, list) else [values]
            clauses.append(Clause(str(operator), str(key), tuple(map(_condition_value, listed))))
    return tuple(clauses)


def _principals(value: Any) -> tuple[Principal, ...]:
    if value == "*":
        return (Principal("*", "*"),)
    if not isinstance(value, Mapping):
        raise PolicyError('Principal must be "*" or an object')
    return tuple(
        Principal(str(kind), name)
        for kind, names in value.items()
        for name in _strings(names, f"Principal {kind}")
    )


def _either(raw: Mapping[str, Any], name: str, required: bool) -> tuple[Any, bool]:
    """The value of ``name`` or ``Not<name>`` and whether it was the Not form."""
    has, has_not = name in raw, f"Not{name}" in raw
    if has and has_not:
        raise PolicyError(f"a statement cannot have both {name} and Not{name}")
    if not has and not has_not:
        if required:
            raise PolicyError(f"a statement needs {name} or Not{name}")
        return None, False
    return (raw[f"Not{name}"], True) if has_not else (raw[name], False)


def _statement(raw: Any, label: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError("a statement must be an object")
    try:
        effect = Effect(str(raw.get("Effect")))
    except ValueError:
        raise PolicyError(f"{label}: Effect must be Allow or Deny") from None
    actions, not_action = _either(raw, "Action", required=True)
    resources, not_resource = _either(raw, "Resource", required=False)
    principals, not_principal = _either(raw, "Principal", required=False)
    sid = raw.get("Sid")
    return Statement(
        label=f"{label} ({sid})" if isinstance(sid, str) and sid else label,
        effect=effect,
        actions=_strings(actions, "Action"),
        not_action=not_action,
        resources=None if resources is None else _strings(resources, "Resource"),
        not_resource=not_resource,
        principals=None if principals is None else _principals(principals),
        not_principal=not_principal,
        conditions=_conditions(raw.get("Condition")),
    )


def parse(document: Any, name: str) -> PolicyDocument:
    """The typed document; PolicyError when it is not one IAM would have stored."""
    value = load(document)
    if not isinstance(value, Mapping):
        raise PolicyError(f"{name}: not a JSON object")
    statements = value.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyError(f"{name}: Statement must be an object or a list")
    try:
        parsed = tuple(
            _statement(raw, f"{name} statement {index}") for index, raw in enumerate(statements, 1)
        )
    except PolicyError as error:
        raise PolicyError(f"{name}: {error}") from None
    return PolicyDocument(name, parsed)
