"""The pinned model and its light reader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.model.shapes import (
    MODEL_TYPES,
    SCALAR_TYPES,
    Model,
    Shape,
    load_model,
    model_text,
    xform_name,
)

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "scripts" / "extract_model.py"
PINNED_BOTOCORE = "1.43.63"


def _input(operation: str) -> Shape:
    shape = load_model().operation(operation).input_shape
    assert shape is not None
    return shape


def _output(operation: str) -> Shape:
    shape = load_model().operation(operation).output_shape
    assert shape is not None
    return shape


# --------------------------------------------------------------------------
# The shipped file is exactly what the pinned botocore gives.


def test_model_records_the_pinned_botocore() -> None:
    model = load_model()
    assert model.botocore_version == PINNED_BOTOCORE
    assert model.raw["pinned"] == {
        "source": "botocore",
        "botocore_version": PINNED_BOTOCORE,
        "reference": "aws-cli/2.36.7",
    }
    assert model.api_version == "2016-11-15"


def test_installed_botocore_is_the_pinned_one() -> None:
    import botocore

    assert botocore.__version__ == PINNED_BOTOCORE, (
        "the dev extra pins botocore; the model check below needs that version"
    )


def test_shipped_model_equals_the_installed_botocore_model() -> None:
    result = subprocess.run(
        [sys.executable, str(EXTRACT), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("type_name", MODEL_TYPES)
def test_shipped_model_is_rendered_canonically(type_name: str) -> None:
    text = model_text(type_name)
    assert text == json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"


def test_the_shipped_model_is_where_botocore_looks() -> None:
    """``DATA_PATH`` is a search path in botocore's layout: its loader finds the pinned model."""
    from botocore.loaders import Loader

    from ec2_import_image.model.shapes import DATA_PATH

    loader = Loader(extra_search_paths=[DATA_PATH], include_default_search_paths=False)
    assert loader.list_available_services("service-2") == ["ec2"]
    assert loader.list_api_versions("ec2", "service-2") == ["2016-11-15"]
    service = loader.load_service_model("ec2", "service-2")
    assert service == load_model().raw
    paginators = loader.load_service_model("ec2", "paginators-1")
    assert paginators["pagination"] == load_model().pagination


def test_model_is_self_contained() -> None:
    raw = load_model().raw
    assert sorted(raw["operations"]) == [
        "CancelImportTask",
        "DescribeImportImageTasks",
        "ImportImage",
    ]
    referenced: set[str] = set()
    for operation in raw["operations"].values():
        referenced.update(operation[key]["shape"] for key in ("input", "output"))
    for shape in raw["shapes"].values():
        for key in ("member", "key", "value"):
            if key in shape:
                referenced.add(shape[key]["shape"])
        referenced.update(ref["shape"] for ref in shape.get("members", {}).values())
    assert referenced == set(raw["shapes"])


# --------------------------------------------------------------------------
# Operations


def test_operations() -> None:
    model = load_model()
    assert list(model.operation_names()) == [
        "CancelImportTask",
        "DescribeImportImageTasks",
        "ImportImage",
    ]
    operation = model.operation("ImportImage")
    assert operation.name == "ImportImage"
    assert operation.cli_name == "import-image"
    assert operation.documentation.startswith("<note> <p>To import your virtual machines")
    assert repr(operation) == "<Operation ImportImage>"
    assert _input("ImportImage").name == "ImportImageRequest"
    assert _output("ImportImage").name == "ImportImageResult"
    assert model.operation("CancelImportTask").paginator is None


@pytest.mark.parametrize(
    ("cli_name", "name"),
    [
        ("import-image", "ImportImage"),
        ("describe-import-image-tasks", "DescribeImportImageTasks"),
        ("cancel-import-task", "CancelImportTask"),
    ],
)
def test_operation_by_cli_name(cli_name: str, name: str) -> None:
    operation = load_model().operation_by_cli_name(cli_name)
    assert operation is not None
    assert operation.name == name
    assert operation.cli_name == cli_name


@pytest.mark.parametrize("cli_name", ["import-images", "ImportImage", "import_image", ""])
def test_operation_by_cli_name_unknown(cli_name: str) -> None:
    assert load_model().operation_by_cli_name(cli_name) is None


