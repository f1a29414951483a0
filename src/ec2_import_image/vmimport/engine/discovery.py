"""Work already done for an identity, found in the account before anything is sent.

The state database is consulted first (by the engine).  Then the account:
the import tasks carrying the identity's tags (DescribeImportImageTasks with
``tag:vmimport:name`` and ``tag:vmimport:sha256`` filters, every page) and
the AMIs carrying them (DescribeImages, owner self, the same filters).  The
service forgets a task 7 days after it started; the AMI keeps its tags (the
engine puts them there when it finishes an import), so work is found after
the 7 days too.  What is found is resumed, never duplicated:

- an AMI with the tags: the import is done (finishing again is harmless);
- a completed task: finish it (tag the AMI, clean up);
- an active task: wait for it.

The snapshot road's ImportSnapshot tasks carry the same tags and
``vmimport:disk`` (``snapshotrequest``): ``discover_snapshot_tasks`` finds, per
disk, a completed task whose snapshot still exists, else an active one.

Tasks that ended ``deleted`` are earlier failures: they are not adopted (the
same ClientToken would get the same failed task back; ``--retry-failed``
starts a new attempt).  Nor is a completed task whose AMI is gone
(deregistered by ``vmimport gc`` or by hand): that import is made again.

An import completed but never finished (its AMI not yet tagged) and then
forgotten by the service is found when the state database still knows the
task's id: VM Import names the AMI it registers after the task
(``import-ami-...``, aws/aws-sdk-java#1270), and an id is never reused
(``find_image_named_after``).  Without the state database as well, that AMI
cannot be told from another: that one gap is in docs/vmimport.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.importtasks.tasks import (
    ACTIVE,
    IMAGE,
    SNAPSHOT,
    SUCCESS,
    Task,
    TaskKind,
    describe_all,
    fields,
    status,
)
from ec2_import_image.vmimport.engine.identity import TAG_DISK, TAG_VIA, Identity

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef

#: AMI states that mean the image exists (or soon will)
LIVE_IMAGE_STATES = ("available", "pending")


class Discovered(NamedTuple):
    """What the account holds for an identity: a task to adopt, or an AMI."""

    task: Task | None = None
    image: Mapping[str, Any] | None = None
    #: the forgotten task the image was found by (its name), rather than by its tags
    named_after: str | None = None

    def describe(self) -> str:
        if self.image is not None and self.named_after is not None:
            return (
                f"the AMI {self.image.get('ImageId')} is named after the import task "
                f"{self.named_after}, which the service no longer knows: imported"
            )
        if self.image is not None:
            return f"the AMI {self.image.get('ImageId')} carries these tags: already imported"
        assert self.task is not None
        found = self.task.get("ImportTaskId")
        return f"the import task {found} ({status(self.task)}) carries these tags"


def find_tasks(ec2: EC2Client, identity: Identity, kind: TaskKind = IMAGE) -> list[Task]:
    """The tasks of a kind that carry the identity's tags, every page."""
    return describe_all(kind.describe(ec2), {"Filters": identity.filters()}, kind.key)


def _disk_position(task: Task) -> int | None:
    """The disk (from 0) a snapshot task's ``vmimport:disk`` tag names; None without one."""
    for tag in task.get("Tags") or []:
        if tag.get("Key") == TAG_DISK and str(tag.get("Value", "")).isdigit():
            return int(tag["Value"]) - 1
    return None


def discover_snapshot_tasks(ec2: EC2Client, identity: Identity, disks: int) -> dict[int, Task]:
    """The ImportSnapshot task to adopt for each disk (by position from 0) that has one: a
    completed task whose snapshot still exists before an active one; ``deleted`` tasks, and
    completed ones whose snapshot is gone, are not adopted."""
    found: dict[int, Task] = {}
    tasks = find_tasks(ec2, identity, SNAPSHOT)
    for wanted in (SUCCESS, ACTIVE):
        for task in tasks:
            position = _disk_position(task)
            if position is None or not 0 <= position < disks or position in found:
                continue
            if status(task) != wanted:
                continue
            if wanted == SUCCESS and not _snapshot_exists(ec2, fields(task).get("SnapshotId")):
                continue
            found[position] = task
    return found


def _snapshot_exists(ec2: EC2Client, snapshot_id: Any) -> bool:
    """Whether a completed snapshot task's snapshot is still in the account."""
    if not snapshot_id:
        return False
    reply = ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "snapshot-id", "Values": [str(snapshot_id)]}]
    )
    return any(found.get("SnapshotId") == snapshot_id for found in reply.get("Snapshots", []))


def _live_images(ec2: EC2Client, filters: Sequence[FilterTypeDef]) -> list[Mapping[str, Any]]:
    """This account's AMIs matching the filters that exist or are being made."""
    images: list[Mapping[str, Any]] = []
    for page in ec2.get_paginator("describe_images").paginate(Owners=["self"], Filters=filters):
        images.extend(page.get("Images", []))
    return [image for image in images if image.get("State") in LIVE_IMAGE_STATES]


def _preferred(images: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """An available image before one still pending."""
    available = [image for image in images if image.get("State") == "available"]
    return (available or images)[0]


def find_images(ec2: EC2Client, identity: Identity) -> list[Mapping[str, Any]]:
    return _live_images(ec2, identity.filters())


def find_registered(ec2: EC2Client, identity: Identity, via: str) -> Discovered | None:
    """The AMI a registering road (snapshot, direct) made for ``identity``: its identity's
    tags and ``vmimport:via`` (put on at RegisterImage), None when there is none."""
    filters: list[FilterTypeDef] = [
        *identity.filters(),
        {"Name": f"tag:{TAG_VIA}", "Values": [via]},
    ]
    images = _live_images(ec2, filters)
    return Discovered(image=_preferred(images)) if images else None


def find_image_named_after(ec2: EC2Client, import_task_id: str) -> Discovered | None:
    """The AMI the import task registered, found by its name (the task's id)."""
    images = [
        image
        for image in _live_images(ec2, [{"Name": "name", "Values": [import_task_id]}])
        if image.get("Name") == import_task_id
    ]
    if not images:
        return None
    return Discovered(image=_preferred(images), named_after=import_task_id)


def discover(ec2: EC2Client, identity: Identity) -> Discovered | None:
    """The work found for ``identity`` (see the module's docstring), None when there is none."""
    images = find_images(ec2, identity)
    if images:
        return Discovered(image=_preferred(images))
    tasks = find_tasks(ec2, identity)
    for wanted in (SUCCESS, ACTIVE):
        for task in tasks:
            if status(task) == wanted and (wanted != SUCCESS or _live(ec2, task.get("ImageId"))):
                return Discovered(task=task)
    return None


def _live(ec2: EC2Client, image_id: Any) -> bool:
    """Whether a completed task's AMI still exists (one deregistered since, by ``vmimport gc``
    or by hand, is not adopted: the import is made again)."""
    if not image_id:
        return False
    found = _live_images(ec2, [{"Name": "image-id", "Values": [str(image_id)]}])
    return any(image.get("ImageId") == image_id for image in found)
