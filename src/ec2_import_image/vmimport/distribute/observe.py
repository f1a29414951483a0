"""What the account holds of an import's AMIs, Region by Region: the read before each plan.

In each Region (``Clients``: one EC2 and one KMS client per Region, made once,
sent to ``--endpoint-url`` when given):

- the AMIs of the import: DescribeImages, owner self, filtered by the
  identity's tags (``vmimport:name``, ``vmimport:sha256``; every page), in the
  states where an AMI exists (``plan.LIVE``); ``plan.choose`` says which is kept
  and which are to be retired;
- of the one kept: its launch permissions (DescribeImageAttribute
  ``launchPermission``), its snapshots (DescribeSnapshots: their tags, the tags
  every one carries, their KMS keys) and their create-volume permissions
  (DescribeSnapshotAttribute ``createVolumePermission``: the accounts every
  snapshot grants);
- whether a snapshot's key is AWS managed: KMS DescribeKey of the key
  (``KeyManager`` ``AWS``), and of ``alias/aws/ebs`` (the key its ARN names is
  the account's default EBS key).  Without ``kms:DescribeKey`` it is not known
  (``KeyView.aws_managed`` None): the share is tried, and the service's refusal
  explained.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ec2_import_image.vmimport.distribute.options import Grantee, GranteeKind
from ec2_import_image.vmimport.distribute.plan import ImageView, KeyView, RegionView, choose
from ec2_import_image.vmimport.engine.finishing import find_image

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_kms.client import KMSClient

    from ec2_import_image.vmimport.context import Run

#: the alias of the account's default EBS key in a Region
EBS_DEFAULT_ALIAS = "alias/aws/ebs"


class Clients:
    """One EC2 and one KMS client per Region (botocore clients are thread-safe)."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def ec2(self, region: str) -> EC2Client:
        return self.run.client("ec2", f"region {region}", _in(region))

    def kms(self, region: str) -> KMSClient:
        return self.run.client("kms", f"region {region}", _in(region))


def _in(region: str) -> Config:
    from botocore.config import Config

    return Config(region_name=region)


def parse_time(text: Any) -> datetime.datetime | None:
    """A time of DescribeImages (``2024-05-01T12:00:00.000Z``) as UTC."""
    if isinstance(text, datetime.datetime):
        found = text
    elif isinstance(text, str) and text:
        try:
            found = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=datetime.UTC)
    return found.astimezone(datetime.UTC)


def image_view(image: Mapping[str, Any]) -> ImageView:
    """DescribeImages' record of an AMI."""
    snapshots = tuple(
        str(mapping["Ebs"]["SnapshotId"])
        for mapping in image.get("BlockDeviceMappings", [])
        if mapping.get("Ebs", {}).get("SnapshotId")
    )
    tags = tuple(sorted((str(t["Key"]), str(t["Value"])) for t in image.get("Tags", [])))
    return ImageView(
        image_id=str(image["ImageId"]),
        name=str(image.get("Name", "")),
        state=str(image.get("State", "")),
        tags=tags,
        snapshot_ids=snapshots,
        creation=parse_time(image.get("CreationDate")),
        deprecation=parse_time(image.get("DeprecationTime")),
        protection=image.get("DeregistrationProtection"),
        imds=image.get("ImdsSupport"),
        description=image.get("Description"),
        boot_mode=image.get("BootMode"),
        platform="Windows" if str(image.get("Platform", "")).lower() == "windows" else "Linux",
        architecture=image.get("Architecture"),
        reason=(image.get("StateReason") or {}).get("Message"),
    )


def find_images(ec2: EC2Client, filters: Sequence[Mapping[str, Any]]) -> list[ImageView]:
    """This account's AMIs matching the filters (every page), in any state."""
    found: list[ImageView] = []
    paginator = ec2.get_paginator("describe_images")
    for page in paginator.paginate(Owners=["self"], Filters=list(filters)):  # type: ignore[arg-type]
        found.extend(image_view(image) for image in page.get("Images", []))
    return found


def describe(ec2: EC2Client, image_id: str) -> ImageView | None:
    """One AMI of this account; None when the service no longer knows it."""
    found = find_image(ec2, image_id)
    return None if found is None else image_view(found)


def launch_grants(ec2: EC2Client, image_id: str) -> tuple[frozenset[Grantee], bool]:
    """Who may launch the AMI besides its owner, and whether it is public."""
    reply = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
    found = set()
    public = False
    for entry in reply.get("LaunchPermissions", []):
        public = public or entry.get("Group") == "all"
        for kind in GranteeKind:
            value = entry.get(kind.value)
            if value:
                found.add(Grantee(kind, str(value)))
    return frozenset(found), public


