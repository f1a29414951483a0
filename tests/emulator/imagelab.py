"""Helpers for the image tests: clients of other accounts, snapshots with content, the view."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.emulator.conftest import REGION, Lab

ACCOUNT = "123456789012"
OTHER = "210987654321"
DEFAULT_BOOT = "/dev/xvda"


def ec2_as(lab: Lab, account: str | None = None, region: str = REGION) -> Any:
    """An EC2 client of the lab, sending as ``account`` (moto's ``x-moto-account-id``)."""
    client = lab.client("ec2", region)
    if account is not None:

        def as_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.ec2.*", as_account)
    return client


def client_as(lab: Lab, service: str, account: str, region: str = REGION) -> Any:
    client = lab.client(service, region)

    def as_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register(f"before-sign.{service}.*", as_account)
    return client


def blank_snapshot(
    ec2: Any, size: int = 8, *, encrypted: bool = False, key: str | None = None
) -> str:
    """A snapshot of a new (empty) volume: zeros."""
    params: dict[str, Any] = {"Size": size, "AvailabilityZone": f"{REGION}a"}
    if encrypted:
        params["Encrypted"] = True
    if key is not None:
        params["KmsKeyId"] = key
    volume = ec2.create_volume(**params)
    return str(ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"])


def imported(
    lab: Lab, data: bytes, fmt: str, key: str = "disk.img", **params: Any
) -> dict[str, Any]:
    """Import one disk to the end; answers the completed task (its SnapshotDetails name the
    snapshots, which hold the disk's virtual blocks)."""
    task_id = lab.start(fmt, data, key, **params)
    lab.elapse(1800)
    task = lab.task(task_id)
    assert task["Status"] == "completed", task
    return task


def imported_snapshot(lab: Lab, data: bytes, fmt: str, key: str = "disk.img") -> str:
    return str(imported(lab, data, fmt, key)["SnapshotDetails"][0]["SnapshotId"])


def register(ec2: Any, snapshot_id: str, name: str = "web-1", **params: Any) -> str:
    request: dict[str, Any] = {
        "Name": name,
        "Architecture": "x86_64",
        "VirtualizationType": "hvm",
        "RootDeviceName": DEFAULT_BOOT,
        "BlockDeviceMappings": [{"DeviceName": DEFAULT_BOOT, "Ebs": {"SnapshotId": snapshot_id}}],
    }
    request.update(params)
    return str(ec2.register_image(**request)["ImageId"])


def view(lab: Lab, image_id: str, region: str | None = None) -> tuple[int, dict[str, Any]]:
    """The emulator's own view of an image: (HTTP status, JSON)."""
    url = f"{lab.endpoint}/emulator/images/{image_id}"
    if region is not None:
        url += f"?region={region}"
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return int(reply.status), json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def image(ec2: Any, image_id: str, **params: Any) -> dict[str, Any]:
    images = ec2.describe_images(ImageIds=[image_id], **params)["Images"]
    assert len(images) == 1
    return dict(images[0])


def error_of(call: Any, *args: Any, **params: Any) -> tuple[str, str]:
    """(code, message) of the ClientError the call raises."""
    from botocore.exceptions import ClientError

    try:
        call(*args, **params)
    except ClientError as error:
        return str(error.response["Error"]["Code"]), str(error.response["Error"]["Message"])
    raise AssertionError("the call succeeded")
