"""Launch permissions (accounts, all, organizations, OUs) and create-volume permissions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.emulator.conftest import Lab
from tests.emulator.imagelab import (
    ACCOUNT,
    OTHER,
    blank_snapshot,
    client_as,
    ec2_as,
    error_of,
    image,
    register,
)

THIRD = "333333333333"


def _permissions(ec2: Any, image_id: str) -> list[dict[str, str]]:
    reply = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
    return sorted(reply["LaunchPermissions"], key=lambda p: sorted(p.items()))


def test_share_with_accounts_and_revoke(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.create_tags(Resources=[image_id], Tags=[{"Key": "team", "Value": "web"}])
    other = ec2_as(lab, OTHER)
    assert other.describe_images()["Images"] == []
    lab.ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER}, {"UserId": THIRD}]}
    )
    assert _permissions(lab.ec2, image_id) == [{"UserId": OTHER}, {"UserId": THIRD}]
    shared = image(other, image_id)
    assert shared["OwnerId"] == ACCOUNT and shared["Public"] is False
    assert "Tags" not in shared
    assert [i["ImageId"] for i in other.describe_images()["Images"]] == [image_id]
    assert other.describe_images(Owners=["self"])["Images"] == []
    assert [i["ImageId"] for i in other.describe_images(ExecutableUsers=["self"])["Images"]] == [
        image_id
    ]
    assert [i["ImageId"] for i in other.describe_images(Owners=[ACCOUNT])["Images"]] == [image_id]
    assert lab.ec2.describe_images(ExecutableUsers=["self"])["Images"] == []
    mine = lab.ec2.describe_images(ExecutableUsers=[OTHER])["Images"]
    assert [i["ImageId"] for i in mine] == [image_id]
    lab.ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Remove": [{"UserId": OTHER}]}
    )
    assert _permissions(lab.ec2, image_id) == [{"UserId": THIRD}]
    assert other.describe_images()["Images"] == []
    lab.ec2.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert _permissions(lab.ec2, image_id) == []


def test_the_older_operation_type_form(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.modify_image_attribute(
        ImageId=image_id, Attribute="launchPermission", OperationType="add", UserIds=[OTHER]
    )
    assert _permissions(lab.ec2, image_id) == [{"UserId": OTHER}]
    lab.ec2.modify_image_attribute(
        ImageId=image_id, Attribute="launchPermission", OperationType="remove", UserIds=[OTHER]
    )
    assert _permissions(lab.ec2, image_id) == []


def test_public_images(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    found = image(lab.ec2, image_id)
    assert found["Public"] is True
    created = datetime.fromisoformat(found["CreationDate"].replace("Z", "+00:00"))
    deprecation = datetime.fromisoformat(found["DeprecationTime"].replace("Z", "+00:00"))
    assert deprecation - created == timedelta(days=730)
    other = ec2_as(lab, OTHER)
    assert [i["ImageId"] for i in other.describe_images(ExecutableUsers=["all"])["Images"]] == [
        image_id
    ]
    assert error_of(lab.ec2.disable_image_deprecation, ImageId=image_id)[0] == (
        "InvalidParameterCombination"
    )
    for name in ("pub-2", "pub-3", "pub-4", "pub-5"):
        more = register(lab.ec2, blank_snapshot(lab.ec2), name)
        lab.ec2.modify_image_attribute(ImageId=more, LaunchPermission={"Add": [{"Group": "all"}]})
    sixth = register(lab.ec2, blank_snapshot(lab.ec2), "pub-6")
    assert error_of(
        lab.ec2.modify_image_attribute,
        ImageId=sixth,
        LaunchPermission={"Add": [{"Group": "all"}]},
    ) == (
        "ResourceLimitExceeded",
        "You have reached your quota of 5 for the number of public images allowed in this "
        "Region. Deregister unused public images or make them private, or request an increase "
        "in your public AMIs quota.",
    )


@pytest.mark.parametrize(
    ("entry", "code", "message"),
    [
        ({"UserId": "1234"}, "InvalidAMIAttributeItemValue", 'Invalid attribute item value "1234"'),
        (
            {"Group": "everyone"},
            "InvalidAMIAttributeItemValue",
            'Invalid attribute item value "everyone"',
        ),
        (
            {"OrganizationArn": "o-abcdefghij"},
            "InvalidParameterValue",
            "Value (o-abcdefghij) for parameter OrganizationArn",
        ),
        (
            {"OrganizationalUnitArn": "ou-ab12-cdefgh12"},
            "InvalidParameterValue",
            "Value (ou-ab12-cdefgh12) for parameter OrganizationalUnitArn",
        ),
    ],
)
def test_malformed_grantees(lab: Lab, entry: dict[str, str], code: str, message: str) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    found = error_of(
        lab.ec2.modify_image_attribute, ImageId=image_id, LaunchPermission={"Add": [entry]}
    )
    assert found[0] == code and found[1].startswith(message), found


def test_only_the_owner_shares(lab: Lab) -> None:
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))
    lab.ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER}]})
    other = ec2_as(lab, OTHER)
    assert error_of(
        other.modify_image_attribute,
        ImageId=image_id,
        LaunchPermission={"Add": [{"UserId": THIRD}]},
    ) == ("AuthFailure", f"Not authorized for image:{image_id}")
    assert error_of(other.deregister_image, ImageId=image_id) == (
        "AuthFailure",
        f"Not authorized for image:{image_id}",
    )


def test_the_default_key_cannot_be_shared(lab: Lab) -> None:
    """The user guide: "You can't share AMIs that are backed by snapshots that are encrypted with
    the default AWS managed key"; ModifyImageAttribute refuses at once (hashicorp/packer#7410)."""
    default = register(lab.ec2, blank_snapshot(lab.ec2, encrypted=True), "default-key")
    refusal = (
        "InvalidParameter",
        "Snapshots encrypted with the AWS Managed CMK can\u2019t be shared. Specify another "
        "snapshot.",
    )
    for entry in (
        {"UserId": OTHER},
        {"OrganizationArn": "arn:aws:organizations::111122223333:organization/o-abcdefghij"},
    ):
        assert (
            error_of(
                lab.ec2.modify_image_attribute, ImageId=default, LaunchPermission={"Add": [entry]}
            )
            == refusal
        )
    assert _permissions(lab.ec2, default) == []
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    own_key = register(lab.ec2, blank_snapshot(lab.ec2, encrypted=True, key=key), "own-key")
    lab.ec2.modify_image_attribute(ImageId=own_key, LaunchPermission={"Add": [{"UserId": OTHER}]})
    assert _permissions(lab.ec2, own_key) == [{"UserId": OTHER}]
    assert error_of(
        lab.ec2.modify_image_attribute,
        ImageId=own_key,
        LaunchPermission={"Add": [{"Group": "all"}]},
    ) == (
        "InvalidParameterCombination",
        "An image with encrypted snapshots can't be made public: share it with specific "
        "accounts, organizations or OUs.",
    )
    snapshot = image(lab.ec2, default)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert (
        error_of(
            lab.ec2.modify_snapshot_attribute,
            SnapshotId=snapshot,
            Attribute="createVolumePermission",
            CreateVolumePermission={"Add": [{"UserId": OTHER}]},
        )
        == refusal
    )


