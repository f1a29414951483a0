"""The emulator's S3 checks part checksums as S3 does (moto alone does not): a part whose bytes
do not match its checksum is refused, parts are listed with their checksums, the completion
needs them and answers the object's."""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import REGION, Lab
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

BUCKET = "sums"
MiB = 1024 * 1024
PARTS = (b"a" * (5 * MiB), b"b" * (5 * MiB), b"tail")


def sha256_of(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def crc32_of(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.fixture
def s3(lab: Lab) -> Any:
    """An S3 client that adds no checksum of its own (each test gives the ones it means)."""
    lab.s3.create_bucket(Bucket=BUCKET)
    return boto3.client(
        "s3",
        endpoint_url=lab.endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            request_checksum_calculation="when_required",
        ),
    )


def started(s3: Any, algorithm: str | None = "SHA256", key: str = "disk.img") -> str:
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    return str(s3.create_multipart_upload(Bucket=BUCKET, Key=key, **extra)["UploadId"])


def send(s3: Any, upload_id: str, number: int, data: bytes, **checksum: str) -> dict[str, Any]:
    reply: dict[str, Any] = s3.upload_part(
        Bucket=BUCKET, Key="disk.img", UploadId=upload_id, PartNumber=number, Body=data, **checksum
    )
    return reply


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    info = raised.value.response["Error"]
    return str(info["Code"]), str(info["Message"])


def test_a_part_whose_bytes_do_not_match_its_sha256_is_refused(s3: Any) -> None:
    upload_id = started(s3)
    with pytest.raises(ClientError) as refused:
        send(s3, upload_id, 1, PARTS[0], ChecksumSHA256=sha256_of(PARTS[1]))
    assert error_of(refused) == (
        "BadDigest",
        "The SHA256 you specified did not match the calculated checksum.",
    )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as crc:
        send(s3, upload_id, 1, PARTS[0], ChecksumCRC32=crc32_of(PARTS[1]))
    assert error_of(crc) == (
        "BadDigest",
        "The CRC32 you specified did not match the calculated checksum.",
    )
    listed = s3.list_parts(Bucket=BUCKET, Key="disk.img", UploadId=upload_id)
    assert listed.get("Parts", []) == []  # nothing was kept


def test_parts_are_listed_and_completed_with_their_checksums(s3: Any) -> None:
    upload_id = started(s3)
    sums = [sha256_of(data) for data in PARTS]
    reply = send(s3, upload_id, 1, PARTS[0], ChecksumSHA256=sums[0])
    assert reply["ChecksumSHA256"] == sums[0]
    send(s3, upload_id, 2, PARTS[1])  # S3 computes the checksum of a part sent without one
    send(s3, upload_id, 3, PARTS[2], ChecksumSHA256=sums[2])
    listed = s3.list_parts(Bucket=BUCKET, Key="disk.img", UploadId=upload_id)
    assert listed["ChecksumAlgorithm"] == "SHA256"
    assert [(p["PartNumber"], p["ChecksumSHA256"]) for p in listed["Parts"]] == [
        (1, sums[0]),
        (2, sums[1]),
        (3, sums[2]),
    ]
    etags = [p["ETag"] for p in listed["Parts"]]

    def complete(parts: list[dict[str, Any]]) -> dict[str, Any]:
        done: dict[str, Any] = s3.complete_multipart_upload(
            Bucket=BUCKET, Key="disk.img", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        return done

    without = [{"PartNumber": n, "ETag": etags[n - 1]} for n in (1, 2, 3)]
    with pytest.raises(ClientError) as missing:
        complete(without)
    assert error_of(missing) == (
        "InvalidRequest",
        "The upload was created using a sha256 checksum. The complete request must include the "
        "checksum for each part. It was missing for part 1 in the request.",
    )
    wrong = [{**part, "ChecksumSHA256": sums[0]} for part in without]
    with pytest.raises(ClientError) as mismatch:
        complete(wrong)
    assert error_of(mismatch)[0] == "InvalidPart"
    right = [{**part, "ChecksumSHA256": sums[n]} for n, part in enumerate(without)]
    done = complete(right)
    whole = hashlib.sha256(b"".join(base64.b64decode(value) for value in sums)).digest()
    assert done["ChecksumSHA256"] == f"{base64.b64encode(whole).decode()}-3"
    body = s3.get_object(Bucket=BUCKET, Key="disk.img")["Body"].read()
    assert body == b"".join(PARTS)


def test_a_checksum_of_another_algorithm_than_the_uploads_is_refused(s3: Any) -> None:
    upload_id = started(s3, "SHA256")
    with pytest.raises(ClientError) as refused:
        send(s3, upload_id, 1, PARTS[0], ChecksumCRC32=crc32_of(PARTS[0]))
    assert error_of(refused) == (
        "InvalidRequest",
        "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum "
        "Type: crc32",
    )


def test_an_upload_without_an_algorithm_lists_none_and_refuses_part_checksums(s3: Any) -> None:
    upload_id = started(s3, None)
    etag = send(s3, upload_id, 1, PARTS[2])["ETag"]
    listed = s3.list_parts(Bucket=BUCKET, Key="disk.img", UploadId=upload_id)
    assert "ChecksumSHA256" not in listed["Parts"][0]
    with pytest.raises(ClientError) as refused:
        s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key="disk.img",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag, "ChecksumSHA256": "x"}]},
        )
    assert error_of(refused)[0] == "InvalidPart"


def test_a_copied_range_gets_its_checksum_and_if_match_is_honoured(s3: Any) -> None:
    source = b"".join(PARTS)
    s3.put_object(Bucket=BUCKET, Key="archive.ova", Body=source)
    etag = s3.head_object(Bucket=BUCKET, Key="archive.ova")["ETag"]
    upload_id = started(s3, key="member.vmdk")
    where = {"Bucket": BUCKET, "Key": "member.vmdk", "UploadId": upload_id}
    copy = {"CopySource": {"Bucket": BUCKET, "Key": "archive.ova"}}
    first, second = (1, 5 * MiB), (5 * MiB + 1, len(source) - 1)
    replies = [
        s3.upload_part_copy(
            **where, **copy, PartNumber=n, CopySourceRange=f"bytes={a}-{b}", CopySourceIfMatch=etag
        )["CopyPartResult"]
        for n, (a, b) in ((1, first), (2, second))
    ]
    wanted = [source[first[0] : first[1] + 1], source[second[0] : second[1] + 1]]
    assert [r["ChecksumSHA256"] for r in replies] == [sha256_of(data) for data in wanted]
    with pytest.raises(ClientError) as refused:
        s3.upload_part_copy(
            **where, **copy, PartNumber=3, CopySourceRange="bytes=0-9", CopySourceIfMatch='"0"'
        )
    assert error_of(refused) == (
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    parts = [
        {"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]}
        for n, r in ((1, replies[0]), (2, replies[1]))
    ]
    s3.complete_multipart_upload(**where, MultipartUpload={"Parts": parts})
    body = s3.get_object(Bucket=BUCKET, Key="member.vmdk")["Body"].read()
    assert body == b"".join(wanted)
