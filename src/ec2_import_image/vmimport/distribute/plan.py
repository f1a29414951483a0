"""The steps from what the account holds to what the user asked, Region by Region (pure).

``plan(wanted, views, now)`` compares, for each Region (the import's own
first, then the copies in the order given), the AMI there (``RegionView``,
read by ``observe`` from the account, or built by ``show`` from the state
database's records) with what is wanted (``Wanted``), and answers the steps
in the order the issue and the service impose:

1. **name** (the import's own Region, ``--ami-name``): a CopyImage in the same
   Region gives the AMI its name (an AMI's name cannot be changed); **copy**
   (another Region): a CopyImage from the AMI of the import's own Region.  A
   copy carries its tags from birth (TagSpecifications), nothing else: no
   launch permission, no deprecation, no protection;
2. **tag**: the import's tags (``vmimport:name``, ``vmimport:sha256``, the
   user's, ``Name``, ``vmimport:owner``, ``vmimport:imported-at``) on the AMI
   and its snapshots, where any is missing;
3. **imds**: ImdsSupport ``v2.0`` (``--imds-v2``; it cannot be undone);
4. **share** / **unshare**: launch permissions (``--share-with`` adds,
   ``--unshare`` removes; a grantee given neither way is left as it is), and
   the snapshots' create-volume permissions for account ids (CreateVolume
   permissions take accounts only: an organization or an OU can launch the
   AMI and not copy it).  An AMI whose snapshots are encrypted with an AWS
   managed key (``aws/ebs``) cannot be shared: the step is **blocked** with the
   reason and the fix;
5. **deprecate**: EnableImageDeprecation at the time wanted, rounded to the
   minute as the service does; ``--deprecate-after`` counts from the import's
   own time (``vmimport:imported-at``), so a rerun does not move it; a time
   already past is now (said); ``--deprecate-at`` past or more than 10 years
   ahead is blocked (the API reference, EnableImageDeprecation);
6. **protect**: EnableImageDeregistrationProtection;
7. **retire**: an AMI of this import and this owner that is not the one kept
   (the original once the named copy is available, a copy named otherwise
   than ``--ami-name``): deregistered with its snapshots deleted.

A step planned on an AMI that a copy is still to make is planned on "the new
AMI" (no id yet); the apply step makes the copies, waits for them, reads the
account again and plans once more, so that what runs is what the account
needs then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import NamedTuple

from ec2_import_image.vmimport.distribute.options import Grantee

#: the service's limit on a deprecation time (the API reference, EnableImageDeprecation)
MAX_AHEAD = datetime.timedelta(days=3652)
#: ImdsSupport's one value
IMDS_V2 = "v2.0"
#: the states in which an AMI exists or soon will
LIVE = ("available", "pending")
#: the words of a step on the AMI a copy will make
NEW_IMAGE = "the new AMI"


class DistributionAction(StrEnum):
    """What one step of an AMI's distribution does (the numbered list above)."""

    NAME = "name"
    COPY = "copy"
    TAG = "tag"
    IMDS = "imds"
    SHARE = "share"
    SHARE_SNAPSHOTS = "share-snapshots"
    UNSHARE = "unshare"
    UNSHARE_SNAPSHOTS = "unshare-snapshots"
    DEPRECATE = "deprecate"
    PROTECT = "protect"
    RETIRE = "retire"
    #: a step the service would refuse: the reason and the fix in its detail
    BLOCKED = "blocked"


class KeyView(NamedTuple):
    """The KMS key of an encrypted snapshot, and whether AWS manages it (``aws/ebs``);
    None when it could not be told (no ``kms:DescribeKey``)."""

    key_id: str
    aws_managed: bool | None


