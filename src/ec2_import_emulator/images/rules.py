"""Pure checks shared by the image actions: names, descriptions, tags, times, permissions.

Each rule cites the page it follows (docs/emulator.md, "Images", has the table):

- AMI names: "3-128 alphanumeric characters, parentheses, square brackets,
  spaces, periods, slashes, dashes, single quotes, at-signs, or underscores"
  (EC2 API reference, RegisterImage and CopyImage, ``Name``).
- Descriptions: at most 255 characters (botocore's EC2 model,
  ``ImageDescriptionRequest``).
- DeprecateAt: UTC, ``YYYY-MM-DDTHH:MM:SSZ``; seconds are rounded to the
  nearest minute; not in the past; at most 10 years ahead, 2 years from the
  creation date for a public AMI (EnableImageDeprecation; user guide,
  "Deprecate an AMI").
- Launch permissions: a 12-digit account, the group ``all``, an organization
  or OU ARN (``arn:aws:organizations::account-id:organization/organization-id``,
  ``...:ou/organization-id/ou-id``: the user guide, "Share an AMI with
  organizations or OUs": "You'll get an error if you specify only the ID").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors

NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")
MAX_DESCRIPTION = 255
IMAGE_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
ORGANIZATION_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$"
)
UNIT_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$"
)
ORGANIZATION_FORM = "arn:aws:organizations::account-id:organization/organization-id"
UNIT_FORM = "arn:aws:organizations::account-id:ou/organization-id/ou-id"
DEPRECATION_LIMIT = timedelta(days=3652)
PUBLIC_DEPRECATION_LIMIT = timedelta(days=730)


def check_name(name: str | None) -> str:
    if name is None:
        raise common.missing_parameter("Name")
    if not NAME.match(name):
        raise errors.name_malformed()
    return name


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise errors.description_too_long(len(description))
    return description


def check_image_id(image_id: str | None) -> str:
    if not image_id:
        raise common.missing_parameter("ImageId")
    if not IMAGE_ID.match(image_id):
        raise errors.image_malformed(image_id)
    return image_id


def choice(name: str, value: str | None, allowed: Sequence[str]) -> str | None:
    if value is not None and value not in allowed:
        raise common.invalid_value(name, value, tuple(allowed))
    return value


def tags(
    specifications: Sequence[Mapping[str, Any]], allowed: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The tags of each resource type (``image``, ``snapshot``) of TagSpecifications."""
    found: dict[str, dict[str, str]] = {}
    for specification in specifications:
        kind = specification.get("ResourceType", "")
        if kind not in allowed:
            raise common.tag_resource_type(kind)
        for tag in specification.get("Tags", []):
            if "Key" not in tag:
                raise common.missing_parameter("TagSpecification.N.Tag.N.Key")
            found.setdefault(kind, {})[tag["Key"]] = tag.get("Value", "")
    return found


# -- times ----------------------------------------------------------------------


def iso(when: datetime) -> str:
    """EC2's way of writing a time: ``2021-05-10T13:17:12.000Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """A timestamp as botocore sends it (ISO 8601, or seconds since the epoch), naive UTC."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC).replace(tzinfo=None)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise errors.deprecation_malformed(value) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def round_to_minute(when: datetime) -> datetime:
    """EC2 "rounds the seconds to the nearest minute" (EnableImageDeprecation)."""
    base = when.replace(second=0, microsecond=0)
    return base + timedelta(minutes=1) if when - base >= timedelta(seconds=30) else base


def deprecation_time(
    requested: datetime, now: datetime, created: datetime, public: bool
) -> datetime:
    when = round_to_minute(requested)
    if when < now:
        raise errors.deprecation_in_past(iso(when))
    limit = created + PUBLIC_DEPRECATION_LIMIT if public else now + DEPRECATION_LIMIT
    if when > limit:
        raise errors.deprecation_too_late(iso(when), iso(limit))
    return when


# -- launch permissions ---------------------------------------------------------


class Grantee(StrEnum):
    ACCOUNT = "UserId"
    GROUP = "Group"
    ORGANIZATION = "OrganizationArn"
    UNIT = "OrganizationalUnitArn"


@dataclass(frozen=True)
class Permission:
    """One entry of an image's launch permissions (a snapshot's create-volume permissions use
    the account and group kinds)."""

    kind: Grantee
    value: str

    def as_dict(self) -> dict[str, str]:
        return {self.kind.value: self.value}


def permission(entry: Mapping[str, str]) -> Permission:
    """Validate one LaunchPermission / CreateVolumePermission item."""
    for kind in Grantee:
        value = entry.get(kind.value)
        if value is None:
            continue
        if kind is Grantee.ACCOUNT and not ACCOUNT_ID.match(value):
            raise errors.attribute_item_value("userId", value)
        if kind is Grantee.GROUP and value != "all":
            raise errors.attribute_item_value("UserGroup", value)
        if kind is Grantee.ORGANIZATION and not ORGANIZATION_ARN.match(value):
            raise errors.organization_arn("OrganizationArn", value, ORGANIZATION_FORM)
        if kind is Grantee.UNIT and not UNIT_ARN.match(value):
            raise errors.organization_arn("OrganizationalUnitArn", value, UNIT_FORM)
        return Permission(kind, value)
    raise common.missing_parameter("LaunchPermission.UserId")
