"""The account checks' verdicts and problems, from what ``reading`` found (pure: no AWS).

Permissions are judged in layers, as IAM evaluates a same-account request:
the role's identity policies (IAM's simulation when it was available, else
the documents through ``iampolicy``), then the resource's own policy: a
bucket policy's Deny wins and its Allow naming the role grants; a key policy
must name the role or let IAM policies grant the key (a statement for the
account's root).  A permissions boundary is not evaluated from the documents:
with one, an allow is unknown.  A resource policy that could not be read
makes an allow unknown (a Deny in it cannot be ruled out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import PolicyDocument, PolicyError, Principal, parse
from ec2_import_image.iampolicy.evaluate import Decision, Request, Verdict, evaluate
from ec2_import_image.iampolicy.servicerole import Area, Need, kms_key_resource, needs
from ec2_import_image.iampolicy.trust import judge_trust
from ec2_import_image.iampolicy.truth import Truth
from ec2_import_image.iampolicy.wildcard import Text
from ec2_import_image.vmimport.account import problems
from ec2_import_image.vmimport.account.inputs import AccountInputs
from ec2_import_image.vmimport.account.reading import AccountFacts, BucketFacts, KeyFacts, RoleFacts
from ec2_import_image.vmimport.account.records import (
    AccountReport,
    BucketReport,
    EvaluatedBy,
    KmsKeyReport,
    Permission,
    PolicyState,
    RoleReport,
    TrustReport,
)
from ec2_import_image.vmimport.account.simulation import Simulation

DENIED = (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY)


class _Layer(NamedTuple):
    """A resource's own policy, parsed (None when there is none), or why it is not known."""

    name: str
    document: PolicyDocument | None
    unreadable: str | None = None


def key_resource(key: KeyFacts, partition: str, region: str) -> Text:
    return kms_key_resource(key.arn, partition=partition, region=region)


def role_needs(inputs: AccountInputs, facts: AccountFacts) -> tuple[Need, ...]:
    partition = arn.partition_of(inputs.region)
    return needs(
        partition=partition,
        region=inputs.region,
        buckets=[b.name for b in facts.buckets if b.exists],
        objects=[(o.bucket, o.key) for o in facts.objects],
        kms_keys=[
            key_resource(k, partition, inputs.region) for k in facts.keys if k.exists is not False
        ],
    )


def _parse_layer(
    name: str, state: PolicyState | None, document: object, error: str | None
) -> _Layer:
    if state is PolicyState.UNREADABLE:
        return _Layer(name, None, f"{name} could not be read ({error})")
    if state is not PolicyState.READ:
        return _Layer(name, None)
    try:
        return _Layer(name, parse(document, name))
    except PolicyError as failure:
        return _Layer(name, None, f"{name} cannot be parsed ({failure})")


class _Judge:
    def __init__(self, inputs: AccountInputs, facts: AccountFacts, role: RoleFacts) -> None:
        self.inputs = inputs
        self.role = role
        self.partition = arn.partition_of(inputs.region)
        self.account = arn.account_of(role.arn) or facts.caller.account
        self.documents: list[PolicyDocument] = []
        self.unreadable: list[str] = []
        for policy in role.policies:
            try:
                self.documents.append(parse(policy.document, policy.ref.label))
            except PolicyError as error:
                self.unreadable.append(str(error))
        self.buckets = {
            b.name: _parse_layer(
                f"the bucket policy of {b.name}", b.policy, b.policy_document, b.policy_error
            )
            for b in facts.buckets
        }
        self.keys = {
            str(key_resource(k, self.partition, inputs.region)): _parse_layer(
                f"the key policy of {k.arn or k.named}", k.policy, k.policy_document, k.policy_error
            )
            for k in facts.keys
        }

    def from_documents(self, need: Need) -> Verdict:
        verdict = evaluate(self.documents, Request(need.action, need.resource))
        if verdict.decision is Decision.EXPLICIT_DENY:
            return verdict
        if self.unreadable:
            return verdict._replace(decision=Decision.UNKNOWN, reason=f"{self.unreadable[0]}")
        if verdict.decision is Decision.ALLOWED and self.role.boundary_arn:
            reason = (
                f"{verdict.reason}, but the permissions boundary {self.role.boundary_arn} "
                "is not evaluated"
            )
            return verdict._replace(decision=Decision.UNKNOWN, reason=reason)
        return verdict

    def _principals(self) -> tuple[Principal, ...]:
        return (Principal("AWS", self.role.arn),)

    def with_bucket_policy(self, need: Need, verdict: Verdict) -> Verdict:
        layer = self.buckets.get(arn.bucket_of(need.resource.value), _Layer("", None))
        return self._layered(need, verdict, layer, delegation=None)

    def with_key_policy(self, need: Need, verdict: Verdict) -> Verdict:
        layer = self.keys.get(str(need.resource), _Layer("", None))
        return self._layered(
            need, verdict, layer, delegation=arn.account_root(self.partition, self.account)
        )

    def _layered(
        self, need: Need, identity: Verdict, layer: _Layer, delegation: str | None
    ) -> Verdict:
        """The identity verdict under the resource's policy (``delegation``: a key policy, where
        IAM policies count only if it lets the account's root)."""
        if identity.decision is Decision.EXPLICIT_DENY:
            return identity
        if layer.unreadable is not None:
            if identity.decision is Decision.ALLOWED:
                return Verdict(Decision.UNKNOWN, f"{identity.reason}, but {layer.unreadable}")
            return identity._replace(reason=f"{identity.reason} ({layer.unreadable})")
        if layer.document is None:
            return identity
        direct = evaluate([layer.document], Request(need.action, need.resource, self._principals()))
        denies = direct.denies
        delegated = Truth.TRUE
        if delegation is not None:
            whole = evaluate(
                [layer.document],
                Request(need.action, need.resource, (Principal("AWS", delegation),)),
            )
            denies = max(denies, whole.denies)
            delegated = whole.allows
        if denies is Truth.TRUE:
            if direct.denies is Truth.TRUE:
                return Verdict(Decision.EXPLICIT_DENY, direct.reason)
            return Verdict(Decision.EXPLICIT_DENY, f"denied by {layer.name} (for the account)")
        if denies is Truth.UNKNOWN:
            return Verdict(Decision.UNKNOWN, f"{layer.name} may deny it")
        if identity.denies is Truth.UNKNOWN:
            return identity  # a Deny of the role's own may apply, whatever the resource grants
        if direct.allows is Truth.TRUE:
            return Verdict(Decision.ALLOWED, f"allowed by {layer.name}, which names the role")
        if delegated is Truth.TRUE:
            return identity
        if delegated is Truth.UNKNOWN or direct.allows is Truth.UNKNOWN:
            return Verdict(Decision.UNKNOWN, f"{layer.name} may not let IAM policies grant it")
        return Verdict(
            Decision.IMPLICIT_DENY,
            f"{layer.name} neither names the role nor lets IAM policies grant it "
            f"(no statement for {delegation})",
        )

    def permission(self, need: Need, simulated: Mapping[Need, Verdict] | None) -> Permission:
        verdict = simulated[need] if simulated is not None else self.from_documents(need)
        if need.area is Area.S3:
            verdict = self.with_bucket_policy(need, verdict)
        elif need.area is Area.KMS:
            verdict = self.with_key_policy(need, verdict)
        return Permission(
            area=need.area,
            action=str(need.action),
            resource=str(need.resource),
            decision=verdict.decision,
            reason=verdict.reason,
            evaluated_by=EvaluatedBy.SIMULATION if simulated is not None else EvaluatedBy.DOCUMENTS,
        )