class ImageView(NamedTuple):
    """An AMI as DescribeImages (and the snapshots' DescribeSnapshots) show it."""

    image_id: str
    name: str
    state: str
    tags: tuple[tuple[str, str], ...] = ()
    snapshot_ids: tuple[str, ...] = ()
    #: whether every snapshot carries every tag wanted (None: not looked at)
    snapshot_tags: tuple[tuple[str, str], ...] | None = None
    keys: tuple[KeyView, ...] = ()
    creation: datetime.datetime | None = None
    deprecation: datetime.datetime | None = None
    protection: str | None = None
    imds: str | None = None
    description: str | None = None
    boot_mode: str | None = None
    platform: str | None = None
    architecture: str | None = None
    #: why the AMI is in its state (a failed copy's StateReason)
    reason: str | None = None

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    @property
    def protected(self) -> bool:
        return (self.protection or "").startswith("enabled")


class RegionView(NamedTuple):
    """A Region as it is: the AMI kept there (None: none yet), those to retire, its shares."""

    region: str
    image: ImageView | None = None
    stale: tuple[ImageView, ...] = ()
    launch: frozenset[Grantee] = frozenset()
    #: the accounts every snapshot of the AMI grants create-volume permission to
    volumes: frozenset[str] = frozenset()


class Wanted(NamedTuple):
    """What is asked of the import's AMIs, resolved for this import."""

    home: str
    #: the Regions the AMI is copied to (the import's own excluded), in the order given
    copies: tuple[str, ...] = ()
    name: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    share: tuple[Grantee, ...] = ()
    unshare: tuple[Grantee, ...] = ()
    #: ``--deprecate-at``, or ``--deprecate-after`` counted from ``imported_at``
    deprecate_at: datetime.datetime | None = None
    deprecate_after: int | None = None
    imported_at: datetime.datetime | None = None
    protect: bool = False
    imds: bool = False
    #: (Region, KMS key) of the copies made there (``--copy-kms-key``)
    kms: tuple[tuple[str, str], ...] = ()

    def kms_key(self, region: str) -> str | None:
        return dict(self.kms).get(region)

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.home, *self.copies)

    def deprecation(self) -> datetime.datetime | None:
        """The deprecation time asked for (None: none, or not known yet)."""
        if self.deprecate_at is not None:
            return self.deprecate_at
        if self.deprecate_after is not None and self.imported_at is not None:
            return self.imported_at + datetime.timedelta(days=self.deprecate_after)
        return None


class Planned(NamedTuple):
    region: str
    action: DistributionAction
    #: the AMI the step acts on (None: the AMI a copy will make)
    image_id: str | None
    #: what the step sets: a grantee, a time, a name, an AMI to retire
    target: str = ""
    #: what a person reads
    detail: str = ""

    def to_json(self) -> dict[str, str | None]:
        return {
            "region": self.region,
            "action": self.action.value,
            "image_id": self.image_id,
            "target": self.target,
            "detail": self.detail,
        }


def minute(moment: datetime.datetime) -> datetime.datetime:
    """A time rounded to the nearest minute, as EnableImageDeprecation rounds it."""
    base = moment.replace(second=0, microsecond=0)
    return base + datetime.timedelta(minutes=1) if moment.second >= 30 else base


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _preferred(images: Sequence[ImageView], recorded: Iterable[str]) -> ImageView | None:
    """The one to keep: one recorded in the state database, then available, then oldest."""
    if not images:
        return None
    known = set(recorded)
    return min(
        images,
        key=lambda image: (
            image.image_id not in known,
            image.state != "available",
            image.creation or datetime.datetime.max.replace(tzinfo=datetime.UTC),
            image.image_id,
        ),
    )


def choose(
    found: Sequence[ImageView],
    *,
    name: str | None,
    owner: str,
    owner_key: str,
    recorded: Iterable[str] = (),
) -> tuple[ImageView | None, tuple[ImageView, ...]]:
    """Of the AMIs of the import found in a Region: the one kept, and those to retire.

    With a name wanted, the one kept is named so; the others this owner made (its
    tag, or the state database's records: ``recorded``) are retired once it is
    available.  Without one, any AMI of the import is kept, and
    nothing is retired.  AMIs another owner made are never retired.
    """
    recorded = tuple(recorded)
    live = [image for image in found if image.state in LIVE]
    if name is None:
        return _preferred(live, recorded), ()
    kept = _preferred([image for image in live if image.name == name], recorded)
    stale = tuple(
        image
        for image in live
        if image is not kept
        and image.name != name
        and (image.tag(owner_key) == owner or image.image_id in recorded)
    )
    return kept, stale


