"""Deprecation, deregistration protection, IMDS support, references, deregistration, in-use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.emulator.conftest import Lab
from tests.emulator.imagelab import OTHER, blank_snapshot, ec2_as, error_of, image, register

DAY = 24 * 3600


def _now(lab: Lab) -> datetime:
    """The emulator's time, as the image shows its creation (seconds precision)."""
    probe = register(lab.ec2, blank_snapshot(lab.ec2), "clock-probe")
    created = image(lab.ec2, probe)["CreationDate"]
    lab.ec2.deregister_image(ImageId=probe)
    return datetime.fromisoformat(created.replace("Z", "+00:00"))


def test_deprecation_is_rounded_and_shown(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    now = _now(lab)
    when = (now + timedelta(days=3)).replace(second=31, microsecond=0)
    lab.ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=when)
    expected = (when + timedelta(minutes=1)).replace(second=0)
    assert image(lab.ec2, image_id)["DeprecationTime"] == expected.strftime(
        "%Y-%m-%dT%H:%M:00.000Z"
    )
    earlier = when.replace(second=29)
    lab.ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=earlier)
    assert image(lab.ec2, image_id)["DeprecationTime"] == earlier.strftime("%Y-%m-%dT%H:%M:00.000Z")
    lab.ec2.disable_image_deprecation(ImageId=image_id)
    assert "DeprecationTime" not in image(lab.ec2, image_id)


def test_deprecation_limits(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    now = _now(lab)
    code, message = error_of(
        lab.ec2.enable_image_deprecation, ImageId=image_id, DeprecateAt=now - timedelta(days=1)
    )
    assert (code, message.endswith("is in the past.")) == ("InvalidParameterValue", True)
    code, message = error_of(
        lab.ec2.enable_image_deprecation,
        ImageId=image_id,
        DeprecateAt=now + timedelta(days=3653 + 1),
    )
    assert code == "InvalidParameterValue" and "10 years from now" in message
    lab.ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=now + timedelta(days=3650))
    other = ec2_as(lab, OTHER)
    lab.ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER}]})
    assert error_of(
        other.enable_image_deprecation, ImageId=image_id, DeprecateAt=now + timedelta(days=1)
    ) == ("AuthFailure", f"Not authorized for image:{image_id}")


def test_deprecated_images_are_hidden_from_other_accounts(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER}]})
    lab.ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=_now(lab) + timedelta(days=90))
    other = ec2_as(lab, OTHER)

    def listed(ec2: Any, **params: Any) -> list[str]:
        return [i["ImageId"] for i in ec2.describe_images(**params)["Images"]]

    assert listed(other) == [image_id]
    lab.elapse(91 * DAY)
    assert listed(other) == []
    assert listed(other, IncludeDeprecated=True) == [image_id]
    assert listed(other, ImageIds=[image_id]) == [image_id]
    assert listed(other, ImageIds=[image_id], IncludeDeprecated=False) == [image_id]
    assert listed(lab.ec2) == [image_id]
    assert listed(lab.ec2, IncludeDeprecated=False) == [image_id]


def test_deregistration_protection(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))

    def protection() -> str:
        value = image(lab.ec2, image_id)["DeregistrationProtection"]
        attribute = lab.ec2.describe_image_attribute(
            ImageId=image_id, Attribute="deregistrationProtection"
        )["DeregistrationProtection"]["Value"]
        assert value == attribute
        return str(value)

    refusal = (
        "OperationNotPermitted",
        f"The image {image_id} can't be deregistered: deregistration protection is enabled. "
        "Disable deregistration protection (DisableImageDeregistrationProtection) and try again.",
    )
    reply = lab.ec2.enable_image_deregistration_protection(ImageId=image_id)
    assert reply["Return"] == "true"
    assert protection() == "enabled-without-cooldown"
    assert error_of(lab.ec2.deregister_image, ImageId=image_id) == refusal
    lab.ec2.disable_image_deregistration_protection(ImageId=image_id)
    assert protection() == "disabled"
    lab.ec2.enable_image_deregistration_protection(ImageId=image_id, WithCooldown=True)
    assert protection() == "enabled-with-cooldown"
    assert error_of(lab.ec2.deregister_image, ImageId=image_id) == refusal
    lab.ec2.disable_image_deregistration_protection(ImageId=image_id)
    assert protection().startswith("disabled-until ")
    code, message = error_of(lab.ec2.deregister_image, ImageId=image_id)
    assert code == "OperationNotPermitted" and "cooldown lasts until" in message
    lab.elapse(DAY - 60)
    assert error_of(lab.ec2.deregister_image, ImageId=image_id)[0] == "OperationNotPermitted"
    lab.elapse(60)
    assert protection() == "disabled"
    assert lab.ec2.deregister_image(ImageId=image_id)["Return"] is True


def test_imds_support_is_set_once(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    assert "ImdsSupport" not in image(lab.ec2, image_id)
    lab.ec2.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
    assert image(lab.ec2, image_id)["ImdsSupport"] == "v2.0"
    lab.ec2.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
    for value in ("v1.0", ""):
        code, message = error_of(
            lab.ec2.modify_image_attribute, ImageId=image_id, ImdsSupport={"Value": value}
        )
        assert code == "InvalidParameterValue" and "can't be removed" in message
    assert image(lab.ec2, image_id)["ImdsSupport"] == "v2.0"
    other = register(lab.ec2, blank_snapshot(lab.ec2), "web-2")
    lab.ec2.modify_image_attribute(ImageId=other, Attribute="imdsSupport", Value="v2.0")
    assert image(lab.ec2, other)["ImdsSupport"] == "v2.0"


def test_description_and_one_attribute_at_a_time(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "new words"})
    assert image(lab.ec2, image_id)["Description"] == "new words"
    lab.ec2.modify_image_attribute(ImageId=image_id, Attribute="description", Value="other")
    assert image(lab.ec2, image_id)["Description"] == "other"
    assert (
        error_of(
            lab.ec2.modify_image_attribute,
            ImageId=image_id,
            Description={"Value": "x"},
            ImdsSupport={"Value": "v2.0"},
        )[0]
        == "InvalidParameterCombination"
    )
    assert (
        error_of(lab.ec2.reset_image_attribute, ImageId=image_id, Attribute="description")[0]
        == "InvalidParameterValue"
    )


