"""``--ami-name``: the import's AMI given a name of the user's choosing.

ImportImage names its AMI after its task (``import-ami-...``), and an AMI's
name cannot be changed.  On the image road the name is given as Packer's
amazon-import gives it: a CopyImage in the same Region with the name
(ClientToken from the import's identity: ``copying``), the import's tags on the
copy and its snapshots from birth (the identity tags move to the copy), and,
once the copy is available, the original deregistered and its snapshots
deleted (``retire``, as the plan's last step in the Region).

The state database records both: the original (``ImageRole.ORIGINAL``), and the
named copy (``NAMED``), which becomes the attempt's AMI (what the result,
``--status`` and a rerun return).  A rerun finds the named copy first (the
AMIs of the import named so, by its tags); a crash between the copy and the
deregistration leaves two AMIs with the import's identity, and the rerun
finishes the work: the named one is kept, the other deregistered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.vmimport.distribute.copying import CopyOrder, CopyRequest, make_copies
from ec2_import_image.vmimport.distribute.plan import ImageView
from ec2_import_image.vmimport.state.distribution import ImageRole, ImageState

if TYPE_CHECKING:
    from ec2_import_image.vmimport.distribute.job import Job


def request(job: Job, source: ImageView, name: str) -> CopyRequest:
    """The CopyImage that names the AMI (in its own Region)."""
    return CopyRequest(
        region=job.home,
        source_region=job.home,
        source_image_id=source.image_id,
        name=name,
        tags=job.wanted.tags,
        description=source.description,
        kms_key=job.wanted.kms_key(job.home),
    )


def _failed_token(job: Job) -> str | None:
    for row in job.recorded():
        if row.region == job.home and row.role is ImageRole.NAMED:
            return row.copy_token if row.state is ImageState.FAILED else None
    return None


def name(job: Job, source: ImageView, in_progress: ImageView | None = None) -> ImageView | None:
    """The named copy of ``source``, made (or, in progress, waited for) until available; it
    becomes the attempt's AMI.  None when it could not be made (the job's refusal says why)."""
    wanted = job.wanted.name
    assert wanted is not None
    order = CopyOrder(
        request(job, source, wanted),
        ImageRole.NAMED,
        existing=in_progress.image_id if in_progress is not None else None,
        after=_failed_token(job),
    )
    named = make_copies(job, {job.home: order}).get(job.home)
    if named is not None:
        job.db.record_result(job.claim, named.image_id, named.snapshot_ids)
        job.say(f"{job.home}: {named.image_id} ({wanted!r}) is the import's AMI from now on")
    return named
