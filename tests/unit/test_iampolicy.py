"""The shared policy logic: wildcards, documents, conditions, evaluation, VM Import's trust rule."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import Effect, PolicyError, Principal, parse
from ec2_import_image.iampolicy.evaluate import Decision, Request, evaluate
from ec2_import_image.iampolicy.trust import judge_trust, trusts_vm_import, vmimport_trust_policy
from ec2_import_image.iampolicy.truth import Truth, all_of, any_of
from ec2_import_image.iampolicy.wildcard import Text, equals, match

# --- wildcards ---------------------------------------------------------------------------

ALPHABET = "ab:/*?["
patterns = st.text(alphabet=ALPHABET, max_size=8)
texts = st.text(alphabet="ab:/[", max_size=8)


def oracle(pattern: str, text: str) -> bool:
    """IAM's wildcards as a regular expression: ``*`` any run, ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@given(patterns, texts)
def test_wildcards_match_as_the_regular_expression(pattern: str, text: str) -> None:
    assert match(pattern, text) is Truth.of(oracle(pattern, text))


@given(patterns, texts, texts)
def test_a_partial_text_is_decided_only_when_every_continuation_agrees(
    pattern: str, prefix: str, rest: str
) -> None:
    verdict = match(pattern, Text(prefix, partial=True))
    if verdict is Truth.TRUE:
        assert oracle(pattern, prefix + rest)
    elif verdict is Truth.FALSE:
        assert not oracle(pattern, prefix + rest)
    else:  # UNKNOWN: some continuation matches and another does not
        tails = [pattern[i:].replace("*", "").replace("?", "a") for i in range(len(pattern) + 1)]
        assert any(oracle(pattern, prefix + tail) for tail in tails)
        # and one that does not: when every continuation matches, so does every run
        # of 0 to len(pattern) + 1 characters no pattern has (the module says why)
        others = ["\n" * length for length in range(len(pattern) + 2)]
        assert not all(oracle(pattern, prefix + tail) for tail in others)


def test_wildcard_examples() -> None:
    assert match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b.vmdk") is Truth.TRUE
    assert match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket") is Truth.FALSE
    assert match("arn:aws:s3:::bucket?", "arn:aws:s3:::bucket2") is Truth.TRUE
    assert match("[a]", "a") is Truth.FALSE  # not a character class
    assert match("EC2:describe*", "ec2:DescribeImages", ignore_case=True) is Truth.TRUE
    assert match("ec2:Describe*", "ec2:describeimages") is Truth.FALSE
    family = Text("ec2:Describe", partial=True)
    assert match("ec2:Describe*", family) is Truth.TRUE
    assert match("ec2:*", family) is Truth.TRUE
    assert match("ec2:DescribeImages", family) is Truth.UNKNOWN
    assert match("ec2:RegisterImage", family) is Truth.FALSE
    # decided by several states together: each alone takes only some lengths
    assert match("*?", Text(":", partial=True)) is Truth.TRUE
    assert match("*??", Text(":", partial=True)) is Truth.UNKNOWN
    assert equals("vmimport", Text("vm", partial=True)) is Truth.UNKNOWN
    assert equals("VMIMPORT", "vmimport", ignore_case=True) is Truth.TRUE
    assert str(family) == "ec2:Describe*"


def test_truth() -> None:
    assert all_of([Truth.TRUE, Truth.UNKNOWN]) is Truth.UNKNOWN
    assert all_of([Truth.UNKNOWN, Truth.FALSE]) is Truth.FALSE
    assert any_of([Truth.UNKNOWN, Truth.TRUE]) is Truth.TRUE
    assert any_of([]) is Truth.FALSE and all_of([]) is Truth.TRUE
    assert Truth.UNKNOWN.negated() is Truth.UNKNOWN and Truth.TRUE.negated() is Truth.FALSE


# --- documents -----------------------------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_strings_or_lists_and_every_form_of_document() -> None:
    statement = {"Sid": "S", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["a", "b"]}
    for form in (
        doc(statement),
        json.dumps(doc(statement)),
        urllib.parse.quote(json.dumps(doc(statement))),
        {"Statement": statement},
    ):
        (parsed,) = parse(form, "p").statements
        assert parsed.label == "p statement 1 (S)"
        assert (parsed.effect, parsed.actions, parsed.resources) == (
            Effect.ALLOW,
            ("s3:GetObject",),
            ("a", "b"),
        )


