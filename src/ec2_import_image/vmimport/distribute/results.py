"""The distribution in results: ``images`` (Region -> AMI) and ``shared`` (the grantees).

``import``'s JSON and the rows of ``batch``'s results files gain two keys:
``images``, the AMI of the import in each Region (its own Region's is
``image_id``, the named copy once there is one), and ``shared``, the account
ids, organization and OU ARNs ``vmimport`` shared it with (and did not
unshare), as the state database recorded them.  In the CSV file ``images`` is
``REGION=AMI`` pairs and ``shared`` the grantees, each separated by ``;``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.distribution import ImageRole, ImageState, Step

SEPARATOR = ";"


def recorded_images(db: StateDB, name: str) -> list[tuple[str, str]]:
    """(Region, AMI) of the copies of the entry's current attempt that are available (its own
    Region's AMI is the attempt's)."""
    return [
        (row.region, row.image_id)
        for row in db.region_images(name)
        if row.image_id and row.role is ImageRole.COPY and row.state is ImageState.AVAILABLE
    ]


def recorded_shares(db: StateDB, name: str) -> tuple[str, ...]:
    """The grantees the current attempt's AMIs are shared with (as recorded)."""
    return tuple(sorted({done.target for done in db.applied(name) if done.step is Step.SHARE}))


def home_region(db: StateDB, name: str) -> str | None:
    """The Region of the entry's import, as its records say (None: nothing recorded)."""
    for row in db.region_images(name):
        if row.role is not ImageRole.COPY:
            return row.region
    image = db.entry(name).attempt.image_id
    for done in db.applied(name):
        if done.image_id == image:
            return done.region
    return None


def columns(db: StateDB, name: str, home: str | None) -> dict[str, Any]:
    """An entry's ``images`` and ``shared``, for its row of the results (``home``: the Region
    of the run, when its records do not say it)."""
    entry = db.entry(name)
    images = dict(recorded_images(db, name))
    region = home_region(db, name) or home
    if entry.attempt.image_id and region:
        images[region] = entry.attempt.image_id
    return {"images": dict(sorted(images.items())), "shared": list(recorded_shares(db, name))}


def flat(row: Mapping[str, Any]) -> dict[str, str]:
    """``images`` and ``shared`` as the CSV file writes them."""
    images = row.get("images") or {}
    shared = row.get("shared") or []
    return {
        "images": SEPARATOR.join(f"{region}={image}" for region, image in dict(images).items()),
        "shared": SEPARATOR.join(str(grantee) for grantee in shared),
    }
