"""CopyImage: a new AMI in the Region the request is sent to, from an image in SourceRegion.

What the service does (the EC2 user guide, "Copy an AMI" and "How AMI copy
works"; the API reference, CopyImage):

- "Copying a source AMI results in an identical but distinct target AMI": the
  copy has the source's architecture, boot mode, ENA, SR-IOV, TPM, IMDS and UEFI
  data, platform and billing, and block device mappings, each snapshot copied to
  a new snapshot of the destination (same content, same size), whose
  description names the copy ("Copied for DestinationAmi ... from SourceAmi ...
  for SourceSnapshot ... Task created on ...", the service's wording).
- "AWS does not copy launch permissions ... from the source AMI"; user-defined
  tags only with ``CopyImageTags`` (not ``aws:`` tags, and not tags of another
  account's image); deprecation and deregistration protection are the source's
  own settings and are not copied (modelled: not documented either way).
  TagSpecifications tag the new image (``image``) and every new snapshot
  (``snapshot``).
- Encryption: "you cannot create an unencrypted copy of an encrypted snapshot";
  ``Encrypted`` encrypts the copies, with ``KmsKeyId`` or the destination's
  ``aws/ebs`` key; ``KmsKeyId`` needs ``Encrypted``; an encrypted source is
  copied under the same key in the same Region and account, else under the
  destination's default key; encryption by default in the destination encrypts
  every copy.  A ``KmsKeyId`` the destination does not know is accepted and the
  copy fails later ("if you specify an identifier that is not valid, the action
  can appear to complete, but eventually fails"): the image ends ``failed``.
- ``ClientToken``: the same token with the same parameters answers the same new
  image; with other parameters, IdempotentParameterMismatch (EC2's idempotency
  rules).
- Another account's image is copied only when it is shared with the caller and
  its snapshots are too ("the owner of the source AMI must grant you read
  permissions for the storage": InvalidRequest, "You do not have permission to
  access the storage of this ami").
- The copy is ``pending`` (its snapshots too) for ``--copy-seconds`` of the
  emulator's scaled clock, or SnapshotCopyCompletionDurationMinutes (15 to 2,880
  in steps of 15) when given, then ``available``; deregistering it stops it.
- "Destination Regions are limited to 100 concurrent AMI copies"
  (``--max-image-copies``): one more is ResourceLimitExceeded.
- Copies to Outposts and Local Zones are not emulated.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, register, rules, sharing, view
from ec2_import_emulator.images.content import copy_content
from ec2_import_emulator.images.records import (
    DeviceMapping,
    Failure,
    ImageRecord,
    Protection,
)
from ec2_import_emulator.images.store import ImageStore

MAX_TOKEN = 128
TOKENS = "_ec2_import_emulator_copy_tokens"
#: the parameters that make two requests with one ClientToken the same request
SAME_REQUEST = (
    "SourceImageId",
    "SourceRegion",
    "Name",
    "Description",
    "Encrypted",
    "KmsKeyId",
    "CopyImageTags",
    "TagSpecifications",
    "SnapshotCopyCompletionDurationMinutes",
)


def _tokens(account: str, region: str) -> dict[str, tuple[dict[str, Any], str]]:
    ec2 = moto_ec2.backend(account, region)
    found = getattr(ec2, TOKENS, None)
    if found is None:
        found = {}
        setattr(ec2, TOKENS, found)
    return found


def _duration(params: dict[str, Any], store: ImageStore) -> timedelta:
    minutes = params.get("SnapshotCopyCompletionDurationMinutes")
    if minutes is None:
        return timedelta(seconds=store.options.copy_seconds)
    if minutes % 15 or not 15 <= minutes <= 2880:
        raise errors.copy_duration(minutes)
    return timedelta(minutes=minutes)


def _source(params: dict[str, Any], account: str) -> tuple[str, str, Any]:
    region = params.get("SourceRegion")
    if not region:
        raise common.missing_parameter("SourceRegion")
    if not moto_ec2.known_region(account, region):
        raise errors.unknown_region(region)
    image_id = rules.check_image_id(params.get("SourceImageId"))
    found = sharing.find_visible(account, region, image_id)
    if found is None:
        raise errors.image_not_found([image_id])
    owner, ami = found
    if ami.state != "available":
        raise errors.source_not_available(image_id, str(ami.state))
    return owner, region, ami


def _encryption(
    params: dict[str, Any],
    *,
    account: str,
    region: str,
    source_owner: str,
    source_region: str,
    snapshot: Any,
) -> tuple[bool, str | None]:
    """Whether a copied snapshot is encrypted, and under which key (id as given or ARN)."""
    key = params.get("KmsKeyId")
    if params.get("Encrypted") and key:
        return True, key
    same_place = source_owner == account and source_region == region
    if snapshot.encrypted and same_place:
        return True, moto_ec2.snapshot_key(snapshot) or moto_ec2.default_ebs_key(account, region)
    if (
        snapshot.encrypted
        or params.get("Encrypted")
        or moto_ec2.encryption_by_default(account, region)
    ):
        return True, moto_ec2.default_ebs_key(account, region)
    return False, None


def _task_created(now: datetime) -> str:
    millis = int(now.timestamp() * 1000)
    return f"{millis:,}"


def copy(params: dict[str, Any], account: str, region: str, store: ImageStore) -> dict[str, Any]:
    token = params.get("ClientToken")
    if token is not None and len(token) > MAX_TOKEN:
        raise errors.client_token_too_long(len(token), MAX_TOKEN)
    if params.get("KmsKeyId") and not params.get("Encrypted"):
        raise common.kms_without_encrypted()
    for place in (
        "DestinationOutpostArn",
        "DestinationAvailabilityZone",
        "DestinationAvailabilityZoneId",
    ):
        if params.get(place):
            raise errors.not_emulated(f"CopyImage to an Outpost or a Local Zone ({place})")
    request = {key: params.get(key) for key in SAME_REQUEST}
    if token is not None:
        known = _tokens(account, region).get(token)
        if known is not None:
            if known[0] != request:
                raise common.token_reused(token)
            return {"ImageId": known[1]}
    name = rules.check_name(params.get("Name"))
    description = rules.check_description(params.get("Description"))
    duration = _duration(params, store)
    tags = rules.tags(params.get("TagSpecifications", []), ("image", "snapshot"))
    source_owner, source_region, source = _source(params, account)
    if store.pending_copies(account, region) >= store.options.max_copies:
        raise errors.copy_quota(store.options.max_copies)
    register.check_unique_name(account, region, name)
    source_record = view.record_for(source)
    now = store.clock.now()
    ready = now + duration
    key = params.get("KmsKeyId")
    failure = None
    if key and moto_ec2.key_arn(account, region, key) is None:
        failure = Failure(
            "Client.InvalidKMSKey.InvalidState",
            f"The KMS key {key} does not exist in {region} or cannot be used.",
        )
    mappings: list[DeviceMapping] = []
    made: list[tuple[Any, Any]] = []
    for mapping in source_record.facts.mappings:
        if mapping.ebs is None or mapping.ebs.snapshot_id is None:
            mappings.append(mapping)
            continue
        original = moto_ec2.find_snapshot(source_owner, source_region, mapping.ebs.snapshot_id)
        if original is None or not sharing.can_read_snapshot(original, account):
            raise errors.copy_storage_denied()
        encrypted, kms_key_id = _encryption(
            params,
            account=account,
            region=region,
            source_owner=source_owner,
            source_region=source_region,
            snapshot=original,
        )
        made.append((mapping, (original, encrypted, kms_key_id)))
    ami = register.create(
        account,
        region,
        name,
        description if description is not None else source.description,
        record=ImageRecord(source_record.facts),
        now=now,
        state="pending",
    )
    copied = {}
    for mapping, (original, encrypted, kms_key_id) in made:
        snapshot = moto_ec2.new_snapshot(
            account,
            region,
            moto_ec2.NewSnapshot(
                size_gib=moto_ec2.snapshot_size_gib(original),
                description=(
                    f"Copied for DestinationAmi {ami.id} from SourceAmi {source.id} for "
                    f"SourceSnapshot {original.id}. Task created on {_task_created(now)}."
                ),
                encrypted=encrypted,
                kms_key_id=kms_key_id,
                state="pending",
            ),
        )
        copy_content(
            (source_owner, source_region, str(original.id)),
            (account, region, str(snapshot.id)),
            moto_ec2.snapshot_size_gib(original),
        )
        moto_ec2.tag(account, region, snapshot.id, tags.get("snapshot", {}))
        assert mapping.ebs is not None
        copied[mapping.device_name] = replace(
            mapping.ebs, snapshot_id=snapshot.id, encrypted=encrypted, kms_key_id=kms_key_id
        )
    facts = replace(
        source_record.facts,
        mappings=tuple(
            replace(m, ebs=copied[m.device_name]) if m.device_name in copied else m
            for m in source_record.facts.mappings
        ),
    )
    record = ImageRecord(
        facts,
        source_image_id=source.id,
        source_image_region=source_region,
        protection=Protection(),
        ready_at=ready,
        failure=failure,
    )
    moto_ec2.attach(ami, record)
    store.track(account, region, str(ami.id))
    image_tags = dict(tags.get("image", {}))
    if params.get("CopyImageTags") and source_owner == account:
        for tag_key, tag_value in moto_ec2.tags_of(source):
            if not tag_key.startswith("aws:"):
                image_tags.setdefault(tag_key, tag_value)
    moto_ec2.tag(account, region, ami.id, image_tags)
    if token is not None:
        _tokens(account, region)[token] = (request, str(ami.id))
    return {"ImageId": ami.id}
