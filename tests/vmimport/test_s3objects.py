"""The one S3 object lookup: a record for an object, None for a missing object or bucket
however S3 says it, and botocore's error for a refusal of the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ec2_import_image import awserrors
from ec2_import_image.vmimport import s3objects

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


@pytest.fixture
def stubbed() -> Iterator[tuple[S3Client, Stubber]]:
    session = botocore.session.Session()
    client = session.create_client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    with Stubber(client) as stubber:
        yield cast("S3Client", client), stubber
        stubber.assert_no_pending_responses()


WHERE = {"Bucket": "disks", "Key": "web.vmdk"}


def test_an_object_is_a_record(stubbed: tuple[S3Client, Stubber]) -> None:
    client, stubber = stubbed
    reply = {
        "ContentLength": 4096,
        "ETag": '"abc-2"',
        "Metadata": {"SHA256": "f" * 64},
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
    }
    stubber.add_response("head_object", reply, WHERE)
    found = s3objects.head(client, "disks", "web.vmdk")
    assert found == s3objects.S3Object(
        "disks",
        "web.vmdk",
        4096,
        '"abc-2"',
        "f" * 64,
        "aws:kms",
        "arn:aws:kms:us-east-1:111122223333:key/k",
    )
    assert found.url == "s3://disks/web.vmdk"


def test_a_plain_object(stubbed: tuple[S3Client, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("head_object", {"ContentLength": 1, "ETag": '"e"'}, WHERE)
    found = s3objects.head(client, "disks", "web.vmdk")
    assert found is not None
    assert (found.sha256, found.encryption, found.kms_key_id) == (None, None, None)


@pytest.mark.parametrize("code", sorted(s3objects.MISSING))
def test_missing_however_said(stubbed: tuple[S3Client, Stubber], code: str) -> None:
    client, stubber = stubbed
    stubber.add_client_error("head_object", code, http_status_code=404, expected_params=WHERE)
    assert s3objects.head(client, "disks", "web.vmdk") is None


def test_a_refusal_is_not_missing(stubbed: tuple[S3Client, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("head_object", "403", http_status_code=403, expected_params=WHERE)
    with pytest.raises(ClientError) as raised:
        s3objects.head(client, "disks", "web.vmdk")
    assert awserrors.denied(raised.value)
