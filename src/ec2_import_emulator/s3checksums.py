"""S3's part checksums, which moto does not check: refused bodies, listed and combined checksums.

A multipart upload created with ``x-amz-checksum-algorithm`` (``CRC32``,
``SHA1`` or ``SHA256``) keeps a checksum of that algorithm for each part; a
part sent with an ``x-amz-checksum-*`` header is checked against its body on
arrival.  moto 5 stores the parts and answers the requests but checks none of
it, and lists no part checksum; a client that relies on S3 refusing bytes it
did not mean to send (``vmimport`` sends each part's SHA-256 computed before
the upload started) cannot be tested on it.  Here, in front of moto, as S3
does (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html):

- ``UploadPart`` whose body does not match a checksum header it carries:
  ``400 BadDigest`` "The SHA256 you specified did not match the calculated
  checksum." (the algorithm's name in it; S3's words, as AWS's own SDK tests
  and S3's replies show them); a checksum of another algorithm than the
  upload's: ``400 InvalidRequest`` "Checksum Type mismatch occurred, ...".
  Accepted, its reply carries the part's checksum of the upload's algorithm
  (S3 computes it when the request did not give it);
- ``ListParts`` of such an upload lists each part's ``Checksum<ALGORITHM>``,
  and the upload's ``ChecksumAlgorithm``;
- ``CompleteMultipartUpload`` of such an upload needs each part's checksum
  (``400 InvalidRequest`` "The upload was created using a sha256 checksum.
  The complete request must include the checksum for each part. It was
  missing for part N in the request.") and refuses one that is not the part's
  (``400 InvalidPart``), as it refuses any part checksum for an upload created
  without an algorithm; its reply carries the object's checksum: the
  algorithm's digest of the parts' digests in order, base64, ``-`` and the
  part count (S3's "composite" checksum);
- ``UploadPartCopy`` (a byte range of another object copied into a part, moto
  copies it): refused with ``412 PreconditionFailed`` when its
  ``x-amz-copy-source-if-match`` is not the source's ETag, which moto ignores
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html);
  accepted into an upload with an algorithm, its ``CopyPartResult`` carries the
  part's checksum, which S3 computes for a copied part as for a sent one and
  the completion then needs.

Only path-style requests (``/bucket/key``, what clients of a ``127.0.0.1``
endpoint send) whose body is not ``aws-chunked`` are looked at: a checksum in
an ``aws-chunked`` trailer (botocore sends one over HTTPS only, and the
emulator serves HTTP) is left to moto.  Checksums are computed from the bytes
moto keeps for each part, so what is listed is what is stored.
"""

from __future__ import annotations

import base64
import hashlib
import io
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
#: the error S3 gives a part whose bytes do not match the completion's part checksum
INVALID_PART = (
    "One or more of the specified parts could not be found.  The part may not have been "
    "uploaded, or the specified entity tag may not match the part's entity tag."
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


#: the algorithms checked, by S3's name for them
DIGESTS: Mapping[str, Callable[[bytes], bytes]] = {
    "CRC32": _crc32,
    "SHA1": _sha1,
    "SHA256": _sha256,
}


def checksum(algorithm: str, data: bytes) -> str:
    """The checksum S3 writes for ``data`` (base64 of the digest)."""
    return base64.b64encode(DIGESTS[algorithm](data)).decode("ascii")


def composite(algorithm: str, part_checksums: list[str]) -> str:
    """An object's checksum from its parts' (S3's composite checksum)."""
    joined = b"".join(base64.b64decode(value) for value in part_checksums)
    return f"{checksum(algorithm, joined)}-{len(part_checksums)}"


class Upload(NamedTuple):
    """A multipart upload as moto keeps it: its algorithm (None: none) and its parts' bytes."""

    algorithm: str | None
    parts: Mapping[int, bytes]


class Uploads(Protocol):
    def multipart_upload(self, account: str, bucket: str, upload_id: str) -> Upload | None:
        """The upload, None when moto does not know it (moto then answers NoSuchUpload)."""
        ...

    def object_etag(self, account: str, bucket: str, key: str) -> str | None:
        """An object's ETag (quoted, as S3 gives it), None when there is no such object."""
        ...


class _Request(NamedTuple):
    operation: str
    bucket: str
    upload_id: str


def _operation(environ: Environ) -> _Request | None:
    """UploadPart, UploadPartCopy, ListParts or CompleteMultipartUpload, path-style; None for
    anything else."""
    bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
    if not bucket or not key:
        return None
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    upload_id = query.get("uploadId")
    if not upload_id:
        return None
    method = environ.get("REQUEST_METHOD", "")
    if method == "PUT" and "partNumber" in query:
        copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
        return _Request("UploadPartCopy" if copy else "UploadPart", bucket, upload_id)
    if method == "GET" and "partNumber" not in query:
        return _Request("ListParts", bucket, upload_id)
    if method == "POST":
        return _Request("CompleteMultipartUpload", bucket, upload_id)
    return None


def _chunked(environ: Environ) -> bool:
    return "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", "") or environ.get(
        "HTTP_X_AMZ_CONTENT_SHA256", ""
    ).startswith("STREAMING-")