def _deprecation(
    region: str, image: ImageView | None, wanted: Wanted, now: datetime.datetime
) -> Planned | None:
    asked = wanted.deprecation()
    image_id = image.image_id if image is not None else None
    if asked is None:
        if wanted.deprecate_after is None or (image is not None and image.deprecation):
            return None
        days = wanted.deprecate_after
        return Planned(
            region,
            DistributionAction.DEPRECATE,
            image_id,
            "",
            f"deprecate {days} days after the import",
        )
    target = minute(asked)
    if target - now > MAX_AHEAD:
        return Planned(
            region,
            DistributionAction.BLOCKED,
            image_id,
            iso(target),
            f"deprecation at {iso(target)} is more than 10 years ahead: the service takes at "
            "most 10 years (EnableImageDeprecation); give an earlier --deprecate-at",
        )
    detail = f"deprecate at {iso(target)}"
    if wanted.deprecate_at is not None and target <= now:
        return Planned(
            region,
            DistributionAction.BLOCKED,
            image_id,
            iso(target),
            f"--deprecate-at {iso(target)} is past: the service takes only a time ahead; give a "
            "later one",
        )
    if target <= now:
        target = minute(now + datetime.timedelta(minutes=1))
        detail = (
            f"deprecate now, at {iso(target)} ({wanted.deprecate_after} days after the import, "
            f"{iso(asked)}, are past)"
        )
    elif wanted.deprecate_after is not None:
        detail += f" ({wanted.deprecate_after} days after the import)"
    if image is not None and image.deprecation is not None:
        already = minute(image.deprecation) == target
        # a past "after DAYS" applied once: deprecated since then, not moved to now again
        since = image.deprecation <= now and wanted.deprecate_at is None and asked <= now
        if already or since:
            return None
    return Planned(region, DistributionAction.DEPRECATE, image_id, iso(target), detail)


def _missing_tags(image: ImageView, wanted: Wanted) -> bool:
    have = dict(image.tags)
    if any(have.get(key) != value for key, value in wanted.tags):
        return True
    if image.snapshot_tags is None:
        return False
    snapshots = dict(image.snapshot_tags)
    return any(snapshots.get(key) != value for key, value in wanted.tags)


def aws_managed_keys(image: ImageView | None) -> list[str]:
    """The AWS managed keys (``aws/ebs``) of the AMI's snapshots."""
    if image is None:
        return []
    return [key.key_id for key in image.keys if key.aws_managed]


def reencrypt_fix(region: str, home: str) -> str:
    """How to share an AMI whose snapshots are under ``aws/ebs``: copies under another key."""
    where = (
        f"--copy-kms-key {region}=KEY with --ami-name (the named copy is made under that key), "
        "or import again with --kms-key-id KEY"
        if region == home
        else f"--copy-kms-key {region}=KEY (the copy is made under that key; remove the copy "
        "made under aws/ebs first: vmimport gc, or aws ec2 deregister-image)"
    )
    return (
        f"re-encrypt it with a customer managed key whose key policy allows the accounts: {where}"
    )


MANAGED_KEY_CAUSE = (
    "snapshots encrypted with the AWS managed key aws/ebs cannot be shared with other accounts "
    '(the EC2 user guide, "Share an AMI with specific AWS accounts")'
)


def shares_blocked(region: str, image: ImageView | None, home: str) -> str | None:
    """Why the AMI cannot be shared (its snapshots under ``aws/ebs``), with the fix."""
    managed = aws_managed_keys(image)
    if not managed:
        return None
    return (
        f"the AMI's snapshots are encrypted with aws/ebs ({managed[0]}): {MANAGED_KEY_CAUSE}; "
        f"{reencrypt_fix(region, home)}"
    )


