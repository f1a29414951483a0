"""The account checks' judgement, from facts made by hand (no AWS): layers, problems, records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.diagnostics import Severity
from ec2_import_image.iampolicy.evaluate import Decision
from ec2_import_image.iampolicy.servicerole import needs
from ec2_import_image.iampolicy.trust import vmimport_trust_policy
from ec2_import_image.problems import SEVERITY, ProblemCode
from ec2_import_image.vmimport.account import problems
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.judge import judge
from ec2_import_image.vmimport.account.reading import (
    AccountFacts,
    BucketFacts,
    KeyFacts,
    RoleFacts,
    RolePolicy,
    region_of,
)
from ec2_import_image.vmimport.account.records import (
    CallerReport,
    ObjectReport,
    PolicyKind,
    PolicyRef,
    PolicyState,
)
from ec2_import_image.vmimport.account.requirements import granted_by, role_policy_document
from ec2_import_image.vmimport.account.simulation import _verdict

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/vmimport"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"
CALLER = CallerReport(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/ops", "AIDA", False)
INPUTS = AccountInputs(region="us-east-1", objects=(S3Location("disks", "a.vmdk"),))


def role(*documents: Any, boundary: str | None = None) -> RoleFacts:
    return RoleFacts(
        name="vmimport",
        arn=ROLE_ARN,
        trust_document=vmimport_trust_policy(),
        policies=tuple(
            RolePolicy(PolicyRef(PolicyKind.INLINE, f"p{i}"), d) for i, d in enumerate(documents)
        ),
        boundary_arn=boundary,
    )


def facts(
    the_role: RoleFacts | None,
    *,
    bucket: BucketFacts | None = None,
    keys: tuple[KeyFacts, ...] = (),
    encryption: Any = None,
) -> AccountFacts:
    return AccountFacts(
        caller=CALLER,
        role=the_role,
        buckets=(bucket or BucketFacts("disks", True, None, "us-east-1", PolicyState.NONE),),
        objects=(ObjectReport("disks", "a.vmdk", True, 10, encryption),),
        keys=keys,
    )


def full(keys: tuple[str, ...] = ()) -> dict[str, Any]:
    return role_policy_document("aws", ["disks"], keys)


def statement(**fields: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [fields]}


def test_the_policy_setup_role_writes_passes() -> None:
    report = judge(INPUTS, facts(role(full())))
    assert report.problems == ()
    assert len(report.role.permissions) == 3 + 4  # S3 on the bucket and object, EC2


def test_a_document_that_cannot_be_read_makes_verdicts_unknown() -> None:
    report = judge(INPUTS, facts(role(full(), "{broken")))
    assert {p.code for p in report.problems} == {"account-unknown"}
    assert {p.decision for p in report.role.permissions} == {Decision.UNKNOWN}


def test_an_unreadable_bucket_policy_makes_an_allow_unknown_and_keeps_a_refusal() -> None:
    bucket = BucketFacts(
        "disks",
        True,
        None,
        "us-east-1",
        PolicyState.UNREADABLE,
        None,
        "GetBucketPolicy: AccessDenied",
    )
    report = judge(INPUTS, facts(role(full()), bucket=bucket))
    s3 = [p for p in report.role.permissions if p.area.value == "s3"]
    assert {p.decision for p in s3} == {Decision.UNKNOWN}
    assert "could not be read (GetBucketPolicy: AccessDenied)" in s3[0].reason
    refused = judge(INPUTS, facts(role(), bucket=bucket))
    assert "role-policy-s3" in [p.code for p in refused.problems]


def test_a_bucket_policy_naming_the_role_grants() -> None:
    grant = statement(
        Effect="Allow",
        Principal={"AWS": ROLE_ARN},
        Action="s3:*",
        Resource=["arn:aws:s3:::disks", "arn:aws:s3:::disks/*"],
    )
    bucket = BucketFacts("disks", True, None, "us-east-1", PolicyState.READ, json.dumps(grant))
    ec2_only = statement(Effect="Allow", Action="ec2:*", Resource="*")
    report = judge(INPUTS, facts(role(ec2_only), bucket=bucket))
    assert report.problems == ()
    assert all(
        "the bucket policy of disks" in p.reason
        for p in report.role.permissions
        if p.area.value == "s3"
    )


def _kms(
    policy: dict[str, Any] | None, state: PolicyState = PolicyState.READ
) -> tuple[KeyFacts, ...]:
    document = None if policy is None else json.dumps(policy)
    return (KeyFacts("k1", "s3://disks/a.vmdk", True, KEY_ARN, state, document),)


def test_key_policies() -> None:
    delegates = statement(
        Effect="Allow",
        Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        Action="kms:*",
        Resource="*",
    )
    names_role = statement(
        Effect="Allow", Principal={"AWS": ROLE_ARN}, Action="kms:*", Resource="*"
    )
    nobody = statement(
        Effect="Allow",
        Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/x"},
        Action="kms:*",
        Resource="*",
    )

    def kms_codes(documents: tuple[Any, ...], keys: tuple[KeyFacts, ...]) -> set[str]:
        report = judge(INPUTS, facts(role(*documents), keys=keys))
        return {p.code for p in report.problems}

    assert kms_codes((full((KEY_ARN,)),), _kms(delegates)) == set()
    assert kms_codes((full(),), _kms(delegates)) == {"role-policy-kms"}  # IAM does not grant it
    assert kms_codes((full(),), _kms(names_role)) == set()  # the key policy grants it itself
    assert kms_codes((full((KEY_ARN,)),), _kms(nobody)) == {"role-policy-kms"}
    unreadable = _kms(None, PolicyState.UNREADABLE)
    assert kms_codes((full((KEY_ARN,)),), unreadable) == {"account-unknown"}


def test_a_permissions_boundary_is_not_evaluated() -> None:
    report = judge(INPUTS, facts(role(full(), boundary="arn:aws:iam::aws:policy/Boundary")))
    assert {p.code for p in report.problems} == {"account-unknown"}
    assert all(p.severity is Severity.WARNING for p in report.problems)
    assert report.ok


def test_problems_come_in_order_and_each_code_has_its_severity() -> None:
    root = CALLER._replace(arn=f"arn:aws:iam::{ACCOUNT}:root", is_root=True)
    elsewhere = BucketFacts("disks", True, "EU", "eu-west-1", PolicyState.NONE)
    state = facts(None, bucket=elsewhere)._replace(caller=root)
    report = judge(INPUTS, state)
    assert [(p.code, p.severity) for p in report.problems] == [
        ("caller-is-root", Severity.ERROR),
        ("role-missing", Severity.ERROR),
        ("bucket-region", Severity.ERROR),
    ]
    assert not report.ok


def test_legacy_bucket_locations() -> None:
    assert [region_of(v) for v in (None, "", "EU", "ap-south-1")] == [
        "us-east-1",
        "us-east-1",
        "eu-west-1",
        "ap-south-1",
    ]


def test_the_setup_role_command_line() -> None:
    inputs = AccountInputs(
        region="eu-west-1",
        role_name="my role",
        objects=(S3Location("a", "x"), S3Location("b", "y"), S3Location("a", "z")),
        buckets=("c",),
        kms_key_id="alias/k",
    )
    assert problems.setup_role_command(inputs, ["arn:aws:kms:eu-west-1:1:key/2"]) == (
        "vmimport setup-role --bucket a --bucket b --bucket c --role-name 'my role' "
        "--kms-key-id alias/k --kms-key-id arn:aws:kms:eu-west-1:1:key/2 --region eu-west-1"
    )


def test_what_setup_role_wrote_is_read_back() -> None:
    document = role_policy_document("aws", ["a", "b"], [KEY_ARN])
    assert granted_by(document) == (("a", "b"), (KEY_ARN,))
    assert granted_by(json.dumps(document)) == (("a", "b"), (KEY_ARN,))
    assert granted_by({"Statement": [{"Sid": "Other", "Resource": "arn:aws:s3:::x"}]}) == ((), ())
    assert granted_by("{not json") == ((), ())


def test_needs_of_a_bucket_without_a_key() -> None:
    found = needs(partition="aws", region="us-east-1", buckets=["b"], objects=[])
    assert [(str(n.action), str(n.resource)) for n in found if n.area.value == "s3"] == [
        ("s3:GetBucketLocation", "arn:aws:s3:::b"),
        ("s3:ListBucket", "arn:aws:s3:::b"),
        ("s3:GetObject", "arn:aws:s3:::b/*"),
    ]


def test_a_simulation_that_assumed_missing_context_is_unknown() -> None:
    result = {"EvalDecision": "allowed", "MissingContextValues": ["aws:SourceIp"]}
    assert _verdict("s3:GetObject", result).decision is Decision.UNKNOWN
    assert (
        _verdict("s3:GetObject", {"EvalDecision": "implicitDeny"}).decision
        is Decision.IMPLICIT_DENY
    )


DOC = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", problems.ACCOUNT_CODES)
def test_every_account_code_is_in_the_table_with_its_severity(code: ProblemCode) -> None:
    section = DOC.split("## Account checks", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| `{code.value}` ")]
    assert len(rows) == 1, code
    assert re.search(rf"\| {SEVERITY[code].value} \|", rows[0])
    assert "**confirmed**" in rows[0] or "**modelled**" in rows[0]
