"""IAM's own evaluation of the role, where the endpoint offers ``SimulatePrincipalPolicy``.

The simulation sees what the role's documents alone cannot show (permissions
boundaries, the organization's SCPs, IAM's exact condition semantics), so it
is asked first.  Any failure (access denied, an endpoint that does not
implement it, as moto's does not) returns a note instead, and the checks
evaluate the documents themselves.

Families (``ec2:Describe*``) are simulated as the concrete actions they stand
for; a resource known only by its beginning as that prefix followed by ``*``.
A result that names missing context values is UNKNOWN: the simulation
assumed those keys absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.awserrors import error_code
from ec2_import_image.iampolicy.evaluate import Decision, Verdict
from ec2_import_image.iampolicy.servicerole import Need
from ec2_import_image.iampolicy.truth import Truth

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

#: a family's prefix -> the actions simulated for it
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "ec2:Describe": ("ec2:DescribeImages", "ec2:DescribeSnapshots"),
    "kms:GenerateDataKey": ("kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"),
    "kms:ReEncrypt": ("kms:ReEncryptFrom", "kms:ReEncryptTo"),
}
_RANK = {
    Decision.ALLOWED: 0,
    Decision.IMPLICIT_DENY: 1,
    Decision.UNKNOWN: 2,
    Decision.EXPLICIT_DENY: 3,
}


class Simulation(NamedTuple):
    #: each need's verdict; None when the simulation could not be used
    verdicts: Mapping[Need, Verdict] | None
    #: why it could not be used
    note: str | None = None


def concrete_actions(need: Need) -> tuple[str, ...]:
    if not need.action.partial:
        return (need.action.value,)
    return FAMILIES.get(need.action.value, (str(need.action),))


def _verdict(action: str, result: Mapping[str, Any]) -> Verdict:
    decision = str(result.get("EvalDecision") or result.get("EvalResourceDecision") or "")
    missing = list(result.get("MissingContextValues") or [])
    statements = ", ".join(
        str(m.get("SourcePolicyId", "?")) for m in result.get("MatchedStatements") or []
    )
    via = f"SimulatePrincipalPolicy: {decision}" + (f" by {statements}" if statements else "")
    if missing:
        keys = ", ".join(missing)
        return Verdict(
            Decision.UNKNOWN,
            f"{action}: the simulation needs the context keys {keys}",
            Truth.UNKNOWN,
            Truth.UNKNOWN,
        )
    if decision == "allowed":
        return Verdict(Decision.ALLOWED, f"{action} allowed ({via})", Truth.TRUE, Truth.FALSE)
    if decision == "explicitDeny":
        return Verdict(Decision.EXPLICIT_DENY, f"{action} denied ({via})", Truth.FALSE, Truth.TRUE)
    if decision == "implicitDeny":
        return Verdict(Decision.IMPLICIT_DENY, f"{action} not allowed ({via})")
    return Verdict(
        Decision.UNKNOWN,
        f"{action}: the simulation answered {decision!r}",
        Truth.UNKNOWN,
        Truth.UNKNOWN,
    )


def _worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=lambda verdict: _RANK[verdict.decision])


def _results(
    iam: IAMClient, role_arn: str, resource: str, actions: Sequence[str]
) -> dict[str, Verdict]:
    found: dict[str, Verdict] = {}
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=role_arn, ActionNames=list(actions), ResourceArns=[resource]
    )
    for page in pages:
        for result in page.get("EvaluationResults", []):
            action = str(result.get("EvalActionName", ""))
            specific = [
                r
                for r in result.get("ResourceSpecificResults") or []
                if r.get("EvalResourceName") == resource
            ]
            found[action.lower()] = _verdict(action, specific[0] if specific else result)
    return found


def simulate(iam: IAMClient, role_arn: str, needs: Sequence[Need]) -> Simulation:
    """Every need's verdict from IAM's simulation, or a note saying why there is none."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    by_resource: dict[str, list[Need]] = {}
    for need in needs:
        by_resource.setdefault(str(need.resource), []).append(need)
    verdicts: dict[Need, Verdict] = {}
    try:
        for resource, group in by_resource.items():
            actions = list(dict.fromkeys(a for need in group for a in concrete_actions(need)))
            results = _results(iam, role_arn, resource, actions)
            for need in group:
                answers = [results.get(action.lower()) for action in concrete_actions(need)]
                if any(answer is None for answer in answers):
                    return Simulation(
                        None, "SimulatePrincipalPolicy left actions out of its answer"
                    )
                verdicts[need] = _worst(a for a in answers if a is not None)
    except ClientError as error:
        code = error_code(error) or "an error"
        return Simulation(None, f"SimulatePrincipalPolicy answered {code}")
    except (BotoCoreError, ResponseParserError) as error:
        return Simulation(
            None, f"SimulatePrincipalPolicy gave no usable reply ({type(error).__name__})"
        )
    return Simulation(verdicts)
