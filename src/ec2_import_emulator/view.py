"""A task as the API shows it (ImportImageTask / ImportImageResult members).

What is filled in follows the phase the task is in, as the real service's
replies do: the declared Format and DiskImageSize 0.0 until ``converting``,
then the detected format and sizes (one detail per disk of an OVA); the
DeviceName, Platform and Architecture from ``booting``; snapshot ids from
``preparing ami``; the ImageId once ``completed``.
"""

from __future__ import annotations

from typing import Any

from ec2_import_emulator import lifecycle
from ec2_import_emulator.aws_state import device_name
from ec2_import_emulator.tasks import COMPLETED, State, Task
from ec2_import_emulator.validate import DiskSource


def _source(disk: DiskSource) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if disk.description is not None:
        detail["Description"] = disk.description
    if disk.url is not None:
        detail["Url"] = disk.url
    elif disk.bucket is not None:
        detail["UserBucket"] = {"S3Bucket": disk.bucket, "S3Key": disk.key}
    return detail


def _declared_details(task: Task) -> list[dict[str, Any]]:
    details = []
    for disk in task.request.disks:
        detail = {"DiskImageSize": 0.0, **_source(disk)}
        if disk.declared_format is not None:
            detail["Format"] = disk.declared_format
        if disk.snapshot_id is not None:
            detail["SnapshotId"] = disk.snapshot_id
        details.append(detail)
    return details


def _converted_details(task: Task, age: float) -> list[dict[str, Any]]:
    details = []
    position = 0
    updated = lifecycle.reached(age, lifecycle.UPDATING)
    booted = lifecycle.reached(age, lifecycle.BOOTING)
    snapshots = task.image.snapshot_ids if task.image is not None else []
    for source, inspection in zip(task.request.disks, task.inspections, strict=True):
        for disk in inspection.disks:
            detail: dict[str, Any] = {
                "DiskImageSize": float(disk.size),
                "Format": disk.format,
                "Status": "completed" if updated else "active",
                **_source(source),
            }
            if booted:
                detail["DeviceName"] = source.device_name or device_name(position)
            if position < len(snapshots):
                detail["SnapshotId"] = snapshots[position]
            details.append(detail)
            position += 1
    return details


def _requested(task: Task) -> dict[str, Any]:
    request = task.request
    view: dict[str, Any] = {"ImportTaskId": task.task_id}
    optional = {
        "Architecture": request.architecture,
        "Description": request.description,
        "Encrypted": request.encrypted,
        "Hypervisor": request.hypervisor,
        "KmsKeyId": request.kms_key_id,
        "LicenseType": request.license_type,
        "Platform": request.platform,
        "UsageOperation": request.usage_operation,
        "BootMode": request.boot_mode,
    }
    view.update({key: value for key, value in optional.items() if value is not None})
    if request.tags:
        view["Tags"] = [{"Key": key, "Value": value} for key, value in request.tags]
    if request.license_configurations:
        view["LicenseSpecifications"] = [
            {"LicenseConfigurationArn": arn} for arn in request.license_configurations
        ]
    return view


def task_view(task: Task, state: State) -> dict[str, Any]:
    """The ImportImageTask members of a task in ``state``."""
    view = _requested(task)
    age = state.stage_age
    if lifecycle.reached(age, lifecycle.CONVERTING) and task.failure is None:
        view["SnapshotDetails"] = _converted_details(task, age)
    else:
        view["SnapshotDetails"] = _declared_details(task)
    if lifecycle.reached(age, lifecycle.BOOTING):
        view["Architecture"] = task.architecture
        view["Platform"] = task.platform
        view["Hypervisor"] = view.get("Hypervisor", "xen")
        license_type = task.license_type
        if license_type is not None:
            view["LicenseType"] = license_type
    if state.status == COMPLETED:
        view["BootMode"] = task.boot_mode
        view["UsageOperation"] = task.usage_operation
        if task.image is not None:
            view["ImageId"] = task.image.image_id
    view["Status"] = state.status
    if state.message is not None:
        view["StatusMessage"] = state.message
    if state.progress is not None:
        view["Progress"] = str(state.progress)
    return view