def _shares(region: str, view: RegionView, wanted: Wanted) -> list[Planned]:
    image = view.image
    image_id = image.image_id if image is not None else None
    steps: list[Planned] = []
    adds = [g for g in wanted.share if g not in view.launch]
    volume_adds = [
        g for g in wanted.share if g.is_account and (image is None or g.value not in view.volumes)
    ]
    if adds or volume_adds:
        blocked = shares_blocked(region, image, wanted.home)
        if blocked is not None:
            targets = ", ".join(str(g) for g in dict.fromkeys([*adds, *volume_adds]))
            return [Planned(region, DistributionAction.BLOCKED, image_id, targets, blocked)]
    for grantee in adds:
        kind = "account" if grantee.is_account else "organization or OU (launch only: no copy)"
        steps.append(
            Planned(
                region,
                DistributionAction.SHARE,
                image_id,
                grantee.value,
                f"share with {kind} {grantee}",
            )
        )
    for grantee in volume_adds:
        steps.append(
            Planned(
                region,
                DistributionAction.SHARE_SNAPSHOTS,
                image_id,
                grantee.value,
                f"create-volume permission on the snapshots for {grantee}",
            )
        )
    if image is not None:
        for grantee in wanted.unshare:
            if grantee in view.launch:
                steps.append(
                    Planned(
                        region,
                        DistributionAction.UNSHARE,
                        image_id,
                        grantee.value,
                        f"unshare {grantee}",
                    )
                )
            if grantee.is_account and grantee.value in view.volumes:
                steps.append(
                    Planned(
                        region,
                        DistributionAction.UNSHARE_SNAPSHOTS,
                        image_id,
                        grantee.value,
                        f"remove {grantee}'s create-volume permission on the snapshots",
                    )
                )
    return steps


def plan_region(view: RegionView, wanted: Wanted, now: datetime.datetime) -> list[Planned]:
    """The steps of one Region (see the module's docstring)."""
    region = view.region
    image = view.image
    steps: list[Planned] = []
    if image is None:
        if region == wanted.home:
            if wanted.name is None:
                return []  # the import's own AMI is the engine's: nothing to make here
            steps.append(
                Planned(
                    region, DistributionAction.NAME, None, wanted.name, f"name it {wanted.name!r}"
                )
            )
        else:
            named = f" as {wanted.name!r}" if wanted.name else ""
            steps.append(
                Planned(
                    region, DistributionAction.COPY, None, region, f"copy from {wanted.home}{named}"
                )
            )
    else:
        if _missing_tags(image, wanted):
            steps.append(
                Planned(
                    region, DistributionAction.TAG, image.image_id, "", "tag it and its snapshots"
                )
            )
        if wanted.imds and image.imds != IMDS_V2:
            steps.append(
                Planned(
                    region,
                    DistributionAction.IMDS,
                    image.image_id,
                    IMDS_V2,
                    "require IMDSv2 (for good)",
                )
            )
    if image is None and wanted.imds:
        steps.append(
            Planned(region, DistributionAction.IMDS, None, IMDS_V2, "require IMDSv2 (for good)")
        )
    steps.extend(_shares(region, view, wanted))
    deprecation = _deprecation(region, image, wanted, now)
    if deprecation is not None:
        steps.append(deprecation)
    if wanted.protect and (image is None or not image.protected):
        steps.append(
            Planned(
                region,
                DistributionAction.PROTECT,
                image.image_id if image is not None else None,
                "",
                "turn deregistration protection on",
            )
        )
    for old in view.stale:
        steps.append(
            Planned(
                region,
                DistributionAction.RETIRE,
                old.image_id,
                old.image_id,
                f"deregister {old.image_id} ({old.name!r}) and delete its snapshots, once "
                f"{image.image_id if image is not None else NEW_IMAGE} is available",
            )
        )
    return steps


def plan(wanted: Wanted, views: Mapping[str, RegionView], now: datetime.datetime) -> list[Planned]:
    """Every Region's steps, the import's own Region first (see the module's docstring)."""
    steps: list[Planned] = []
    for region in wanted.regions:
        steps.extend(plan_region(views.get(region, RegionView(region)), wanted, now))
    return steps
