"""RegisterImage with its real fields, and DescribeImages / DescribeImageAttribute showing them.

Every reply is parsed by botocore (boto3 clients against the emulator)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.config import Config

from tests.emulator.conftest import REGION, Lab
from tests.emulator.imagelab import (
    ACCOUNT,
    OTHER,
    blank_snapshot,
    ec2_as,
    error_of,
    image,
    register,
)

UEFI_DATA = base64.b64encode(b"AMZNUEFI" + bytes(64)).decode()


def test_every_field_registered_is_described(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2, 8)
    data = blank_snapshot(lab.ec2, 2)
    image_id = lab.ec2.register_image(
        Name="web-1 (v2) [x86]/a'b@c_d.e",
        Description="the web tier",
        Architecture="x86_64",
        BootMode="uefi",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "SnapshotId": snapshot,
                    "VolumeSize": 10,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": True,
                },
            },
            {
                "DeviceName": "/dev/xvdb",
                "Ebs": {
                    "SnapshotId": data,
                    "VolumeType": "io2",
                    "Iops": 4000,
                    "DeleteOnTermination": False,
                },
            },
            {"DeviceName": "/dev/xvdc", "Ebs": {"VolumeSize": 5, "VolumeType": "gp2"}},
            {"DeviceName": "/dev/sdd", "VirtualName": "ephemeral0"},
        ],
        VirtualizationType="hvm",
        EnaSupport=True,
        SriovNetSupport="simple",
        ImdsSupport="v2.0",
        TpmSupport="v2.0",
        UefiData=UEFI_DATA,
        TagSpecifications=[
            {
                "ResourceType": "image",
                "Tags": [{"Key": "team", "Value": "web"}, {"Key": "x", "Value": ""}],
            }
        ],
    )["ImageId"]
    found = image(lab.ec2, image_id)
    assert found["CreationDate"].endswith(".000Z")
    assert found == {
        "ImageId": image_id,
        "ImageLocation": f"{ACCOUNT}/web-1 (v2) [x86]/a'b@c_d.e",
        "State": "available",
        "OwnerId": ACCOUNT,
        "CreationDate": found["CreationDate"],
        "Public": False,
        "Architecture": "x86_64",
        "ImageType": "machine",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "DeleteOnTermination": True,
                    "SnapshotId": snapshot,
                    "VolumeSize": 10,
                    "VolumeType": "gp3",
                    "Iops": 3000,
                    "Throughput": 125,
                    "Encrypted": False,
                },
            },
            {
                "DeviceName": "/dev/xvdb",
                "Ebs": {
                    "DeleteOnTermination": False,
                    "SnapshotId": data,
                    "VolumeSize": 2,
                    "VolumeType": "io2",
                    "Iops": 4000,
                    "Encrypted": False,
                },
            },
            {
                "DeviceName": "/dev/xvdc",
                "Ebs": {
                    "DeleteOnTermination": True,
                    "VolumeSize": 5,
                    "VolumeType": "gp2",
                    "Encrypted": False,
                },
            },
            {"DeviceName": "/dev/sdd", "VirtualName": "ephemeral0"},
        ],
        "Description": "the web tier",
        "EnaSupport": True,
        "Hypervisor": "xen",
        "Name": "web-1 (v2) [x86]/a'b@c_d.e",
        "RootDeviceName": "/dev/xvda",
        "RootDeviceType": "ebs",
        "SriovNetSupport": "simple",
        "Tags": [{"Key": "team", "Value": "web"}, {"Key": "x", "Value": ""}],
        "VirtualizationType": "hvm",
        "BootMode": "uefi",
        "TpmSupport": "v2.0",
        "ImdsSupport": "v2.0",
        "DeregistrationProtection": "disabled",
    }

    def attribute(name: str) -> dict[str, Any]:
        return dict(lab.ec2.describe_image_attribute(ImageId=image_id, Attribute=name))

    assert attribute("bootMode")["BootMode"] == {"Value": "uefi"}
    assert attribute("tpmSupport")["TpmSupport"] == {"Value": "v2.0"}
    assert attribute("imdsSupport")["ImdsSupport"] == {"Value": "v2.0"}
    assert attribute("uefiData")["UefiData"] == {"Value": UEFI_DATA}
    assert attribute("description")["Description"] == {"Value": "the web tier"}
    assert attribute("sriovNetSupport")["SriovNetSupport"] == {"Value": "simple"}
    assert attribute("deregistrationProtection")["DeregistrationProtection"] == {
        "Value": "disabled"
    }
    assert attribute("kernel")["KernelId"] == {}
    assert attribute("ramdisk")["RamdiskId"] == {}
    assert attribute("lastLaunchedTime")["LastLaunchedTime"] == {}
    assert attribute("launchPermission")["LaunchPermissions"] == []
    assert attribute("productCodes")["ProductCodes"] == []
    reply = attribute("bootMode")
    assert reply["ImageId"] == image_id


def test_defaults_are_the_references(lab: Lab) -> None:
    """Architecture i386 and paravirtual are RegisterImage's documented defaults for EBS-backed
    AMIs; the volume is the snapshot's size; no boot mode, TPM, IMDS or ENA unless asked."""
    snapshot = blank_snapshot(lab.ec2, 3)
    image_id = lab.ec2.register_image(
        Name="plain",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot}}],
    )["ImageId"]
    found = image(lab.ec2, image_id)
    assert found["Architecture"] == "i386"
    assert found["VirtualizationType"] == "paravirtual"
    assert found["EnaSupport"] is False
    for absent in (
        "BootMode",
        "TpmSupport",
        "ImdsSupport",
        "SriovNetSupport",
        "Description",
        "Tags",
    ):
        assert absent not in found
    assert found["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {
                "DeleteOnTermination": True,
                "SnapshotId": snapshot,
                "VolumeSize": 3,
                "VolumeType": "gp2",
                "Encrypted": False,
            },
        }
    ]
    assert (
        lab.ec2.describe_image_attribute(ImageId=image_id, Attribute="bootMode")["BootMode"] == {}
    )


