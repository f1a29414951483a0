"""The service role ``vmimport setup-role`` creates or repairs, planned before anything changes.

A plan compares the role as it is with the role VM Import needs: the trust
policy (kept when VM Import may already assume the role, or when that cannot
be decided offline; else repaired: the statements about other principals are
kept and the user guide's statement for ``vmie.amazonaws.com`` added) and one
inline policy, ``vmimport-access``, granting ``iampolicy.servicerole.needs`` for the
named buckets and KMS key.  The policy only grows: buckets and keys it
already grants are kept, so running the command for a second bucket does not
take the first one away.  A plan with no steps is the idempotent second run.

``apply_plan`` carries the steps out; ``remaining_problems`` judges the
documents the role has (or, for a dry run, would have) with the account
checks' own judgement, so what setup-role writes passes the checks.  What it
cannot write away is a Deny in another of the role's policies (it changes only
its own): ``blockers`` names each such statement (its policy, its index, its
Sid) and what it denies, for the report to say why the role is still not set up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import PolicyError, load, parse
from ec2_import_image.iampolicy.evaluate import Decision
from ec2_import_image.iampolicy.trust import VMIE_PRINCIPAL, judge_trust, vmimport_trust_policy
from ec2_import_image.shellcommand import Reach
from ec2_import_image.vmimport.account import judge, reading
from ec2_import_image.vmimport.account.inputs import AccountInputs
from ec2_import_image.vmimport.account.reading import (
    AccountFacts,
    BucketFacts,
    Clients,
    KeyFacts,
    RoleFacts,
    RolePolicy,
)
from ec2_import_image.vmimport.account.records import (
    AccountReport,
    CallerReport,
    PolicyKind,
    PolicyRef,
)
from ec2_import_image.vmimport.account.requirements import (
    POLICY_NAME,
    granted_by,
    role_policy_document,
)
from ec2_import_image.vmimport.errors import Incomplete, UsageError

ROLE_DESCRIPTION = "VM Import/Export service role (vmimport setup-role)"


class DocumentAction(StrEnum):
    """What happens to one of the role's documents (its trust policy, its inline policy)."""

    CREATE = "create"
    KEEP = "keep"
    REPAIR = "repair"
    UPDATE = "update"


class Change(StrEnum):
    CREATE_ROLE = "create-role"
    UPDATE_TRUST = "update-trust-policy"
    PUT_POLICY = "put-role-policy"


class Step(NamedTuple):
    change: Change
    #: the role, or ``role/policy``
    target: str
    document: dict[str, Any]
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.change.value, "target": self.target, "reason": self.why}


class RolePlan(NamedTuple):
    inputs: AccountInputs
    caller: CallerReport
    #: the role as it is (None when it does not exist)
    current: RoleFacts | None
    trust_action: DocumentAction
    trust_reason: str
    trust_document: Any
    policy_action: DocumentAction
    policy_reason: str
    policy_document: dict[str, Any]
    buckets: tuple[str, ...]
    kms_key_arns: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    def role_after(self) -> RoleFacts:
        """The role as the plan leaves it (its other policies unchanged)."""
        account = self.caller.account
        role_arn = (
            self.current.arn
            if self.current is not None
            else f"arn:{arn.partition_of(self.inputs.region)}:iam::{account}:role/"
            f"{self.inputs.role_name}"
        )
        others = tuple(
            p
            for p in (self.current.policies if self.current is not None else ())
            if not (p.ref.kind is PolicyKind.INLINE and p.ref.name == POLICY_NAME)
        )
        mine = RolePolicy(PolicyRef(PolicyKind.INLINE, POLICY_NAME), self.policy_document)
        return RoleFacts(
            name=self.inputs.role_name,
            arn=role_arn,
            trust_document=self.trust_document,
            policies=(*others, mine),
            boundary_arn=None if self.current is None else self.current.boundary_arn,
        )


