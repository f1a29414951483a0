"""CopyImage: same-Region and cross-Region copies, what is copied, tokens, keys, quota, clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulator.conftest import REGION, Lab
from tests.emulator.imagelab import (
    ACCOUNT,
    OTHER,
    blank_snapshot,
    ec2_as,
    error_of,
    image,
    imported,
    register,
    view,
)
from tests.support.diskfixtures import DiskFixtures

WEST = "us-west-2"
COPY_SECONDS = 600


def _source(lab: Lab, **params: Any) -> str:
    snapshot = blank_snapshot(lab.ec2, 4)
    request: dict[str, Any] = {
        "BootMode": "uefi",
        "EnaSupport": True,
        "TpmSupport": "v2.0",
        "ImdsSupport": "v2.0",
        "UefiData": "QU1aTlVFRkk=",
        "SriovNetSupport": "simple",
        "Description": "the source",
    }
    request.update(params)
    return register(lab.ec2, snapshot, "source-1", **request)


def test_a_copy_is_pending_then_available_with_new_snapshots(lab: Lab) -> None:
    source_id = _source(lab)
    source = image(lab.ec2, source_id)
    copy_id = lab.ec2.copy_image(SourceImageId=source_id, SourceRegion=REGION, Name="copy-1")[
        "ImageId"
    ]
    copy = image(lab.ec2, copy_id)
    assert copy["State"] == "pending"
    new_snapshot = copy["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert new_snapshot != source["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snapshot = lab.ec2.describe_snapshots(SnapshotIds=[new_snapshot])["Snapshots"][0]
    assert snapshot["State"] == "pending"
    assert re.fullmatch(
        rf"Copied for DestinationAmi {copy_id} from SourceAmi {source_id} for SourceSnapshot "
        r"snap-[0-9a-f]{17}\. Task created on \d{1,3}(,\d{3})+\.",
        snapshot["Description"],
    )
    assert snapshot["VolumeSize"] == 4
    lab.elapse(COPY_SECONDS - 1)
    assert image(lab.ec2, copy_id)["State"] == "pending"
    lab.elapse(1)
    copy = image(lab.ec2, copy_id)
    assert copy["State"] == "available"
    assert lab.ec2.describe_snapshots(SnapshotIds=[new_snapshot])["Snapshots"][0]["State"] == (
        "completed"
    )
    kept = (
        "Architecture",
        "BootMode",
        "EnaSupport",
        "TpmSupport",
        "ImdsSupport",
        "SriovNetSupport",
        "VirtualizationType",
        "RootDeviceName",
        "PlatformDetails",
        "UsageOperation",
        "Description",
        "Hypervisor",
    )
    assert {k: copy[k] for k in kept} == {k: source[k] for k in kept}
    assert copy["Name"] == "copy-1"
    assert copy["SourceImageId"] == source_id
    assert copy["SourceImageRegion"] == REGION
    uefi = lab.ec2.describe_image_attribute(ImageId=copy_id, Attribute="uefiData")["UefiData"]
    assert uefi == {"Value": "QU1aTlVFRkk="}


def test_what_is_not_copied(lab: Lab) -> None:
    source_id = _source(lab)
    lab.ec2.create_tags(Resources=[source_id], Tags=[{"Key": "team", "Value": "web"}])
    lab.ec2.modify_image_attribute(ImageId=source_id, LaunchPermission={"Add": [{"UserId": OTHER}]})
    lab.ec2.enable_image_deprecation(
        ImageId=source_id, DeprecateAt=datetime.now(UTC) + timedelta(days=365)
    )
    lab.ec2.enable_image_deregistration_protection(ImageId=source_id)
    copy_id = lab.ec2.copy_image(
        SourceImageId=source_id, SourceRegion=REGION, Name="copy-1", Description="mine"
    )["ImageId"]
    copy = image(lab.ec2, copy_id)
    assert "Tags" not in copy
    assert "DeprecationTime" not in copy
    assert copy["DeregistrationProtection"] == "disabled"
    assert copy["Description"] == "mine"
    permissions = lab.ec2.describe_image_attribute(ImageId=copy_id, Attribute="launchPermission")
    assert permissions["LaunchPermissions"] == []


def test_tags_copied_on_request_and_tag_specifications(lab: Lab) -> None:
    source_id = _source(lab)
    lab.ec2.create_tags(Resources=[source_id], Tags=[{"Key": "team", "Value": "web"}])
    copy_id = lab.ec2.copy_image(
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="copy-1",
        CopyImageTags=True,
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "copy", "Value": "yes"}]},
            {"ResourceType": "snapshot", "Tags": [{"Key": "part", "Value": "root"}]},
        ],
    )["ImageId"]
    copy = image(lab.ec2, copy_id)
    assert sorted((t["Key"], t["Value"]) for t in copy["Tags"]) == [
        ("copy", "yes"),
        ("team", "web"),
    ]
    snapshot_id = copy["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snapshot = lab.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert snapshot["Tags"] == [{"Key": "part", "Value": "root"}]
    assert error_of(
        lab.ec2.copy_image,
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="copy-2",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "a", "Value": "b"}]}],
    ) == (
        "InvalidParameterValue",
        "'volume' is not a valid taggable resource type for this operation.",
    )


def test_cross_region_copy_carries_the_content(lab: Lab, disks: DiskFixtures) -> None:
    task = imported(lab, disks.path("gpt-uefi.stream.vmdk").read_bytes(), "VMDK", "web.vmdk")
    west = ec2_as(lab, region=WEST)
    copy_id = west.copy_image(SourceImageId=task["ImageId"], SourceRegion=REGION, Name="web-1")[
        "ImageId"
    ]
    assert error_of(lab.ec2.describe_images, ImageIds=[copy_id])[0] == "InvalidAMIID.NotFound"
    lab.elapse(COPY_SECONDS)
    copy = image(west, copy_id)
    assert copy["State"] == "available"
    assert copy["BootMode"] == "uefi"
    assert copy["SourceImageRegion"] == REGION
    _, found = view(lab, copy_id)
    assert found["Region"] == WEST
    assert found["Boots"] is True
    assert found["Disk"]["EspLoaders"] == ["BOOTX64.EFI"]
    assert found["RootSnapshotId"] == copy["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snapshots = west.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert [s["SnapshotId"] for s in snapshots] == [found["RootSnapshotId"]]


def test_client_token_is_idempotent(lab: Lab) -> None:
    source_id = _source(lab)
    west = ec2_as(lab, region=WEST)

    def copy(**params: Any) -> str:
        request: dict[str, Any] = {
            "SourceImageId": source_id,
            "SourceRegion": REGION,
            "Name": "web-1",
            "ClientToken": "import-web-1-us-west-2",
        }
        request.update(params)
        return str(west.copy_image(**request)["ImageId"])

    first = copy()
    assert copy() == first
    lab.elapse(COPY_SECONDS)
    assert copy() == first
    assert len(west.describe_images(Owners=["self"])["Images"]) == 1
    code, message = error_of(copy, Name="web-2")
    assert code == "IdempotentParameterMismatch"
    assert "import-web-1-us-west-2" in message
    east_copy = lab.ec2.copy_image(
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="web-1-east",
        ClientToken="import-web-1-us-west-2",
    )["ImageId"]
    assert east_copy != first


def _snapshot_of(ec2: Any, image_id: str) -> dict[str, Any]:
    snapshot_id = image(ec2, image_id)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    return dict(ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0])


def test_encryption_of_copies(lab: Lab) -> None:
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    encrypted_source = register(
        lab.ec2, blank_snapshot(lab.ec2, encrypted=True, key=key), "enc-source"
    )
    plain_source = _source(lab)
    same = lab.ec2.copy_image(SourceImageId=encrypted_source, SourceRegion=REGION, Name="cp1")
    same_snapshot = _snapshot_of(lab.ec2, same["ImageId"])
    assert same_snapshot["Encrypted"] is True and same_snapshot["KmsKeyId"] == key
    asked = lab.ec2.copy_image(
        SourceImageId=encrypted_source, SourceRegion=REGION, Name="cp2", Encrypted=False
    )
    assert _snapshot_of(lab.ec2, asked["ImageId"])["Encrypted"] is True
    west = ec2_as(lab, region=WEST)
    far = west.copy_image(SourceImageId=encrypted_source, SourceRegion=REGION, Name="cp3")
    far_snapshot = _snapshot_of(west, far["ImageId"])
    west_default = lab.client("kms", WEST).describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert far_snapshot["Encrypted"] is True
    assert far_snapshot["KmsKeyId"] == west_default["Arn"]
    encrypting = lab.ec2.copy_image(
        SourceImageId=plain_source, SourceRegion=REGION, Name="cp4", Encrypted=True
    )
    assert _snapshot_of(lab.ec2, encrypting["ImageId"])["Encrypted"] is True
    assert image(lab.ec2, encrypting["ImageId"])["BlockDeviceMappings"][0]["Ebs"]["Encrypted"]
    other_key = kms.create_key()["KeyMetadata"]["KeyId"]
    keyed = lab.ec2.copy_image(
        SourceImageId=plain_source,
        SourceRegion=REGION,
        Name="cp5",
        Encrypted=True,
        KmsKeyId=other_key,
    )
    assert _snapshot_of(lab.ec2, keyed["ImageId"])["KmsKeyId"] == other_key
    plain = lab.ec2.copy_image(SourceImageId=plain_source, SourceRegion=REGION, Name="cp6")
    assert _snapshot_of(lab.ec2, plain["ImageId"])["Encrypted"] is False
    assert error_of(
        lab.ec2.copy_image,
        SourceImageId=plain_source,
        SourceRegion=REGION,
        Name="cp7",
        KmsKeyId=other_key,
    ) == (
        "InvalidParameterDependency",
        "The parameter KmsKeyId requires the parameter Encrypted to be set.",
    )


def test_an_unknown_key_fails_the_copy_later(lab: Lab) -> None:
    source_id = _source(lab)
    copy_id = lab.ec2.copy_image(
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="cp1",
        Encrypted=True,
        KmsKeyId="alias/no-such-key",
    )["ImageId"]
    assert image(lab.ec2, copy_id)["State"] == "pending"
    lab.elapse(COPY_SECONDS)
    failed = image(lab.ec2, copy_id)
    assert failed["State"] == "failed"
    assert failed["StateReason"] == {
        "Code": "Client.InvalidKMSKey.InvalidState",
        "Message": f"The KMS key alias/no-such-key does not exist in {REGION} or cannot be used.",
    }
    filtered = lab.ec2.describe_images(Filters=[{"Name": "state", "Values": ["failed"]}])
    assert [i["ImageId"] for i in filtered["Images"]] == [copy_id]


def test_the_copy_quota(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(max_image_copies=2)
    source_id = register(lab.ec2, blank_snapshot(lab.ec2), "source-1")

    def copy(name: str) -> dict[str, Any]:
        return dict(lab.ec2.copy_image(SourceImageId=source_id, SourceRegion=REGION, Name=name))

    copy("cp1")
    copy("cp2")
    assert error_of(copy, "cp3") == (
        "ResourceLimitExceeded",
        "Too many AMI copies in progress. The limit is 2 for this destination region.",
    )
    ec2_as(lab, region=WEST).copy_image(SourceImageId=source_id, SourceRegion=REGION, Name="west")
    lab.elapse(COPY_SECONDS)
    copy("cp3")


def test_completion_duration(lab: Lab) -> None:
    source_id = register(lab.ec2, blank_snapshot(lab.ec2), "source-1")
    copy_id = lab.ec2.copy_image(
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="cp1",
        SnapshotCopyCompletionDurationMinutes=15,
    )["ImageId"]
    lab.elapse(COPY_SECONDS)
    assert image(lab.ec2, copy_id)["State"] == "pending"
    lab.elapse(900 - COPY_SECONDS)
    assert image(lab.ec2, copy_id)["State"] == "available"
    assert error_of(
        lab.ec2.copy_image,
        SourceImageId=source_id,
        SourceRegion=REGION,
        Name="cp2",
        SnapshotCopyCompletionDurationMinutes=20,
    ) == (
        "InvalidParameterValue",
        "Value (20) for parameter SnapshotCopyCompletionDurationMinutes is invalid. Specify a "
        "multiple of 15 between 15 and 2880.",
    )


def test_copies_of_another_accounts_image(lab: Lab) -> None:
    owner = ec2_as(lab, OTHER)
    snapshot = blank_snapshot(owner)
    theirs = register(owner, snapshot, "shared-1")

    def copy() -> dict[str, Any]:
        return dict(lab.ec2.copy_image(SourceImageId=theirs, SourceRegion=REGION, Name="mine-1"))

    assert error_of(copy)[0] == "InvalidAMIID.NotFound"
    owner.modify_image_attribute(ImageId=theirs, LaunchPermission={"Add": [{"UserId": ACCOUNT}]})
    assert error_of(copy) == (
        "InvalidRequest",
        "You do not have permission to access the storage of this ami",
    )
    owner.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [{"UserId": ACCOUNT}]},
    )
    mine = copy()["ImageId"]
    assert image(lab.ec2, mine)["OwnerId"] == ACCOUNT


def test_refusals(lab: Lab) -> None:
    source_id = register(lab.ec2, blank_snapshot(lab.ec2), "source-1")
    pending = lab.ec2.copy_image(SourceImageId=source_id, SourceRegion=REGION, Name="cp1")
    assert error_of(
        lab.ec2.copy_image, SourceImageId=pending["ImageId"], SourceRegion=REGION, Name="cp2"
    ) == (
        "IncorrectState",
        f"The image {pending['ImageId']} is in the state 'pending' and can't be copied.",
    )
    assert error_of(
        lab.ec2.copy_image, SourceImageId=source_id, SourceRegion=REGION, Name="source-1"
    ) == ("InvalidAMIName.Duplicate", f"AMI name source-1 is already in use by AMI {source_id}")
    assert error_of(
        lab.ec2.copy_image, SourceImageId=source_id, SourceRegion="mars-1", Name="cp3"
    ) == (
        "InvalidParameterValue",
        "Value (mars-1) for parameter SourceRegion is not a known Region.",
    )
    assert (
        error_of(
            lab.ec2.copy_image,
            SourceImageId=source_id,
            SourceRegion=REGION,
            Name="cp3",
            DestinationOutpostArn="arn:aws:outposts:us-east-1:123456789012:outpost/op-1",
        )[0]
        == "UnsupportedOperation"
    )


def test_deregistering_a_pending_copy_stops_it(lab: Lab) -> None:
    source_id = register(lab.ec2, blank_snapshot(lab.ec2), "source-1")
    copy_id = lab.ec2.copy_image(SourceImageId=source_id, SourceRegion=REGION, Name="cp1")[
        "ImageId"
    ]
    snapshot_id = image(lab.ec2, copy_id)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    lab.ec2.deregister_image(ImageId=copy_id)
    lab.elapse(COPY_SECONDS)
    assert lab.ec2.describe_images(ImageIds=[copy_id])["Images"] == []
    assert error_of(lab.ec2.describe_snapshots, SnapshotIds=[snapshot_id])[0] == (
        "InvalidSnapshot.NotFound"
    )
