"""The distribution's pure parts: the options read, the plan from a view, gc's retention."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ec2_import_image.vmimport.distribute import options, retention
from ec2_import_image.vmimport.distribute.options import Grantee, GranteeKind, Refused
from ec2_import_image.vmimport.distribute.plan import (
    DistributionAction,
    ImageView,
    KeyView,
    RegionView,
    Wanted,
    choose,
    minute,
    plan,
)

HOME = "us-east-1"
WEST = "us-west-2"
NOW = datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC)
IMPORTED = datetime.datetime(2024, 12, 1, 8, 30, tzinfo=datetime.UTC)
ACCOUNT = Grantee(GranteeKind.ACCOUNT, "111122223333")
UNIT = Grantee(
    GranteeKind.UNIT, "arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34"
)
TAGS = (("Name", "web-1"), ("vmimport:owner", "team"))


def image(image_id: str, name: str = "web-1", **fields: Any) -> ImageView:
    fields.setdefault("tags", TAGS)
    fields.setdefault("snapshot_tags", TAGS)
    return ImageView(image_id, name, fields.pop("state", "available"), **fields)


def actions(steps: list[Any]) -> list[tuple[str, str, str]]:
    return [(step.region, step.action.value, step.target) for step in steps]


# -- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("111122223333", GranteeKind.ACCOUNT),
        (111122223333, GranteeKind.ACCOUNT),
        ("arn:aws:organizations::123456789012:organization/o-abcdefghij", GranteeKind.ORGANIZATION),
        (UNIT.value, GranteeKind.UNIT),
    ],
)
def test_grantees_are_told_apart(value: Any, kind: GranteeKind) -> None:
    assert options.grantee(value).kind is kind


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("all", "never does"),
        ("ALL", "never does"),
        ("o-abcdefghij", "give the ARN"),
        ("ou-ab12-cdefgh34", "give the ARN"),
        ("11112222333", "neither"),
        (12345678901, "loses its leading zeros"),
        ("arn:aws:organizations::123456789012:organization/o-short", "neither"),
    ],
)
def test_grantees_refused(value: Any, words: str) -> None:
    with pytest.raises(Refused, match=words):
        options.grantee(value)


def test_ami_names_follow_the_services_rule() -> None:
    assert options.ami_name("web-1 (2024) [x] ./-'@_") == "web-1 (2024) [x] ./-'@_"
    for bad in ("ab", "x" * 129, "web#1", "wéb-1"):
        with pytest.raises(Refused, match="cannot name an AMI"):
            options.ami_name(bad)
    assert options.ami_name("x" * 128) == "x" * 128


def test_regions_keys_days_and_dates() -> None:
    assert options.regions("us-west-2;eu-west-1;us-west-2") == ("us-west-2", "eu-west-1")
    assert options.regions(["us-gov-west-1"]) == ("us-gov-west-1",)
    with pytest.raises(Refused):
        options.regions(["uswest2"])
    assert options.kms_keys({"us-west-2": "alias/k"}) == (("us-west-2", "alias/k"),)
    assert options.kms_keys(["us-west-2=k1", "eu-west-1=k2"]) == (
        ("eu-west-1", "k2"),
        ("us-west-2", "k1"),
    )
    with pytest.raises(Refused, match="the key is in eu-west-1"):
        options.kms_keys("us-west-2=arn:aws:kms:eu-west-1:123456789012:key/k")
    with pytest.raises(Refused, match="REGION=KEY"):
        options.kms_keys("us-west-2")
    assert options.days("90") == 90
    for bad in ("0", "3651", "-1", "1.5", True):
        with pytest.raises(Refused):
            options.days(bad)
    assert options.moment("2030-01-02") == datetime.datetime(2030, 1, 2, tzinfo=datetime.UTC)
    assert options.moment(datetime.date(2030, 1, 2)) == options.moment("2030-01-02T00:00:00Z")
    assert options.moment("2030-01-02T01:00:00+01:00") == options.moment("2030-01-02")
    with pytest.raises(Refused, match="is not a date"):
        options.moment("next week")


def test_keys_judged_together() -> None:
    found = options.problems(
        {
            "share_with": (ACCOUNT,),
            "unshare": (ACCOUNT,),
            "deprecate_after": 3,
            "deprecate_at": NOW,
            "copy_to_region": (WEST,),
            "copy_kms_key": (("eu-west-1", "k"),),
        }
    )
    assert [key for key, _ in found] == ["unshare", "deprecate_at", "copy_kms_key"]
    assert options.problems({"copy_kms_key": ((HOME, "k"),), "ami_name": "web-1"}) == []


# -- choose ----------------------------------------------------------------------------------


def test_choose_keeps_the_named_one_and_retires_only_this_owners_others() -> None:
    original = image("ami-1", "import-ami-1")
    named = image("ami-2")
    theirs = image("ami-3", "import-ami-3", tags=(("vmimport:owner", "other"),))
    recorded_untagged = image("ami-4", "import-ami-4", tags=())
    found = [original, named, theirs, recorded_untagged]
    kept, stale = choose(
        found, name="web-1", owner="team", owner_key="vmimport:owner", recorded=["ami-4"]
    )
    assert kept == named
    assert stale == (original, recorded_untagged)
    kept, stale = choose(found, name=None, owner="team", owner_key="vmimport:owner")
    assert kept is not None and stale == ()


def test_choose_prefers_recorded_then_available() -> None:
    pending = image("ami-1", state="pending")
    available = image("ami-2")
    failed = image("ami-3", state="failed")
    assert choose([pending, available, failed], name="web-1", owner="t", owner_key="k")[0] == (
        available
    )
    assert (
        choose([pending, available], name="web-1", owner="t", owner_key="k", recorded=["ami-1"])[0]
        == pending
    )
    assert choose([failed], name="web-1", owner="t", owner_key="k") == (None, ())


# -- plan ------------------------------------------------------------------------------------


def wanted(**fields: Any) -> Wanted:
    fields.setdefault("tags", TAGS)
    fields.setdefault("imported_at", IMPORTED)
    return Wanted(home=HOME, **fields)


def test_nothing_to_do_when_everything_is_there() -> None:
    views = {HOME: RegionView(HOME, image("ami-1"))}
    assert plan(wanted(), views, NOW) == []


def test_a_fresh_import_plans_every_step_in_order() -> None:
    asked = wanted(
        copies=(WEST,),
        name="web-1",
        share=(ACCOUNT, UNIT),
        deprecate_after=90,
        protect=True,
        imds=True,
    )
    original = image("ami-1", "import-ami-1", tags=())
    steps = plan(asked, {HOME: RegionView(HOME, None, (original,))}, NOW)
    home = [a for a in actions(steps) if a[0] == HOME]
    assert [a[1] for a in home] == [
        "name",
        "imds",
        "share",
        "share",
        "share-snapshots",
        "deprecate",
        "protect",
        "retire",
    ]
    west = [a[1] for a in actions(steps) if a[0] == WEST]
    assert west[0] == "copy" and "retire" not in west
    # an OU launches, and has no create-volume permission
    assert ("us-east-1", "share-snapshots", ACCOUNT.value) in home
    assert not any(a[1] == "share-snapshots" and a[2] == UNIT.value for a in home)
    deprecation = next(s for s in steps if s.action is DistributionAction.DEPRECATE)
    assert deprecation.target == "2025-03-01T08:30:00Z"  # 90 days after the import


def test_tags_flags_and_shares_are_reconciled_against_what_is_there() -> None:
    there = image(
        "ami-1",
        tags=(("Name", "web-1"),),
        imds="v2.0",
        protection="enabled-without-cooldown",
        deprecation=datetime.datetime(2025, 3, 1, 8, 30, 20, tzinfo=datetime.UTC),
    )
    view = RegionView(HOME, there, (), frozenset({UNIT}), frozenset())
    steps = plan(
        wanted(share=(ACCOUNT,), unshare=(UNIT,), deprecate_after=90, protect=True, imds=True),
        {HOME: view},
        NOW,
    )
    assert actions(steps) == [
        (HOME, "tag", ""),
        (HOME, "share", ACCOUNT.value),
        (HOME, "share-snapshots", ACCOUNT.value),
        (HOME, "unshare", UNIT.value),
    ]


def test_a_share_not_asked_is_left_alone() -> None:
    view = RegionView(HOME, image("ami-1"), (), frozenset({ACCOUNT}), frozenset({ACCOUNT.value}))
    assert plan(wanted(), {HOME: view}, NOW) == []


def test_an_ami_under_aws_ebs_is_blocked_with_the_fix() -> None:
    managed = image("ami-1", keys=(KeyView("arn:aws:kms:us-east-1:1:key/x", True),))
    steps = plan(
        wanted(share=(ACCOUNT,), copies=(WEST,)),
        {HOME: RegionView(HOME, managed), WEST: RegionView(WEST, managed)},
        NOW,
    )
    blocked = [s for s in steps if s.action is DistributionAction.BLOCKED]
    assert [s.region for s in blocked] == [HOME, WEST]
    assert "aws/ebs" in blocked[0].detail and "--ami-name" in blocked[0].detail
    assert f"--copy-kms-key {WEST}=KEY" in blocked[1].detail
    customer = image("ami-2", keys=(KeyView("arn:aws:kms:us-east-1:1:key/y", False),))
    assert DistributionAction.SHARE in [
        s.action for s in plan(wanted(share=(ACCOUNT,)), {HOME: RegionView(HOME, customer)}, NOW)
    ]


def test_deprecation_times() -> None:
    there = {HOME: RegionView(HOME, image("ami-1"))}
    at = datetime.datetime(2025, 6, 1, 0, 0, 40, tzinfo=datetime.UTC)
    (step,) = plan(wanted(deprecate_at=at), there, NOW)
    assert step.action is DistributionAction.DEPRECATE and step.target == "2025-06-01T00:01:00Z"
    (past,) = plan(wanted(deprecate_at=NOW - datetime.timedelta(days=1)), there, NOW)
    assert past.action is DistributionAction.BLOCKED and "is past" in past.detail
    (far,) = plan(wanted(deprecate_at=NOW + datetime.timedelta(days=3700)), there, NOW)
    assert far.action is DistributionAction.BLOCKED and "10 years" in far.detail
    (late,) = plan(wanted(deprecate_after=1), there, NOW)  # imported a month ago
    assert late.action is DistributionAction.DEPRECATE and "are past" in late.detail
    assert late.target == "2025-01-01T12:01:00Z"
    done = {
        HOME: RegionView(
            HOME, image("ami-1", deprecation=datetime.datetime(2024, 12, 2, tzinfo=datetime.UTC))
        )
    }
    assert plan(wanted(deprecate_after=1), done, NOW) == []  # not moved to now again
    unknown = plan(wanted(deprecate_after=7, imported_at=None), there, NOW)
    assert [s.detail for s in unknown] == ["deprecate 7 days after the import"]


def test_minute_rounds_as_the_service() -> None:
    assert minute(datetime.datetime(2025, 1, 1, 0, 0, 29, tzinfo=datetime.UTC)).minute == 0
    assert minute(datetime.datetime(2025, 1, 1, 0, 0, 30, tzinfo=datetime.UTC)).minute == 1


# -- retention -------------------------------------------------------------------------------


def candidate(image_id: str, days_ago: float, region: str = HOME, **fields: Any) -> Any:
    fields.setdefault("entry", "web-1")
    fields.setdefault("owner", "team")
    return retention.Candidate(
        region=region,
        image_id=image_id,
        name=image_id,
        imported_at=NOW - datetime.timedelta(days=days_ago),
        created=NOW,  # a copy's creation says nothing of the import's time
        **fields,
    )


def test_the_newest_of_each_name_region_and_owner_are_kept() -> None:
    found = [
        candidate("ami-old", 30),
        candidate("ami-mid", 20),
        candidate("ami-new", 10),
        candidate("ami-west-old", 30, WEST),
        candidate("ami-west-new", 10, WEST),
        candidate("ami-db", 40, entry="db-1"),
        candidate("ami-theirs", 50, owner="other"),
    ]
    decisions = retention.by_age(found, keep=1, older_than=None, now=NOW)
    verdicts = {d.candidate.image_id: d.verdict.value for d in decisions}
    assert verdicts == {
        "ami-old": "remove",
        "ami-mid": "remove",
        "ami-new": "keep",
        "ami-west-old": "remove",
        "ami-west-new": "keep",
        "ami-db": "keep",
        "ami-theirs": "keep",
    }
    young = retention.by_age(found[:3], keep=1, older_than=25, now=NOW)
    assert [d.verdict.value for d in young] == ["keep", "keep-young", "remove"]
    everything = retention.by_age(found[:3], keep=0, older_than=None, now=NOW)
    assert {d.verdict for d in everything} == {retention.Verdict.REMOVE}


def test_removals_are_checked() -> None:
    remove = retention.Decision(candidate("ami-1", 30), retention.Verdict.REMOVE, "old")

    def judged(include_shared: bool = False, **facts: Any) -> str:
        found = remove._replace(candidate=remove.candidate._replace(**facts))
        return retention.checked(found, include_shared=include_shared).verdict.value

    assert judged() == "remove"
    assert judged(public=True, include_shared=True) == "skip-public"
    assert judged(shared_with=("111122223333",)) == "skip-shared"
    assert judged(shared_with=("111122223333",), include_shared=True) == "remove"
    assert judged(protection="enabled-without-cooldown") == "skip-protected"
    assert judged(protection="disabled-until 2025-01-02T00:00:00Z") == "skip-protected"
    assert judged(protection="disabled") == "remove"
    assert judged(used_by=("ec2:Instance i-1",)) == "skip-in-use"
    assert judged(used_by=None) == "remove"  # not checked: said, not refused
    assert retention.matches("web-12", ["web-*"]) and not retention.matches("db-1", ["web-?"])
