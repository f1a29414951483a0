"""Reading the account: the caller, the role and its documents, the buckets, objects and keys.

Only reads; judging is ``judge``'s.  What the checks cannot do without
(the caller, the role and every document of it, each bucket's location,
each object's head) raises ``errors.Incomplete`` when access is denied; what
only refines a verdict (a bucket policy, a key policy, an alias's key) is
recorded as unreadable and makes the verdicts it touches unknown.  Anything
else botocore raises (no credentials, endpoint unreachable) is turned into
``Incomplete`` by ``check``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, overload

from ec2_import_image.awserrors import denied, error_code
from ec2_import_image.iampolicy import arn
from ec2_import_image.vmimport import s3objects
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.records import (
    CallerReport,
    Encryption,
    ObjectReport,
    PolicyKind,
    PolicyRef,
    PolicyState,
)
from ec2_import_image.vmimport.errors import Incomplete

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sts.client import STSClient


class Clients(Protocol):
    """Where botocore clients come from (``context.Run``)."""

    @overload
    def client(self, service: Literal["iam"]) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"]) -> KMSClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...


class RolePolicy(NamedTuple):
    ref: PolicyRef
    document: Any


class RoleFacts(NamedTuple):
    name: str
    arn: str
    trust_document: Any
    policies: tuple[RolePolicy, ...]
    boundary_arn: str | None


class BucketFacts(NamedTuple):
    name: str
    exists: bool
    location_constraint: str | None = None
    region: str | None = None
    policy: PolicyState | None = None
    policy_document: Any = None
    #: why the policy could not be read
    policy_error: str | None = None


class KeyFacts(NamedTuple):
    named: str
    named_by: str
    exists: bool | None
    arn: str | None
    policy: PolicyState | None = None
    policy_document: Any = None
    policy_error: str | None = None


class AccountFacts(NamedTuple):
    caller: CallerReport
    role: RoleFacts | None
    buckets: tuple[BucketFacts, ...]
    objects: tuple[ObjectReport, ...]
    keys: tuple[KeyFacts, ...]


def _client_error() -> type[Exception]:
    from botocore.exceptions import ClientError

    return ClientError


def _denied(what: str, error: Exception) -> Incomplete:
    operation = getattr(error, "operation_name", "a request")
    return Incomplete(f"access denied while reading {what} ({operation}: {error_code(error)})")


def read(
    what: str, call: Callable[..., Any], /, *, missing: frozenset[str] = frozenset(), **params: Any
) -> Any:
    """``call(**params)``; None when the error code is one of ``missing``; Incomplete when
    access is denied."""
    try:
        return call(**params)
    except _client_error() as error:
        if error_code(error) in missing:
            return None
        if denied(error):
            raise _denied(what, error) from None
        raise


def read_caller(clients: Clients) -> CallerReport:
    identity = clients.client("sts").get_caller_identity()
    caller_arn = str(identity["Arn"])
    account = str(identity["Account"])
    # the root user's ARN is arn:<partition>:iam::<account>:root (its UserId is the account)
    is_root = caller_arn.endswith(":root") and ":iam::" in caller_arn
    return CallerReport(account, caller_arn, str(identity.get("UserId", "")), is_root)


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _managed_policy(iam: IAMClient, role_name: str, policy_arn: str) -> RolePolicy:
    what = f"the policies of role {role_name}"
    policy = read(what, iam.get_policy, PolicyArn=policy_arn)["Policy"]
    version_id = str(policy["DefaultVersionId"])
    version = read(what, iam.get_policy_version, PolicyArn=policy_arn, VersionId=version_id)
    ref = PolicyRef(PolicyKind.MANAGED, str(policy["PolicyName"]), policy_arn, version_id)
    return RolePolicy(ref, version["PolicyVersion"]["Document"])


def read_role(clients: Clients, role_name: str) -> RoleFacts | None:
    """The role, its trust policy and every permission policy; None when it does not exist."""
    iam = clients.client("iam")
    what = f"the role {role_name}"
    found = read(what, iam.get_role, missing=frozenset({"NoSuchEntity"}), RoleName=role_name)
    if found is None:
        return None
    role = found["Role"]
    policies: list[RolePolicy] = []
    try:
        for name in _pages(iam, "list_role_policies", "PolicyNames", RoleName=role_name):
            reply = read(what, iam.get_role_policy, RoleName=role_name, PolicyName=name)
            policies.append(RolePolicy(PolicyRef(PolicyKind.INLINE, name), reply["PolicyDocument"]))
        for attached in _pages(
            iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
        ):
            policies.append(_managed_policy(iam, role_name, str(attached["PolicyArn"])))
    except _client_error() as error:
        if denied(error):
            raise _denied(f"the policies of role {role_name}", error) from None
        raise
    boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return RoleFacts(
        name=role_name,
        arn=str(role["Arn"]),
        trust_document=role.get("AssumeRolePolicyDocument"),
        policies=tuple(policies),
        boundary_arn=None if boundary is None else str(boundary),
    )


def region_of(location_constraint: str | None) -> str:
    """GetBucketLocation's legacy answers: none (or empty) is us-east-1, ``EU`` eu-west-1."""
    if not location_constraint:
        return "us-east-1"
    if location_constraint == "EU":
        return "eu-west-1"
    return location_constraint