def test_deregister_with_its_snapshots(lab: Lab) -> None:
    shared = blank_snapshot(lab.ec2)
    own = blank_snapshot(lab.ec2)
    image_id = lab.ec2.register_image(
        Name="two-disks",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": own}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"SnapshotId": shared}},
        ],
    )["ImageId"]
    keeper = register(lab.ec2, shared, "keeper")
    assert error_of(lab.ec2.delete_snapshot, SnapshotId=own) == (
        "InvalidSnapshot.InUse",
        f"The snapshot {own} is currently in use by {image_id}",
    )
    reply = lab.ec2.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
    assert reply["Return"] is True
    assert sorted(reply["DeleteSnapshotResults"], key=lambda r: r["ReturnCode"]) == [
        {"SnapshotId": shared, "ReturnCode": "skipped"},
        {"SnapshotId": own, "ReturnCode": "success"},
    ]
    remaining = [
        s["SnapshotId"] for s in lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    ]
    assert remaining == [shared]
    assert error_of(lab.ec2.deregister_image, ImageId=image_id) == (
        "InvalidAMIID.Unavailable",
        f"The image id '[{image_id}]' is no longer available",
    )
    lab.ec2.deregister_image(ImageId=keeper)
    lab.ec2.delete_snapshot(SnapshotId=shared)
    assert lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_deregister_keeps_snapshots_by_default(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2)
    image_id = register(lab.ec2, snapshot)
    reply = lab.ec2.deregister_image(ImageId=image_id)
    assert "DeleteSnapshotResults" not in reply
    assert [
        s["SnapshotId"] for s in lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    ] == [snapshot]
    missing = "ami-0123456789abcdef0"
    assert error_of(lab.ec2.deregister_image, ImageId=missing) == (
        "InvalidAMIID.NotFound",
        f"The image id '[{missing}]' does not exist",
    )


def test_image_references(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2), BootMode="uefi")
    unused = register(lab.ec2, blank_snapshot(lab.ec2), "unused")
    instance = lab.ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]
    template = lab.ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": image_id}
    )["LaunchTemplate"]
    reply = lab.ec2.describe_image_references(
        ImageIds=[image_id, unused], IncludeAllResourceTypes=True
    )
    assert sorted(reply["ImageReferences"], key=lambda r: r["ResourceType"]) == [
        {
            "ImageId": image_id,
            "ResourceType": "ec2:Instance",
            "Arn": f"arn:aws:ec2:us-east-1:123456789012:instance/{instance['InstanceId']}",
        },
        {
            "ImageId": image_id,
            "ResourceType": "ec2:LaunchTemplate",
            "Arn": "arn:aws:ec2:us-east-1:123456789012:launch-template/"
            + template["LaunchTemplateId"],
        },
    ]
    only_stopped = lab.ec2.describe_image_references(
        ImageIds=[image_id],
        ResourceTypes=[
            {
                "ResourceType": "ec2:Instance",
                "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": ["stopped"]}],
            }
        ],
    )
    assert only_stopped["ImageReferences"] == []
    first = lab.ec2.describe_image_references(
        ImageIds=[image_id], IncludeAllResourceTypes=True, MaxResults=5
    )
    assert len(first["ImageReferences"]) == 2 and "NextToken" not in first
    assert error_of(lab.ec2.describe_image_references, ImageIds=[image_id]) == (
        "InvalidParameterCombination",
        "Specify either IncludeAllResourceTypes or ResourceTypes.",
    )
    assert (
        error_of(
            lab.ec2.describe_image_references,
            ImageIds=[image_id],
            IncludeAllResourceTypes=True,
            MaxResults=1001,
        )[0]
        == "InvalidParameterValue"
    )
    launched = image(lab.ec2, image_id)
    assert launched["LastLaunchedTime"].endswith("Z")
    attribute = lab.ec2.describe_image_attribute(ImageId=image_id, Attribute="lastLaunchedTime")
    assert attribute["LastLaunchedTime"] == {"Value": launched["LastLaunchedTime"]}


@pytest.mark.parametrize(
    "call",
    [
        "enable_image_deregistration_protection",
        "disable_image_deregistration_protection",
        "disable_image_deprecation",
    ],
)
def test_actions_on_unknown_images(lab: Lab, call: str) -> None:
    missing = "ami-0123456789abcdef0"
    assert error_of(getattr(lab.ec2, call), ImageId=missing) == (
        "InvalidAMIID.NotFound",
        f"The image id '[{missing}]' does not exist",
    )


def test_dry_runs(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    dry = ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
    assert error_of(lab.ec2.deregister_image, ImageId=image_id, DryRun=True) == dry
    assert (
        error_of(
            lab.ec2.enable_image_deprecation,
            ImageId=image_id,
            DeprecateAt=datetime.now(UTC) + timedelta(days=1),
            DryRun=True,
        )
        == dry
    )
    assert image(lab.ec2, image_id)["State"] == "available"