def test_paginator() -> None:
    paginator = load_model().operation("DescribeImportImageTasks").paginator
    assert paginator == {
        "input_token": "NextToken",
        "limit_key": "MaxResults",
        "output_token": "NextToken",
        "result_key": "ImportImageTasks",
    }


def test_service_documentation() -> None:
    assert load_model().documentation.startswith("<fullname>Amazon Elastic Compute Cloud")


# --------------------------------------------------------------------------
# Shapes


def test_members_in_model_order() -> None:
    assert list(_input("ImportImage").members) == [
        "Architecture",
        "ClientData",
        "ClientToken",
        "Description",
        "DiskContainers",
        "DryRun",
        "Encrypted",
        "Hypervisor",
        "KmsKeyId",
        "LicenseType",
        "Platform",
        "RoleName",
        "LicenseSpecifications",
        "TagSpecifications",
        "UsageOperation",
        "BootMode",
    ]
    assert list(_input("DescribeImportImageTasks").members) == [
        "DryRun",
        "Filters",
        "ImportTaskIds",
        "MaxResults",
        "NextToken",
    ]
    assert list(_input("CancelImportTask").members) == ["CancelReason", "DryRun", "ImportTaskId"]
    assert list(_output("CancelImportTask").members) == [
        "ImportTaskId",
        "PreviousState",
        "State",
    ]


def test_member_shapes_and_types() -> None:
    members = _input("ImportImage").members
    assert members["Architecture"].name == "String"
    assert members["Architecture"].type_name == "string"
    assert members["ClientData"].type_name == "structure"
    assert members["DryRun"].type_name == "boolean"
    assert members["ClientData"].members["UploadSize"].type_name == "double"
    assert members["ClientData"].members["UploadStart"].type_name == "timestamp"
    assert _input("DescribeImportImageTasks").members["MaxResults"].type_name == "integer"
    assert members["Architecture"].is_scalar
    assert not members["ClientData"].is_scalar
    assert repr(members["ClientData"]) == "<Shape ClientData (structure)>"
    for shape in load_model().raw["shapes"].values():
        assert shape["type"] in SCALAR_TYPES | {"structure", "list", "map"}


def test_member_documentation_overrides_the_shapes() -> None:
    model = load_model()
    client_data = _input("ImportImage").members["ClientData"]
    assert client_data.documentation == "<p>The client-specific data.</p>"
    assert model.shape("ClientData").documentation == "<p>Describes the client-specific data.</p>"
    # Two members reaching the same shape, each with its own documentation.
    members = _input("ImportImage").members
    assert members["Architecture"].name == members["Description"].name == "String"
    assert members["Architecture"].documentation != members["Description"].documentation
    assert model.shape("String").documentation == ""


def test_shape_documentation_when_the_reference_has_none() -> None:
    disks = _input("ImportImage").members["DiskContainers"]
    assert disks.member.name == "ImageDiskContainer"
    assert disks.member.documentation == (
        "<p>Describes the disk container object for an import image task.</p>"
    )


def test_list_members() -> None:
    members = _input("ImportImage").members
    disks = members["DiskContainers"]
    assert disks.type_name == "list"
    assert disks.name == "ImageDiskContainerList"
    assert disks.member.type_name == "structure"
    assert list(disks.member.members) == [
        "Description",
        "DeviceName",
        "Format",
        "SnapshotId",
        "Url",
        "UserBucket",
    ]
    tags = members["TagSpecifications"].member.members["Tags"]
    assert tags.member.name == "Tag"
    assert list(tags.member.members) == ["Key", "Value"]
    ids = _input("DescribeImportImageTasks").members["ImportTaskIds"]
    assert ids.member.name == "ImportImageTaskId"
    assert ids.member.type_name == "string"


def test_location_names() -> None:
    members = _input("ImportImage").members
    assert members["DiskContainers"].location_name == "DiskContainer"
    assert members["DiskContainers"].member.location_name == "item"
    assert members["TagSpecifications"].location_name == "TagSpecification"
    assert members["Architecture"].location_name is None
    output = _output("ImportImage").members
    assert output["SnapshotDetails"].location_name == "snapshotDetailSet"
    assert output["Tags"].location_name == "tagSet"


