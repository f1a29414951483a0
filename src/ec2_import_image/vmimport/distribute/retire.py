"""An AMI removed with its snapshots: the original once named, a copy named otherwise, gc's.

DeregisterImage with ``DeleteAssociatedSnapshots`` deletes each snapshot no
other AMI uses in the same call, and says which it kept (the API reference,
DeregisterImage: "If a snapshot is associated with multiple AMIs, it is not
deleted").  An endpoint that does not know the parameter gets the snapshots
deleted one by one (DeleteSnapshot), a snapshot another AMI uses being kept
(``InvalidSnapshot.InUse``).

Deregistration protection refuses DeregisterImage while it is on (the user
guide, "Protect an Amazon EC2 AMI from deregistration"): an AMI ``vmimport``
protected itself (its state database says so) has it turned off first; any
other is reported, never forced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from ec2_import_image.awserrors import SNAPSHOT_NOT_FOUND, error_code
from ec2_import_image.vmimport.distribute.errors import Refused, refusal
from ec2_import_image.vmimport.distribute.plan import ImageView
from ec2_import_image.vmimport.state.distribution import ImageState, Step

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

    from ec2_import_image.vmimport.distribute.job import Job


class Deregistered(NamedTuple):
    image_id: str
    deleted: tuple[str, ...] = ()
    #: snapshots kept, each with why (another AMI uses it)
    kept: tuple[tuple[str, str], ...] = ()


def _delete_each(ec2: EC2Client, image_id: str, snapshots: Sequence[str]) -> Deregistered:
    from botocore.exceptions import ClientError

    deleted: list[str] = []
    kept: list[tuple[str, str]] = []
    for snapshot_id in snapshots:
        try:
            ec2.delete_snapshot(SnapshotId=snapshot_id)
        except ClientError as error:
            code = error_code(error)
            if code == SNAPSHOT_NOT_FOUND:
                continue
            kept.append((snapshot_id, code or str(error)))
            continue
        deleted.append(snapshot_id)
    return Deregistered(image_id, tuple(deleted), tuple(kept))


def deregister(ec2: EC2Client, image_id: str, snapshots: Sequence[str] = ()) -> Deregistered:
    """DeregisterImage with its snapshots (see the module's docstring); an AMI already gone
    is done."""
    from botocore.exceptions import ClientError, ParamValidationError

    try:
        reply = ec2.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
    except ParamValidationError:  # a botocore without the parameter
        ec2.deregister_image(ImageId=image_id)
        return _delete_each(ec2, image_id, snapshots)
    except ClientError as error:
        code = error_code(error) or ""
        if code.startswith("InvalidAMIID"):
            return _delete_each(ec2, image_id, snapshots)
        if code in ("UnknownParameter", "InvalidParameter") and "DeleteAssociated" in str(error):
            ec2.deregister_image(ImageId=image_id)
            return _delete_each(ec2, image_id, snapshots)
        raise
    results = reply.get("DeleteSnapshotResults")
    if results is None:
        return _delete_each(ec2, image_id, snapshots)
    deleted = tuple(
        str(r["SnapshotId"]) for r in results if str(r.get("ReturnCode", "")) in ("success", "")
    )
    kept = tuple(
        (str(r["SnapshotId"]), str(r.get("ReturnCode")))
        for r in results
        if str(r.get("ReturnCode", "")) not in ("success", "")
    )
    return Deregistered(image_id, deleted, kept)


def retire(job: Job, region: str, image: ImageView) -> bool:
    """Deregister an AMI of the import that is not the one kept, with its snapshots; True when
    it is gone.  Protection this tool turned on is turned off first; any other stops it."""
    ec2 = job.clients.ec2(region)
    if image.protected:
        ours = any(
            done.step is Step.PROTECT and done.image_id == image.image_id
            for done in job.db.applied(job.entry)
        )
        if not ours:
            job.refused(
                refusal(
                    Refused.PROTECTED,
                    region,
                    f"deregister {image.image_id}",
                    f"its deregistration protection is on ({image.protection}), and vmimport did "
                    "not turn it on",
                    f"aws ec2 disable-image-deregistration-protection --image-id {image.image_id} "
                    f"--region {region}, then run again",
                )
            )
            return False
        ec2.disable_image_deregistration_protection(ImageId=image.image_id)
        job.did(f"{region}: turned deregistration protection of {image.image_id} off")
    if (image.protection or "").startswith("disabled-until") or image.protected:
        fresh = ec2.describe_images(ImageIds=[image.image_id]).get("Images", [])
        state = str(fresh[0].get("DeregistrationProtection", "")) if fresh else ""
        if state.startswith(("enabled", "disabled-until")):
            job.refused(
                refusal(
                    Refused.COOLDOWN,
                    region,
                    f"deregister {image.image_id}",
                    f"its deregistration protection's cooldown holds ({state})",
                    "run again once the cooldown is over",
                )
            )
            return False
    gone = deregister(ec2, image.image_id, image.snapshot_ids)
    for row in job.recorded():
        if row.image_id == image.image_id:
            job.record(row._replace(state=ImageState.DEREGISTERED))
    kept = "; ".join(f"kept {snapshot} ({why})" for snapshot, why in gone.kept)
    job.did(
        f"{region}: deregistered {image.image_id} ({image.name!r}), deleted "
        f"{len(gone.deleted)} snapshot(s)" + (f"; {kept}" if kept else "")
    )
    return True