def _canonical(document: Any) -> str | None:
    try:
        return json.dumps(load(document), sort_keys=True, separators=(",", ":"))
    except PolicyError:
        return None


def _names_vm_import(statement: Any) -> bool:
    """Whether a trust policy statement is about VM Import's principal (or cannot be read)."""
    try:
        parsed = parse({"Statement": [statement]}, "trust policy").statements[0]
    except PolicyError:
        return True
    return any(
        p.kind == "Service" and p.value.lower() == VMIE_PRINCIPAL for p in parsed.principals or ()
    )


def repaired_trust(current: Any, account: str, region: str) -> dict[str, Any]:
    """The current trust policy with its statements about VM Import replaced by the documented
    one; the documented policy alone when that is not enough (a Deny for every principal)."""
    documented = vmimport_trust_policy()
    try:
        value = load(current)
    except PolicyError:
        return documented
    statements = value.get("Statement", []) if isinstance(value, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return documented
    kept = [s for s in statements if not _names_vm_import(s)]
    candidate = {
        "Version": value.get("Version", "2012-10-17"),
        "Statement": [*kept, *documented["Statement"]],
    }
    verdict = judge_trust(candidate, account=account, region=region)
    return candidate if verdict.decision is Decision.ALLOWED else documented


def bucket_name(value: str) -> str:
    """A ``--bucket`` value (``b`` or ``s3://b``) as a bucket name; UsageError for a path."""
    name = value.removeprefix("s3://").rstrip("/")
    if not name or "/" in name:
        raise UsageError(f"--bucket takes a bucket name, not {value!r}")
    return name


def _key_arn(clients: Clients, named: str, region: str, account: str) -> str:
    exists, found = reading.key_arn_of(clients.client("kms"), named, region, account)
    if exists is False:
        raise UsageError(f"the KMS key {named!r} does not exist in {region}")
    if found is None:
        raise Incomplete(
            f"the KMS key {named!r} could not be resolved to a key ARN (DescribeKey was refused): "
            "name the key by its ARN"
        )
    return found


def _my_policy(current: RoleFacts | None) -> Any:
    """The inline policy this command manages, as the role has it (None when it has none)."""
    policies = () if current is None else current.policies
    mine = (p for p in policies if p.ref.kind is PolicyKind.INLINE and p.ref.name == POLICY_NAME)
    return next((p.document for p in mine), None)


def _plan_trust(
    current: RoleFacts | None, account: str, region: str
) -> tuple[DocumentAction, str, Any]:
    if current is None:
        return DocumentAction.CREATE, "the role does not exist", vmimport_trust_policy()
    verdict = judge_trust(current.trust_document, account=account, region=region)
    if verdict.decision in judge.DENIED:
        return (
            DocumentAction.REPAIR,
            verdict.reason,
            repaired_trust(current.trust_document, account, region),
        )
    if verdict.decision is Decision.UNKNOWN:
        reason = f"kept: whether VM Import may assume the role is not decided ({verdict.reason})"
        return DocumentAction.KEEP, reason, current.trust_document
    return (
        DocumentAction.KEEP,
        f"VM Import may assume the role ({verdict.reason})",
        current.trust_document,
    )


def _plan_policy(existing: Any, document: dict[str, Any]) -> tuple[DocumentAction, str]:
    if existing is None:
        return DocumentAction.CREATE, f"the role has no inline policy {POLICY_NAME}"
    if _canonical(existing) != _canonical(document):
        return DocumentAction.UPDATE, "the policy does not grant every named bucket and key"
    return DocumentAction.KEEP, "the policy grants every named bucket and key"


def plan_role(
    clients: Clients,
    *,
    role_name: str,
    buckets: Sequence[str],
    kms_key_id: str | None,
    region: str,
    reach: Reach | None = None,
) -> RolePlan:
    """Read the role and decide what to change (nothing is changed here); ``reach``: the
    options the remedies' commands carry."""
    caller = reading.read_caller(clients)
    current = reading.read_role(clients, role_name)
    named_keys = [_key_arn(clients, kms_key_id, region, caller.account)] if kms_key_id else []
    trust_action, trust_reason, trust = _plan_trust(current, caller.account, region)
    existing = _my_policy(current)
    granted = granted_by(existing)
    all_buckets = tuple(dict.fromkeys([*granted.buckets, *buckets]))
    all_keys = tuple(dict.fromkeys([*granted.kms_key_arns, *named_keys]))
    document = role_policy_document(arn.partition_of(region), all_buckets, all_keys)
    policy_action, policy_reason = _plan_policy(existing, document)
    steps: list[Step] = []
    if trust_action is DocumentAction.CREATE:
        steps.append(Step(Change.CREATE_ROLE, role_name, trust, trust_reason))
    elif trust_action is DocumentAction.REPAIR:
        steps.append(Step(Change.UPDATE_TRUST, role_name, trust, trust_reason))
    if policy_action is not DocumentAction.KEEP:
        target = f"{role_name}/{POLICY_NAME}"
        steps.append(Step(Change.PUT_POLICY, target, document, policy_reason))
    inputs = AccountInputs(
        region=region,
        role_name=role_name,
        buckets=tuple(buckets),
        kms_key_id=kms_key_id,
        reach=reach or Reach(),
    )
    return RolePlan(
        inputs=inputs,
        caller=caller,
        current=current,
        trust_action=trust_action,
        trust_reason=trust_reason,
        trust_document=trust,
        policy_action=policy_action,
        policy_reason=policy_reason,
        policy_document=document,
        buckets=all_buckets,
        kms_key_arns=all_keys,
        steps=tuple(steps),
    )


def apply_plan(clients: Clients, plan: RolePlan) -> None:
    """Carry out the plan's steps, in order."""
    iam = clients.client("iam")
    name = plan.inputs.role_name
    for step in plan.steps:
        text = json.dumps(step.document)
        if step.change is Change.CREATE_ROLE:
            iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=text, Description=ROLE_DESCRIPTION
            )
        elif step.change is Change.UPDATE_TRUST:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=text)
        else:
            iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=text)


