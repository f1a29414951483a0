"""Condition blocks, evaluated against what is known of a request.

A context maps condition keys (lower case: IAM's keys are case-insensitive)
to the request's values, complete or known only by their beginning.  The
context is never the whole request: a key it does not name is unknown, not
absent, so every clause on it (``...IfExists`` and ``Null`` included) is
UNKNOWN.  The string and ARN operators are evaluated; numeric, date, IP and
binary ones are UNKNOWN (no context here carries such values).  Set operators
(``ForAnyValue:``, ``ForAllValues:``) are read on the single values the
contexts hold, where both mean the plain operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from ec2_import_image.iampolicy import wildcard
from ec2_import_image.iampolicy.document import Clause
from ec2_import_image.iampolicy.truth import Truth, all_of, any_of
from ec2_import_image.iampolicy.wildcard import Text

Context = Mapping[str, Text]
_Matcher = Callable[[str, Text], Truth]


def _equals(expected: str, text: Text) -> Truth:
    return wildcard.equals(expected, text)


def _equals_ignore_case(expected: str, text: Text) -> Truth:
    return wildcard.equals(expected, text, ignore_case=True)


def _like(pattern: str, text: Text) -> Truth:
    return wildcard.match(pattern, text)


def _bool(expected: str, text: Text) -> Truth:
    return wildcard.equals(expected, text, ignore_case=True)


#: operator (lower case, without set prefix and IfExists) -> (matcher, negated)
_OPERATORS: dict[str, tuple[_Matcher, bool]] = {
    "stringequals": (_equals, False),
    "stringnotequals": (_equals, True),
    "stringequalsignorecase": (_equals_ignore_case, False),
    "stringnotequalsignorecase": (_equals_ignore_case, True),
    "stringlike": (_like, False),
    "stringnotlike": (_like, True),
    "arnequals": (_like, False),
    "arnlike": (_like, False),
    "arnnotequals": (_like, True),
    "arnnotlike": (_like, True),
    "bool": (_bool, False),
}


class Outcome(NamedTuple):
    truth: Truth
    #: why the outcome is UNKNOWN (None otherwise)
    reason: str | None = None


def _base_operator(operator: str) -> str:
    name = operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        name = name.removeprefix(prefix)
    return name.removesuffix("ifexists")


def clause(item: Clause, context: Context) -> Outcome:
    """One clause: the operator applied to the key's value (OR over the listed values)."""
    key = item.key.lower()
    known = context.get(key)
    if known is None:
        return Outcome(Truth.UNKNOWN, f"its condition on {item.key} cannot be evaluated offline")
    name = _base_operator(item.operator)
    if name == "null":
        # "true" asks for the key to be absent; the context has it
        return Outcome(any_of(Truth.of(value.lower() == "false") for value in item.values))
    found = _OPERATORS.get(name)
    if found is None:
        return Outcome(Truth.UNKNOWN, f"its {item.operator} condition is not evaluated offline")
    matcher, negated = found
    truth = any_of(matcher(value, known) for value in item.values)
    if negated:
        truth = truth.negated()
    if truth is Truth.UNKNOWN:
        return Outcome(truth, f"its condition on {item.key} depends on the rest of {known}")
    return Outcome(truth)


def evaluate(clauses: Iterable[Clause], context: Context) -> Outcome:
    """All clauses (AND); the reason of the first UNKNOWN one when the answer is UNKNOWN."""
    outcomes = [clause(item, context) for item in clauses]
    truth = all_of(outcome.truth for outcome in outcomes)
    if truth is not Truth.UNKNOWN:
        return Outcome(truth)
    reason = next(o.reason for o in outcomes if o.truth is Truth.UNKNOWN)
    return Outcome(truth, reason)
