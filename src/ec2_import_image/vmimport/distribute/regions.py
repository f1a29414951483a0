"""``--copy-to-region``: the AMI copied to each Region asked for, in parallel, under the quota.

CopyImage is sent in each destination Region with the import's own Region as
its source (the API reference, CopyImage); the copy's name is ``--ami-name``
or the source's.  Each copy's ClientToken is made from the import's identity,
its attempt, the Region and the request (``copying``); its tags are the
import's (TagSpecifications); ``--copy-kms-key REGION=KEY`` encrypts it under a
key of that Region.  The copies run at once, each Region's within the copy
slots of the process (``pacing.CopySlots``: the service's 100 copies in
progress per destination Region, ``--max-image-copies``), and are waited for
until ``available``.

A copy found in progress (a crash after the CopyImage) is waited for, not made
again; a Region whose copy failed gets a new copy under a new token.  What a
copy does not carry (launch permissions, deprecation, protection: the user
guide, "Copy an AMI") the plan's next steps apply, Region by Region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ec2_import_image.vmimport.distribute.copying import CopyOrder, CopyRequest, make_copies
from ec2_import_image.vmimport.distribute.plan import ImageView
from ec2_import_image.vmimport.state.distribution import ImageRole, ImageState

if TYPE_CHECKING:
    from ec2_import_image.vmimport.distribute.job import Job


def request(job: Job, source: ImageView, region: str) -> CopyRequest:
    return CopyRequest(
        region=region,
        source_region=job.home,
        source_image_id=source.image_id,
        name=job.wanted.name or source.name,
        tags=job.wanted.tags,
        description=source.description,
        kms_key=job.wanted.kms_key(region),
    )


def copy(
    job: Job,
    source: ImageView,
    missing: Sequence[str],
    in_progress: Mapping[str, ImageView],
) -> dict[str, ImageView]:
    """The copies of ``source`` in the Regions ``missing`` (made), and those ``in_progress``
    (waited for); answers those available."""
    failed = {
        row.region: row.copy_token
        for row in job.recorded()
        if row.role is ImageRole.COPY and row.state is ImageState.FAILED
    }
    orders = {
        region: CopyOrder(request(job, source, region), ImageRole.COPY, after=failed.get(region))
        for region in missing
    }
    for region, image in in_progress.items():
        orders[region] = CopyOrder(
            request(job, source, region), ImageRole.COPY, existing=image.image_id
        )
    if not orders:
        return {}
    return make_copies(job, orders)