def _bucket_policy(s3: S3Client, bucket: str) -> tuple[PolicyState, Any, str | None]:
    try:
        reply = s3.get_bucket_policy(Bucket=bucket)
    except _client_error() as error:
        code = error_code(error)
        if code == "NoSuchBucketPolicy":
            return PolicyState.NONE, None, None
        return PolicyState.UNREADABLE, None, f"GetBucketPolicy: {code}"
    return PolicyState.READ, reply.get("Policy"), None


def read_bucket(clients: Clients, bucket: str) -> BucketFacts:
    s3 = clients.client("s3")
    reply = read(
        f"the location of bucket {bucket}",
        s3.get_bucket_location,
        missing=frozenset({"NoSuchBucket"}),
        Bucket=bucket,
    )
    if reply is None:
        return BucketFacts(bucket, exists=False)
    constraint = reply.get("LocationConstraint")
    state, document, error = _bucket_policy(s3, bucket)
    return BucketFacts(
        name=bucket,
        exists=True,
        location_constraint=None if constraint is None else str(constraint),
        region=region_of(constraint),
        policy=state,
        policy_document=document,
        policy_error=error,
    )


_ENCRYPTIONS = {
    None: Encryption.NONE,
    "AES256": Encryption.SSE_S3,
    "aws:kms": Encryption.SSE_KMS,
    "aws:kms:dsse": Encryption.SSE_KMS_DSSE,
}


def read_object(clients: Clients, location: S3Location) -> ObjectReport:
    found: s3objects.S3Object | None = read(
        f"the object {location.uri}",
        s3objects.head,
        client=clients.client("s3"),
        bucket=location.bucket,
        key=location.key,
    )
    if found is None:
        return ObjectReport(location.bucket, location.key, exists=False)
    return ObjectReport(
        bucket=location.bucket,
        key=location.key,
        exists=True,
        size=found.size,
        encryption=_ENCRYPTIONS.get(found.encryption, Encryption.SSE_S3),
        kms_key_id=found.kms_key_id,
    )


def key_arn_of(
    kms: KMSClient, named: str, region: str, account: str
) -> tuple[bool | None, str | None]:
    """Whether the key exists and its ARN (None when it cannot be told)."""
    try:
        metadata = kms.describe_key(KeyId=named)["KeyMetadata"]
    except _client_error() as error:
        if error_code(error) == "NotFoundException":
            return False, None
        if arn.is_kms_key_arn(named):
            return None, named
        if "/" not in named and ":" not in named:  # a bare key id
            return None, arn.kms_key_arn(arn.partition_of(region), region, account, named)
        return None, None
    return True, str(metadata["Arn"])


def read_key(clients: Clients, named: str, named_by: str, region: str, account: str) -> KeyFacts:
    kms = clients.client("kms")
    exists, key_arn = key_arn_of(kms, named, region, account)
    if exists is False:
        return KeyFacts(named, named_by, exists=False, arn=None)
    try:
        policy = kms.get_key_policy(KeyId=key_arn or named, PolicyName="default")["Policy"]
    except _client_error() as error:
        message = f"GetKeyPolicy: {error_code(error)}"
        return KeyFacts(named, named_by, exists, key_arn, PolicyState.UNREADABLE, None, message)
    return KeyFacts(named, named_by, exists, key_arn, PolicyState.READ, policy)


def _keys(
    clients: Clients,
    inputs: AccountInputs,
    objects: tuple[ObjectReport, ...],
    buckets: dict[str, BucketFacts],
    account: str,
) -> tuple[KeyFacts, ...]:
    named: dict[str, KeyFacts] = {}
    if inputs.kms_key_id:
        named[inputs.kms_key_id] = read_key(
            clients, inputs.kms_key_id, "--kms-key-id", inputs.region, account
        )
    for item in objects:
        if item.kms_key_id is None or item.kms_key_id in named:
            continue
        region = buckets[item.bucket].region or inputs.region
        if region != inputs.region:  # the clients are the import Region's (bucket-region says so)
            found = item.kms_key_id if arn.is_kms_key_arn(item.kms_key_id) else None
            why = f"the key is in {region}"
            named[item.kms_key_id] = KeyFacts(
                item.kms_key_id, item.uri, None, found, PolicyState.UNREADABLE, None, why
            )
            continue
        named[item.kms_key_id] = read_key(clients, item.kms_key_id, item.uri, region, account)
    return tuple(named.values())


def read_account(clients: Clients, inputs: AccountInputs) -> AccountFacts:
    """Everything the account checks judge, read in one pass."""
    caller = read_caller(clients)
    role = read_role(clients, inputs.role_name)
    buckets = {name: read_bucket(clients, name) for name in inputs.all_buckets}
    objects = tuple(
        read_object(clients, location)
        if buckets[location.bucket].exists
        else ObjectReport(location.bucket, location.key, exists=False)
        for location in inputs.objects
    )
    keys = _keys(clients, inputs, objects, buckets, caller.account)
    return AccountFacts(caller, role, tuple(buckets.values()), objects, keys)
