"""ImportImage's checks: each answers EC2's error document with its code and message."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ec2_import_emulator import samples as images
from tests.emulator.conftest import Lab


def _error(lab: Lab, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        lab.ec2.import_image(**params)
    error = caught.value.response["Error"]
    status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def _disk(fmt: str = "raw", key: str = "disk.raw") -> dict[str, Any]:
    return {"Format": fmt, "UserBucket": {"S3Bucket": "import-bucket", "S3Key": key}}


@pytest.fixture
def stocked(lab: Lab) -> Lab:
    lab.upload(images.raw_mbr(), "disk.raw")
    return lab


def test_unsupported_format_is_the_recorded_error(stocked: Lab) -> None:
    code, message, status = _error(stocked, DiskContainers=[_disk("ovaa")])
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message == (
        "Value (ovaa) for parameter DiskContainer.1.Format is invalid. "
        "Supported formats: OVA, VHD, VHDX, VMDK, RAW"
    )


def test_format_is_checked_on_every_disk(stocked: Lab) -> None:
    _, message, _ = _error(stocked, DiskContainers=[_disk(), _disk("qcow2")])
    assert message.startswith("Value (qcow2) for parameter DiskContainer.2.Format is invalid.")


@pytest.mark.parametrize("fmt", ["ova", "Vhd", "VHDX", "vmdk", "RAW"])
def test_formats_are_case_insensitive(stocked: Lab, fmt: str) -> None:
    reply = stocked.ec2.import_image(DiskContainers=[_disk(fmt)])
    assert reply["SnapshotDetails"][0]["Format"] == fmt


def test_missing_vmimport_role_is_the_recorded_error(make_lab: Any) -> None:
    lab = make_lab()
    lab.upload(images.raw_mbr(), "disk.raw")
    code, message, _ = _error(lab, DiskContainers=[_disk()])
    assert code == "InvalidParameter"
    assert message == (
        "The service role vmimport provided does not exist or does not have sufficient permissions"
    )


def test_role_name_names_the_role(stocked: Lab) -> None:
    code, message, _ = _error(stocked, DiskContainers=[_disk()], RoleName="importer")
    assert code == "InvalidParameter"
    assert message.startswith("The service role importer provided does not exist")
    stocked.role("importer")
    assert stocked.ec2.import_image(DiskContainers=[_disk()], RoleName="importer")


def test_a_role_vm_import_cannot_assume_is_refused(make_lab: Any) -> None:
    lab = make_lab()
    lab.upload(images.raw_mbr(), "disk.raw")
    ec2_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    lab.role(policy=ec2_trust)
    code, _, _ = _error(lab, DiskContainers=[_disk()])
    assert code == "InvalidParameter"


def test_missing_bucket(stocked: Lab) -> None:
    disk = {"Format": "raw", "UserBucket": {"S3Bucket": "no-such-bucket", "S3Key": "x"}}
    assert _error(stocked, DiskContainers=[disk])[:2] == (
        "InvalidParameter",
        "The S3 bucket 'no-such-bucket' does not exist.",
    )


def test_missing_key(stocked: Lab) -> None:
    assert _error(stocked, DiskContainers=[_disk(key="nope.raw")])[:2] == (
        "InvalidParameter",
        "The S3 object 's3://import-bucket/nope.raw' does not exist.",
    )


def test_missing_key_in_a_url(stocked: Lab) -> None:
    disk = {"Format": "raw", "Url": "https://import-bucket.s3.amazonaws.com/nope.raw"}
    assert _error(stocked, DiskContainers=[disk])[0] == "InvalidParameter"


def test_missing_snapshot(stocked: Lab) -> None:
    code, message, _ = _error(stocked, DiskContainers=[{"SnapshotId": "snap-0123456789abcdef0"}])
    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        "The snapshot 'snap-0123456789abcdef0' does not exist.",
    )


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"KmsKeyId": "alias/k"},
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ),
        (
            {"KmsKeyId": "alias/k", "Encrypted": False},
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ),
        (
            {"LicenseType": "BYOL", "UsageOperation": "RunInstances"},
            "InvalidParameterCombination",
            "The parameters LicenseType and UsageOperation cannot be used together.",
        ),
        (
            {"BootMode": "uefi-preferred"},
            "InvalidParameterValue",
            "The uefi-preferred boot mode isn't supported for importing images. "
            "Supported values: legacy-bios, uefi",
        ),
        (
            {"Architecture": "arm64"},
            "InvalidParameterValue",
            "Value (arm64) for parameter Architecture is invalid. Supported values: i386, x86_64",
        ),
        (
            {"Platform": "BSD"},
            "InvalidParameterValue",
            "Value (BSD) for parameter Platform is invalid. Supported values: Windows, Linux",
        ),
        (
            {"LicenseType": "FREE"},
            "InvalidParameterValue",
            "Value (FREE) for parameter LicenseType is invalid. Supported values: AWS, BYOL",
        ),
        (
            {"Hypervisor": "kvm"},
            "InvalidParameterValue",
            "Value (kvm) for parameter Hypervisor is invalid. Supported values: xen",
        ),
        (
            {"TagSpecifications": [{"ResourceType": "image", "Tags": [{"Key": "a"}]}]},
            "InvalidParameterValue",
            "'image' is not a valid taggable resource type for this operation.",
        ),
    ],
)
def test_parameter_checks(stocked: Lab, params: dict[str, Any], code: str, message: str) -> None:
    assert _error(stocked, DiskContainers=[_disk()], **params) == (code, message, 400)


def test_more_than_21_disks(stocked: Lab) -> None:
    assert stocked.ec2.import_image(DiskContainers=[_disk()] * 21)
    code, message, _ = _error(stocked, DiskContainers=[_disk()] * 22)
    assert code == "InvalidParameterValue"
    assert message == "Too many disk containers (22): an image can have at most 21 volumes."


@pytest.mark.parametrize(
    ("containers", "code", "message"),
    [
        ([], "MissingParameter", "The request must contain the parameter DiskContainer"),
        (
            [{"UserBucket": {"S3Bucket": "import-bucket", "S3Key": "disk.raw"}}],
            "MissingParameter",
            "The request must contain the parameter DiskContainer.1.Format",
        ),
        (
            [{"Format": "raw", "UserBucket": {"S3Bucket": "import-bucket"}}],
            "MissingParameter",
            "The request must contain the parameter DiskContainer.1.UserBucket.S3Key",
        ),
        (
            [{"Format": "raw"}],
            "InvalidParameterCombination",
            "DiskContainer.1 must specify exactly one of UserBucket, Url and SnapshotId.",
        ),
        (
            [{"Format": "raw", "Url": "ftp://example/disk.raw"}],
            "InvalidParameterValue",
            "Value (ftp://example/disk.raw) for parameter DiskContainer.1.Url is not a valid "
            "S3 URL.",
        ),
    ],
)
def test_disk_container_checks(
    stocked: Lab, containers: list[dict[str, Any]], code: str, message: str
) -> None:
    assert _error(stocked, DiskContainers=containers)[:2] == (code, message)


def test_uefi_from_a_snapshot_needs_a_platform(stocked: Lab) -> None:
    code, _, _ = _error(
        stocked, DiskContainers=[{"SnapshotId": "snap-0123456789abcdef0"}], BootMode="uefi"
    )
    assert code == "InvalidParameter"


def test_dry_run_answers_412_without_other_checks(make_lab: Any) -> None:
    lab = make_lab()  # no role, no bucket
    code, message, status = _error(lab, DryRun=True, DiskContainers=[_disk("ovaa")])
    assert (code, message, status) == (
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
        412,
    )
    assert lab.ec2.describe_import_image_tasks()["ImportImageTasks"] == []


def test_dry_run_false_imports(stocked: Lab) -> None:
    assert stocked.ec2.import_image(DryRun=False, DiskContainers=[_disk()])["Status"] == "active"


def _post(lab: Lab, form: dict[str, str]) -> tuple[int, bytes]:
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(
        lab.endpoint,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_error_document_is_ec2s(stocked: Lab) -> None:
    status, body = _post(
        stocked,
        {"Action": "ImportImage", "Version": "2016-11-15", "DiskContainer.1.Format": "ovaa"},
    )
    assert status == 400
    text = body.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>')
    assert "<Code>InvalidParameterValue</Code>" in text
    assert "<RequestID>" in text


def test_unsigned_requests_and_malformed_booleans(stocked: Lab) -> None:
    status, body = _post(stocked, {"Action": "ImportImage", "DryRun": "maybe"})
    assert status == 400
    assert b"<Code>InvalidParameterValue</Code>" in body
    status, body = _post(stocked, {"Action": "DescribeImportImageTasks"})
    assert status == 200
    assert b"<importImageTaskSet/>" in body
