"""What the account checks found, as typed records; ``to_json()`` gives the report's objects.

``AccountReport.to_json()`` is the ``"account"`` object of ``vmimport check
--json``: ``{"region", "role", "buckets", "objects", "kms_keys", "caller"}``
(lists, because the DISKs of one image may be in several buckets); the
problems are listed apart, in ``AccountReport.problems``, for the report's
``"problems"``.  Verdicts use IAM's words (``allowed``, ``explicit-deny``,
``implicit-deny``) and ``unknown`` for what the documents alone do not decide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.iampolicy.evaluate import Decision
from ec2_import_image.iampolicy.servicerole import Area


class EvaluatedBy(StrEnum):
    #: IAM's SimulatePrincipalPolicy, where the endpoint offers it
    SIMULATION = "simulation"
    #: this tool's evaluation of the role's documents (``iampolicy``)
    DOCUMENTS = "documents"


class Permission(NamedTuple):
    """The verdict on one action the role needs, on one resource."""

    area: Area
    #: ``s3:GetObject``; a family as ``ec2:Describe*``
    action: str
    #: an ARN; ``arn:aws:s3:::bucket/*`` for every object of a bucket named without a key
    resource: str
    decision: Decision
    reason: str
    evaluated_by: EvaluatedBy

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.area.value,
            "action": self.action,
            "resource": self.resource,
            "decision": self.decision.value,
            "reason": self.reason,
            "evaluated_by": self.evaluated_by.value,
        }


class PolicyKind(StrEnum):
    INLINE = "inline"
    MANAGED = "managed"


class PolicyRef(NamedTuple):
    """One of the role's permission policies (a managed one at its default version)."""

    kind: PolicyKind
    name: str
    arn: str | None = None
    version: str | None = None

    @property
    def label(self) -> str:
        if self.kind is PolicyKind.INLINE:
            return f"inline policy {self.name}"
        return f"managed policy {self.name} ({self.version})"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "arn": self.arn,
            "version": self.version,
        }


class TrustReport(NamedTuple):
    decision: Decision
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision.value, "reason": self.reason}


class RoleReport(NamedTuple):
    name: str
    exists: bool
    arn: str | None = None
    trust: TrustReport | None = None
    policies: tuple[PolicyRef, ...] = ()
    permissions_boundary: str | None = None
    evaluated_by: EvaluatedBy | None = None
    #: why SimulatePrincipalPolicy was not used (None when it was, or the role is missing)
    simulation_note: str | None = None
    permissions: tuple[Permission, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "exists": self.exists,
            "arn": self.arn,
            "trust": None if self.trust is None else self.trust.to_json(),
            "policies": [p.to_json() for p in self.policies],
            "permissions_boundary": self.permissions_boundary,
            "evaluated_by": None if self.evaluated_by is None else self.evaluated_by.value,
            "simulation_note": self.simulation_note,
            "permissions": [p.to_json() for p in self.permissions],
        }


class PolicyState(StrEnum):
    """A resource policy (a bucket's, a key's): absent, read and judged, or not readable."""

    NONE = "none"
    READ = "read"
    UNREADABLE = "unreadable"


class BucketReport(NamedTuple):
    name: str
    exists: bool
    #: the Region GetBucketLocation names (``None``/``""`` is us-east-1, ``EU`` eu-west-1)
    region: str | None = None
    #: GetBucketLocation's answer as given
    location_constraint: str | None = None
    in_import_region: bool | None = None
    policy: PolicyState | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "exists": self.exists,
            "region": self.region,
            "location_constraint": self.location_constraint,
            "in_import_region": self.in_import_region,
            "policy": None if self.policy is None else self.policy.value,
        }


class Encryption(StrEnum):
    NONE = "none"
    SSE_S3 = "sse-s3"
    SSE_KMS = "sse-kms"
    SSE_KMS_DSSE = "sse-kms-dsse"


class ObjectReport(NamedTuple):
    bucket: str
    key: str
    exists: bool
    size: int | None = None
    encryption: Encryption | None = None
    #: the KMS key of an SSE-KMS object, as S3 names it
    kms_key_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.uri,
            "bucket": self.bucket,
            "key": self.key,
            "exists": self.exists,
            "size": self.size,
            "encryption": None if self.encryption is None else self.encryption.value,
            "kms_key_id": self.kms_key_id,
        }


class KmsKeyReport(NamedTuple):
    """A KMS key the role must be allowed to use."""

    #: as named (``--kms-key-id``'s value, or an object's SSEKMSKeyId)
    key_id: str
    #: what named it: ``--kms-key-id`` or the object's ``s3://`` URI
    named_by: str
    exists: bool | None = None
    arn: str | None = None
    policy: PolicyState | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "named_by": self.named_by,
            "exists": self.exists,
            "arn": self.arn,
            "policy": None if self.policy is None else self.policy.value,
        }


class CallerReport(NamedTuple):
    account: str
    arn: str
    user_id: str
    is_root: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "arn": self.arn,
            "user_id": self.user_id,
            "is_root": self.is_root,
        }


class AccountReport(NamedTuple):
    region: str
    role: RoleReport
    buckets: tuple[BucketReport, ...]
    objects: tuple[ObjectReport, ...]
    kms_keys: tuple[KmsKeyReport, ...]
    caller: CallerReport
    #: what is wrong or undecided, in the order found (caller, role, permissions, buckets, objects)
    problems: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """No problem of severity error."""
        return all(p.severity is not Severity.ERROR for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """The report's ``"account"`` object (problems apart: they go in ``"problems"``)."""
        return {
            "region": self.region,
            "role": self.role.to_json(),
            "buckets": [b.to_json() for b in self.buckets],
            "objects": [o.to_json() for o in self.objects],
            "kms_keys": [k.to_json() for k in self.kms_keys],
            "caller": self.caller.to_json(),
        }
