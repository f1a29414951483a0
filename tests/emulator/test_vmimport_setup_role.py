"""``vmimport setup-role`` end to end on the emulator: create, again, repair, dry run, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ec2_import_image.iampolicy.trust import vmimport_trust_policy
from ec2_import_image.vmimport.account.assessment import check_account
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.requirements import POLICY_NAME
from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.support.vmimport_run import make_run, vmimport


@pytest.fixture
def lab(trust_only_lab: Lab) -> Lab:
    """The vmimport role with its trust policy only: each test grants what it judges."""
    return trust_only_lab


def role_state(lab: Lab, name: str = "vmimport") -> dict[str, Any]:
    role = lab.iam.get_role(RoleName=name)["Role"]
    names = lab.iam.list_role_policies(RoleName=name)["PolicyNames"]
    policies = {
        n: lab.iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"] for n in names
    }
    return {"trust": role["AssumeRolePolicyDocument"], "policies": policies}


def test_create_then_nothing_to_change(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    first = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert first.status == ExitStatus.OK, first.stderr
    assert "Created the role vmimport, trusting vmie.amazonaws.com" in first.stdout
    assert f"Wrote the inline policy {POLICY_NAME} of vmimport" in first.stdout
    assert "hint: check a disk (KEY: its key) against the role with: vmimport check" in first.stderr
    state = role_state(lab)
    assert state["trust"] == vmimport_trust_policy()
    assert list(state["policies"]) == [POLICY_NAME]
    second = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert second.status == ExitStatus.OK
    assert "Nothing to change: the role is already set up." in second.stdout
    assert "Created" not in second.stdout and "Wrote" not in second.stdout
    assert second.stderr == ""
    assert role_state(lab) == state


def test_what_it_writes_passes_the_account_checks(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]
    lab.upload(b"x", "a.raw")
    lab.s3.put_object(
        Bucket=BUCKET,
        Key="b.raw",
        Body=b"x",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["Arn"],
    )
    argv = ["setup-role", "--bucket", BUCKET, "--kms-key-id", key["KeyId"]]
    assert vmimport(lab.endpoint, *argv).status == ExitStatus.OK
    inputs = AccountInputs(
        region=REGION,
        objects=(S3Location(BUCKET, "a.raw"), S3Location(BUCKET, "b.raw")),
        kms_key_id=key["KeyId"],
    )
    report = check_account(make_run(lab.endpoint), inputs)
    assert report.problems == ()
    assert {p.decision.value for p in report.role.permissions} == {"allowed"}
    assert {p.area.value for p in report.role.permissions} == {"s3", "ec2", "kms"}


def test_repairs_a_broken_trust_policy_and_keeps_other_principals(
    make_lab: Callable[..., Lab],
) -> None:
    lab = make_lab()
    ec2_statement = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    wrong = vmimport_trust_policy()["Statement"][0]
    wrong["Condition"] = {"StringEquals": {"sts:ExternalId": "not-vmimport"}}
    lab.role(policy={"Version": "2012-10-17", "Statement": [ec2_statement, wrong]})
    outcome = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "Repaired the trust policy of vmimport" in outcome.stdout
    assert "sts:ExternalId 'not-vmimport'" in outcome.stdout
    trust = role_state(lab)["trust"]
    assert trust["Statement"] == [ec2_statement, *vmimport_trust_policy()["Statement"]]
    assert "Nothing to change" in vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET).stdout


def test_dry_run_changes_nothing_and_prints_the_documents(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    outcome = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET, "--dry-run")
    assert outcome.status == ExitStatus.OK
    assert "Dry run: nothing was changed." in outcome.stdout
    assert "Would create the role vmimport" in outcome.stdout
    assert f"Would write the inline policy {POLICY_NAME}" in outcome.stdout
    assert "Trust policy (would be written)" in outcome.stdout
    assert '"Service": "vmie.amazonaws.com"' in outcome.stdout
    assert f'"arn:aws:s3:::{BUCKET}/*"' in outcome.stdout
    assert "\x1b[" not in outcome.stdout  # decorated only on a terminal
    on_a_terminal = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET, "--dry-run", tty=True)
    assert "\x1b[1mRole vmimport" in on_a_terminal.stdout
    assert lab.iam.list_roles()["Roles"] == []


def test_json_summary(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    outcome = vmimport(lab.endpoint, "setup-role", "--bucket", "second-bucket", "--json")
    assert outcome.status == ExitStatus.OK
    summary = json.loads(outcome.stdout)
    assert summary["role"] == {
        "name": "vmimport",
        "arn": "arn:aws:iam::123456789012:role/vmimport",
        "existed": True,
    }
    assert (summary["dry_run"], summary["changed"]) == (False, True)
    assert summary["changes"] == [
        {
            "action": "put-role-policy",
            "target": f"vmimport/{POLICY_NAME}",
            "reason": "the policy does not grant every named bucket and key",
        }
    ]
    assert summary["trust_policy"]["action"] == "keep"
    assert summary["role_policy"]["buckets"] == [BUCKET, "second-bucket"]  # it only grows
    assert summary["role_policy"]["document"] == role_state(lab)["policies"][POLICY_NAME]
    assert summary["problems"] == []
    assert outcome.stderr == ""


def test_a_deny_it_cannot_remove_is_reported(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    lab.role()
    deny = {"Effect": "Deny", "Action": "ec2:RegisterImage", "Resource": "*"}
    lab.iam.put_role_policy(
        RoleName="vmimport",
        PolicyName="guard",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    outcome = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET, "--json")
    assert outcome.status == ExitStatus.PROBLEMS
    (problem,) = json.loads(outcome.stdout)["problems"]
    assert (problem["code"], problem["severity"]) == ("role-policy-ec2", "error")
    assert "denied by inline policy guard statement 1" in problem["message"]


def test_a_role_name_and_bad_values(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    outcome = vmimport(
        lab.endpoint, "setup-role", "--bucket", f"s3://{BUCKET}", "--role-name", "importer"
    )
    assert outcome.status == ExitStatus.OK
    assert lab.iam.get_role(RoleName="importer")["Role"]["RoleName"] == "importer"
    bad = vmimport(lab.endpoint, "setup-role", "--bucket", f"s3://{BUCKET}/key.raw")
    assert bad.status == ExitStatus.USAGE
    assert (
        bad.stderr
        == f"vmimport: error: --bucket takes a bucket name, not 's3://{BUCKET}/key.raw'\n"
    )
    missing = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET, "--kms-key-id", "alias/nope")
    assert missing.status == ExitStatus.USAGE
    assert "the KMS key 'alias/nope' does not exist in us-east-1" in missing.stderr
    usage = vmimport(lab.endpoint, "setup-role")
    assert usage.status == ExitStatus.USAGE
    assert "missing option '--bucket'" in usage.stderr
