"""Who may launch the AMI, and who may create volumes from its snapshots.

``--share-with`` adds a launch permission (ModifyImageAttribute,
``LaunchPermission.Add``) in every Region the AMI is in: an account id
(``UserId``), an organization (``OrganizationArn``: every account in it) or an
OU (``OrganizationalUnitArn``: every account in it and in the OUs below it; the
user guide, "Share an AMI with organizations or OUs").  An account id also gets
the create-volume permission of each snapshot (ModifySnapshotAttribute,
``createVolumePermission``), which copying the AMI needs ("the owner of the
source AMI must grant you read permissions for the storage": the user guide,
"Copy an AMI").  CreateVolumePermission names accounts only (its ``UserId``, or
the group ``all``): an organization or an OU can launch the AMI and cannot copy
it.  ``all`` is never given: ``vmimport`` does not make AMIs public.

An AMI whose snapshots are encrypted with the AWS managed key ``aws/ebs``
cannot be shared ("You can't share AMIs that are backed by snapshots that are
encrypted with the default AWS managed key": the user guide, "Share an AMI
with specific AWS accounts"): the plan blocks it beforehand when the key can be
told, and the service's refusal (``InvalidParameter``, "Snapshots encrypted with
the AWS Managed CMK can't be shared") is explained the same way otherwise.  A
customer managed key must itself allow the grantees (its key policy: the
grantees need ``kms:DescribeKey``, ``kms:CreateGrant``, ``kms:Decrypt``,
``kms:ReEncrypt*`` and ``kms:GenerateDataKey*`` to launch or copy); that policy
is not read here.

``--unshare`` removes the same permissions (``Remove``).  A grantee given
neither way is left as it is: a rerun without ``--share-with X`` does not
revoke X.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ec2_import_image.vmimport.distribute.options import Grantee
from ec2_import_image.vmimport.distribute.plan import MANAGED_KEY_CAUSE, ImageView, reencrypt_fix
from ec2_import_image.vmimport.state.distribution import Applied, Step

if TYPE_CHECKING:
    from ec2_import_image.vmimport.distribute.job import Job

#: the words of the service's refusal to share an AMI under ``aws/ebs`` (hashicorp/packer#7410)
MANAGED_KEY_WORDS = ("AWS Managed CMK", "AWS managed key", "default AWS managed")


def _explain_managed_key(region: str, home: str) -> Callable[[str, str], tuple[str, str] | None]:
    def explain(code: str, message: str) -> tuple[str, str] | None:
        if not any(words.lower() in message.lower() for words in MANAGED_KEY_WORDS):
            return None
        return f"{code}: {message} ({MANAGED_KEY_CAUSE})", reencrypt_fix(region, home)

    return explain


def share(job: Job, region: str, image: ImageView, grantee: Grantee) -> None:
    ec2 = job.clients.ec2(region)
    done = job.act(
        region,
        f"share {image.image_id} with {grantee}",
        lambda: ec2.modify_image_attribute(
            ImageId=image.image_id,
            LaunchPermission={"Add": [{grantee.kind.value: grantee.value}]},  # type: ignore[misc]
        ),
        _explain_managed_key(region, job.home),
    )
    if done:
        job.db.record_applied(
            job.claim,
            Applied(region, image.image_id, Step.SHARE, grantee.value),
            f"{region}: shared {image.image_id} with {grantee}",
        )
        extra = "" if grantee.is_account else " (it can launch the AMI, not copy it)"
        job.did(f"{region}: shared {image.image_id} with {grantee}{extra}")


def unshare(job: Job, region: str, image: ImageView, grantee: Grantee) -> None:
    ec2 = job.clients.ec2(region)
    done = job.act(
        region,
        f"unshare {image.image_id} from {grantee}",
        lambda: ec2.modify_image_attribute(
            ImageId=image.image_id,
            LaunchPermission={"Remove": [{grantee.kind.value: grantee.value}]},  # type: ignore[misc]
        ),
    )
    if done:
        job.db.forget_applied(
            job.claim,
            Applied(region, image.image_id, Step.SHARE, grantee.value),
            f"{region}: unshared {image.image_id} from {grantee}",
        )
        job.did(f"{region}: {grantee} can no longer launch {image.image_id}")


def _snapshots(job: Job, region: str, image: ImageView, account: str, operation: str) -> bool:
    ec2 = job.clients.ec2(region)
    for snapshot_id in image.snapshot_ids:
        ok = job.act(
            region,
            f"{operation} {account}'s create-volume permission on {snapshot_id}",
            lambda snapshot_id=snapshot_id: ec2.modify_snapshot_attribute(  # type: ignore[misc]
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType=operation,  # type: ignore[arg-type]
                UserIds=[account],
            ),
            _explain_managed_key(region, job.home),
        )
        if not ok:
            return False
    return True


def share_snapshots(job: Job, region: str, image: ImageView, account: str) -> None:
    if _snapshots(job, region, image, account, "add"):
        job.db.record_applied(
            job.claim,
            Applied(region, image.image_id, Step.VOLUME, account),
            f"{region}: {account} may create volumes from the snapshots of {image.image_id}",
        )
        job.did(
            f"{region}: {account} may create volumes from {len(image.snapshot_ids)} snapshot(s) "
            f"of {image.image_id} (and so copy it)"
        )


def unshare_snapshots(job: Job, region: str, image: ImageView, account: str) -> None:
    if _snapshots(job, region, image, account, "remove"):
        job.db.forget_applied(
            job.claim,
            Applied(region, image.image_id, Step.VOLUME, account),
            f"{region}: {account}'s create-volume permission removed from {image.image_id}",
        )
        job.did(f"{region}: {account} can no longer create volumes from {image.image_id}")
