"""RegisterImage's request for the registering roads (``vmimport.register``)."""

from __future__ import annotations

import pytest

from ec2_import_image.roads import ROADS, Road
from ec2_import_image.vmimport.distribute.options import AMI_NAME
from ec2_import_image.vmimport.engine import road as road_steps
from ec2_import_image.vmimport.engine.identity import Identity, snapshot_token
from ec2_import_image.vmimport.engine.road import steps_for
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.register import Registration, default_name, request

IDENTITY = Identity("web-1", ("ab" * 32,))


def test_the_default_name_is_the_import_and_its_identity_in_the_ami_alphabet() -> None:
    assert default_name(IDENTITY) == "web-1-" + "ab" * 6
    long = Identity("x" * 128, ("cd" * 32,))
    assert len(default_name(long)) == 128 and AMI_NAME.match(default_name(long))


def test_the_request_maps_the_boot_disk_first_gp3_and_asks_only_what_is_given() -> None:
    params = request(
        Registration(
            name="web (2026)",
            architecture="arm64",
            boot_mode="uefi",
            snapshot_ids=("snap-root", "snap-data"),
            tpm=True,
            tags=(("vmimport:via", "direct"),),
        )
    )
    assert [m["DeviceName"] for m in params["BlockDeviceMappings"]] == ["/dev/xvda", "/dev/xvdb"]
    assert params["BlockDeviceMappings"][0]["Ebs"] == {
        "SnapshotId": "snap-root",
        "VolumeType": "gp3",
        "DeleteOnTermination": True,
    }
    assert (params["RootDeviceName"], params["VirtualizationType"]) == ("/dev/xvda", "hvm")
    assert (params["EnaSupport"], params["TpmSupport"], params["BootMode"]) == (
        True,
        "v2.0",
        "uefi",
    )
    assert "ImdsSupport" not in params and "UefiData" not in params
    assert params["TagSpecifications"][0]["ResourceType"] == "image"


def test_each_disk_and_attempt_has_its_own_snapshot_token() -> None:
    tokens = {snapshot_token(IDENTITY, p, a) for p in (0, 1) for a in (1, 2)}
    assert len(tokens) == 4 and all(len(token) == 64 for token in tokens)


def test_every_road_has_its_steps_and_one_missing_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for road in ROADS:
        assert steps_for(road).road is road
    monkeypatch.delitem(road_steps._ROADS, Road.SNAPSHOT)
    with pytest.raises(UsageError, match="--via snapshot"):
        steps_for(Road.SNAPSHOT)
