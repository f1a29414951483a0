"""Helpers of the snapshot tests: EBS direct clients, writing and reading a snapshot's blocks.

Reading goes through the API a client uses (ListSnapshotBlocks page by page, then
GetSnapshotBlock with each block's token), so a test compares what a client gets
back with the bytes it started from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import REGION, Lab
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

BLOCK = 512 * 1024
GIB = 1024**3
FAULTS_PATH = "/emulator/ebs/faults"


def ebs_client(lab: Lab, *, attempts: int = 1, read_timeout: float = 60.0) -> Any:
    """An ``ebs`` client of the lab's emulator; ``attempts`` in all, in botocore's standard
    retry mode (1: no retry)."""
    return boto3.client(
        "ebs",
        endpoint_url=lab.endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            read_timeout=read_timeout,
        ),
    )


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def linear(blocks: dict[int, bytes]) -> str:
    """The LINEAR aggregate, computed here from the bytes: SHA-256 of the blocks' raw
    SHA-256 digests in ascending index order, base64."""
    joined = b"".join(hashlib.sha256(blocks[index]).digest() for index in sorted(blocks))
    return base64.b64encode(hashlib.sha256(joined).digest()).decode("ascii")


def data_blocks(volume: bytes) -> dict[int, bytes]:
    """The 512 KiB blocks of ``volume`` that are not all zeros (the last one padded)."""
    found = {}
    for offset in range(0, len(volume), BLOCK):
        block = volume[offset : offset + BLOCK].ljust(BLOCK, b"\0")
        if any(block):
            found[offset // BLOCK] = block
    return found


def put(ebs: Any, snapshot_id: str, index: int, data: bytes, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "SnapshotId": snapshot_id,
        "BlockIndex": index,
        "BlockData": data,
        "DataLength": len(data),
        "Checksum": sha256_b64(data),
        "ChecksumAlgorithm": "SHA256",
    }
    params.update(extra)
    return dict(ebs.put_snapshot_block(**params))


def write(ebs: Any, snapshot_id: str, blocks: dict[int, bytes]) -> None:
    for index, data in sorted(blocks.items()):
        put(ebs, snapshot_id, index, data)


def listed(ebs: Any, snapshot_id: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every block ListSnapshotBlocks lists, page after page."""
    token = None
    while True:
        page = ebs.list_snapshot_blocks(
            SnapshotId=snapshot_id, **params, **({"NextToken": token} if token else {})
        )
        yield from page["Blocks"]
        token = page.get("NextToken")
        if not token:
            return


def read_blocks(ebs: Any, snapshot_id: str) -> dict[int, bytes]:
    """The written blocks of a completed snapshot, read back with their tokens; each
    block's checksum header checked against its bytes."""
    found = {}
    for entry in listed(ebs, snapshot_id):
        reply = ebs.get_snapshot_block(
            SnapshotId=snapshot_id, BlockIndex=entry["BlockIndex"], BlockToken=entry["BlockToken"]
        )
        data = reply["BlockData"].read()
        assert reply["DataLength"] == len(data) == BLOCK
        assert reply["Checksum"] == sha256_b64(data)
        assert reply["ChecksumAlgorithm"] == "SHA256"
        found[entry["BlockIndex"]] = data
    return found


def volume_from(blocks: dict[int, bytes], size: int) -> bytes:
    """The volume a client reassembles from the blocks it read: zeros elsewhere."""
    volume = bytearray(size)
    for index, data in blocks.items():
        volume[index * BLOCK : (index + 1) * BLOCK] = data
    return bytes(volume)


def error(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """The error reply of a call that must fail (Code, Message, Reason, HTTP status)."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    found = dict(response["Error"])
    found["Reason"] = response.get("Reason")
    found["Status"] = response["ResponseMetadata"]["HTTPStatusCode"]
    return found


def faults(lab: Lab, method: str = "GET", changes: dict[str, Any] | None = None) -> Any:
    """The emulator's EBS fault control: answers (status, document)."""
    body = None if changes is None else json.dumps(changes).encode()
    request = urllib.request.Request(lab.endpoint + FAULTS_PATH, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())
