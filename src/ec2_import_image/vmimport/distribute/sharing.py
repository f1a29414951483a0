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
from typing import TYPE_CHECKING, Literal

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


def _launch(job: Job, region: str, image: ImageView, grantee: Grantee, *, add: bool) -> None:
    ec2 = job.clients.ec2(region)
    operation = "Add" if add else "Remove"
    if add:
        extra = "" if grantee.is_account else " (it can launch the AMI, not copy it)"
        line = f"{region}: shared {image.image_id} with {grantee}{extra}"
    else:
        line = f"{region}: {grantee} can no longer launch {image.image_id}"
    job.apply(
        Applied(region, image.image_id, Step.SHARE, grantee.value),
        f"{'share' if add else 'unshare'} {image.image_id} with {grantee}",
        lambda: ec2.modify_image_attribute(
            ImageId=image.image_id,
            LaunchPermission={operation: [{grantee.kind.value: grantee.value}]},  # type: ignore[misc]
        ),
        line,
        undo=not add,
        explain=_explain_managed_key(region, job.home),
    )


def share(job: Job, region: str, image: ImageView, grantee: Grantee) -> None:
    _launch(job, region, image, grantee, add=True)


def unshare(job: Job, region: str, image: ImageView, grantee: Grantee) -> None:
    _launch(job, region, image, grantee, add=False)


def _volumes(job: Job, region: str, image: ImageView, account: str, *, add: bool) -> None:
    """The create-volume permission of every snapshot of the AMI, for one account."""
    ec2 = job.clients.ec2(region)
    operation: Literal["add", "remove"] = "add" if add else "remove"

    def each() -> None:
        for snapshot_id in image.snapshot_ids:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType=operation,
                UserIds=[account],
            )

    count = len(image.snapshot_ids)
    line = (
        f"{region}: {account} may create volumes from {count} snapshot(s) of {image.image_id} "
        "(and so copy it)"
        if add
        else f"{region}: {account} can no longer create volumes from {image.image_id}"
    )
    job.apply(
        Applied(region, image.image_id, Step.VOLUME, account),
        f"{operation} {account}'s create-volume permission on the snapshots of {image.image_id}",
        each,
        line,
        undo=not add,
        explain=_explain_managed_key(region, job.home),
    )


def share_snapshots(job: Job, region: str, image: ImageView, account: str) -> None:
    _volumes(job, region, image, account, add=True)


def unshare_snapshots(job: Job, region: str, image: ImageView, account: str) -> None:
    _volumes(job, region, image, account, add=False)
