"""Finishing an import: the AMI and its snapshots tagged, the uploads cleaned up.

The AMI and each of its snapshots get the import's tags (the user's,
``vmimport:name``, ``vmimport:sha256``) and ``Name`` = the entry's name, in
one CreateTags call: tagging twice is harmless, so a finish interrupted and
run again converges.  The tags on the AMI are what finds the work again after
the service has forgotten the task (``discovery``).

Then each disk object this tool uploaded (``ObjectState.UPLOADED``) is
deleted, unless ``--keep-upload``/``keep_upload``, and recorded ``DELETED``.
An object found at its key, or given as ``s3://``, was not uploaded by this
tool: it is never deleted.  Nor is an object another unfinished entry of the
same state database reads (``import`` names objects by content, so two
entries can share one; ``batch`` names them by entry, and need not look).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.awserrors import error_code
from ec2_import_image.importtasks.tasks import Task
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import ObjectState, StoredObject
from ec2_import_image.vmimport.state.store import Claim

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ec2.type_defs import ImageTypeDef
    from mypy_boto3_s3.client import S3Client


class ImageFacts(NamedTuple):
    """What DescribeImages says of an AMI."""

    image_id: str
    state: str
    snapshot_ids: tuple[str, ...]
    boot_mode: str | None
    platform: str
    architecture: str | None


def task_snapshot_ids(task: Task) -> tuple[str, ...]:
    details = task.get("SnapshotDetails") or []
    return tuple(str(d["SnapshotId"]) for d in details if d.get("SnapshotId"))


def image_facts(image: Mapping[str, Any]) -> ImageFacts:
    snapshots = tuple(
        str(mapping["Ebs"]["SnapshotId"])
        for mapping in image.get("BlockDeviceMappings", [])
        if mapping.get("Ebs", {}).get("SnapshotId")
    )
    return ImageFacts(
        image_id=str(image["ImageId"]),
        state=str(image.get("State", "")),
        snapshot_ids=snapshots,
        boot_mode=image.get("BootMode"),
        platform="Windows" if str(image.get("Platform", "")).lower() == "windows" else "Linux",
        architecture=image.get("Architecture"),
    )


def find_image(ec2: EC2Client, image_id: str) -> ImageTypeDef | None:
    """DescribeImages' record of one AMI of this account; None when the service does not know
    it (any more: ``InvalidAMIID.*``, or an empty answer)."""
    from botocore.exceptions import ClientError

    try:
        images = ec2.describe_images(ImageIds=[image_id]).get("Images", [])
    except ClientError as error:
        if (error_code(error) or "").startswith("InvalidAMIID"):
            return None
        raise
    return images[0] if images else None


def describe_image(ec2: EC2Client, image_id: str) -> ImageFacts | None:
    """The AMI's facts; None when it does not exist (any more)."""
    found = find_image(ec2, image_id)
    return None if found is None else image_facts(found)


def tag_resources(
    ec2: EC2Client, resources: Sequence[str], tags: Sequence[tuple[str, str]]
) -> None:
    ec2.create_tags(
        Resources=list(resources), Tags=[{"Key": key, "Value": value} for key, value in tags]
    )


def _shared_elsewhere(db: StateDB, name: str, stored: StoredObject) -> str | None:
    """The unfinished entry of the database, other than ``name``, that reads this object."""
    for entry in db.entries():
        if entry.name == name or entry.phase.final:
            continue
        for disk in db.disks(entry.name, members=True):
            other = disk.object
            if other is not None and (other.bucket, other.key) == (stored.bucket, stored.key):
                return entry.name
    return None


def delete_uploads(
    s3: S3Client, db: StateDB, claim: Claim, note: Callable[[str], None], *, shared: bool = True
) -> list[str]:
    """Delete the objects this tool uploaded for the entry; answers their URLs.

    ``shared``: other entries may name the same objects (content keys)."""
    deleted: list[str] = []
    for disk in db.disks(claim.name, members=True):
        stored = disk.object
        if stored is None or stored.state is not ObjectState.UPLOADED:
            continue
        url = f"s3://{stored.bucket}/{stored.key}"
        other = _shared_elsewhere(db, claim.name, stored) if shared else None
        if other is not None:
            note(f"kept {url}: the entry {other} imports it too")
            continue
        s3.delete_object(Bucket=stored.bucket, Key=stored.key)
        db.record_object(claim, disk.position, stored._replace(state=ObjectState.DELETED))
        note(f"deleted {url}")
        deleted.append(url)
    return deleted