def test_organizations_and_units(lab: Lab) -> None:
    """An image shared with an organization is seen by its member accounts; shared with an OU, by
    the accounts in it and in the OUs below it, not by the others."""
    orgs = client_as(lab, "organizations", ACCOUNT)
    organization = orgs.create_organization(FeatureSet="ALL")["Organization"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    unit = orgs.create_organizational_unit(ParentId=root, Name="web")["OrganizationalUnit"]
    child = orgs.create_organizational_unit(ParentId=unit["Id"], Name="prod")["OrganizationalUnit"]
    in_child = orgs.create_account(AccountName="prod", Email="p@example.com")
    in_root = orgs.create_account(AccountName="misc", Email="m@example.com")
    prod = in_child["CreateAccountStatus"]["AccountId"]
    misc = in_root["CreateAccountStatus"]["AccountId"]
    orgs.move_account(AccountId=prod, SourceParentId=root, DestinationParentId=child["Id"])
    image_id = register(lab.ec2, blank_snapshot(lab.ec2))

    def seen(account: str) -> list[str]:
        return [i["ImageId"] for i in ec2_as(lab, account).describe_images()["Images"]]

    assert seen(prod) == [] and seen(misc) == []
    lab.ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Add": [{"OrganizationalUnitArn": unit["Arn"]}]}
    )
    assert seen(prod) == [image_id]
    assert seen(misc) == []
    assert seen(OTHER) == []
    lab.ec2.modify_image_attribute(
        ImageId=image_id,
        LaunchPermission={
            "Add": [{"OrganizationArn": organization["Arn"]}],
            "Remove": [{"OrganizationalUnitArn": unit["Arn"]}],
        },
    )
    assert seen(misc) == [image_id] and seen(prod) == [image_id]
    assert _permissions(lab.ec2, image_id) == [{"OrganizationArn": organization["Arn"]}]
    member = ec2_as(lab, prod)
    assert [i["ImageId"] for i in member.describe_images(ExecutableUsers=["self"])["Images"]] == [
        image_id
    ]


def test_create_volume_permissions(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2)

    def permissions() -> list[dict[str, str]]:
        reply = lab.ec2.describe_snapshot_attribute(
            SnapshotId=snapshot, Attribute="createVolumePermission"
        )
        return sorted(reply["CreateVolumePermissions"], key=lambda p: sorted(p.items()))

    lab.ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [{"UserId": OTHER}, {"Group": "all"}]},
    )
    assert permissions() == [{"Group": "all"}, {"UserId": OTHER}]
    lab.ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="remove",
        UserIds=[OTHER],
    )
    assert permissions() == [{"Group": "all"}]
    lab.ec2.reset_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission")
    assert permissions() == []
    assert (
        error_of(
            lab.ec2.modify_snapshot_attribute,
            SnapshotId=snapshot,
            Attribute="createVolumePermission",
            CreateVolumePermission={"Add": [{"UserId": "12"}]},
        )[0]
        == "InvalidAMIAttributeItemValue"
    )
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    encrypted = blank_snapshot(lab.ec2, encrypted=True, key=key)
    assert error_of(
        lab.ec2.modify_snapshot_attribute,
        SnapshotId=encrypted,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [{"Group": "all"}]},
    ) == (
        "InvalidParameterCombination",
        f"The snapshot {encrypted} is encrypted: only unencrypted snapshots can be shared "
        "publicly.",
    )
    theirs = blank_snapshot(ec2_as(lab, OTHER))
    assert error_of(
        lab.ec2.modify_snapshot_attribute,
        SnapshotId=theirs,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [{"UserId": THIRD}]},
    ) == ("InvalidSnapshot.NotFound", f"The snapshot '{theirs}' does not exist.")
