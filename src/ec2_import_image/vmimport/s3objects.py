"""An S3 object looked up (HeadObject): what vmimport knows of it, or that it is not there.

The one place that says which answers mean "no such object": a HEAD request's refusal has no
body, so S3 says a missing key or bucket with the status alone (``404``, ``NotFound``);
endpoints that answer with a body say ``NoSuchKey`` or ``NoSuchBucket``.  A refusal of the
caller (``awserrors.denied``) is not a missing object: it is botocore's error, raised for the
caller to say (each command says it its own way), as is anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ec2_import_image.awserrors import error_code

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

#: the error codes of an object (or its bucket) that is not there
MISSING = frozenset({"404", "NotFound", "NoSuchKey", "NoSuchBucket"})


class S3Object(NamedTuple):
    bucket: str
    key: str
    size: int
    #: as S3 answers it, quotes included
    etag: str
    #: the ``sha256`` user metadata vmimport's uploads carry (None on other objects)
    sha256: str | None
    #: ``AES256``, ``aws:kms``..., None when not encrypted at rest by S3
    encryption: str | None
    kms_key_id: str | None
    #: the made-of-a-member digest of an object vmimport copied out of an OVA
    #: (``upload.membercopy``; None on other objects)
    member: str | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def head(client: S3Client, bucket: str, key: str) -> S3Object | None:
    """The object ``s3://bucket/key``; None when it (or its bucket) does not exist."""
    from botocore.exceptions import ClientError

    try:
        reply = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in MISSING:
            return None
        raise
    metadata = {str(name).lower(): str(value) for name, value in reply.get("Metadata", {}).items()}
    return S3Object(
        bucket=bucket,
        key=key,
        size=int(reply.get("ContentLength", 0)),
        etag=str(reply.get("ETag", "")),
        sha256=metadata.get("sha256"),
        encryption=reply.get("ServerSideEncryption"),
        kms_key_id=reply.get("SSEKMSKeyId"),
        member=metadata.get("vmimport-member"),
    )