class Blocker(NamedTuple):
    """A Deny outside this command's policy that refuses the role something VM Import needs."""

    #: ``inline policy guard statement 1 (DenyRegister)``: the policy, the index, the Sid
    statement: str
    action: str
    resource: str

    def to_json(self) -> dict[str, str]:
        return {"statement": self.statement, "action": self.action, "resource": self.resource}


DENIED_BY = "denied by "


def remaining_problems(plan: RolePlan) -> tuple[Diagnostic, ...]:
    """What the account checks still find in the role as the plan leaves it (the buckets taken
    as existing in the Region: this command judges the role, not the buckets)."""
    return _judged(plan).problems


def blockers(plan: RolePlan) -> tuple[Blocker, ...]:
    """The Denies of the role's other policies that refuse it what VM Import needs, as the
    plan leaves it (this command's own policy holds no Deny)."""
    found = []
    for permission in _judged(plan).role.permissions:
        if permission.decision is Decision.EXPLICIT_DENY:
            statement = permission.reason.removeprefix(DENIED_BY)
            found.append(Blocker(statement, permission.action, permission.resource))
    return tuple(found)


def _judged(plan: RolePlan) -> AccountReport:
    region = plan.inputs.region
    facts = AccountFacts(
        caller=plan.caller._replace(is_root=False),
        role=plan.role_after(),
        buckets=tuple(BucketFacts(b, exists=True, region=region) for b in plan.buckets),
        objects=(),
        keys=tuple(KeyFacts(k, "--kms-key-id", True, k) for k in plan.kms_key_arns),
    )
    inputs = plan.inputs._replace(buckets=plan.buckets)
    return judge.judge(inputs, facts)
