"""DescribeImages and DescribeImageAttribute.

DescribeImages answers what the caller may see in the Region (the user guide,
"Find an AMI", and the API reference): its own images, public ones, and those
shared with it, its organization or its OUs (``sharing.visible``), scoped by
``Owners`` (account ids, ``self``, an owner alias), ``ExecutableUsers``
(``self`` or the caller's id: images shared with it, its organization or OU;
another account: shared with that account only; ``all``: public ones) and the
filters (``filters``).  A deprecated image (its DeprecationTime passed) is left
out for everyone but its owner unless ``IncludeDeprecated`` or its id is asked
for ("Deprecate an AMI": "AMI owners continue to see deprecated AMIs", "if you
specify --no-include-deprecated together with the AMI ID, the deprecated AMI
will be returned"); a disabled image unless ``IncludeDisabled`` or its id.  An
id that was deregistered answers nothing rather than an error ("Recently
deregistered images appear ... for a short interval and then return empty
results"); an unknown id is InvalidAMIID.NotFound.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, filters, moto_ec2, paging, rules, sharing, view
from ec2_import_emulator.images.rules import Grantee, Permission

DEFAULT_PAGE = 1000
ATTRIBUTES = (
    "description",
    "kernel",
    "ramdisk",
    "launchPermission",
    "productCodes",
    "blockDeviceMapping",
    "sriovNetSupport",
    "bootMode",
    "tpmSupport",
    "uefiData",
    "lastLaunchedTime",
    "imdsSupport",
    "deregistrationProtection",
)


def _owner_matches(ami: Any, owners: list[str], caller: str) -> bool:
    wanted = {caller if owner == "self" else owner for owner in owners}
    return ami.owner_id in wanted or (ami.owner_alias is not None and ami.owner_alias in wanted)


def _executable_by(ami: Any, users: list[str], caller: str) -> bool:
    granted = sharing.permissions(ami)
    for user in users:
        if user == "all" and sharing.PUBLIC in granted:
            return True
        if user in ("self", caller):
            if ami.owner_id != caller and sharing.can_launch(ami, caller):
                return True
        elif Permission(Grantee.ACCOUNT, user) in granted:
            return True
    return False


def describe_images(
    params: dict[str, Any], caller: str, region: str, now: datetime
) -> dict[str, Any]:
    image_ids = [rules.check_image_id(image_id) for image_id in params.get("ImageIds", [])]
    owners = list(params.get("Owners", []))
    users = list(params.get("ExecutableUsers", []))
    wanted = filters.parse(params.get("Filters", []))
    found: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for owner, ami in sharing.visible(caller, region):
        if image_ids and ami.id not in image_ids:
            continue
        seen.add(ami.id)
        if owners and not _owner_matches(ami, owners, caller):
            continue
        if users and not _executable_by(ami, users, caller):
            continue
        if not image_ids and not _listed(ami, params, caller, now):
            continue
        found.append((owner, ami))
    missing = [
        image_id
        for image_id in image_ids
        if image_id not in seen and not moto_ec2.was_deregistered(caller, region, image_id)
    ]
    if missing:
        raise errors.image_not_found(missing)
    views = [view.image_view(owner, region, ami, caller, now) for owner, ami in found]
    views = [image for image in views if all(f.matches(image) for f in wanted)]
    views.sort(key=lambda image: (image["CreationDate"], image["ImageId"]))
    return _page(views, params)


def _listed(ami: Any, params: dict[str, Any], caller: str, now: datetime) -> bool:
    """Whether an image appears in a listing (no ids asked for)."""
    if ami.state == "disabled" and not params.get("IncludeDisabled"):
        return False
    if ami.owner_id == caller or params.get("IncludeDeprecated"):
        return True
    deprecated = view.record_for(ami).deprecation_time
    return deprecated is None or deprecated > now


def _page(views: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    limit = params.get("MaxResults")
    if limit is not None and not 1 <= limit <= DEFAULT_PAGE:
        raise errors.max_results(limit, 1, DEFAULT_PAGE)
    given = params.get("NextToken")
    start = paging.offset("images", given, len(views))
    if limit is None and given is None:
        return {"Images": views}
    end = start + (limit or DEFAULT_PAGE)
    result: dict[str, Any] = {"Images": views[start:end]}
    if end < len(views):
        result["NextToken"] = paging.token("images", end)
    return result


# -- DescribeImageAttribute -----------------------------------------------------


def _value(value: Any) -> dict[str, Any]:
    return {} if value is None or value == "" else {"Value": str(value)}


def describe_attribute(
    params: dict[str, Any], caller: str, region: str, now: datetime
) -> dict[str, Any]:
    attribute = params.get("Attribute")
    if attribute is None:
        raise common.missing_parameter("Attribute")
    rules.choice("Attribute", attribute, ATTRIBUTES)
    ami = sharing.owned(caller, region, params.get("ImageId") or "")
    if attribute == "blockDeviceMapping":
        raise errors.block_device_mapping_attribute()
    record = view.record_for(ami)
    facts = record.facts
    result: dict[str, Any] = {"ImageId": ami.id}
    if attribute == "launchPermission":
        result["LaunchPermissions"] = [p.as_dict() for p in sharing.permissions(ami)]
    elif attribute == "productCodes":
        result["ProductCodes"] = [
            {"ProductCodeId": code, "ProductCodeType": "marketplace"} for code in ami.product_codes
        ]
    else:
        launched = view.last_launched(ami.owner_id, region, ami.id)
        values = {
            "description": ("Description", ami.description),
            "kernel": ("KernelId", facts.kernel_id),
            "ramdisk": ("RamdiskId", facts.ramdisk_id),
            "sriovNetSupport": ("SriovNetSupport", facts.sriov_net_support),
            "bootMode": ("BootMode", facts.boot_mode),
            "tpmSupport": ("TpmSupport", facts.tpm_support),
            "uefiData": ("UefiData", facts.uefi_data),
            "lastLaunchedTime": ("LastLaunchedTime", rules.iso(launched) if launched else None),
            "imdsSupport": ("ImdsSupport", facts.imds_support),
            "deregistrationProtection": (
                "DeregistrationProtection",
                view.protection_text(record, now),
            ),
        }
        member, value = values[attribute]
        result[member] = _value(value)
    return result
