"""The checks of an ImportImage request against the account: role, objects, snapshots.

They run after the parameter checks and before a task starts; then each disk's
bytes are inspected (the outcome shows later, on the task's clock).
"""

from __future__ import annotations

from ec2_import_emulator import errors, formats
from ec2_import_emulator.aws_state import AwsState
from ec2_import_emulator.validate import DiskSource, ImportRequest


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


def inspect_request(
    state: AwsState, account: str, region: str, request: ImportRequest
) -> tuple[formats.Inspection, ...]:
    """Check the role and every disk's source; inspect each disk's bytes."""
    if not state.role_usable(account, region, request.role_name):
        raise errors.role_unusable(request.role_name)
    if not request.disks:
        raise errors.missing_parameter("DiskContainer")
    _check_buckets_are_local(state, account, region, request)
    return tuple(
        _inspect_disk(state, account, region, disk, boot=index == 0)
        for index, disk in enumerate(request.disks)
    )
