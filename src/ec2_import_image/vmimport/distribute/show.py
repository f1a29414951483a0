"""``batch --status`` and ``--dry-run``: the distribution's steps done and planned, from records.

Neither reads the account: what is done is what the state database recorded
(``state.distribution``: the AMIs by Region, what was applied to each), and
what is planned is ``plan`` run against a view built from those records (an
entry not imported yet has the import's AMI to come; an AMI with no tags
recorded is to be tagged...).  A run reads the account itself and may find
more done (a copy a crash left, a share made by hand), or less (an AMI
deregistered since).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from ec2_import_image.vmimport.distribute.apply import asks_nothing, utc_now, wanted_of
from ec2_import_image.vmimport.distribute.observe import parse_time
from ec2_import_image.vmimport.distribute.options import Distribution, Grantee, Refused, grantee
from ec2_import_image.vmimport.distribute.plan import (
    IMDS_V2,
    ImageView,
    Planned,
    RegionView,
    Wanted,
    plan,
)
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.distribution import (
    Applied,
    ImageRole,
    ImageState,
    RegionImage,
    Step,
)
from ec2_import_image.vmimport.state.records import Entry, Phase

#: the import's AMI before it exists
TO_COME = "(the import's AMI)"
__all__ = ["asks_nothing", "done_lines", "planned", "status", "summary", "utc_now", "views"]


def _grantees(targets: Sequence[str]) -> frozenset[Grantee]:
    found = set()
    for target in targets:
        try:
            found.add(grantee(target))
        except Refused:
            continue
    return frozenset(found)


def _view(
    region: str,
    image: ImageView | None,
    applied: Sequence[Applied],
    wanted: Wanted,
) -> RegionView:
    if image is None:
        return RegionView(region)
    mine = [done for done in applied if done.image_id == image.image_id]
    steps = {done.step: done for done in mine}
    image = image._replace(
        tags=wanted.tags if Step.TAG in steps else (),
        imds=IMDS_V2 if Step.IMDS in steps else None,
        deprecation=parse_time(steps[Step.DEPRECATE].value) if Step.DEPRECATE in steps else None,
        protection="enabled-without-cooldown" if Step.PROTECT in steps else None,
    )
    launch = _grantees([done.target for done in mine if done.step is Step.SHARE])
    volumes = frozenset(done.target for done in mine if done.step is Step.VOLUME)
    return RegionView(region, image, (), launch, volumes)


def _kept(rows: Sequence[RegionImage], role: ImageRole, region: str) -> RegionImage | None:
    for row in rows:
        if (
            row.region == region
            and row.role is role
            and row.image_id
            and row.state is ImageState.AVAILABLE
        ):
            return row
    return None


def views(db: StateDB | None, entry: Entry | None, wanted: Wanted) -> dict[str, RegionView]:
    """Each Region as the records say it is."""
    rows = db.region_images(entry.name) if db is not None and entry is not None else []
    applied = db.applied(entry.name) if db is not None and entry is not None else []
    found: dict[str, RegionView] = {}
    home: ImageView | None
    done = entry is not None and entry.phase is Phase.DONE and entry.attempt.image_id
    named = _kept(rows, ImageRole.NAMED, wanted.home)
    if named is not None:
        home = ImageView(named.image_id or "", named.name or "", "available")
    elif done and entry is not None:
        original = _kept(rows, ImageRole.ORIGINAL, wanted.home)
        name = original.name if original is not None and original.name else ""
        home = ImageView(entry.attempt.image_id or "", name, "available")
    else:
        home = ImageView(TO_COME, "import-ami-...", "available")
    if wanted.name is not None and home.name != wanted.name:
        home_view = RegionView(wanted.home)
    else:
        home_view = _view(wanted.home, home, applied, wanted)
    found[wanted.home] = home_view
    for region in wanted.copies:
        copy = _kept(rows, ImageRole.COPY, region)
        image = (
            None if copy is None else ImageView(copy.image_id or "", copy.name or "", "available")
        )
        found[region] = _view(region, image, applied, wanted)
    return found


def done_lines(db: StateDB | None, entry: Entry | None) -> list[str]:
    """What the records say was done, one line each."""
    if db is None or entry is None:
        return []
    lines = []
    for row in db.region_images(entry.name):
        if row.image_id:
            lines.append(f"{row.region}: {row.role} {row.image_id} {row.state}")
    for done in db.applied(entry.name):
        what = f"{done.step} {done.target}".strip() if done.target else str(done.step)
        value = f" {done.value}" if done.value and done.step is not Step.TAG else ""
        lines.append(f"{done.region}: {done.image_id}: {what}{value}")
    return lines


#: the tags of a plan from records: recorded as applied, or not (their values are the run's)
RECORDED_TAGS = (("vmimport:owner", "(as recorded)"),)


def planned(
    db: StateDB | None,
    entry: Entry | None,
    distribution: Distribution,
    home: str,
    now: datetime.datetime,
) -> list[Planned]:
    """The steps a run would take, as far as the records tell (see the module's docstring);
    none for an import that asks nothing of its AMI."""
    if asks_nothing(distribution):
        return []
    wanted = wanted_of(distribution, home)._replace(tags=RECORDED_TAGS)
    return plan(wanted, views(db, entry, wanted), now)


def status(
    db: StateDB | None,
    entry: Entry | None,
    distribution: Distribution,
    home: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """``--status``'s ``distribution`` of an entry: what is done and what is planned."""
    return {
        "done": done_lines(db, entry),
        "planned": [step.to_json() for step in planned(db, entry, distribution, home, now)],
    }


def summary(found: dict[str, Any]) -> str:
    """``--status``'s one cell: the counts, and the first planned step."""
    done = len(found["done"])
    steps = found["planned"]
    if not done and not steps:
        return ""
    text = f"{done} done"
    if steps:
        first = steps[0]
        text += f", {len(steps)} planned ({first['region']}: {first['detail']}"
        text += ", ...)" if len(steps) > 1 else ")"
    return text
