"""VM Import's rule for a service role's trust policy: the checks and the emulator apply it.

VM Import (the service principal ``vmie.amazonaws.com``) assumes the role with
``sts:AssumeRole``, sending the external id ``vmimport`` and, as the user guide
documents, ``aws:SourceAccount`` (the importing account) and ``aws:SourceArn``
(``arn:<partition>:vmie:<region>:<account>:...``, known here up to its last
segment).  The trust policy is evaluated against that request: a statement
whose ``sts:ExternalId`` condition asks for another value does not apply; no
condition at all is fine; a condition on any other key cannot be decided
offline (UNKNOWN).

Sources: VM Import/Export User Guide, required-permissions.md ("Required
service role": the trust policy, the external id, the SourceAccount and
SourceArn keys VM Import publishes).
"""

from __future__ import annotations

from typing import Any

from ec2_import_image.iampolicy import conditions
from ec2_import_image.iampolicy.arn import partition_of
from ec2_import_image.iampolicy.document import (
    Effect,
    PolicyDocument,
    PolicyError,
    Principal,
    parse,
)
from ec2_import_image.iampolicy.evaluate import Decision, Request, Verdict, evaluate
from ec2_import_image.iampolicy.truth import Truth
from ec2_import_image.iampolicy.wildcard import Text

VMIE_PRINCIPAL = "vmie.amazonaws.com"
VMIMPORT_EXTERNAL_ID = "vmimport"
ASSUME_ROLE = "sts:AssumeRole"


def vmimport_trust_policy() -> dict[str, Any]:
    """The trust policy the user guide gives the service role (``setup-role`` writes it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": VMIE_PRINCIPAL},
                "Action": ASSUME_ROLE,
                "Condition": {"StringEquals": {"sts:Externalid": VMIMPORT_EXTERNAL_ID}},
            }
        ],
    }


#: the same document, for code that wants a value (never modify it)
VMIMPORT_TRUST_POLICY = vmimport_trust_policy()


def assume_role_request(account: str | None = None, region: str | None = None) -> Request:
    """VM Import's AssumeRole, with what is known of its context."""
    context = {"sts:externalid": Text(VMIMPORT_EXTERNAL_ID)}
    if account is not None:
        context["aws:sourceaccount"] = Text(account)
        if region is not None:
            source = f"arn:{partition_of(region)}:vmie:{region}:{account}:"
            context["aws:sourcearn"] = Text(source, partial=True)
    return Request(
        action=Text(ASSUME_ROLE),
        resource=Text("*"),
        principals=(Principal("Service", VMIE_PRINCIPAL),),
        context=context,
    )


def judge_trust(document: Any, *, account: str | None = None, region: str | None = None) -> Verdict:
    """Whether the trust policy lets VM Import assume the role.

    ALLOWED or EXPLICIT_DENY/IMPLICIT_DENY when the document decides; UNKNOWN
    when a statement that matters has a condition that cannot be evaluated
    offline, or the document cannot be read.
    """
    try:
        parsed = parse(document, "trust policy")
    except PolicyError as error:
        return Verdict(Decision.UNKNOWN, f"the trust policy cannot be read ({error})")
    request = assume_role_request(account, region)
    verdict = evaluate([parsed], request)
    if verdict.decision is Decision.IMPLICIT_DENY:
        return verdict._replace(reason=_why_not(parsed, request))
    return verdict


def _why_not(document: PolicyDocument, request: Request) -> str:
    """The refusal in the user's terms: a condition that fails, or no statement for VM Import."""
    for statement in document.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        bare = statement._replace(conditions=())
        if evaluate([PolicyDocument(document.name, (bare,))], request).decision is not (
            Decision.ALLOWED
        ):
            continue
        for clause in statement.conditions:
            if conditions.clause(clause, request.context).truth is Truth.FALSE:
                wanted = ", ".join(repr(value) for value in clause.values)
                sent = request.context.get(clause.key.lower())
                return (
                    f"{statement.label} requires {clause.operator} {clause.key} {wanted}, "
                    f"but VM Import sends '{sent}'"
                )
    return (
        f"no statement allows {VMIE_PRINCIPAL} to {ASSUME_ROLE} (with the external id "
        f"{VMIMPORT_EXTERNAL_ID!r})"
    )


def trusts_vm_import(
    document: Any, *, account: str | None = None, region: str | None = None
) -> bool:
    """Whether VM Import may assume the role: allowed, or not decidable offline (never refused
    on a guess)."""
    verdict = judge_trust(document, account=account, region=region)
    return verdict.decision in (Decision.ALLOWED, Decision.UNKNOWN)
