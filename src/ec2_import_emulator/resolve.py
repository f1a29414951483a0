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
from ec2_import_image.iampolicy.servicerole import kms_key_resource, needs
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


def _bucket_regions(state: AwsState, account: str, request: ImportRequest) -> dict[str, str]:
    """The Region of each disk's bucket that exists (a missing bucket is reported when its disk
    is read)."""
    found: dict[str, str] = {}
    for bucket in dict.fromkeys(disk.bucket for disk in request.disks if disk.bucket is not None):
        where = state.bucket_region(account, bucket)
        if where is not None:
            found[bucket] = where
    return found


def _check_buckets_are_local(region: str, bucket_regions: dict[str, str]) -> None:
    """The service reads disks only from buckets in the import's Region."""
    if any(where != region for where in bucket_regions.values()):
        raise errors.bucket_not_local(region)


def _check_role_permissions(
    state: AwsState,
    account: str,
    region: str,
    request: ImportRequest,
    bucket_regions: dict[str, str],
) -> None:
    """The role's policies must not refuse what the import needs (on the buckets that exist)."""
    policies = state.role_policies(account, region, request.role_name)
    if policies is None:
        raise errors.role_unusable(request.role_name)
    partition = arn.partition_of(region)
    objects = [
        (disk.bucket, disk.key)
        for disk in request.disks
        if disk.bucket in bucket_regions and disk.key is not None
    ]
    buckets = list(dict.fromkeys(bucket for bucket, _ in objects))
    keys: list[Text] = []
    if request.kms_key_id:
        key_arn = request.kms_key_id if arn.is_kms_key_arn(request.kms_key_id) else None
        keys.append(kms_key_resource(key_arn, partition=partition, region=region))
    wanted = needs(
        partition=partition, region=region, buckets=buckets, objects=objects, kms_keys=keys
    )
    with_policy = [bucket for bucket in buckets if state.bucket_has_policy(account, bucket)]
    if refused_need(policies.documents, wanted, buckets_with_policy=with_policy) is not None:
        raise errors.role_unusable(request.role_name)


def inspect_request(
    state: AwsState, account: str, region: str, request: ImportRequest, *, boot_disk: bool = True
) -> tuple[formats.Inspection, ...]:
    """Check the role and every disk's source; inspect each disk's bytes (the first as the
    boot disk, unless ``boot_disk`` is false: ImportSnapshot's disk boots nothing)."""
    if not state.role_usable(account, region, request.role_name):
        raise errors.role_unusable(request.role_name)
    if not request.disks:
        raise errors.missing_parameter("DiskContainer")
    bucket_regions = _bucket_regions(state, account, request)
    _check_buckets_are_local(region, bucket_regions)
    _check_role_permissions(state, account, region, request, bucket_regions)
    return tuple(
        _inspect_disk(state, account, region, disk, boot=boot_disk and index == 0)
        for index, disk in enumerate(request.disks)
    )