def test_names_are_checked_and_unique_per_account_and_region(lab: Lab) -> None:
    unchecked = _unvalidated(lab)
    snapshot = blank_snapshot(lab.ec2)
    for bad in ("ab", "x" * 129, "web#1", "wéb"):
        code, message = error_of(register, unchecked, snapshot, bad)
        assert code == "InvalidAMIName.Malformed"
        assert message.startswith("AMI names must be between 3 and 128 characters long")
    register(lab.ec2, snapshot, "x" * 128)
    first = register(lab.ec2, snapshot, "web-1")
    assert error_of(register, lab.ec2, snapshot, "web-1") == (
        "InvalidAMIName.Duplicate",
        f"AMI name web-1 is already in use by AMI {first}",
    )
    other_region = ec2_as(lab, region="us-west-2")
    register(other_region, blank_snapshot(other_region), "web-1")
    other_account = ec2_as(lab, OTHER)
    register(other_account, blank_snapshot(other_account), "web-1")
    lab.ec2.deregister_image(ImageId=first)
    register(lab.ec2, snapshot, "web-1")


def _unvalidated(lab: Lab) -> Any:
    """A client without botocore's own parameter checks (to send what the service refuses)."""
    import boto3

    from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

    return boto3.client(
        "ec2",
        endpoint_url=lab.endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"Architecture": "sparc"},
            "InvalidParameterValue",
            "Value (sparc) for parameter Architecture is invalid. Supported values: i386, "
            "x86_64, arm64, x86_64_mac, arm64_mac",
        ),
        (
            {"BootMode": "bios"},
            "InvalidParameterValue",
            "Value (bios) for parameter BootMode is invalid. Supported values: legacy-bios, "
            "uefi, uefi-preferred",
        ),
        (
            {"TpmSupport": "v1.2", "BootMode": "uefi"},
            "InvalidParameterValue",
            "Value (v1.2) for parameter TpmSupport is invalid. Supported values: v2.0",
        ),
        (
            {"ImdsSupport": "v1.0"},
            "InvalidParameterValue",
            "Value (v1.0) for parameter ImdsSupport is invalid. Supported values: v2.0",
        ),
        (
            {"VirtualizationType": "kvm"},
            "InvalidParameterValue",
            "Value (kvm) for parameter VirtualizationType is invalid. Supported values: hvm, "
            "paravirtual",
        ),
        (
            {"SriovNetSupport": "fast"},
            "InvalidParameterValue",
            "Value (fast) for parameter SriovNetSupport is invalid. Supported values: simple",
        ),
        ({"TpmSupport": "v2.0"}, "InvalidParameterCombination", "TpmSupport v2.0 requires"),
        (
            {"TpmSupport": "v2.0", "BootMode": "legacy-bios"},
            "InvalidParameterCombination",
            "TpmSupport v2.0 requires the boot mode uefi (the request's boot mode is legacy-bios)",
        ),
        (
            {"TpmSupport": "v2.0", "BootMode": "uefi-preferred"},
            "InvalidParameterCombination",
            "TpmSupport v2.0 requires",
        ),
        (
            {"Architecture": "arm64", "BootMode": "legacy-bios"},
            "InvalidParameterCombination",
            "The arm64 architecture boots only with UEFI",
        ),
        ({"UefiData": "not base64!"}, "InvalidParameterValue", "The UefiData parameter is not"),
        (
            {"UefiData": "A" * 64004},
            "InvalidParameterValue",
            "The UefiData parameter has 64004 characters: at most 64000 are allowed.",
        ),
        ({"Description": "d" * 256}, "InvalidParameterValue", "The description is 256"),
        (
            {"ImageLocation": "bucket/image.manifest.xml"},
            "UnsupportedOperation",
            "ImageLocation (an instance store-backed AMI) is not emulated",
        ),
        (
            {
                "TagSpecifications": [
                    {"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}
                ]
            },
            "InvalidParameterValue",
            "'snapshot' is not a valid taggable resource type for this operation.",
        ),
    ],
)
def test_parameters_the_service_refuses(
    lab: Lab, params: dict[str, Any], code: str, message: str
) -> None:
    snapshot = blank_snapshot(lab.ec2)
    found_code, found_message = error_of(register, _unvalidated(lab), snapshot, "web-1", **params)
    assert found_code == code
    assert found_message.startswith(message), found_message
    assert lab.ec2.describe_images(Owners=["self"])["Images"] == []


