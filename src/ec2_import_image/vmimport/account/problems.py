"""The account checks' problem codes, each with its fixed severity, message and remedy.

The table, with what triggers each code and its evidence, is docs/checks.md
"Account checks".  Every code is an error (the import would fail as things
stand) except ``account-unknown``, a warning: something the checks could not
decide offline (a condition, a permissions boundary, a policy they could not
read), never reported as passed.  Remedies are commands where one exists,
most often the ``vmimport setup-role`` line that grants what is missing, each
written by ``shellcommand.command`` with the options that reach the account
(the import's Region, the run's endpoint and profile).
"""

from __future__ import annotations

from collections.abc import Iterable

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.iampolicy.evaluate import Decision
from ec2_import_image.iampolicy.servicerole import Area
from ec2_import_image.problems import ProblemCode, problem
from ec2_import_image.shellcommand import command
from ec2_import_image.vmimport.account.inputs import DEFAULT_ROLE, AccountInputs
from ec2_import_image.vmimport.account.records import CallerReport, ObjectReport, Permission

#: the account's codes (severities in the shared table: all errors but ``account-unknown``)
Code = ProblemCode


AREA_CODES = {
    Area.S3: Code.ROLE_POLICY_S3,
    Area.EC2: Code.ROLE_POLICY_EC2,
    Area.KMS: Code.ROLE_POLICY_KMS,
}


#: the codes of the service role itself (a road that uses no role meets none of them)
ROLE_CODES = frozenset({Code.ROLE_MISSING, Code.ROLE_TRUST, *AREA_CODES.values()})

ACCOUNT_CODES = (
    Code.ROLE_MISSING,
    Code.ROLE_TRUST,
    Code.ROLE_POLICY_S3,
    Code.ROLE_POLICY_EC2,
    Code.ROLE_POLICY_KMS,
    Code.BUCKET_REGION,
    Code.OBJECT_MISSING,
    Code.CALLER_IS_ROOT,
    Code.ACCOUNT_UNKNOWN,
)


def setup_role_command(inputs: AccountInputs, kms_key_arns: Iterable[str] = ()) -> str:
    """The ``vmimport setup-role`` command line that grants what these inputs need."""
    words = ["vmimport", "setup-role"]
    for bucket in inputs.all_buckets:
        words += ["--bucket", bucket]
    if inputs.role_name != DEFAULT_ROLE:
        words += ["--role-name", inputs.role_name]
    named = [inputs.kms_key_id] if inputs.kms_key_id else []
    keys = list(dict.fromkeys([*named, *kms_key_arns]))
    for key in keys:
        words += ["--kms-key-id", key]
    return command(*words, reach=inputs.reach_here)


def _role(inputs: AccountInputs) -> str:
    return f"role:{inputs.role_name}"


def caller_is_root(caller: CallerReport) -> Diagnostic:
    return problem(
        Code.CALLER_IS_ROOT,
        f"caller:{caller.arn}",
        "The credentials are the account's root user: VM Import refuses imports started by "
        "the root user.",
        "Use an IAM user or role allowed ec2:ImportImage and iam:PassRole on the service role.",
    )


def role_missing(inputs: AccountInputs, fix: str) -> Diagnostic:
    return problem(
        Code.ROLE_MISSING,
        _role(inputs),
        f"The service role {inputs.role_name} does not exist: ImportImage refuses the import.",
        f"Create it: {fix}",
    )


def role_trust(inputs: AccountInputs, reason: str, fix: str) -> Diagnostic:
    return problem(
        Code.ROLE_TRUST,
        _role(inputs),
        f"VM Import cannot assume the role {inputs.role_name}: {reason}.",
        f"Repair the trust policy: {fix}",
    )


def trust_unknown(inputs: AccountInputs, reason: str) -> Diagnostic:
    return problem(
        Code.ACCOUNT_UNKNOWN,
        _role(inputs),
        f"Whether VM Import may assume the role {inputs.role_name} could not be decided: {reason}.",
        "Check the trust policy by hand: VM Import assumes the role as vmie.amazonaws.com "
        "with sts:ExternalId 'vmimport', aws:SourceAccount and aws:SourceArn.",
    )


def _listing(permissions: Iterable[Permission]) -> str:
    """``a, b on R (reason); c on S (reason)``: actions grouped by resource and reason."""
    groups: dict[tuple[str, str], list[str]] = {}
    for p in permissions:
        groups.setdefault((p.resource, p.reason), []).append(p.action)
    return "; ".join(
        f"{', '.join(actions)} on {resource} ({reason})"
        for (resource, reason), actions in groups.items()
    )


def not_allowed(
    inputs: AccountInputs, area: Area, denied: list[Permission], fix: str
) -> Diagnostic:
    if any(p.decision is Decision.EXPLICIT_DENY for p in denied):
        remedy = f"Remove or narrow the Deny that names them, then: {fix}"
    else:
        remedy = f"Grant them: {fix}"
    message = f"The role {inputs.role_name} is not allowed {_listing(denied)}."
    return problem(AREA_CODES[area], _role(inputs), message, remedy)


def undecided(inputs: AccountInputs, area: Area, unknown: list[Permission], fix: str) -> Diagnostic:
    return problem(
        Code.ACCOUNT_UNKNOWN,
        _role(inputs),
        f"Whether the role {inputs.role_name} may use {area.value.upper()} could not be "
        f"decided: {_listing(unknown)}.",
        "Check it with the IAM policy simulator (or run with credentials allowed "
        f"iam:SimulatePrincipalPolicy); {fix} writes a policy without conditions.",
    )


def kms_key_missing(inputs: AccountInputs, key: str, named_by: str) -> Diagnostic:
    return problem(
        Code.ROLE_POLICY_KMS,
        f"kms:{key}",
        f"The KMS key {key} (named by {named_by}) does not exist in {inputs.region}: "
        "VM Import cannot use it.",
        "Name an existing key (listed by: "
        f"{command('aws', 'kms', 'list-aliases', reach=inputs.reach_here)}), or create one.",
    )


def bucket_missing(inputs: AccountInputs, bucket: str) -> Diagnostic:
    return problem(
        Code.OBJECT_MISSING,
        f"s3://{bucket}",
        f"The bucket {bucket} does not exist.",
        f"Create it in {inputs.region} and upload the disk: "
        + command("aws", "s3", "mb", f"s3://{bucket}", reach=inputs.reach_here),
    )


def bucket_region(inputs: AccountInputs, bucket: str, region: str) -> Diagnostic:
    return problem(
        Code.BUCKET_REGION,
        f"s3://{bucket}",
        f"The bucket {bucket} is in {region}, not in {inputs.region} where the image is "
        "imported: ImportImage refuses a bucket in another Region.",
        f"Import in {region} (--region {region}), or copy the disk to a bucket in {inputs.region}.",
    )


def object_missing(inputs: AccountInputs, item: ObjectReport) -> Diagnostic:
    upload = command("aws", "s3", "cp", "DISK", item.uri, reach=inputs.reach_here)
    return problem(
        Code.OBJECT_MISSING,
        item.uri,
        f"The object {item.uri} does not exist.",
        f"Upload the disk (DISK: its file): {upload}",
    )