def _permission_problems(
    inputs: AccountInputs, permissions: Sequence[Permission], fix: str
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for area in Area:
        mine = [p for p in permissions if p.area is area]
        denied = [p for p in mine if p.decision in DENIED]
        if denied:
            found.append(problems.not_allowed(inputs, area, denied, fix))
        unknown = [p for p in mine if p.decision is Decision.UNKNOWN]
        if unknown:
            found.append(problems.undecided(inputs, area, unknown, fix))
    return found


def _role_report(
    inputs: AccountInputs, facts: AccountFacts, simulation: Simulation | None
) -> tuple[RoleReport, list[Diagnostic]]:
    role = facts.role
    if role is None:
        missing = problems.role_missing(inputs, problems.setup_role_command(inputs))
        return RoleReport(inputs.role_name, exists=False), [missing]
    key_arns = [k.arn for k in facts.keys if k.arn and k.named_by != "--kms-key-id"]
    fix = problems.setup_role_command(inputs, key_arns)
    judge = _Judge(inputs, facts, role)
    found: list[Diagnostic] = []
    trust = judge_trust(role.trust_document, account=judge.account, region=inputs.region)
    if trust.decision in DENIED:
        found.append(problems.role_trust(inputs, trust.reason, fix))
    elif trust.decision is Decision.UNKNOWN:
        found.append(problems.trust_unknown(inputs, trust.reason))
    simulated = simulation.verdicts if simulation is not None else None
    permissions = tuple(judge.permission(need, simulated) for need in role_needs(inputs, facts))
    found.extend(_permission_problems(inputs, permissions, fix))
    report = RoleReport(
        name=inputs.role_name,
        exists=True,
        arn=role.arn,
        trust=TrustReport(trust.decision, trust.reason),
        policies=tuple(p.ref for p in role.policies),
        permissions_boundary=role.boundary_arn,
        evaluated_by=EvaluatedBy.SIMULATION if simulated is not None else EvaluatedBy.DOCUMENTS,
        simulation_note=None if simulation is None else simulation.note,
        permissions=permissions,
    )
    return report, found


def _bucket_problems(inputs: AccountInputs, bucket: BucketFacts) -> list[Diagnostic]:
    if not bucket.exists:
        return [problems.bucket_missing(inputs, bucket.name)]
    if bucket.region is not None and bucket.region != inputs.region:
        return [problems.bucket_region(inputs, bucket.name, bucket.region)]
    return []


def judge(
    inputs: AccountInputs, facts: AccountFacts, simulation: Simulation | None = None
) -> AccountReport:
    """The report and its problems, in the order: caller, role, permissions, buckets, objects."""
    found: list[Diagnostic] = []
    if facts.caller.is_root:
        found.append(problems.caller_is_root(facts.caller))
    role, role_problems = _role_report(inputs, facts, simulation)
    found.extend(role_problems)
    found.extend(
        problems.kms_key_missing(inputs, k.named, k.named_by)
        for k in facts.keys
        if k.exists is False
    )
    for bucket in facts.buckets:
        found.extend(_bucket_problems(inputs, bucket))
    present = {b.name for b in facts.buckets if b.exists}
    found.extend(
        problems.object_missing(inputs, item)
        for item in facts.objects
        if not item.exists and item.bucket in present
    )
    buckets = tuple(
        BucketReport(
            b.name,
            b.exists,
            b.region,
            b.location_constraint,
            None if b.region is None else b.region == inputs.region,
            b.policy,
        )
        for b in facts.buckets
    )
    keys = tuple(KmsKeyReport(k.named, k.named_by, k.exists, k.arn, k.policy) for k in facts.keys)
    return AccountReport(
        inputs.region, role, buckets, facts.objects, keys, facts.caller, tuple(found)
    )