def test_principals_and_conditions_are_typed() -> None:
    statement = {
        "Effect": "Deny",
        "NotPrincipal": {"Service": ["vmie.amazonaws.com"], "AWS": "123456789012"},
        "NotAction": "sts:*",
        "Condition": {"Bool": {"aws:SecureTransport": False}, "StringLike": {"k": ["a*", "b"]}},
    }
    (parsed,) = parse(doc(statement), "t").statements
    assert parsed.not_principal and parsed.not_action and parsed.resources is None
    assert parsed.principals == (
        Principal("Service", "vmie.amazonaws.com"),
        Principal("AWS", "123456789012"),
    )
    assert [(c.operator, c.key, c.values) for c in parsed.conditions] == [
        ("Bool", "aws:SecureTransport", ("false",)),
        ("StringLike", "k", ("a*", "b")),
    ]


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        [],
        doc({"Effect": "Maybe", "Action": "*"}),
        doc({"Effect": "Allow"}),
        doc({"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}),
        doc({"Effect": "Allow", "Action": 3}),
        doc({"Effect": "Allow", "Action": "*", "Principal": "someone"}),
        doc({"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}}),
    ],
)
def test_documents_iam_would_not_store_are_refused(document: Any) -> None:
    with pytest.raises(PolicyError):
        parse(document, "p")


# --- evaluation ------------------------------------------------------------------------------

OBJECT = Text("arn:aws:s3:::disks/web.vmdk")


def verdict(
    *statements: dict[str, Any], action: str = "s3:GetObject", resource: Text = OBJECT
) -> Decision:
    return evaluate([parse(doc(*statements), "p")], Request(Text(action), resource)).decision


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_allow_deny_and_implicit_deny() -> None:
    assert verdict(ALLOW_ALL) is Decision.ALLOWED
    assert verdict() is Decision.IMPLICIT_DENY
    deny = {"Effect": "Deny", "Action": "s3:Get*", "Resource": "arn:aws:s3:::disks/*"}
    assert verdict(ALLOW_ALL, deny) is Decision.EXPLICIT_DENY
    assert verdict(deny, ALLOW_ALL) is Decision.EXPLICIT_DENY  # order does not matter
    other = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}
    assert verdict(ALLOW_ALL, other) is Decision.ALLOWED


def test_actions_are_case_insensitive_resources_are_not() -> None:
    assert (
        verdict({"Effect": "Allow", "Action": "S3:getobject", "Resource": "*"}) is Decision.ALLOWED
    )
    upper = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::DISKS/*"}
    assert verdict(upper) is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource() -> None:
    not_s3 = {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}
    assert verdict(not_s3) is Decision.IMPLICIT_DENY
    assert verdict(not_s3, action="ec2:RegisterImage") is Decision.ALLOWED
    elsewhere = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert verdict(elsewhere) is Decision.ALLOWED
    assert verdict(elsewhere, resource=Text("arn:aws:s3:::secret/x")) is Decision.IMPLICIT_DENY


def test_what_cannot_be_decided_is_unknown_never_allowed() -> None:
    conditional = {**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    assert verdict(conditional) is Decision.UNKNOWN
    variable = {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::${aws:username}/*"}
    assert verdict(variable) is Decision.UNKNOWN
    maybe_deny = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert verdict(ALLOW_ALL, maybe_deny) is Decision.UNKNOWN
    some_keys = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::disks/a/*"}
    assert (
        verdict(some_keys, resource=Text("arn:aws:s3:::disks/", partial=True)) is Decision.UNKNOWN
    )
    described = {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"}
    family = Text("ec2:Describe", partial=True)
    result = evaluate([parse(doc(described), "p")], Request(family, Text("*")))
    assert result.decision is Decision.UNKNOWN
    assert "only some of the actions ec2:Describe*" in result.reason


def test_principals_of_resource_policies() -> None:
    role = "arn:aws:iam::123456789012:role/vmimport"
    for principal in ("*", {"AWS": "*"}, {"AWS": role}, {"AWS": [role, "x"]}):
        statement = {"Effect": "Deny", "Principal": principal, "Action": "*", "Resource": "*"}
        document = parse(doc(statement), "bucket policy")
        request = Request(Text("s3:GetObject"), OBJECT, (Principal("AWS", role),))
        assert evaluate([document], request).decision is Decision.EXPLICIT_DENY, principal
    account = {
        "Effect": "Allow",
        "Principal": {"AWS": "123456789012"},
        "Action": "*",
        "Resource": "*",
    }
    root = Principal("AWS", arn.account_root("aws", "123456789012"))
    assert (
        evaluate(
            [parse(doc(account), "k")], Request(Text("kms:Decrypt"), Text("*"), (root,))
        ).decision
        is Decision.ALLOWED
    )
    as_role = Request(Text("kms:Decrypt"), Text("*"), (Principal("AWS", role),))
    assert evaluate([parse(doc(account), "k")], as_role).decision is Decision.IMPLICIT_DENY


# --- VM Import's trust rule -----------------------------------------------------------------


def trust_with(condition: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    document = vmimport_trust_policy()
    statement = document["Statement"][0]
    if condition is None:
        del statement["Condition"]
    else:
        statement["Condition"] = condition
    statement.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "decision"),
    [
        (vmimport_trust_policy(), Decision.ALLOWED),
        (trust_with(None), Decision.ALLOWED),
        (trust_with({"StringEqualsIgnoreCase": {"STS:EXTERNALID": "VMImport"}}), Decision.ALLOWED),
        (trust_with({"StringEquals": {"sts:ExternalId": "other"}}), Decision.IMPLICIT_DENY),
        (trust_with({"StringLike": {"sts:ExternalId": "vm*"}}), Decision.ALLOWED),
        (trust_with(None, Principal={"Service": "ec2.amazonaws.com"}), Decision.IMPLICIT_DENY),
        (trust_with(None, Action="sts:*"), Decision.ALLOWED),
        (trust_with(None, Action="sts:AssumeRoleWithSAML"), Decision.IMPLICIT_DENY),
        (trust_with(None, Effect="Deny"), Decision.EXPLICIT_DENY),
        (trust_with({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), Decision.UNKNOWN),
        ({"Version": "2012-10-17", "Statement": []}, Decision.IMPLICIT_DENY),
        ("{not json", Decision.UNKNOWN),
    ],
)
def test_trust(document: Any, decision: Decision) -> None:
    assert judge_trust(document, account="123456789012", region="eu-west-1").decision is decision


def test_the_source_keys_vm_import_publishes() -> None:
    document = trust_with(
        {
            "StringEquals": {"sts:ExternalId": "vmimport", "aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": "arn:aws:vmie:*:111122223333:*"},
        }
    )
    assert (
        judge_trust(document, account="111122223333", region="eu-west-1").decision
        is Decision.ALLOWED
    )
    assert (
        judge_trust(document, account="999999999999", region="eu-west-1").decision
        is Decision.IMPLICIT_DENY
    )
    # without the account the check cannot tell: unknown, and the emulator does not refuse
    assert judge_trust(document).decision is Decision.UNKNOWN
    assert trusts_vm_import(document)
    narrow = trust_with(
        {"ArnLike": {"aws:SourceArn": "arn:aws:vmie:eu-west-1:111122223333:task/x"}}
    )
    assert (
        judge_trust(narrow, account="111122223333", region="eu-west-1").decision is Decision.UNKNOWN
    )
    assert (
        judge_trust(narrow, account="111122223333", region="us-east-1").decision
        is Decision.IMPLICIT_DENY
    )


def test_the_refusal_names_the_condition_that_fails() -> None:
    verdict = judge_trust(trust_with({"StringEquals": {"sts:ExternalId": "import-me"}}))
    assert verdict.reason == (
        "trust policy statement 1 requires StringEquals sts:ExternalId 'import-me', "
        "but VM Import sends 'vmimport'"
    )
    assert not trusts_vm_import(trust_with({"StringEquals": {"sts:ExternalId": "import-me"}}))


def test_partitions() -> None:
    assert [arn.partition_of(r) for r in ("eu-west-1", "cn-north-1", "us-gov-west-1", None)] == [
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws",
    ]
    assert arn.is_kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/abc")
    assert not arn.is_kms_key_arn("arn:aws:kms:us-east-1:123456789012:alias/abc")
