"""An import snapshot task as the API shows it (ImportSnapshotTask / ImportSnapshotResult).

What the service shows, from its examples and users' transcripts: the task's
Description is also SnapshotTaskDetail's, the DiskContainer's own Description
is shown nowhere (boto3#2286); the Format as declared, in capitals (boto3#2286:
``vmdk`` shows as ``VMDK``); DiskImageSize ``0.0`` while ``pending`` and on a
task that failed validation (osbuild-composer#706), the image's bytes from
``downloading/converting`` on (the user guide's example); the SnapshotId once
``completed``, with neither Progress nor StatusMessage; an empty tag set as
``Tags: []`` (osbuild-composer#706, aws-cli#9118).
"""

from __future__ import annotations

from typing import Any

from ec2_import_emulator import lifecycle
from ec2_import_emulator.snapshottasks import SnapshotTask
from ec2_import_emulator.tasks import COMPLETED, DELETED, State


def _detail(task: SnapshotTask, state: State) -> dict[str, Any]:
    request = task.request
    disk = request.disk
    converting = state.status == COMPLETED or (
        state.status != DELETED
        and task.failure is None
        and state.stage_age >= lifecycle.SNAPSHOT_PHASES[1].start
    )
    detail: dict[str, Any] = {"DiskImageSize": float(task.image_size) if converting else 0.0}
    if request.description is not None:
        detail["Description"] = request.description
    if request.encrypted is not None:
        detail["Encrypted"] = request.encrypted
    if request.kms_key_id is not None:
        detail["KmsKeyId"] = request.kms_key_id
    if disk is not None:
        detail["Format"] = disk.format
        if disk.url is not None:
            detail["Url"] = disk.url
        else:
            detail["UserBucket"] = {"S3Bucket": disk.bucket, "S3Key": disk.key}
    if state.status == COMPLETED and task.snapshot_id is not None:
        detail["SnapshotId"] = task.snapshot_id
    detail["Status"] = state.status
    if state.message is not None:
        detail["StatusMessage"] = state.message
    if state.progress is not None:
        detail["Progress"] = str(state.progress)
    return detail


def snapshot_task_view(task: SnapshotTask, state: State) -> dict[str, Any]:
    """The ImportSnapshotTask members of a task in ``state``."""
    view: dict[str, Any] = {"ImportTaskId": task.task_id}
    if task.request.description is not None:
        view["Description"] = task.request.description
    view["SnapshotTaskDetail"] = _detail(task, state)
    view["Tags"] = [{"Key": key, "Value": value} for key, value in task.tags]
    return view
