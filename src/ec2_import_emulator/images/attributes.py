"""ModifyImageAttribute, ResetImageAttribute, ModifySnapshotAttribute, ResetSnapshotAttribute.

ModifyImageAttribute changes one attribute at a time (the API reference): the
description (``Description`` or ``Attribute=description`` with ``Value``), the
IMDS support (``ImdsSupport``: only ``v2.0``, and once set it cannot be undone:
"After you set the value to v2.0, you can't undo it"), or the launch
permissions (``LaunchPermission.Add/Remove``, or ``OperationType`` with
``UserIds``, ``UserGroups``, ``OrganizationArns``, ``OrganizationalUnitArns``;
the rules are ``sharing``'s).  ``ProductCodes`` is "Not supported".
ResetImageAttribute resets the launch permissions only ("currently you can
only reset the launch permission attribute").  The snapshot actions handle
``createVolumePermission`` (accounts and ``all``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, rules, sharing, view

IMAGE_ATTRIBUTES = ("description", "imdsSupport", "launchPermission")
PERMISSION_PARAMETERS = (
    "LaunchPermission",
    "OperationType",
    "UserIds",
    "UserGroups",
    "OrganizationArns",
    "OrganizationalUnitArns",
)


def _attribute(params: dict[str, Any]) -> str:
    if params.get("ProductCodes"):
        raise errors.attribute_not_supported("productCodes", "ModifyImageAttribute")
    given = set()
    if params.get("Description") is not None:
        given.add("description")
    if params.get("ImdsSupport") is not None:
        given.add("imdsSupport")
    if any(params.get(name) for name in PERMISSION_PARAMETERS):
        given.add("launchPermission")
    named = params.get("Attribute")
    if named is not None:
        rules.choice("Attribute", named, IMAGE_ATTRIBUTES)
        given.add(named)
    if len(given) != 1:
        if not given:
            raise common.missing_parameter("Attribute")
        raise errors.one_attribute()
    return given.pop()


def modify_image(
    params: dict[str, Any], account: str, region: str, now: datetime
) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    attribute = _attribute(params)
    record = view.record_for(ami)
    if attribute == "description":
        value = (params.get("Description") or {}).get("Value", params.get("Value"))
        ami.description = rules.check_description(value or "")
    elif attribute == "imdsSupport":
        value = (params.get("ImdsSupport") or {}).get("Value", params.get("Value"))
        if value != "v2.0":
            raise errors.imds_irreversible(str(value or ""))
        facts = replace(record.facts, imds_support="v2.0")
        moto_ec2.attach(ami, replace(record, facts=facts))
    else:
        add, remove = sharing.launch_permission_changes(params)
        updated = sharing.modify_launch_permissions(
            account, region, ami, record, add=add, remove=remove, now=now
        )
        if updated != record:
            moto_ec2.attach(ami, updated)
    return {}


def reset_image(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    ami = sharing.owned(account, region, params.get("ImageId") or "")
    attribute = params.get("Attribute")
    if attribute is None:
        raise common.missing_parameter("Attribute")
    if attribute != "launchPermission":
        raise errors.attribute_not_supported(attribute, "ResetImageAttribute")
    ami.launch_permissions = []
    return {}


def _own_snapshot(account: str, region: str, snapshot_id: str | None) -> Any:
    if not snapshot_id:
        raise common.missing_parameter("SnapshotId")
    snapshot = moto_ec2.find_snapshot(account, region, snapshot_id)
    if snapshot is None:
        if sharing.readable_snapshot(account, region, snapshot_id) is not None:
            raise errors.snapshot_not_owned(snapshot_id)
        raise common.no_such_snapshot(snapshot_id)
    return snapshot


def modify_snapshot(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    snapshot = _own_snapshot(account, region, params.get("SnapshotId"))
    attribute = params.get("Attribute")
    if attribute == "productCodes":
        raise errors.attribute_not_supported(attribute, "ModifySnapshotAttribute")
    rules.choice("Attribute", attribute, ("createVolumePermission",))
    add, remove = sharing.volume_permission_changes(params)
    if not add and not remove:
        raise common.missing_parameter("CreateVolumePermission")
    sharing.modify_volume_permissions(account, region, snapshot, add, remove)
    return {}


def reset_snapshot(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    snapshot = _own_snapshot(account, region, params.get("SnapshotId"))
    attribute = params.get("Attribute")
    if attribute is None:
        raise common.missing_parameter("Attribute")
    if attribute != "createVolumePermission":
        raise errors.attribute_not_supported(attribute, "ResetSnapshotAttribute")
    snapshot.create_volume_permission_groups.clear()
    snapshot.create_volume_permission_userids.clear()
    return {}