def launch_permissions(ec2: EC2Client, image_id: str) -> frozenset[Grantee]:
    return launch_grants(ec2, image_id)[0]


def _common_tags(snapshots: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """The tags every snapshot carries with the same value."""
    common: dict[str, str] | None = None
    for snapshot in snapshots:
        tags = {str(t["Key"]): str(t["Value"]) for t in snapshot.get("Tags", [])}
        common = tags if common is None else {k: v for k, v in common.items() if tags.get(k) == v}
    return tuple(sorted((common or {}).items()))


class KeyJudge:
    """Whether a KMS key is AWS managed, per Region, each key asked once."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self._default: dict[str, str | None] = {}
        self._known: dict[tuple[str, str], bool | None] = {}

    def _describe(self, region: str, key_id: str) -> Mapping[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            reply = self.clients.kms(region).describe_key(KeyId=key_id)
        except ClientError:
            return None  # denied, or unknown: not known
        metadata: Mapping[str, Any] = reply.get("KeyMetadata", {})
        return metadata

    def aws_managed(self, region: str, key_id: str) -> bool | None:
        if (region, key_id) in self._known:
            return self._known[(region, key_id)]
        if region not in self._default:
            found = self._describe(region, EBS_DEFAULT_ALIAS)
            self._default[region] = str(found["Arn"]) if found and found.get("Arn") else None
        metadata = self._describe(region, key_id)
        answer: bool | None
        if metadata is None:
            answer = True if key_id == self._default[region] else None
        else:
            answer = metadata.get("KeyManager") == "AWS" or (
                self._default[region] is not None and metadata.get("Arn") == self._default[region]
            )
        self._known[(region, key_id)] = answer
        return answer


def _snapshots(ec2: EC2Client, ids: Sequence[str]) -> list[Mapping[str, Any]]:
    if not ids:
        return []
    return list(ec2.describe_snapshots(SnapshotIds=list(ids)).get("Snapshots", []))


def _volume_accounts(ec2: EC2Client, ids: Sequence[str]) -> frozenset[str]:
    """The accounts every snapshot grants create-volume permission to."""
    common: set[str] | None = None
    for snapshot_id in ids:
        reply = ec2.describe_snapshot_attribute(
            SnapshotId=snapshot_id, Attribute="createVolumePermission"
        )
        users = {
            str(p["UserId"]) for p in reply.get("CreateVolumePermissions", []) if p.get("UserId")
        }
        common = users if common is None else common & users
    return frozenset(common or ())


def detailed(
    clients: Clients, keys: KeyJudge, region: str, image: ImageView
) -> tuple[ImageView, frozenset[Grantee], frozenset[str]]:
    """The AMI with its snapshots' tags and keys, its launch permissions, the accounts its
    snapshots grant create-volume permission to."""
    ec2 = clients.ec2(region)
    snapshots = _snapshots(ec2, image.snapshot_ids)
    found = []
    for snapshot in snapshots:
        key = snapshot.get("KmsKeyId")
        if snapshot.get("Encrypted") and key:
            found.append(KeyView(str(key), keys.aws_managed(region, str(key))))
    image = image._replace(snapshot_tags=_common_tags(snapshots), keys=tuple(found))
    return image, launch_permissions(ec2, image.image_id), _volume_accounts(ec2, image.snapshot_ids)


def region_view(
    clients: Clients,
    keys: KeyJudge,
    region: str,
    filters: Sequence[Mapping[str, Any]],
    *,
    name: str | None,
    owner: str,
    owner_key: str,
    recorded: Iterable[str] = (),
    only: str | None = None,
) -> tuple[RegionView, list[ImageView]]:
    """The Region as it is (``plan.choose``'s choice, in detail), and every AMI of the import
    found there.  ``only``: the AMI to keep whatever its name (the import's own, in its own
    Region, when no name is asked)."""
    found = find_images(clients.ec2(region), filters)
    if only is not None and name is None:
        kept = next((image for image in found if image.image_id == only), None)
        stale: tuple[ImageView, ...] = ()
        if kept is None:
            kept, stale = choose(found, name=None, owner=owner, owner_key=owner_key)
    else:
        kept, stale = choose(found, name=name, owner=owner, owner_key=owner_key, recorded=recorded)
    if kept is None:
        return RegionView(region, None, stale), found
    detail, launch, volumes = detailed(clients, keys, region, kept)
    return RegionView(region, detail, stale, launch, volumes), found