def test_arm64_with_uefi_and_uefi_preferred_and_no_boot_mode(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2)
    for name, mode in (("a-uefi", "uefi"), ("a-pref", "uefi-preferred"), ("a-none", None)):
        params = {"BootMode": mode} if mode else {}
        image_id = register(lab.ec2, snapshot, name, Architecture="arm64", **params)
        assert image(lab.ec2, image_id).get("BootMode") == mode


@pytest.mark.parametrize(
    ("mapping", "code", "message"),
    [
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}},
            "InvalidSnapshot.NotFound",
            "The snapshot 'snap-0123456789abcdef0' does not exist.",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "Encrypted": True}},
            "InvalidBlockDeviceMapping",
            "the encrypted flag cannot be specified since device /dev/xvda has a snapshot "
            "specified.",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "Encrypted": False}},
            "InvalidBlockDeviceMapping",
            "the encrypted flag cannot be specified since device /dev/xvda has a snapshot "
            "specified.",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "VolumeSize": 4}},
            "InvalidBlockDeviceMapping",
            "Volume of size 4GB is smaller than snapshot 'SNAP', expect size >= 8GB",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "VolumeType": "st1"}},
            "InvalidBlockDeviceMapping",
            "The st1 volume type cannot be used for boot volumes.",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "VolumeType": "fast"}},
            "InvalidParameterValue",
            "Value (fast) for parameter BlockDeviceMapping./dev/xvda.Ebs.VolumeType is invalid.",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "SNAP", "VolumeSize": 20000}},
            "InvalidParameterValue",
            "Volume of size 20000GiB is not valid for volume type gp2",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": True}},
            "InvalidBlockDeviceMapping",
            "Either snapshot ID or volume size must be provided for: /dev/xvda",
        ),
        (
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}},
            "InvalidBlockDeviceMapping",
            "The root device /dev/xvda must be in the block device mapping as an EBS volume "
            "with a snapshot.",
        ),
        (
            {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "SNAP"}},
            "InvalidBlockDeviceMapping",
            "The root device /dev/xvda must be in the block device mapping",
        ),
    ],
)
def test_block_device_mappings_the_service_refuses(
    lab: Lab, mapping: dict[str, Any], code: str, message: str
) -> None:
    snapshot = blank_snapshot(lab.ec2, 8)
    ebs = mapping.get("Ebs", {})
    if ebs.get("SnapshotId") == "SNAP":
        ebs["SnapshotId"] = snapshot
    message = message.replace("SNAP", snapshot)
    found = error_of(
        _unvalidated(lab).register_image,
        Name="web-1",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[mapping],
    )
    assert found[0] == code
    assert found[1].startswith(message), found[1]