def _body(environ: Environ) -> bytes:
    """The request's body, read whole and put back for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return bytes(data)


def error_reply(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    """S3's error document."""
    body = ET.Element("Error")
    ET.SubElement(body, "Code").text = code
    ET.SubElement(body, "Message").text = message
    ET.SubElement(body, "RequestId").text = "0"
    text = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(body)
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(text)))],
    )
    return [text]


class _Captured:
    """moto's reply, kept to be amended."""

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def start_response(self, status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        self.status, self.headers = status, list(headers)
        return lambda data: None

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")

    def send(self, start_response: StartResponse, body: bytes) -> list[bytes]:
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        start_response(self.status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _amended(body: bytes, amend: Callable[[ET.Element], None]) -> bytes:
    ET.register_namespace("", S3_NAMESPACE)
    root = ET.fromstring(body)
    amend(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def _tag(name: str) -> str:
    return f"{{{S3_NAMESPACE}}}{name}"


def _text(element: ET.Element, name: str) -> str | None:
    """A child's text, with or without S3's namespace."""
    for child in element:
        if child.tag.rpartition("}")[2] == name:
            return child.text or ""
    return None


class PartChecksums:
    """The checks and answers above, for the middleware (``handle``)."""

    def __init__(self, uploads: Uploads) -> None:
        self.uploads = uploads

    def handle(
        self, environ: Environ, start_response: StartResponse, app: WsgiApp, account: str
    ) -> Iterable[bytes] | None:
        """The reply to a request this checks, or None to hand it to moto untouched."""
        request = _operation(environ)
        if request is None or _chunked(environ):
            return None
        upload = self.uploads.multipart_upload(account, request.bucket, request.upload_id)
        if upload is None or (upload.algorithm is not None and upload.algorithm not in DIGESTS):
            return None  # moto answers (NoSuchUpload), or an algorithm not checked here
        if request.operation == "UploadPart":
            return self._upload_part(environ, start_response, app, upload)
        if request.operation == "UploadPartCopy":
            return self._upload_part_copy(environ, start_response, app, request, account)
        if request.operation == "ListParts":
            return self._list_parts(environ, start_response, app, upload)
        return self._complete(environ, start_response, app, upload)

    def _upload_part(
        self, environ: Environ, start_response: StartResponse, app: WsgiApp, upload: Upload
    ) -> Iterable[bytes]:
        data = _body(environ)
        given = {
            algorithm: environ[f"HTTP_X_AMZ_CHECKSUM_{algorithm}"]
            for algorithm in DIGESTS
            if f"HTTP_X_AMZ_CHECKSUM_{algorithm}" in environ
        }
        for algorithm, value in given.items():
            if checksum(algorithm, data) != value:
                message = f"The {algorithm} you specified did not match the calculated checksum."
                return error_reply(start_response, 400, "BadDigest", message)
        if upload.algorithm is not None and given and upload.algorithm not in given:
            other = next(iter(given)).lower()
            return error_reply(
                start_response,
                400,
                "InvalidRequest",
                "Checksum Type mismatch occurred, expected checksum Type: "
                f"{upload.algorithm.lower()}, actual checksum Type: {other}",
            )
        captured = _Captured()
        body = b"".join(app(environ, captured.start_response))
        if captured.ok and upload.algorithm is not None:
            header = f"x-amz-checksum-{upload.algorithm.lower()}"
            captured.headers = [(k, v) for k, v in captured.headers if k.lower() != header]
            captured.headers.append((header, checksum(upload.algorithm, data)))
        return captured.send(start_response, body)

    def _upload_part_copy(
        self,
        environ: Environ,
        start_response: StartResponse,
        app: WsgiApp,
        request: _Request,
        account: str,
    ) -> Iterable[bytes]:
        wanted = environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_MATCH")
        if wanted is not None:
            source = urllib.parse.unquote(environ["HTTP_X_AMZ_COPY_SOURCE"]).partition("?")[0]
            bucket, _, key = source.lstrip("/").partition("/")
            etag = self.uploads.object_etag(account, bucket, key)
            if etag is not None and etag.strip('"') != wanted.strip('"'):
                return error_reply(
                    start_response,
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                )
        captured = _Captured()
        body = b"".join(app(environ, captured.start_response))
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        upload = self.uploads.multipart_upload(account, request.bucket, request.upload_id)
        algorithm = None if upload is None else upload.algorithm
        if not captured.ok or upload is None or algorithm is None:
            return captured.send(start_response, body)
        data = upload.parts.get(int(query.get("partNumber") or 0))
        if data is None:
            return captured.send(start_response, body)

        def amend(root: ET.Element) -> None:
            ET.SubElement(root, _tag(f"Checksum{algorithm}")).text = checksum(algorithm, data)

        return captured.send(start_response, _amended(body, amend))

    def _list_parts(
        self, environ: Environ, start_response: StartResponse, app: WsgiApp, upload: Upload
    ) -> Iterable[bytes]:
        captured = _Captured()
        body = b"".join(app(environ, captured.start_response))
        algorithm = upload.algorithm
        if not captured.ok or algorithm is None:
            return captured.send(start_response, body)

        def amend(root: ET.Element) -> None:
            ET.SubElement(root, _tag("ChecksumAlgorithm")).text = algorithm
            for part in root.iter(_tag("Part")):
                number = int(_text(part, "PartNumber") or 0)
                data = upload.parts.get(number)
                if data is not None:
                    ET.SubElement(part, _tag(f"Checksum{algorithm}")).text = checksum(
                        algorithm, data
                    )

        return captured.send(start_response, _amended(body, amend))

    def _complete(
        self, environ: Environ, start_response: StartResponse, app: WsgiApp, upload: Upload
    ) -> Iterable[bytes]:
        data = _body(environ)
        try:
            listed = list(ET.fromstring(data)) if data else []
        except ET.ParseError:
            return app(environ, start_response)  # moto answers MalformedXML
        algorithm = upload.algorithm
        sums: list[str] = []
        for item in listed:
            number = int(_text(item, "PartNumber") or 0)
            stored = upload.parts.get(number)
            if stored is None:
                return app(environ, start_response)  # moto answers InvalidPart
            given = {name: _text(item, f"Checksum{name}") for name in DIGESTS}
            if algorithm is None:
                if any(value is not None for value in given.values()):
                    return error_reply(start_response, 400, "InvalidPart", INVALID_PART)
                continue
            value = given[algorithm]
            if value is None:
                return error_reply(
                    start_response,
                    400,
                    "InvalidRequest",
                    f"The upload was created using a {algorithm.lower()} checksum. The complete "
                    "request must include the checksum for each part. It was missing for part "
                    f"{number} in the request.",
                )
            if value != checksum(algorithm, stored):
                return error_reply(start_response, 400, "InvalidPart", INVALID_PART)
            sums.append(value)
        captured = _Captured()
        body = b"".join(app(environ, captured.start_response))
        if not captured.ok or algorithm is None or not sums:
            return captured.send(start_response, body)

        def amend(root: ET.Element) -> None:
            ET.SubElement(root, _tag(f"Checksum{algorithm}")).text = composite(algorithm, sums)

        return captured.send(start_response, _amended(body, amend))
