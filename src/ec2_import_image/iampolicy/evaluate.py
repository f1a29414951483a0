"""A request's verdict under a set of policy documents, as IAM decides within one policy type.

A statement applies when its action, resource, principal and conditions all
match (each three-valued).  An applying Deny is an explicit deny, which wins;
otherwise an applying Allow allows; otherwise the request is implicitly
denied.  A statement that *may* apply makes the verdict UNKNOWN where it could
change it: a Deny that may apply (even beside an Allow that does), an Allow
that may apply when none does.

The verdict keeps both sides (``allows``, ``denies``) so that callers can
layer policy types (a bucket policy's deny over the role's allow, a key
policy's delegation to IAM) without evaluating again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.iampolicy import conditions, wildcard
from ec2_import_image.iampolicy.document import Effect, PolicyDocument, Principal, Statement
from ec2_import_image.iampolicy.truth import Truth, any_of
from ec2_import_image.iampolicy.wildcard import Text


class Decision(StrEnum):
    """IAM's three decisions, and UNKNOWN when the documents alone do not decide."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"
    UNKNOWN = "unknown"


class Request(NamedTuple):
    action: Text
    resource: Text
    #: who asks (resource-based and trust policies name principals); empty for identity policies
    principals: tuple[Principal, ...] = ()
    context: Mapping[str, Text] = {}


class Verdict(NamedTuple):
    decision: Decision
    #: one sentence: which statement decided, or why nothing could
    reason: str
    #: whether an Allow applies / a Deny applies (each TRUE, FALSE or UNKNOWN)
    allows: Truth = Truth.FALSE
    denies: Truth = Truth.FALSE


class _Applies(NamedTuple):
    truth: Truth
    reason: str | None


def _any_pattern(patterns: Iterable[str], text: Text, *, ignore_case: bool) -> Truth:
    results: list[Truth] = []
    for pattern in patterns:
        if "${" in pattern:
            results.append(Truth.UNKNOWN)  # a policy variable: its value is the caller's
        else:
            results.append(wildcard.match(pattern, text, ignore_case=ignore_case))
    return any_of(results)


def _account_of(principal: Principal) -> str | None:
    """The account an AWS principal names as a whole (``123456789012`` or its root ARN)."""
    value = principal.value
    if value.isdigit() and len(value) == 12:
        return value
    parts = value.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


def _same_principal(listed: Principal, asking: Principal) -> bool:
    if listed.kind == "*" or (listed.kind == "AWS" and listed.value == "*"):
        return True
    if listed.kind != asking.kind:
        return False
    if listed.kind == "Service":
        return listed.value.lower() == asking.value.lower()
    if listed.kind == "AWS":
        account = _account_of(listed)
        if account is not None:
            return account == _account_of(asking)
    return listed.value == asking.value


def _principal_matches(statement: Statement, request: Request) -> Truth:
    if statement.principals is None:
        return Truth.TRUE
    if not request.principals:
        return Truth.UNKNOWN
    found = Truth.of(
        any(_same_principal(p, q) for p in statement.principals for q in request.principals)
    )
    return found.negated() if statement.not_principal else found


def _applies(statement: Statement, request: Request) -> _Applies:
    action = _any_pattern(statement.actions, request.action, ignore_case=True)
    if statement.not_action:
        action = action.negated()
    resource = Truth.TRUE
    if statement.resources is not None:
        resource = _any_pattern(statement.resources, request.resource, ignore_case=False)
        if statement.not_resource:
            resource = resource.negated()
    principal = _principal_matches(statement, request)
    parts = (action, resource, principal)
    if Truth.FALSE in parts:
        return _Applies(Truth.FALSE, None)
    condition = conditions.evaluate(statement.conditions, request.context)
    if condition.truth is Truth.FALSE:
        return _Applies(Truth.FALSE, None)
    if action is Truth.UNKNOWN:
        return _Applies(Truth.UNKNOWN, f"it covers only some of the actions {request.action}")
    if resource is Truth.UNKNOWN:
        return _Applies(Truth.UNKNOWN, f"it covers only some of the resources {request.resource}")
    if principal is Truth.UNKNOWN:
        return _Applies(Truth.UNKNOWN, "its principal cannot be matched offline")
    return _Applies(condition.truth, condition.reason)


def evaluate(documents: Sequence[PolicyDocument], request: Request) -> Verdict:
    """The verdict of ``request`` under ``documents`` (one policy type: identity, or resource)."""
    certain: dict[Effect, str] = {}
    possible: dict[Effect, str] = {}
    for document in documents:
        for statement in document.statements:
            applies = _applies(statement, request)
            if applies.truth is Truth.TRUE:
                certain.setdefault(statement.effect, statement.label)
            elif applies.truth is Truth.UNKNOWN:
                possible.setdefault(statement.effect, f"{statement.label}: {applies.reason}")
    allows = _side(certain, possible, Effect.ALLOW)
    denies = _side(certain, possible, Effect.DENY)
    if Effect.DENY in certain:
        return Verdict(Decision.EXPLICIT_DENY, f"denied by {certain[Effect.DENY]}", allows, denies)
    if Effect.DENY in possible:
        reason = f"{possible[Effect.DENY]} (a Deny that may apply)"
        return Verdict(Decision.UNKNOWN, reason, allows, denies)
    if Effect.ALLOW in certain:
        return Verdict(Decision.ALLOWED, f"allowed by {certain[Effect.ALLOW]}", allows, denies)
    if Effect.ALLOW in possible:
        return Verdict(Decision.UNKNOWN, possible[Effect.ALLOW], allows, denies)
    return Verdict(Decision.IMPLICIT_DENY, "no statement allows it", allows, denies)


def _side(certain: Mapping[Effect, str], possible: Mapping[Effect, str], effect: Effect) -> Truth:
    if effect in certain:
        return Truth.TRUE
    return Truth.UNKNOWN if effect in possible else Truth.FALSE