def test_a_device_mapped_twice_and_a_missing_root_device(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2)
    mapping = {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}
    assert error_of(register, lab.ec2, snapshot, BlockDeviceMappings=[mapping, mapping]) == (
        "InvalidBlockDeviceMapping",
        "The device /dev/xvda is mapped more than once.",
    )
    assert error_of(lab.ec2.register_image, Name="web-1", BlockDeviceMappings=[mapping]) == (
        "MissingParameter",
        "The request must contain the parameter RootDeviceName",
    )


def test_the_volume_is_encrypted_exactly_when_the_snapshot_is(lab: Lab) -> None:
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    encrypted = blank_snapshot(lab.ec2, encrypted=True, key=key)
    image_id = register(lab.ec2, encrypted)
    ebs = image(lab.ec2, image_id)["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True
    plain = register(lab.ec2, blank_snapshot(lab.ec2), "web-2")
    assert image(lab.ec2, plain)["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is False


def test_a_snapshot_of_another_account_only_once_shared(lab: Lab) -> None:
    owner = ec2_as(lab, OTHER)
    theirs = blank_snapshot(owner)
    assert error_of(register, lab.ec2, theirs) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{theirs}' does not exist.",
    )
    owner.modify_snapshot_attribute(
        SnapshotId=theirs,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [{"UserId": ACCOUNT}]},
    )
    image_id = register(lab.ec2, theirs)
    assert image(lab.ec2, image_id)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == theirs


def test_a_copy_in_progress_has_snapshots_that_are_not_completed(lab: Lab) -> None:
    source = register(lab.ec2, blank_snapshot(lab.ec2))
    copy = lab.ec2.copy_image(SourceImageId=source, SourceRegion=REGION, Name="copy-1")["ImageId"]
    pending = image(lab.ec2, copy)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert error_of(register, lab.ec2, pending, "from-pending") == (
        "IncorrectState",
        f"The snapshot '{pending}' is in the state 'pending': an AMI can only be registered "
        "from completed snapshots.",
    )


def test_dry_run(lab: Lab) -> None:
    snapshot = blank_snapshot(lab.ec2)
    assert error_of(register, lab.ec2, snapshot, DryRun=True) == (
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
    )
    assert lab.ec2.describe_images(Owners=["self"])["Images"] == []


def test_kernel_and_ramdisk_of_a_paravirtual_image(lab: Lab) -> None:
    image_id = register(
        lab.ec2,
        blank_snapshot(lab.ec2),
        "pv-1",
        VirtualizationType="paravirtual",
        KernelId="aki-88aa75e1",
        RamdiskId="ari-12345678",
    )
    found = image(lab.ec2, image_id)
    assert (found["KernelId"], found["RamdiskId"], found["VirtualizationType"]) == (
        "aki-88aa75e1",
        "ari-12345678",
        "paravirtual",
    )
    kernel = lab.ec2.describe_image_attribute(ImageId=image_id, Attribute="kernel")
    ramdisk = lab.ec2.describe_image_attribute(ImageId=image_id, Attribute="ramdisk")
    assert kernel["KernelId"] == {"Value": "aki-88aa75e1"}
    assert ramdisk["RamdiskId"] == {"Value": "ari-12345678"}
    filtered = lab.ec2.describe_images(Filters=[{"Name": "kernel-id", "Values": ["aki-*"]}])
    assert [i["ImageId"] for i in filtered["Images"]] == [image_id]