def test_enums() -> None:
    members = _input("ImportImage").members
    assert members["BootMode"].name == "BootModeValues"
    assert members["BootMode"].enum == ("legacy-bios", "uefi", "uefi-preferred")
    resource_type = members["TagSpecifications"].member.members["ResourceType"]
    assert resource_type.enum[:3] == (
        "capacity-reservation",
        "client-vpn-endpoint",
        "customer-gateway",
    )
    assert "import-image-task" in resource_type.enum
    assert len(resource_type.enum) == len(set(resource_type.enum)) == 109
    assert members["Architecture"].enum == ()


def test_no_required_members_in_these_operations() -> None:
    # None of the three operations' shapes declares required members.
    for shape in load_model().raw["shapes"].values():
        assert "required" not in shape
    assert _input("CancelImportTask").required_members == ()


def test_reader_on_a_synthetic_model() -> None:
    raw: dict[str, Any] = {
        "pinned": {"botocore_version": "x"},
        "metadata": {"apiVersion": "2001-02-03"},
        "operations": {"PutThing": {"name": "PutThing", "input": {"shape": "In"}}},
        "shapes": {
            "In": {
                "type": "structure",
                "required": ["B", "A"],
                "members": {
                    "B": {"shape": "Str", "idempotencyToken": True},
                    "A": {"shape": "Labels", "documentation": "<p>Mine.</p>"},
                },
            },
            "Labels": {
                "type": "map",
                "key": {"shape": "Str"},
                "value": {"shape": "Num", "locationName": "v"},
                "documentation": "<p>Theirs.</p>",
            },
            "Str": {"type": "string"},
            "Num": {"type": "integer"},
        },
    }
    model = Model(raw)
    operation = model.operation_by_cli_name("put-thing")
    assert operation is not None
    assert operation.output_shape is None
    assert operation.paginator is None
    assert operation.documentation == ""
    shape = operation.input_shape
    assert shape is not None
    assert shape.required_members == ("B", "A")
    assert list(shape.members) == ["B", "A"]
    assert shape.members["B"].is_idempotency_token
    assert not shape.members["A"].is_idempotency_token
    labels = shape.members["A"]
    assert labels.documentation == "<p>Mine.</p>"
    assert model.shape("Labels").documentation == "<p>Theirs.</p>"
    assert labels.key.name == "Str"
    assert labels.value.type_name == "integer"
    assert labels.value.location_name == "v"
    assert model.botocore_version == "x"
    assert model.api_version == "2001-02-03"
    assert model.documentation == ""


def test_load_model_is_cached() -> None:
    assert load_model() is load_model()


# --------------------------------------------------------------------------
# xform_name


def _all_names() -> list[str]:
    raw = load_model().raw
    names = set(raw["operations"]) | set(raw["shapes"])
    for shape in raw["shapes"].values():
        names.update(shape.get("members", {}))
    return sorted(names)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ImportImage", "import-image"),
        ("DescribeImportImageTasks", "describe-import-image-tasks"),
        ("CancelImportTask", "cancel-import-task"),
        ("KmsKeyId", "kms-key-id"),
        ("ImportTaskIds", "import-task-ids"),
        ("DiskContainers", "disk-containers"),
        ("LicenseSpecifications", "license-specifications"),
        ("TagSpecifications", "tag-specifications"),
        ("DryRun", "dry-run"),
        ("ClientToken", "client-token"),
        ("RoleName", "role-name"),
        ("BootMode", "boot-mode"),
        ("UsageOperation", "usage-operation"),
        ("S3Bucket", "s3-bucket"),
        ("S3Key", "s3-key"),
        ("MaxResults", "max-results"),
        ("NextToken", "next-token"),
        ("DescribeVPCs", "describe-vpcs"),
        ("already-hyphenated", "already-hyphenated"),
    ],
)
def test_xform_name(name: str, expected: str) -> None:
    assert xform_name(name, "-") == expected
    if "-" not in name:
        assert xform_name(name) == expected.replace("-", "_")


@pytest.mark.parametrize("name", _all_names())
def test_xform_name_agrees_with_botocore(name: str) -> None:
    from botocore import xform_name as botocore_xform_name

    assert xform_name(name, "-") == botocore_xform_name(name, "-")
    assert xform_name(name) == botocore_xform_name(name)
