"""The CopyImage of the distribution (the named copy and the copies to other Regions).

CopyImage is sent in the destination Region, with the source's Region and id
(the API reference, CopyImage).  What the copy carries is said in full, since
CopyImage copies no user tag unless asked (``CopyImageTags``) and no launch
permission (the user guide, "Copy an Amazon EC2 AMI"): ``TagSpecifications``
tag the new AMI (``image``) and each new snapshot (``snapshot``) with the
import's tags from birth, so a copy in progress is found by them after a crash.
``--copy-kms-key REGION=KEY`` encrypts the copies in that Region under KEY
(``Encrypted`` with ``KmsKeyId``; CopyImage refuses a key without
``Encrypted``); without it an encrypted source is copied under the
destination's default key, and an unencrypted one stays unencrypted unless
the Region encrypts by default.

The ClientToken (64 hex characters, EC2's limit: "Ensuring idempotency") is the
SHA-256 of the import's name, identity and attempt, the destination Region and
the request itself (and, after a copy that failed, that copy's token): the same
run again after ``kill -9`` sends the same token and gets the same AMI, never a
second copy; a changed request (another key, another name) is another copy, as
the service would refuse the old token with other parameters
(``IdempotentParameterMismatch``).

``make_copies`` makes the copies of several Regions at once (each Region's
CopyImage once a slot is free, its token recorded before it is sent, its AMI
id as soon as it is answered), waits for them on the ``pacing`` policy, and
records each as available, or as failed with the service's reason (a failed
copy is deregistered: it holds nothing, and its name would be taken).

``start_copy`` words the refusals: the Region's copies at the service's limit
(``ResourceLimitExceeded``: wait for a slot), a name another AMI holds
(``InvalidAMIName.Duplicate``), a transient failure (wait and try again), any
other refusal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.importtasks.faults import Fault, classify
from ec2_import_image.vmimport.distribute.errors import Refused, refusal
from ec2_import_image.vmimport.distribute.flags import tags_digest
from ec2_import_image.vmimport.distribute.observe import describe
from ec2_import_image.vmimport.distribute.pacing import CopyWait
from ec2_import_image.vmimport.distribute.plan import ImageView
from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.state.distribution import (
    Applied,
    ImageRole,
    ImageState,
    RegionImage,
    Step,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

    from ec2_import_image.vmimport.distribute.job import Job

#: the version of the token's recipe (a change of recipe must not reuse old tokens)
TOKEN_RECIPE = 1
QUOTA_CODE = "ResourceLimitExceeded"
DUPLICATE_NAME = "InvalidAMIName.Duplicate"


class CopyRequest(NamedTuple):
    """One CopyImage: into ``region`` from ``source_image_id`` of ``source_region``."""

    region: str
    source_region: str
    source_image_id: str
    name: str
    tags: tuple[tuple[str, str], ...]
    description: str | None = None
    kms_key: str | None = None

    def params(self, token: str) -> dict[str, Any]:
        tags = [{"Key": key, "Value": value} for key, value in self.tags]
        params: dict[str, Any] = {
            "SourceImageId": self.source_image_id,
            "SourceRegion": self.source_region,
            "Name": self.name,
            "ClientToken": token,
            "TagSpecifications": [
                {"ResourceType": "image", "Tags": tags},
                {"ResourceType": "snapshot", "Tags": tags},
            ],
        }
        if self.description:
            params["Description"] = self.description
        if self.kms_key:
            params["Encrypted"] = True
            params["KmsKeyId"] = self.kms_key
        return params


def copy_token(
    request: CopyRequest, *, entry: str, identity: str, attempt: int, after: str | None = None
) -> str:
    """The ClientToken of one copy (see the module's docstring)."""
    recipe = {
        "recipe": TOKEN_RECIPE,
        "entry": entry,
        "identity": identity,
        "attempt": attempt,
        "request": request._asdict(),
        "after": after,
    }
    text = json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class CopyQuotaFull(Exception):
    """The destination Region's copies in progress are at the service's limit."""


class TransientCopy(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.reason)
        self.fault = fault


class CopyRefused(Exception):
    """CopyImage refused the copy: the service's code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def start_copy(ec2: EC2Client, request: CopyRequest, token: str) -> str:
    """CopyImage; answers the new AMI's id (see the module's docstring for the refusals)."""
    from botocore.exceptions import ClientError

    try:
        reply = ec2.copy_image(**request.params(token))
    except ClientError as error:
        code = error_code(error) or ""
        if code == QUOTA_CODE:
            raise CopyQuotaFull(error_message(error)) from None
        fault = classify(error)
        if fault.transient:
            raise TransientCopy(fault) from None
        raise CopyRefused(code, error_message(error)) from None
    except Exception as error:
        fault = classify(error)
        if fault.transient:
            raise TransientCopy(fault) from None
        raise
    return str(reply["ImageId"])


def holder_of(ec2: EC2Client, name: str) -> Sequence[dict[str, Any]]:
    """This account's AMIs of that name in the client's Region (whom a duplicate name is)."""
    reply = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])
    return [dict(image) for image in reply.get("Images", []) if image.get("Name") == name]


class CopyOrder(NamedTuple):
    """A copy to have: made by ``request``, or already in progress (``existing``)."""

    request: CopyRequest
    role: ImageRole
    #: an AMI of the import found in progress there (a copy a crash left): waited for
    existing: str | None = None
    #: the token of a copy of the same Region that failed (a new copy needs a new token)
    after: str | None = None


def _started(job: Job, region: str, order: CopyOrder, token: str) -> str | None:
    """CopyImage of one order, its token recorded first; None when it is to be tried again
    (no slot, the service's limit, a transient failure) or was refused (said)."""
    if not job.slots.take(region):
        return None
    request = order.request
    row = RegionImage(
        region,
        order.role,
        None,
        ImageState.COPYING,
        copy_token=token,
        source_image_id=request.source_image_id,
        name=request.name,
    )
    job.record(row, f"{region}: CopyImage of {request.source_image_id} (ClientToken {token[:16]}…)")
    try:
        image_id = start_copy(job.clients.ec2(region), request, token)
    except CopyQuotaFull as full:
        job.slots.give(region)
        job.say(
            f"{region}: the Region's copies in progress are at the service's limit ({full}): "
            "waiting for a slot"
        )
        return None
    except TransientCopy:
        job.slots.give(region)
        raise
    except CopyRefused as refused:
        job.slots.give(region)
        job.record(row._replace(state=ImageState.FAILED), f"{region}: CopyImage refused: {refused}")
        job.refused(_refusal(job, region, request, refused))
        return ""
    job.record(row._replace(image_id=image_id))
    to = f" as {request.name!r}" if order.role is ImageRole.NAMED else ""
    job.did(
        f"{region}: copying {request.source_image_id} ({request.source_region}) to {image_id}{to}"
    )
    return image_id


def _refusal(job: Job, region: str, request: CopyRequest, refused: CopyRefused) -> Diagnostic:
    what = f"CopyImage of {request.source_image_id} as {request.name!r}"
    if refused.code == DUPLICATE_NAME:
        holders = holder_of(job.clients.ec2(region), request.name)
        held = ", ".join(str(image.get("ImageId")) for image in holders) or "another AMI"
        return refusal(
            Refused.NAME_TAKEN,
            region,
            what,
            f"the name {request.name!r} is taken by {held} in {region} (AMI names are unique "
            "per Region)",
            "deregister that AMI (vmimport gc, or aws ec2 deregister-image) or give another "
            "--ami-name",
        )
    fix = ""
    if request.kms_key:
        fix = f"check the key {request.kms_key} of --copy-kms-key {region}=... and its policy"
    return refusal(Refused.COPY_REFUSED, region, what, f"{refused.code}: {refused.message}", fix)


def make_copies(job: Job, orders: Mapping[str, CopyOrder]) -> dict[str, ImageView]:
    """Each Region's copy made (or, in progress, found) and waited for until available; the
    copies in parallel, under the slots.  Answers the copies available; those refused or
    failed are the job's refusals."""
    todo = dict(orders)
    waiting: dict[str, tuple[CopyOrder, str, str, float]] = {}
    ready: dict[str, ImageView] = {}
    pacer = job.pacer()
    try:
        while todo or waiting:
            for region, order in list(todo.items()):
                token = copy_token(
                    order.request,
                    entry=job.entry,
                    identity=job.identity,
                    attempt=job.attempt,
                    after=order.after,
                )
                if order.existing is not None:
                    job.slots.take(region, force=True)
                    job.say(f"{region}: {order.existing} is being copied: waiting for it")
                    waiting[region] = (order, order.existing, token, job.clock())
                    del todo[region]
                    continue
                try:
                    image_id = _started(job, region, order, token)
                except TransientCopy as transient:
                    lasted = pacer.failed(transient.fault, f"CopyImage to {region}")
                    job.say(
                        f"{region}: CopyImage failed ({transient}); failing for {round(lasted)} s"
                    )
                    continue
                if image_id is None:
                    continue
                del todo[region]
                if image_id:
                    waiting[region] = (order, image_id, token, job.clock())
            for region, (order, image_id, token, since) in list(waiting.items()):
                view = _poll(job, pacer, region, image_id)
                if view is _STILL:
                    continue
                if view is None:
                    if pacer.fresh(since):
                        continue
                    view = ImageView(image_id, order.request.name, "deregistered")
                del waiting[region]
                job.slots.give(region)
                ended = _ended(job, region, order, token, view)
                if ended is not None:
                    ready[region] = ended
            if todo or waiting:
                pacer.pause("the copies")
    finally:
        for region in waiting:
            job.slots.give(region)
    return ready


#: a poll that tells nothing new (pending, or a failed poll borne)
_STILL = ImageView("", "", "pending")


def _poll(job: Job, pacer: CopyWait, region: str, image_id: str) -> ImageView | None:
    try:
        view = describe(job.clients.ec2(region), image_id)
    except Exception as error:
        fault = classify(error)
        if not fault.transient:
            raise Incomplete(
                f"{region}: DescribeImages of {image_id} failed: {fault.reason}"
            ) from None
        lasted = pacer.failed(fault, f"polling {image_id}")
        job.say(
            f"{region}: polling {image_id} failed ({fault.reason}); failing for {round(lasted)} s"
        )
        return _STILL
    outage = pacer.recovered()
    if outage is not None:
        job.say(f"polling works again after {round(outage)} s of failed polls")
    if view is not None and view.state == "pending":
        return _STILL
    return view


def _ended(
    job: Job, region: str, order: CopyOrder, token: str, view: ImageView
) -> ImageView | None:
    request = order.request
    row = RegionImage(
        region,
        order.role,
        view.image_id,
        ImageState.AVAILABLE,
        snapshot_ids=view.snapshot_ids,
        copy_token=token,
        source_image_id=request.source_image_id,
        name=view.name or request.name,
    )
    if view.state == "available":
        job.record(row)
        job.db.record_applied(
            job.claim,
            Applied(region, view.image_id, Step.TAG, job.owner, tags_digest(request.tags)),
            f"{region}: {view.image_id} tagged at its copy (TagSpecifications)",
        )
        job.did(f"{region}: {view.image_id} is available")
        return view
    job.record(row._replace(state=ImageState.FAILED), f"{region}: {view.image_id} {view.state}")
    why = view.reason or f"the copy ended {view.state}"
    fix = (
        f"check the key {request.kms_key} (--copy-kms-key {region}=...): it must exist in "
        f"{region} and allow this account; then run again"
        if request.kms_key
        else "run again to copy it again"
    )
    what = f"the copy {view.image_id} of {request.source_image_id}"
    job.refused(refusal(Refused.COPY_FAILED, region, what, why, fix))
    if view.state == "failed":
        from ec2_import_image.vmimport.distribute.retire import deregister

        deregister(job.clients.ec2(region), view.image_id)
    return None
