"""The EBS direct APIs: write a snapshot with the ``ebs`` client, read it back, and every refusal.

The disk written is the GPT fixture made by real tools (scripts/make-disk-fixtures.sh);
what is read back is compared with its bytes.  Checksums are computed here from the
bytes with hashlib, not by the emulator's code.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from ec2_import_emulator import server
from ec2_import_emulator.ebsdirect.service import SEAL_SECONDS
from ec2_import_emulator.snapshots import UnknownSnapshot, snapshot_blob
from tests.emulator.conftest import REGION, Lab
from tests.emulator.snapshotlab import (
    BLOCK,
    GIB,
    data_blocks,
    ebs_client,
    error,
    faults,
    linear,
    listed,
    put,
    read_blocks,
    sha256_b64,
    volume_from,
    write,
)
from tests.support.diskfixtures import DiskFixtures

ACCOUNT = "123456789012"


@pytest.fixture
def ebs(lab: Lab) -> Any:
    return ebs_client(lab)


def _state(lab: Lab, snapshot_id: str) -> str:
    (found,) = lab.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return str(found["State"])


def _complete(lab: Lab, ebs: Any, snapshot_id: str, blocks: dict[int, bytes]) -> None:
    reply = ebs.complete_snapshot(
        SnapshotId=snapshot_id,
        ChangedBlocksCount=len(blocks),
        Checksum=linear(blocks),
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )
    assert reply["Status"] == "pending"
    lab.elapse(SEAL_SECONDS)
    assert _state(lab, snapshot_id) == "completed"


def _filled(lab: Lab, ebs: Any, blocks: dict[int, bytes], **params: Any) -> str:
    """A completed snapshot holding ``blocks``."""
    snapshot_id = str(ebs.start_snapshot(VolumeSize=1, **params)["SnapshotId"])
    write(ebs, snapshot_id, blocks)
    _complete(lab, ebs, snapshot_id, blocks)
    return snapshot_id


def test_a_disk_written_and_read_back(lab: Lab, ebs: Any, fixtures: DiskFixtures) -> None:
    raw = fixtures.path("gpt-uefi.raw").read_bytes()
    blocks = data_blocks(raw)
    started = ebs.start_snapshot(
        VolumeSize=1,
        Description="gpt-uefi",
        Tags=[{"Key": "vmimport:id", "Value": "web-1"}],
        Timeout=60,
    )
    snapshot_id = started["SnapshotId"]
    assert started["Status"] == "pending"
    assert (started["VolumeSize"], started["BlockSize"]) == (1, BLOCK)
    assert started["OwnerId"] == ACCOUNT
    assert started["Description"] == "gpt-uefi"
    assert started["Tags"] == [{"Key": "vmimport:id", "Value": "web-1"}]
    assert "KmsKeyArn" not in started
    (described,) = lab.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert (described["State"], described["VolumeSize"]) == ("pending", 1)
    assert described["Tags"] == [{"Key": "vmimport:id", "Value": "web-1"}]
    for index, data in sorted(blocks.items()):
        reply = put(ebs, snapshot_id, index, data, Progress=index * 100 // 2048)
        assert (reply["Checksum"], reply["ChecksumAlgorithm"]) == (sha256_b64(data), "SHA256")
    found = error(ebs.list_snapshot_blocks, SnapshotId=snapshot_id)
    assert found["Code"] == "ValidationException"  # a pending snapshot cannot be read
    _complete(lab, ebs, snapshot_id, blocks)
    read = read_blocks(ebs, snapshot_id)
    assert read == blocks
    assert volume_from(read, GIB) == raw.ljust(GIB, b"\0")
    assert snapshot_blob(ACCOUNT, REGION, snapshot_id).read(0, len(raw)) == raw


def test_sealing_takes_a_while(lab: Lab, ebs: Any) -> None:
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    put(ebs, snapshot_id, 0, b"\x01" * BLOCK)
    reply = ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=1)
    assert reply["Status"] == "pending"
    lab.elapse(SEAL_SECONDS - 1)
    assert _state(lab, snapshot_id) == "pending"
    again = ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=1)
    assert again["Status"] == "pending"
    assert error(ebs.put_snapshot_block, **_put_params(snapshot_id, 1))["Code"] == (
        "ValidationException"
    )
    lab.elapse(1)
    assert _state(lab, snapshot_id) == "completed"
    assert ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=1)["Status"] == (
        "completed"
    )


def _put_params(snapshot_id: str, index: int, data: bytes = b"\x07" * BLOCK) -> dict[str, Any]:
    return {
        "SnapshotId": snapshot_id,
        "BlockIndex": index,
        "BlockData": data,
        "DataLength": len(data),
        "Checksum": sha256_b64(data),
        "ChecksumAlgorithm": "SHA256",
    }


def test_a_block_written_again_is_replaced(lab: Lab, ebs: Any) -> None:
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    put(ebs, snapshot_id, 3, b"\x01" * BLOCK)
    put(ebs, snapshot_id, 3, b"\x02" * BLOCK)
    _complete(lab, ebs, snapshot_id, {3: b"\x02" * BLOCK})
    assert read_blocks(ebs, snapshot_id) == {3: b"\x02" * BLOCK}


def test_put_refusals(lab: Lab, ebs: Any) -> None:
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    outside = error(ebs.put_snapshot_block, **_put_params(snapshot_id, 2048))
    assert (outside["Code"], outside["Reason"]) == ("ValidationException", "INVALID_BLOCK")
    wrong = _put_params(snapshot_id, 0) | {"Checksum": sha256_b64(b"something else")}
    mismatch = error(ebs.put_snapshot_block, **wrong)
    assert mismatch["Code"] == "ValidationException"
    assert "does not match" in mismatch["Message"]
    small = _put_params(snapshot_id, 0, b"\x01" * 4096)
    assert (
        "the only supported block size is 524288"
        in error(ebs.put_snapshot_block, **small)["Message"]
    )
    short = _put_params(snapshot_id, 0) | {"BlockData": b"\x07" * 1000}
    assert error(ebs.put_snapshot_block, **short)["Message"] == "Failed to read block data"
    progress = _put_params(snapshot_id, 0) | {"Progress": 101}
    assert (
        "Member must have value less than or equal to 100"
        in error(ebs.put_snapshot_block, **progress)["Message"]
    )
    missing = error(ebs.put_snapshot_block, **_put_params("snap-0123456789abcdef0", 0))
    assert (missing["Code"], missing["Status"], missing["Reason"]) == (
        "ResourceNotFoundException",
        404,
        "SNAPSHOT_NOT_FOUND",
    )
    other = lab.client("ebs", region="eu-west-1")  # the same account in another Region
    assert error(other.put_snapshot_block, **_put_params(snapshot_id, 0))["Code"] == (
        "ResourceNotFoundException"
    )
    ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=0)
    lab.elapse(SEAL_SECONDS)
    assert read_blocks(ebs, snapshot_id) == {}  # nothing written: nothing listed


def test_complete_checks_the_count_and_the_aggregate(lab: Lab, ebs: Any) -> None:
    blocks = {0: b"\x01" * BLOCK, 7: b"\x02" * BLOCK, 1500: b"\x03" * BLOCK}
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    write(ebs, snapshot_id, blocks)
    complete = ebs.complete_snapshot
    count = error(complete, SnapshotId=snapshot_id, ChangedBlocksCount=2)
    assert count["Message"] == (
        "ChangedBlocksCount 2 does not match the 3 blocks written to the snapshot."
    )
    # the aggregate over the base64 strings rather than the raw digests is not LINEAR's
    strings = "".join(sha256_b64(blocks[index]) for index in sorted(blocks)).encode()
    wrong = base64.b64encode(hashlib.sha256(strings).digest()).decode()
    params = {
        "SnapshotId": snapshot_id,
        "ChangedBlocksCount": 3,
        "ChecksumAlgorithm": "SHA256",
        "ChecksumAggregationMethod": "LINEAR",
    }
    assert (
        "aggregated checksum does not match" in error(complete, **params, Checksum=wrong)["Message"]
    )
    backwards = b"".join(hashlib.sha256(blocks[i]).digest() for i in sorted(blocks, reverse=True))
    reversed_sum = base64.b64encode(hashlib.sha256(backwards).digest()).decode()
    assert error(complete, **params, Checksum=reversed_sum)["Code"] == "ValidationException"
    assert error(complete, SnapshotId=snapshot_id, ChangedBlocksCount=3, Checksum=linear(blocks))[
        "Code"
    ] == ("ValidationException")
    assert complete(**params, Checksum=linear(blocks))["Status"] == "pending"


def test_client_token(lab: Lab, ebs: Any) -> None:
    params: dict[str, Any] = {
        "VolumeSize": 2,
        "ClientToken": "web-1-disk-0-attempt-1",
        "Description": "web-1",
        "Tags": [{"Key": "vmimport:id", "Value": "web-1"}],
        "Timeout": 30,
    }
    first = ebs.start_snapshot(**params)
    put(ebs, first["SnapshotId"], 0, b"\x01" * BLOCK)
    again = ebs.start_snapshot(**params)
    assert again["SnapshotId"] == first["SnapshotId"]
    assert again["Status"] == "pending"
    conflict = error(ebs.start_snapshot, **(params | {"VolumeSize": 3}))
    assert (conflict["Code"], conflict["Status"]) == ("ConflictException", 409)
    assert conflict["Message"] == (
        "The request uses the same client token as a previous, but non-identical request."
    )
    other = ebs.start_snapshot(VolumeSize=2)  # botocore makes a token of its own
    assert other["SnapshotId"] != ebs.start_snapshot(VolumeSize=2)["SnapshotId"]
    snapshots = lab.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert len(snapshots) == 3


def test_timeout_sends_an_idle_snapshot_to_error(lab: Lab, ebs: Any) -> None:
    snapshot_id = ebs.start_snapshot(VolumeSize=1, Timeout=10)["SnapshotId"]
    lab.elapse(10 * 60 - 1)
    put(ebs, snapshot_id, 0, b"\x01" * BLOCK)  # a write starts the Timeout again
    lab.elapse(10 * 60 - 1)
    assert _state(lab, snapshot_id) == "pending"
    lab.elapse(1)
    assert _state(lab, snapshot_id) == "error"
    refused = error(ebs.put_snapshot_block, **_put_params(snapshot_id, 1))
    assert refused["Message"].startswith(f"The snapshot '{snapshot_id}' is 'error'")
    assert error(ebs.complete_snapshot, SnapshotId=snapshot_id, ChangedBlocksCount=1)["Code"] == (
        "ValidationException"
    )
    lab.ec2.delete_snapshot(SnapshotId=snapshot_id)
    lab.ec2.describe_snapshots(OwnerIds=["self"])
    with pytest.raises(UnknownSnapshot):
        snapshot_blob(ACCOUNT, REGION, snapshot_id)


def test_timeout_default_and_range(lab: Lab, ebs: Any) -> None:
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    lab.elapse(60 * 60 - 1)
    assert _state(lab, snapshot_id) == "pending"
    lab.elapse(1)
    assert _state(lab, snapshot_id) == "error"
    found = error(ebs.start_snapshot, VolumeSize=1, Timeout=4321)
    assert found["Message"] == (
        "1 validation error detected: Value '4321' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 4320"
    )
    big = error(ebs.start_snapshot, VolumeSize=65537)
    assert (big["Code"], big["Reason"]) == ("ValidationException", "INVALID_VOLUME_SIZE")


def test_encryption_outcomes(lab: Lab, ebs: Any) -> None:
    kms = lab.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/disks", TargetKeyId=key_arn)
    plain = ebs.start_snapshot(VolumeSize=1)
    assert "KmsKeyArn" not in plain
    default = ebs.start_snapshot(VolumeSize=1, Encrypted=True)
    aws_ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    assert default["KmsKeyArn"] == aws_ebs
    named = ebs.start_snapshot(VolumeSize=1, Encrypted=True, KmsKeyArn=key_arn)
    assert named["KmsKeyArn"] == key_arn
    (described,) = lab.ec2.describe_snapshots(SnapshotIds=[named["SnapshotId"]])["Snapshots"]
    assert (described["Encrypted"], described["KmsKeyId"]) == (True, key_arn)
    for alias_or_id in ("alias/disks", key_arn.rsplit("/", 1)[1]):
        refused = error(ebs.start_snapshot, VolumeSize=1, Encrypted=True, KmsKeyArn=alias_or_id)
        assert refused["Code"] == "ValidationException"
        assert refused["Message"].startswith("1 validation error detected: Value at 'kmsKeyArn'")
        assert "arn:aws[a-z\\-]*:kms:" in refused["Message"]
    unknown = key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    found = error(ebs.start_snapshot, VolumeSize=1, Encrypted=True, KmsKeyArn=unknown)
    assert found["Reason"] == "INVALID_CUSTOMER_KEY"
    assert error(ebs.start_snapshot, VolumeSize=1, Encrypted=False, KmsKeyArn=key_arn)["Code"] == (
        "ValidationException"
    )


def test_encryption_by_default(lab: Lab, ebs: Any) -> None:
    lab.ec2.enable_ebs_encryption_by_default()
    try:
        started = ebs.start_snapshot(VolumeSize=1)
        aws_ebs = lab.client("kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
        assert started["KmsKeyArn"] == aws_ebs
        (described,) = lab.ec2.describe_snapshots(SnapshotIds=[started["SnapshotId"]])["Snapshots"]
        assert described["Encrypted"] is True
        found = error(ebs.start_snapshot, VolumeSize=1, Encrypted=False)
        assert found["Code"] == "ValidationException"
    finally:
        lab.ec2.disable_ebs_encryption_by_default()


def test_a_child_snapshot_reads_its_parent(lab: Lab, ebs: Any) -> None:
    parent_blocks = {0: b"\x01" * BLOCK, 9: b"\x02" * BLOCK}
    parent = _filled(lab, ebs, parent_blocks, Encrypted=True)
    assert error(ebs.start_snapshot, VolumeSize=1, ParentSnapshotId=parent, Encrypted=True)[
        "Message"
    ] == ("You can't specify ParentSnapshotId and Encrypted in the same request.")
    child = ebs.start_snapshot(VolumeSize=1, ParentSnapshotId=parent)
    assert child["ParentSnapshotId"] == parent
    assert child["KmsKeyArn"]  # an encrypted parent's child is encrypted
    changes = {9: b"\x03" * BLOCK, 20: b"\x04" * BLOCK}
    write(ebs, child["SnapshotId"], changes)
    _complete(lab, ebs, child["SnapshotId"], changes)
    assert read_blocks(ebs, child["SnapshotId"]) == parent_blocks | changes
    changed = ebs.list_changed_blocks(FirstSnapshotId=parent, SecondSnapshotId=child["SnapshotId"])
    assert [entry["BlockIndex"] for entry in changed["ChangedBlocks"]] == [9, 20]
    nine, twenty = changed["ChangedBlocks"]
    assert "FirstBlockToken" in nine and "FirstBlockToken" not in twenty
    block = ebs.get_snapshot_block(
        SnapshotId=parent, BlockIndex=9, BlockToken=nine["FirstBlockToken"]
    )
    assert block["BlockData"].read() == parent_blocks[9]
    unrelated = _filled(lab, ebs, {1: b"\x05" * BLOCK})
    found = error(
        ebs.list_changed_blocks, FirstSnapshotId=unrelated, SecondSnapshotId=child["SnapshotId"]
    )
    assert found["Reason"] == "UNRELATED_SNAPSHOTS"
    alone = ebs.list_changed_blocks(SecondSnapshotId=unrelated)["ChangedBlocks"]
    assert [entry["BlockIndex"] for entry in alone] == [1]


def test_listing_in_pages(lab: Lab, ebs: Any) -> None:
    blocks = {index: index.to_bytes(2, "big") * (BLOCK // 2) for index in range(1, 206)}
    snapshot_id = _filled(lab, ebs, blocks)
    first = ebs.list_snapshot_blocks(SnapshotId=snapshot_id, MaxResults=100)
    assert [b["BlockIndex"] for b in first["Blocks"]] == list(range(1, 101))
    assert (first["VolumeSize"], first["BlockSize"]) == (1, BLOCK)
    assert first["ExpiryTime"]
    second = ebs.list_snapshot_blocks(
        SnapshotId=snapshot_id, MaxResults=100, NextToken=first["NextToken"]
    )
    assert [b["BlockIndex"] for b in second["Blocks"]] == list(range(101, 201))
    third = ebs.list_snapshot_blocks(
        SnapshotId=snapshot_id, MaxResults=100, NextToken=second["NextToken"]
    )
    assert [b["BlockIndex"] for b in third["Blocks"]] == list(range(201, 206))
    assert "NextToken" not in third
    assert [b["BlockIndex"] for b in listed(ebs, snapshot_id, MaxResults=100)] == sorted(blocks)
    later = ebs.list_snapshot_blocks(SnapshotId=snapshot_id, StartingBlockIndex=150)
    assert [b["BlockIndex"] for b in later["Blocks"]] == list(range(150, 206))
    bad = error(ebs.list_snapshot_blocks, SnapshotId=snapshot_id, NextToken="Z2FyYmFnZQ==")
    assert bad["Reason"] == "INVALID_PAGE_TOKEN"
    assert error(ebs.list_snapshot_blocks, SnapshotId=snapshot_id, MaxResults=10001)["Code"] == (
        "ValidationException"
    )
    lab.elapse(3600)
    expired = error(ebs.list_snapshot_blocks, SnapshotId=snapshot_id, NextToken=first["NextToken"])
    assert expired["Reason"] == "INVALID_PAGE_TOKEN"


def test_block_tokens(lab: Lab, ebs: Any) -> None:
    blocks = {0: b"\x01" * BLOCK, 1: b"\x02" * BLOCK}
    snapshot_id = _filled(lab, ebs, blocks)
    zero, one = ebs.list_snapshot_blocks(SnapshotId=snapshot_id)["Blocks"]
    get = ebs.get_snapshot_block
    wrong = error(get, SnapshotId=snapshot_id, BlockIndex=1, BlockToken=zero["BlockToken"])
    assert wrong["Reason"] == "INVALID_BLOCK_TOKEN"
    unwritten = error(get, SnapshotId=snapshot_id, BlockIndex=5, BlockToken=zero["BlockToken"])
    assert unwritten["Reason"] == "INVALID_BLOCK_TOKEN"
    other = _filled(lab, ebs, blocks)
    stolen = error(get, SnapshotId=other, BlockIndex=0, BlockToken=zero["BlockToken"])
    assert stolen["Reason"] == "INVALID_BLOCK_TOKEN"
    assert (
        get(SnapshotId=snapshot_id, BlockIndex=1, BlockToken=one["BlockToken"])["BlockData"].read()
        == (blocks[1])
    )
    lab.elapse(7 * 24 * 3600)
    expired = error(get, SnapshotId=snapshot_id, BlockIndex=1, BlockToken=one["BlockToken"])
    assert expired["Reason"] == "INVALID_BLOCK_TOKEN"


def test_throttling_on_request(lab: Lab) -> None:
    assert faults(lab, "POST", {"throttle": 2}) == (200, faults(lab)[1])
    patient = ebs_client(lab, attempts=3)
    reply = patient.start_snapshot(VolumeSize=1)
    assert reply["ResponseMetadata"]["RetryAttempts"] == 2
    assert faults(lab)[1]["throttle"] == 0
    faults(lab, "POST", {"throttle": 1, "throttle_error": "ThrottlingException"})
    hasty = ebs_client(lab)
    assert error(hasty.start_snapshot, VolumeSize=1)["Code"] == "ThrottlingException"
    faults(lab, "POST", {"throttle": 1, "throttle_error": "RequestThrottledException"})
    found = error(hasty.list_snapshot_blocks, SnapshotId=reply["SnapshotId"])
    assert (found["Code"], found["Reason"]) == ("RequestThrottledException", "ACCOUNT_THROTTLED")


def test_quota_refusals_on_request(lab: Lab) -> None:
    ebs = ebs_client(lab)
    faults(lab, "POST", {"refuse_start": 1})
    found = error(ebs.start_snapshot, VolumeSize=1)
    assert (found["Code"], found["Status"], found["Reason"]) == (
        "ServiceQuotaExceededException",
        402,
        "DEPENDENCY_SERVICE_QUOTA_EXCEEDED",
    )
    faults(
        lab, "POST", {"refuse_start": 1, "refuse_start_error": "ConcurrentLimitExceededException"}
    )
    assert error(ebs.start_snapshot, VolumeSize=1)["Code"] == "ConcurrentLimitExceededException"
    assert ebs.start_snapshot(VolumeSize=1)["Status"] == "pending"


def test_the_caller_is_denied_an_operation_on_request(lab: Lab) -> None:
    ebs = ebs_client(lab)
    faults(lab, "POST", {"deny": 1, "deny_operation": "PutSnapshotBlock"})
    snapshot_id = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]  # another operation: answered
    denied = error(ebs.put_snapshot_block, **_put_params(snapshot_id, 0))
    assert (denied["Code"], denied["Status"], denied["Reason"]) == (
        "AccessDeniedException",
        403,
        "UNAUTHORIZED_ACCOUNT",
    )
    assert "not authorized to perform: ebs:PutSnapshotBlock" in denied["Message"]
    put(ebs, snapshot_id, 0, b"\x07" * BLOCK)  # once only
    assert faults(lab, "POST", {"deny_operation": "GetSnapshotBlock"})[0] == 400


def test_slow_puts_on_request(lab: Lab) -> None:
    snapshot_id = ebs_client(lab).start_snapshot(VolumeSize=1)["SnapshotId"]
    faults(lab, "POST", {"put_delay": 2})
    with pytest.raises(ReadTimeoutError):
        ebs_client(lab, read_timeout=0.3).put_snapshot_block(**_put_params(snapshot_id, 0))
    assert faults(lab, "DELETE")[1]["put_delay"] == 0.0
    put(ebs_client(lab), snapshot_id, 0, b"\x07" * BLOCK)


def test_the_fault_control_refuses_what_it_does_not_know(lab: Lab) -> None:
    status, document = faults(lab, "POST", {"throttle": -1})
    assert status == 400 and "throttle" in document["Error"]
    assert faults(lab, "POST", {"flood": 1})[0] == 400
    assert faults(lab, "POST", {"throttle_error": "SlowDown"})[0] == 400
    assert faults(lab, "PATCH")[0] == 405


def test_fault_options_of_the_command(make_lab: Callable[..., Lab]) -> None:
    args = server.parser().parse_args(
        ["--ebs-throttle", "1", "--ebs-refuse-start", "1", "--ebs-put-delay", "0.5"]
    )
    plan = server.fault_plan(args)
    assert (plan.throttle, plan.refuse_start, plan.put_delay) == (1, 1, 0.5)
    with pytest.raises(SystemExit):
        server.parser().parse_args(["--ebs-put-delay", "61"])
    lab = make_lab(ebs_faults=plan)
    ebs = ebs_client(lab)
    assert error(ebs.start_snapshot, VolumeSize=1)["Code"] == "RequestThrottledException"
    assert error(ebs.start_snapshot, VolumeSize=1)["Code"] == "ServiceQuotaExceededException"
    assert ebs.start_snapshot(VolumeSize=1)["Status"] == "pending"
