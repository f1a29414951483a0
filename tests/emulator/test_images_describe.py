"""DescribeImages: owners, filters (tag filters with Owners=self), pagination, ids; attributes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import Lab
from tests.emulator.imagelab import OTHER, blank_snapshot, ec2_as, error_of, register


def _names(reply: dict[str, Any]) -> list[str]:
    return sorted(image["Name"] for image in reply["Images"])


@pytest.fixture
def three(lab: Lab) -> dict[str, str]:
    snapshot = blank_snapshot(lab.ec2)
    ids = {
        "web-1": register(lab.ec2, snapshot, "web-1", BootMode="uefi"),
        "web-2": register(lab.ec2, snapshot, "web-2", Architecture="arm64", BootMode="uefi"),
        "db-1": register(lab.ec2, snapshot, "db-1", BootMode="legacy-bios"),
    }
    lab.ec2.create_tags(Resources=[ids["web-1"]], Tags=[{"Key": "vmimport:entry", "Value": "web"}])
    lab.ec2.create_tags(Resources=[ids["db-1"]], Tags=[{"Key": "vmimport:entry", "Value": "db"}])
    return ids


def test_tag_filters_with_owners_self(lab: Lab, three: dict[str, str]) -> None:
    def names(**params: Any) -> list[str]:
        return _names(lab.ec2.describe_images(Owners=["self"], **params))

    assert names() == ["db-1", "web-1", "web-2"]
    assert names(Filters=[{"Name": "tag:vmimport:entry", "Values": ["web"]}]) == ["web-1"]
    assert names(Filters=[{"Name": "tag:vmimport:entry", "Values": ["*"]}]) == ["db-1", "web-1"]
    assert names(Filters=[{"Name": "tag-key", "Values": ["vmimport:*"]}]) == ["db-1", "web-1"]
    assert names(Filters=[{"Name": "tag:vmimport:entry", "Values": ["w?b", "d?b"]}]) == ["web-1"]
    other = ec2_as(lab, OTHER)
    assert other.describe_images(Owners=["self"])["Images"] == []


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("name", ["web-*"], ["web-1", "web-2"]),
        ("architecture", ["arm64"], ["web-2"]),
        ("boot-mode", ["legacy-bios"], ["db-1"]),
        ("state", ["available"], ["db-1", "web-1", "web-2"]),
        ("image-type", ["machine"], ["db-1", "web-1", "web-2"]),
        ("is-public", ["false"], ["db-1", "web-1", "web-2"]),
        ("ena-support", ["true"], []),
        ("root-device-name", ["/dev/xvda"], ["db-1", "web-1", "web-2"]),
        ("block-device-mapping.volume-type", ["gp2"], ["db-1", "web-1", "web-2"]),
        ("block-device-mapping.encrypted", ["false"], ["db-1", "web-1", "web-2"]),
        ("virtualization-type", ["paravirtual"], []),
        ("owner-id", ["123456789012"], ["db-1", "web-1", "web-2"]),
        ("platform", ["windows"], []),
    ],
)
def test_filters(
    lab: Lab, three: dict[str, str], name: str, values: list[str], expected: list[str]
) -> None:
    reply = lab.ec2.describe_images(Owners=["self"], Filters=[{"Name": name, "Values": values}])
    assert _names(reply) == expected


def test_snapshot_filter_and_filters_combined(lab: Lab, three: dict[str, str]) -> None:
    snapshot = blank_snapshot(lab.ec2)
    lone = register(lab.ec2, snapshot, "lone")
    reply = lab.ec2.describe_images(
        Filters=[{"Name": "block-device-mapping.snapshot-id", "Values": [snapshot]}]
    )
    assert [i["ImageId"] for i in reply["Images"]] == [lone]
    both = lab.ec2.describe_images(
        Filters=[
            {"Name": "name", "Values": ["web-*"]},
            {"Name": "architecture", "Values": ["x86_64"]},
        ]
    )
    assert _names(both) == ["web-1"]


def test_an_unknown_filter_is_refused(lab: Lab, three: dict[str, str]) -> None:
    assert error_of(lab.ec2.describe_images, Filters=[{"Name": "colour", "Values": ["blue"]}]) == (
        "InvalidParameterValue",
        "The filter 'colour' is invalid.",
    )


def test_pages(lab: Lab, three: dict[str, str]) -> None:
    first = lab.ec2.describe_images(Owners=["self"], MaxResults=2)
    assert len(first["Images"]) == 2
    second = lab.ec2.describe_images(Owners=["self"], MaxResults=2, NextToken=first["NextToken"])
    assert len(second["Images"]) == 1 and "NextToken" not in second
    every = [i["ImageId"] for i in first["Images"] + second["Images"]]
    assert sorted(every) == sorted(three.values())
    paginated = lab.ec2.get_paginator("describe_images").paginate(
        Owners=["self"], PaginationConfig={"PageSize": 1}
    )
    assert sorted(i["ImageId"] for page in paginated for i in page["Images"]) == sorted(every)
    assert error_of(lab.ec2.describe_images, NextToken="nonsense") == (
        "InvalidNextToken",
        "The token 'nonsense' is invalid.",
    )


def test_image_ids(lab: Lab, three: dict[str, str]) -> None:
    reply = lab.ec2.describe_images(ImageIds=[three["web-1"], three["db-1"]])
    assert _names(reply) == ["db-1", "web-1"]
    missing = "ami-0123456789abcdef0"
    assert error_of(lab.ec2.describe_images, ImageIds=[missing]) == (
        "InvalidAMIID.NotFound",
        f"The image id '[{missing}]' does not exist",
    )
    assert error_of(lab.ec2.describe_images, ImageIds=["ami-nope"]) == (
        "InvalidAMIID.Malformed",
        'Invalid id: "ami-nope" (expecting "ami-...")',
    )
    lab.ec2.deregister_image(ImageId=three["web-2"])
    assert lab.ec2.describe_images(ImageIds=[three["web-2"]])["Images"] == []


def test_another_accounts_images_are_not_seen_unless_shared(
    lab: Lab, three: dict[str, str]
) -> None:
    other = ec2_as(lab, OTHER)
    assert other.describe_images()["Images"] == []
    assert error_of(other.describe_images, ImageIds=[three["web-1"]])[0] == "InvalidAMIID.NotFound"


def test_image_attributes_refused(lab: Lab, three: dict[str, str]) -> None:
    image_id = three["web-1"]
    assert error_of(
        lab.ec2.describe_image_attribute, ImageId=image_id, Attribute="blockDeviceMapping"
    ) == ("AuthFailure", "Unauthorized attempt to access restricted resource")
    code, message = error_of(lab.ec2.describe_image_attribute, ImageId=image_id, Attribute="colour")
    assert code == "InvalidParameterValue" and message.startswith("Value (colour) for parameter")
    missing = "ami-0123456789abcdef0"
    assert error_of(lab.ec2.describe_image_attribute, ImageId=missing, Attribute="bootMode") == (
        "InvalidAMIID.NotFound",
        f"The image id '[{missing}]' does not exist",
    )
    lab.ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER}]})
    assert error_of(
        ec2_as(lab, OTHER).describe_image_attribute, ImageId=image_id, Attribute="bootMode"
    ) == ("AuthFailure", f"Not authorized for image:{image_id}")
