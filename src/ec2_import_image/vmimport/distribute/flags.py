"""The AMI's tags and flags: tags, IMDSv2, deprecation, deregistration protection.

- **tags** (CreateTags on the AMI and its snapshots, one call): the import's
  tags, ``Name``, ``vmimport:owner`` and ``vmimport:imported-at``.  Tagging
  again is harmless, so a step interrupted and run again converges.
- **IMDSv2** (``--imds-v2``): ModifyImageAttribute ``ImdsSupport`` ``v2.0``:
  instances launched from the AMI require IMDSv2 (HttpTokens ``required``, hop
  limit 2).  It cannot be undone ("After you set the value to v2.0, you can't
  undo it": the API reference, ModifyImageAttribute); the other roads to an AMI
  set it at RegisterImage.
- **deprecation** (``--deprecate-after DAYS``, ``--deprecate-at DATE``):
  EnableImageDeprecation, ``DeprecateAt`` rounded by the service to the
  minute; a deprecated AMI stays usable by whoever has it, and is hidden from
  others' DescribeImages unless asked for (the user guide, "Deprecate an AMI").
- **deregistration protection** (``--deregistration-protection``):
  EnableImageDeregistrationProtection without the 24-hour cooldown, so that
  whoever turns it off can deregister at once (the user guide, "Protect an
  Amazon EC2 AMI from deregistration").  ``vmimport gc`` reports a protected
  AMI and never turns protection off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ec2_import_image.vmimport.distribute.plan import IMDS_V2, ImageView
from ec2_import_image.vmimport.state.distribution import Applied, Step

if TYPE_CHECKING:
    from ec2_import_image.vmimport.distribute.job import Job


def tags_digest(tags: Sequence[tuple[str, str]]) -> str:
    """What the state database records of tags applied (their SHA-256, 16 hex digits; the
    row's target is the owner they name)."""
    text = "\n".join(f"{key}={value}" for key, value in sorted(tags))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tag(job: Job, region: str, image: ImageView) -> None:
    ec2 = job.clients.ec2(region)
    tags = job.wanted.tags
    resources = [image.image_id, *image.snapshot_ids]
    job.apply(
        Applied(region, image.image_id, Step.TAG, job.owner, tags_digest(tags)),
        f"tag {image.image_id}",
        lambda: ec2.create_tags(
            Resources=resources, Tags=[{"Key": key, "Value": value} for key, value in tags]
        ),
        f"{region}: tagged {image.image_id} and {len(image.snapshot_ids)} snapshot(s) "
        f"(vmimport:owner {job.owner})",
    )


def imds(job: Job, region: str, image: ImageView) -> None:
    ec2 = job.clients.ec2(region)
    job.apply(
        Applied(region, image.image_id, Step.IMDS, "", IMDS_V2),
        f"require IMDSv2 on {image.image_id}",
        lambda: ec2.modify_image_attribute(ImageId=image.image_id, ImdsSupport={"Value": IMDS_V2}),
        f"{region}: {image.image_id} requires IMDSv2 (ImdsSupport v2.0, for good)",
    )


def deprecate(job: Job, region: str, image: ImageView, when: str) -> None:
    ec2 = job.clients.ec2(region)
    job.apply(
        Applied(region, image.image_id, Step.DEPRECATE, "", when),
        f"deprecate {image.image_id} at {when}",
        lambda: ec2.enable_image_deprecation(ImageId=image.image_id, DeprecateAt=when),
        f"{region}: {image.image_id} is deprecated at {when}",
    )


def protect(job: Job, region: str, image: ImageView) -> None:
    ec2 = job.clients.ec2(region)
    job.apply(
        Applied(region, image.image_id, Step.PROTECT, "", "enabled"),
        f"protect {image.image_id} from deregistration",
        lambda: ec2.enable_image_deregistration_protection(
            ImageId=image.image_id, WithCooldown=False
        ),
        f"{region}: {image.image_id} is protected from deregistration",
    )
