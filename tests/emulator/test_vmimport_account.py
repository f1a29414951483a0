"""The account checks of ``vmimport check`` end to end, against the emulator's IAM, S3, STS, KMS.

What moto cannot show is answered by a loopback proxy in front of the emulator
(``tests/support/intercept.py``): IAM's SimulatePrincipalPolicy (moto does
not implement it), the root user's GetCallerIdentity (moto's STS never
answers a root ARN: credentials it does not know are ``user/moto``), refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from ec2_import_image.diagnostics import Severity
from ec2_import_image.iampolicy.evaluate import Decision
from ec2_import_image.iampolicy.trust import vmimport_trust_policy
from ec2_import_image.vmimport.account.assessment import check_account
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.records import AccountReport, EvaluatedBy
from ec2_import_image.vmimport.account.requirements import role_policy_document
from ec2_import_image.vmimport.errors import Incomplete
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.support.intercept import InterceptingProxy, Reply, error_reply, root_caller
from tests.support.vmimport_run import make_run


@pytest.fixture
def lab(trust_only_lab: Lab) -> Lab:
    """The vmimport role with its trust policy only: each test grants what it judges."""
    return trust_only_lab


KEY = "disks/web.raw"
DISK = S3Location(BUCKET, KEY)
INPUTS = AccountInputs(region=REGION, objects=(DISK,))
ROLE_ARN = "arn:aws:iam::123456789012:role/vmimport"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant_all(lab: Lab, buckets: tuple[str, ...] = (BUCKET,), keys: tuple[str, ...] = ()) -> None:
    document = role_policy_document("aws", buckets, keys)
    lab.iam.put_role_policy(
        RoleName="vmimport", PolicyName="all", PolicyDocument=json.dumps(document)
    )


@pytest.fixture
def ready(lab: Lab) -> Lab:
    """The role trusted and granted, the disk uploaded: nothing wrong."""
    lab.upload(b"\0" * 4096, KEY)
    grant_all(lab)
    return lab


def check(endpoint: str, inputs: AccountInputs = INPUTS) -> AccountReport:
    return check_account(make_run(endpoint), inputs)


def codes(report: AccountReport) -> list[str]:
    return [problem.code for problem in report.problems]


def decisions(report: AccountReport, area: str) -> dict[str, Decision]:
    return {p.action: p.decision for p in report.role.permissions if p.area.value == area}


def test_a_ready_account_has_no_problem(ready: Lab) -> None:
    report = check(ready.endpoint)
    assert report.problems == ()
    assert report.ok
    document = report.to_json()
    assert document["role"]["trust"]["decision"] == "allowed"
    assert document["role"]["evaluated_by"] == "documents"
    assert "SimulatePrincipalPolicy" in document["role"]["simulation_note"]
    assert document["buckets"] == [
        {
            "name": BUCKET,
            "exists": True,
            "region": REGION,
            "location_constraint": None,
            "in_import_region": True,
            "policy": "none",
        }
    ]
    assert document["objects"][0]["size"] == 4096
    assert document["objects"][0]["encryption"] == "none"
    assert document["caller"]["is_root"] is False
    assert {p["decision"] for p in document["role"]["permissions"]} == {"allowed"}
    json.dumps(document)  # JSON all the way down


def test_role_missing(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    lab.upload(b"x", KEY)
    report = check(lab.endpoint)
    assert codes(report) == ["role-missing"]
    (problem,) = report.problems
    assert problem.severity is Severity.ERROR
    assert problem.subject == "role:vmimport"
    assert str(problem.hint).endswith(f"vmimport setup-role --bucket {BUCKET} --region {REGION}")
    assert report.to_json()["role"] == {
        "name": "vmimport",
        "exists": False,
        "arn": None,
        "trust": None,
        "policies": [],
        "permissions_boundary": None,
        "evaluated_by": None,
        "simulation_note": None,
        "permissions": [],
    }


def test_a_role_name_names_the_role(ready: Lab) -> None:
    report = check(ready.endpoint, INPUTS._replace(role_name="importer"))
    assert codes(report) == ["role-missing"]
    assert "--role-name importer" in str(report.problems[0].hint)


def trusted(make_lab: Callable[..., Lab], **changes: Any) -> Lab:
    """A granted role whose trust statement has ``changes`` (``Condition=None`` drops it)."""
    lab = make_lab()
    trust = vmimport_trust_policy()
    statement = trust["Statement"][0]
    statement.update(changes)
    trust["Statement"][0] = {k: v for k, v in statement.items() if v is not None}
    lab.role(policy=trust)
    lab.upload(b"x", KEY)
    grant_all(lab)
    return lab


def test_wrong_trust_principal(make_lab: Callable[..., Lab]) -> None:
    lab = trusted(make_lab, Principal={"Service": "ec2.amazonaws.com"})
    report = check(lab.endpoint)
    assert codes(report) == ["role-trust"]
    assert "no statement allows vmie.amazonaws.com" in report.problems[0].message


def test_wrong_external_id(make_lab: Callable[..., Lab]) -> None:
    lab = trusted(make_lab, Condition={"StringEquals": {"sts:ExternalId": "import-me"}})
    report = check(lab.endpoint)
    assert codes(report) == ["role-trust"]
    assert "sts:ExternalId 'import-me'" in report.problems[0].message
    assert "VM Import sends 'vmimport'" in report.problems[0].message


def test_no_trust_condition_is_fine(make_lab: Callable[..., Lab]) -> None:
    assert check(trusted(make_lab, Condition=None).endpoint).problems == ()


def test_missing_get_object(lab: Lab) -> None:
    lab.upload(b"x", KEY)
    document = role_policy_document("aws", [BUCKET], [])
    document["Statement"][0]["Action"] = ["s3:GetBucketLocation", "s3:ListBucket"]
    lab.iam.put_role_policy(
        RoleName="vmimport", PolicyName="p", PolicyDocument=json.dumps(document)
    )
    report = check(lab.endpoint)
    assert codes(report) == ["role-policy-s3"]
    assert decisions(report, "s3") == {
        "s3:GetBucketLocation": Decision.ALLOWED,
        "s3:ListBucket": Decision.ALLOWED,
        "s3:GetObject": Decision.IMPLICIT_DENY,
    }
    problem = report.problems[0]
    assert f"s3:GetObject on arn:aws:s3:::{BUCKET}/{KEY}" in problem.message
    assert problem.hint == f"Grant them: vmimport setup-role --bucket {BUCKET} --region {REGION}"


def test_explicit_deny_wins(ready: Lab) -> None:
    deny = {"Effect": "Deny", "Action": "s3:Get*", "Resource": f"arn:aws:s3:::{BUCKET}/disks/*"}
    ready.iam.put_role_policy(RoleName="vmimport", PolicyName="deny", PolicyDocument=policy(deny))
    report = check(ready.endpoint)
    assert codes(report) == ["role-policy-s3"]
    assert decisions(report, "s3")["s3:GetObject"] is Decision.EXPLICIT_DENY
    assert "denied by inline policy deny statement 1" in report.problems[0].message
    assert str(report.problems[0].hint).startswith("Remove or narrow the Deny")


def test_wildcard_allow(lab: Lab) -> None:
    lab.upload(b"x", KEY)
    statements = (
        {"Effect": "Allow", "Action": "S3:*", "Resource": [f"arn:aws:s3:::{BUCKET[:6]}*"]},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    )
    lab.iam.put_role_policy(RoleName="vmimport", PolicyName="w", PolicyDocument=policy(*statements))
    assert check(lab.endpoint).problems == ()


def test_not_action(lab: Lab) -> None:
    """NotAction allows everything else: all but ec2:RegisterImage here."""
    lab.upload(b"x", KEY)
    statement = {"Effect": "Allow", "NotAction": ["ec2:RegisterImage", "iam:*"], "Resource": "*"}
    lab.iam.put_role_policy(RoleName="vmimport", PolicyName="n", PolicyDocument=policy(statement))
    report = check(lab.endpoint)
    assert codes(report) == ["role-policy-ec2"]
    assert decisions(report, "ec2")["ec2:RegisterImage"] is Decision.IMPLICIT_DENY
    assert decisions(report, "ec2")["ec2:Describe*"] is Decision.ALLOWED


def test_a_condition_makes_the_verdict_unknown_never_passed(lab: Lab) -> None:
    lab.upload(b"x", KEY)
    grant_all(lab)
    lab.iam.delete_role_policy(RoleName="vmimport", PolicyName="all")
    document = role_policy_document("aws", [BUCKET], [])
    document["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    lab.iam.put_role_policy(
        RoleName="vmimport", PolicyName="c", PolicyDocument=json.dumps(document)
    )
    report = check(lab.endpoint)
    assert codes(report) == ["account-unknown"]
    (problem,) = report.problems
    assert problem.severity is Severity.WARNING
    assert "aws:SourceIp" in problem.message
    assert set(decisions(report, "s3").values()) == {Decision.UNKNOWN}
    assert report.ok  # a warning: the exit status stays 0


def test_only_some_objects_of_a_bucket_named_without_a_key(lab: Lab) -> None:
    """``--bucket`` alone: a grant on a prefix of the bucket covers only some objects."""
    lab.upload(b"x", KEY)
    statements = (
        {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/disks/*"},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    )
    lab.iam.put_role_policy(RoleName="vmimport", PolicyName="p", PolicyDocument=policy(*statements))
    report = check(lab.endpoint, AccountInputs(region=REGION, buckets=(BUCKET,)))
    assert codes(report) == ["account-unknown"]
    assert f"arn:aws:s3:::{BUCKET}/*" in report.problems[0].message
    assert check(lab.endpoint).problems == ()  # with the key, it is decided


def test_managed_policy_at_its_default_version(lab: Lab) -> None:
    lab.upload(b"x", KEY)
    too_little = policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    created = lab.iam.create_policy(PolicyName="vmimport-managed", PolicyDocument=too_little)
    arn = created["Policy"]["Arn"]
    lab.iam.attach_role_policy(RoleName="vmimport", PolicyArn=arn)
    assert codes(check(lab.endpoint)) == ["role-policy-s3"]
    enough = json.dumps(role_policy_document("aws", [BUCKET], []))
    lab.iam.create_policy_version(PolicyArn=arn, PolicyDocument=enough, SetAsDefault=True)
    report = check(lab.endpoint)
    assert report.problems == ()
    (managed,) = report.role.policies
    assert (managed.kind.value, managed.name, managed.version) == (
        "managed",
        "vmimport-managed",
        "v2",
    )


def test_a_permissions_boundary_makes_allows_unknown(ready: Lab) -> None:
    boundary = ready.iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )["Policy"]["Arn"]
    ready.iam.put_role_permissions_boundary(RoleName="vmimport", PermissionsBoundary=boundary)
    report = check(ready.endpoint)
    assert set(codes(report)) == {"account-unknown"}
    assert report.role.permissions_boundary == boundary
    assert "permissions boundary" in report.problems[0].message


def test_bucket_in_another_region(lab: Lab) -> None:
    lab.s3.create_bucket(
        Bucket="eu-disks", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    lab.s3.put_object(Bucket="eu-disks", Key="a.raw", Body=b"x")
    grant_all(lab, ("eu-disks",))
    inputs = AccountInputs(region=REGION, objects=(S3Location("eu-disks", "a.raw"),))
    report = check(lab.endpoint, inputs)
    assert codes(report) == ["bucket-region"]
    assert report.problems[0].subject == "s3://eu-disks"
    assert "is in eu-west-1, not in us-east-1" in report.problems[0].message
    (bucket,) = report.to_json()["buckets"]
    assert (bucket["region"], bucket["location_constraint"], bucket["in_import_region"]) == (
        "eu-west-1",
        "eu-west-1",
        False,
    )


def test_object_missing_and_bucket_missing(ready: Lab) -> None:
    inputs = AccountInputs(
        region=REGION,
        objects=(S3Location(BUCKET, "nope.raw"), S3Location("no-such-bucket", "a.raw")),
    )
    report = check(ready.endpoint, inputs)
    missing = [(p.code, p.subject) for p in report.problems]
    assert ("object-missing", f"s3://{BUCKET}/nope.raw") in missing
    assert ("object-missing", "s3://no-such-bucket") in missing
    assert [o["exists"] for o in report.to_json()["objects"]] == [False, False]


def _kms_object(lab: Lab) -> str:
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]
    lab.upload(b"x", "plain.raw")
    lab.s3.put_object(
        Bucket=BUCKET, Key=KEY, Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"]
    )
    return str(key["Arn"])


def test_an_sse_kms_object_needs_kms_permissions(lab: Lab) -> None:
    key_arn = _kms_object(lab)
    grant_all(lab)
    report = check(lab.endpoint)
    assert codes(report) == ["role-policy-kms"]
    assert report.objects[0].encryption.value == "sse-kms"  # type: ignore[union-attr]
    (key,) = report.to_json()["kms_keys"]
    assert key == {
        "key_id": key_arn.rsplit("/", 1)[1],
        "named_by": f"s3://{BUCKET}/{KEY}",
        "exists": True,
        "arn": key_arn,
        "policy": "read",
    }
    assert f"--kms-key-id {key_arn}" in str(report.problems[0].hint)
    grant_all(lab, keys=(key_arn,))
    report = check(lab.endpoint)
    assert report.problems == ()
    assert set(decisions(report, "kms")) == {
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    }


def test_a_key_policy_that_does_not_delegate_to_iam(lab: Lab) -> None:
    key_arn = _kms_object(lab)
    grant_all(lab, keys=(key_arn,))
    own = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:user/admin"},
        "Action": "kms:*",
        "Resource": "*",
    }
    lab.client("kms").put_key_policy(KeyId=key_arn, PolicyName="default", Policy=policy(own))
    report = check(lab.endpoint)
    assert codes(report) == ["role-policy-kms"]
    assert "neither names the role nor lets IAM policies grant it" in report.problems[0].message


def test_kms_key_id_option_names_a_key(ready: Lab) -> None:
    kms = ready.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/imports", TargetKeyId=key["KeyId"])
    report = check(ready.endpoint, INPUTS._replace(kms_key_id="alias/imports"))
    assert codes(report) == ["role-policy-kms"]
    assert report.kms_keys[0].arn == key["Arn"]
    report = check(ready.endpoint, INPUTS._replace(kms_key_id="alias/nope"))
    assert codes(report) == ["role-policy-kms"]
    assert "does not exist" in report.problems[0].message


def test_a_bucket_policy_deny_wins(ready: Lab) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": ROLE_ARN},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    ready.s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(deny))
    report = check(ready.endpoint)
    assert codes(report) == ["role-policy-s3"]
    assert f"the bucket policy of {BUCKET}" in report.problems[0].message
    assert report.buckets[0].policy is not None and report.buckets[0].policy.value == "read"


# --- through the proxy: what moto does not answer ------------------------------------------


@pytest.fixture
def proxied(ready: Lab) -> Iterator[Callable[[Mapping[str, Any]], InterceptingProxy]]:
    started: list[InterceptingProxy] = []

    def start(handlers: Mapping[str, Any]) -> InterceptingProxy:
        proxy = InterceptingProxy(ready.endpoint, handlers).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def simulation(decide: Callable[[str, str], str]) -> Callable[[Mapping[str, str]], Reply]:
    """SimulatePrincipalPolicy answering ``decide(action, resource)`` for each action."""

    def answer(form: Mapping[str, str]) -> Reply:
        resource = form["ResourceArns.member.1"]
        actions = [v for k, v in sorted(form.items()) if k.startswith("ActionNames.member.")]
        members = "".join(
            f"<member><EvalActionName>{a}</EvalActionName><EvalResourceName>{resource}"
            f"</EvalResourceName><EvalDecision>{decide(a, resource)}</EvalDecision>"
            "<MatchedStatements/><MissingContextValues/></member>"
            for a in actions
        )
        return Reply(
            200,
            '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
            f"<EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
            "</SimulatePrincipalPolicyResponse>",
        )

    return answer


def test_the_simulation_is_used_first(proxied: Any) -> None:
    """An SCP the documents cannot show: the simulation denies ec2:CopySnapshot."""

    def decide(action: str, resource: str) -> str:
        return "explicitDeny" if action == "ec2:CopySnapshot" else "allowed"

    proxy = proxied({"SimulatePrincipalPolicy": simulation(decide)})
    report = check(proxy.endpoint)
    assert report.role.evaluated_by is EvaluatedBy.SIMULATION
    assert report.role.simulation_note is None
    assert codes(report) == ["role-policy-ec2"]
    assert decisions(report, "ec2")["ec2:CopySnapshot"] is Decision.EXPLICIT_DENY
    assert "SimulatePrincipalPolicy: explicitDeny" in report.problems[0].message
    sent = {(f["ActionNames.member.1"], f["ResourceArns.member.1"]) for f in proxy.seen}
    assert ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{KEY}") in sent
    assert all(f["PolicySourceArn"] == ROLE_ARN for f in proxy.seen)
    families = {v for f in proxy.seen for k, v in f.items() if k.startswith("ActionNames")}
    assert {"ec2:DescribeImages", "ec2:DescribeSnapshots"} <= families  # ec2:Describe*, concretely
    assert not any(name.endswith("*") for name in families)


def test_a_refused_simulation_falls_back_to_the_documents(proxied: Any) -> None:
    proxy = proxied({"SimulatePrincipalPolicy": lambda form: error_reply("AccessDenied", "no")})
    report = check(proxy.endpoint)
    assert report.role.evaluated_by is EvaluatedBy.DOCUMENTS
    assert report.role.simulation_note == "SimulatePrincipalPolicy answered AccessDenied"
    assert report.problems == ()
    assert len(proxy.seen) == 1  # no retry of a refusal


def test_root_caller(proxied: Any) -> None:
    proxy = proxied({"GetCallerIdentity": root_caller()})
    report = check(proxy.endpoint)
    assert codes(report) == ["caller-is-root"]
    assert report.problems[0].subject == "caller:arn:aws:iam::123456789012:root"
    assert report.caller.is_root


def test_access_denied_reading_the_role_is_incomplete(proxied: Any) -> None:
    proxy = proxied({"GetRole": lambda form: error_reply("AccessDenied", "not authorized")})
    with pytest.raises(Incomplete) as raised:
        check(proxy.endpoint)
    assert raised.value.message == (
        "access denied while reading the role vmimport (GetRole: AccessDenied)"
    )


def test_an_unreachable_endpoint_is_incomplete() -> None:
    from tests.support.ec2stub import refused_port

    sock, port = refused_port()
    run = make_run(f"http://127.0.0.1:{port}", AWS_MAX_ATTEMPTS="1")
    with sock, pytest.raises(Incomplete) as raised:
        check_account(run, INPUTS)
    assert "Could not connect to the endpoint URL" in raised.value.message
