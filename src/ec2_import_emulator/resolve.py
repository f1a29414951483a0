"""The checks of an ImportImage request against the account: role, objects, snapshots.

The role must exist, trust VM Import, and not be refused by its own policies
what the import needs (``permissions``).

They run after the parameter checks and before a task starts; then each disk's
bytes are inspected (the outcome shows later, on the task's clock).
"""

from __future__ import annotations

from ec2_import_emulator import errors, formats
from ec2_import_emulator.aws_state import AwsState
from ec2_import_emulator.permissions import refused_need
from ec2_import_emulator.validate import DiskSource, ImportRequest
from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.servicerole import needs
from ec2_import_image.iampolicy.wildcard import Text


def _inspect_snapshot(size: int) -> formats.Inspection:
    return formats.Inspection((formats.DiskImage("RAW", size, size),))


def _inspect_disk(
    state: AwsState, account: str, region: str, disk: DiskSource, *, boot: bool
) -> formats.Inspection:
    if disk.snapshot_id is not None:
        size = state.snapshot_size(account, region, disk.snapshot_id)
        if size is None:
            raise errors.no_such_snapshot(disk.snapshot_id)
        return _inspect_snapshot(size)
    assert disk.bucket is not None and disk.key is not None and disk.format is not None
    blob = state.open_object(account, disk.bucket, disk.key)
    return formats.inspect(disk.format, blob, boot=boot, name=f"s3://{disk.bucket}/{disk.key}")


def _check_buckets_are_local(
    state: AwsState, account: str, region: str, request: ImportRequest
) -> None:
    """The service reads disks only from buckets in the import's Region (a missing bucket is
    reported when its disk is read)."""
    for disk in request.disks:
        if disk.bucket is None:
            continue
        where = state.bucket_region(account, disk.bucket)
        if where is not None and where != region:
            raise errors.bucket_not_local(region)


def _check_role_permissions(
    state: AwsState, account: str, region: str, request: ImportRequest
) -> None:
    """The role's policies must not refuse what the import needs (on the buckets that exist:
    a missing one is reported when its disk is read)."""
    policies = state.role_policies(account, region, request.role_name)
    if policies is None:
        raise errors.role_unusable(request.role_name)
    partition = arn.partition_of(region)
    objects = [
        (disk.bucket, disk.key)
        for disk in request.disks
        if disk.bucket is not None
        and disk.key is not None
        and state.bucket_region(account, disk.bucket) is not None
    ]
    buckets = list(dict.fromkeys(bucket for bucket, _ in objects))
    keys: list[Text] = []
    if request.kms_key_id:
        keys.append(
            Text(request.kms_key_id)
            if arn.is_kms_key_arn(request.kms_key_id)
            else Text(f"arn:{partition}:kms:{region}:", partial=True)
        )
    wanted = needs(
        partition=partition, region=region, buckets=buckets, objects=objects, kms_keys=keys
    )
    with_policy = [bucket for bucket in buckets if state.bucket_has_policy(account, bucket)]
    if refused_need(policies.documents, wanted, buckets_with_policy=with_policy) is not None:
        raise errors.role_unusable(request.role_name)


def inspect_request(
    state: AwsState, account: str, region: str, request: ImportRequest
) -> tuple[formats.Inspection, ...]:
    """Check the role and every disk's source; inspect each disk's bytes."""
    if not state.role_usable(account, region, request.role_name):
        raise errors.role_unusable(request.role_name)
    if not request.disks:
        raise errors.missing_parameter("DiskContainer")
    _check_buckets_are_local(state, account, region, request)
    _check_role_permissions(state, account, region, request)
    return tuple(
        _inspect_disk(state, account, region, disk, boot=index == 0)
        for index, disk in enumerate(request.disks)
    )
