"""The snapshot road's ImportSnapshot requests: one per disk, each with its own ClientToken.

Each request names one disk's S3 object (``DiskContainer``: Format and
UserBucket), the service role (``RoleName``, left out for the default
``vmimport``), the encryption (``Encrypted``, ``KmsKeyId``), the import's
description, and the tags of the task (``TagSpecifications`` of
``import-snapshot-task``): the import's (the user's and ``vmimport:name``,
``vmimport:sha256``) and ``vmimport:disk``, the disk's position from 1, so
that a rerun without its state database finds each disk's task by its tags
(``discovery.discover_snapshot_tasks``).

ImportSnapshot's Format is VHD, VMDK or RAW, nothing else: an OVA's disk is
imported as the VMDK it holds, made an object of its own first
(``upload.members``).  Which formats a road takes is the roads' table's rule;
here the container's format is only named as ImportSnapshot names it.

The ClientToken is built as ImportImage's (``identity.client_token``: the
entry's name, its disks' SHA-256s, the normalized request and the attempt), so
the same disk and options send the same token on every rerun, and each disk's
request, which names its own object and tag, has a token of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.roads import TABLE, Road
from ec2_import_image.vmimport.engine.identity import TAG_DISK
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.spec import DEFAULT_ROLE, ImportOptions

#: the resource type of ImportSnapshot's TagSpecifications
SNAPSHOT_TASK_RESOURCE = "import-snapshot-task"


def snapshot_format(container: ContainerFormat) -> str | None:
    """ImportSnapshot's Format for a disk of this container: the road's formats (the roads'
    table) by their API names, an OVA as the VMDK it holds; None for the others."""
    if container is ContainerFormat.OVA:
        return "VMDK"
    if container in TABLE[Road.SNAPSHOT].formats:
        return container.value.upper()
    return None


def disk_tags(tags: Sequence[tuple[str, str]], position: int) -> tuple[tuple[str, str], ...]:
    """One disk's task tags: the import's and ``vmimport:disk`` (``position`` from 0)."""
    merged = dict(tags)
    merged[TAG_DISK] = str(position + 1)
    return tuple(sorted(merged.items()))


def snapshot_request(
    options: ImportOptions,
    disk: DiskObject,
    fmt: str,
    tags: Sequence[tuple[str, str]],
    position: int,
) -> dict[str, Any]:
    """The ImportSnapshot parameters of the disk at ``position`` (without ClientToken)."""
    request: dict[str, Any] = {
        "DiskContainer": {
            "Format": fmt,
            "UserBucket": {"S3Bucket": disk.bucket, "S3Key": disk.key},
        },
    }
    if options.description is not None:
        request["Description"] = options.description
    if options.role_name != DEFAULT_ROLE:
        request["RoleName"] = options.role_name
    if options.encrypted:
        request["Encrypted"] = True
    if options.kms_key_id is not None:
        request["KmsKeyId"] = options.kms_key_id
    request["TagSpecifications"] = [
        {
            "ResourceType": SNAPSHOT_TASK_RESOURCE,
            "Tags": [{"Key": key, "Value": value} for key, value in disk_tags(tags, position)],
        }
    ]
    return request
