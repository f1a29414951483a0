"""A loopback S3 endpoint that discards what it receives: uploads at any size, in constant memory.

It answers, path-style, what an upload sends: CreateMultipartUpload,
UploadPart, CompleteMultipartUpload, ListParts (paginated), AbortMultipartUpload,
HeadObject, PutObject, DeleteObject (and CreateBucket, as a no-op).  Bodies are
read in blocks and thrown away; what it keeps per part and per object is its
size, ETag and checksum, and an object's metadata.  moto keeps whole objects in
memory, which is why uploads are measured here.

Bodies arrive as botocore sends them: with a ``Content-Length``, or (over
HTTPS with a trailing checksum) HTTP-chunked and ``aws-chunked`` inside, the
checksum in the trailer.  With ``digests=True`` (the tests) it computes what S3
would: a part's ETag is its MD5, a CRC32 or SHA-256 sent with a part, and a
``Content-MD5``, are checked (``BadDigest``), a part of an upload created with
a checksum algorithm lists that checksum (the one sent, else computed), the
completion checks each part's and answers the SHA-256 of the parts' SHA-256s,
an object's ETag is the MD5 of its parts' MD5s with the part count; with
``digests=False`` (the benchmark) it computes nothing, and ETags are made up.
With ``checksums=False`` it behaves as an endpoint that does not implement
S3's transport checksums: any request carrying one is refused with ``501
NotImplemented``, as S3 refuses headers it does not know;
``refuse_checksums`` names the operations that refuse them (an endpoint that
takes the algorithm at CreateMultipartUpload but not a part's checksum
trailer).  ``drop_parts_after=N`` closes the connection of every UploadPart
after the first N, without an answer (a lost connection); ``damage_parts``
holds part numbers whose next UploadPart is answered ``BadDigest`` as if its
bytes had been damaged on the way (once each).  ``tls=(cert,
key)`` serves HTTPS.

Every request is recorded (operation, key, part number, checksum headers and
their values); ``forget_uploads`` makes it forget every multipart upload, as S3
does after an abort or a lifecycle rule.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import socket
import threading
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.loopback import LoopbackServer, QuietHandler

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
OPERATIONS = (
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "PutObject",
)
MIN_PART = 5 * 1024 * 1024
BLOCK = 1024 * 1024


@dataclass
class Call:
    operation: str
    key: str
    part_number: int | None = None
    #: the request's checksum headers (``x-amz-checksum-*``, ``x-amz-sdk-checksum-*``,
    #: ``x-amz-trailer``, ``content-md5``, ``content-encoding``) and their values
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def checksum_headers(self) -> tuple[str, ...]:
        """The names of the transport checksum headers (``Content-MD5`` is not one)."""
        return tuple(
            sorted(
                name
                for name in self.headers
                if name.startswith(("x-amz-checksum-", "x-amz-sdk-checksum"))
                or name == "x-amz-trailer"
            )
        )


@dataclass
class StubPart:
    size: int
    etag: str
    md5: bytes
    checksum: str | None


@dataclass
class StubUpload:
    key: str
    metadata: dict[str, str]
    algorithm: str | None
    parts: dict[int, StubPart] = field(default_factory=dict)


@dataclass
class StubObject:
    size: int
    etag: str
    metadata: dict[str, str]


class _Chunked:
    """HTTP/1.1 chunked transfer decoding over a buffered stream."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self._stream = stream
        self._left = 0
        self._done = False

    def read(self, size: int) -> bytes:
        if self._done:
            return b""
        if self._left == 0:
            line = self._stream.readline()
            self._left = int(line.split(b";")[0].strip() or b"0", 16)
            if self._left == 0:
                while self._stream.readline() not in (b"\r\n", b"\n", b""):
                    pass
                self._done = True
                return b""
        data = self._stream.read(min(size, self._left))
        self._left -= len(data)
        if self._left == 0:
            self._stream.readline()
        return data


class _Lines:
    """Line and block reads over a ``read(size)`` source (the aws-chunked framing)."""

    def __init__(self, source: Callable[[int], bytes]) -> None:
        self._source = source
        self._buffer = b""

    def readline(self) -> bytes:
        while b"\n" not in self._buffer:
            more = self._source(BLOCK)
            if not more:
                line, self._buffer = self._buffer, b""
                return line
            self._buffer += more
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def read(self, size: int) -> bytes:
        if self._buffer:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data
        return self._source(size)


def _aws_chunks(lines: _Lines) -> Iterator[bytes | dict[str, str]]:
    """The data blocks of an aws-chunked body, then its trailer as a dict."""
    while True:
        header = lines.readline()
        size = int(header.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        left = size
        while left:
            block = lines.read(min(left, BLOCK))
            if not block:
                raise ConnectionError("truncated aws-chunked body")
            left -= len(block)
            yield block
        lines.readline()
    trailer: dict[str, str] = {}
    while True:
        line = lines.readline().strip()
        if not line:
            break
        name, _, value = line.decode().partition(":")
        trailer[name.strip().lower()] = value.strip()
    yield trailer


class S3Stub(LoopbackServer):
    def __init__(
        self,
        *,
        digests: bool = True,
        checksums: bool = True,
        refuse_checksums: Collection[str] = (),
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.digests = digests
        self.refuse_checksums = frozenset(refuse_checksums) | (
            frozenset() if checksums else frozenset(OPERATIONS)
        )
        self.drop_parts_after: int | None = None
        self.damage_parts: set[int] = set()
        self.uploads: dict[str, StubUpload] = {}
        self.objects: dict[str, StubObject] = {}
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for call in self.calls if call.operation == operation)

    def parts_sent(self, since: int = 0) -> list[int]:
        """The part numbers of the UploadPart requests from the ``since``-th request on."""
        with self.lock:
            return [
                c.part_number
                for c in self.calls[since:]
                if c.operation == "UploadPart" and c.part_number is not None
            ]

    def forget_uploads(self) -> None:
        with self.lock:
            self.uploads.clear()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        return Handler


def _error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>0</RequestId></Error>"
    ).encode()


def _xml(root: str, children: list[tuple[str, Any]]) -> bytes:
    def render(items: list[tuple[str, Any]]) -> str:
        out = []
        for name, value in items:
            inner = render(value) if isinstance(value, list) else _escape(str(value))
            out.append(f"<{name}>{inner}</{name}>")
        return "".join(out)

    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">{render(children)}</{root}>'
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Handler(QuietHandler):
    stub: S3Stub

    # ------------------------------------------------------------ plumbing

    def _route(self) -> tuple[str, str, dict[str, str]]:
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path).lstrip("/")
        bucket, _, key = path.partition("/")
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        return bucket, key, query

    def _checksum_headers(self) -> dict[str, str]:
        return {
            name.lower(): value
            for name, value in self.headers.items()
            if name.lower().startswith(("x-amz-checksum-", "x-amz-sdk-checksum"))
            or name.lower() in ("x-amz-trailer", "content-md5", "content-encoding")
        }

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.command != "HEAD" or status >= 300:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _fail(self, status: int, code: str, message: str) -> None:
        self.close_connection = True
        self._send(status, _error(code, message), {"Connection": "close"})

    def _record(self, operation: str, key: str, part: int | None = None) -> None:
        with self.stub.lock:
            self.stub.calls.append(Call(operation, key, part, self._checksum_headers()))

    def _blocks(self) -> Iterator[bytes | dict[str, str]]:
        """The body's bytes in blocks, then the aws-chunked trailer (a dict) if any."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            source: Callable[[int], bytes] = _Chunked(self.rfile).read
        else:
            left = [int(self.headers.get("Content-Length") or 0)]

            def source(size: int) -> bytes:
                data = self.rfile.read(min(size, left[0])) if left[0] else b""
                left[0] -= len(data)
                return data

        if "aws-chunked" in self.headers.get("Content-Encoding", ""):
            yield from _aws_chunks(_Lines(source))
            return
        while True:
            block = source(BLOCK)
            if not block:
                return
            yield block

    def _consume(self) -> tuple[int, bytes, dict[str, str], dict[str, str]]:
        """Read the body: (size, MD5, checksums computed, checksums sent), each checksum by
        algorithm (``CRC32``, ``SHA256``) — digests only if asked."""
        size = 0
        md5 = hashlib.md5(usedforsecurity=False)
        sha = hashlib.sha256()
        crc = 0
        sent = {
            name[len("x-amz-checksum-") :].upper(): value
            for name, value in self._checksum_headers().items()
            if name in ("x-amz-checksum-crc32", "x-amz-checksum-sha256")
        }
        for block in self._blocks():
            if isinstance(block, dict):
                for algorithm in ("CRC32", "SHA256"):
                    value = block.get(f"x-amz-checksum-{algorithm.lower()}")
                    if value:
                        sent[algorithm] = value
                continue
            size += len(block)
            if self.stub.digests:
                md5.update(block)
                sha.update(block)
                crc = zlib.crc32(block, crc)
        computed: dict[str, str] = {}
        if self.stub.digests:
            computed["CRC32"] = base64.b64encode(crc.to_bytes(4, "big")).decode()
            computed["SHA256"] = base64.b64encode(sha.digest()).decode()
        return size, md5.digest(), computed, sent

    def _bad_digest(self, md5: bytes, computed: dict[str, str], sent: dict[str, str]) -> bool:
        """Refuse (400 BadDigest, S3's words) a body that does not match what it carried."""
        given_md5 = self.headers.get("Content-MD5")
        if computed and given_md5 and base64.b64decode(given_md5) != md5:
            self._fail(
                400, "BadDigest", "The Content-MD5 you specified did not match what we received."
            )
            return True
        for algorithm, value in sent.items():
            if computed and computed[algorithm] != value:
                message = f"The {algorithm} you specified did not match the calculated checksum."
                self._fail(400, "BadDigest", message)
                return True
        return False

    def _refuses(self, operation: str, key: str) -> bool:
        headers = self._checksum_headers()
        headers.pop("content-md5", None)
        headers.pop("content-encoding", None)
        if operation not in self.stub.refuse_checksums or not headers:
            return False
        self._record(f"{operation} refused", key)
        self._fail(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )
        return True

    # -------------------------------------------------------------- methods

    def do_HEAD(self) -> None:
        _, key, _ = self._route()
        self._record("HeadObject", key)
        with self.stub.lock:
            found = self.stub.objects.get(key)
        if found is None:
            self._send(404)
            return
        headers = {"Content-Length": str(found.size), "ETag": f'"{found.etag}"'}
        headers.update({f"x-amz-meta-{k}": v for k, v in found.metadata.items()})
        self._send(200, b"", headers)

    def do_PUT(self) -> None:
        _, key, query = self._route()
        if not key:
            self._record("CreateBucket", "")
            self._send(200)
            return
        operation = "UploadPart" if "partNumber" in query else "PutObject"
        if self._refuses(operation, key):
            return
        if "partNumber" in query:
            self._upload_part(key, query)
        else:
            self._put_object(key)

    def _upload_part(self, key: str, query: dict[str, str]) -> None:
        number = int(query["partNumber"])
        with self.stub.lock:
            served = sum(1 for call in self.stub.calls if call.operation == "UploadPart")
            limit = self.stub.drop_parts_after
        self._record("UploadPart", key, number)
        if limit is not None and served >= limit:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        size, md5, computed, sent = self._consume()
        if self._bad_digest(md5, computed, sent):
            return
        with self.stub.lock:
            damaged = number in self.stub.damage_parts
            self.stub.damage_parts.discard(number)
        if damaged:
            self._fail(
                400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."
            )
            return
        etag = md5.hex() if self.stub.digests else f"{number:032x}"
        with self.stub.lock:
            upload = self.stub.uploads.get(query.get("uploadId", ""))
            algorithm = upload.algorithm if upload is not None else None
            checksum = (sent.get(algorithm) or computed.get(algorithm)) if algorithm else None
            if upload is not None:
                upload.parts[number] = StubPart(size, etag, md5, checksum)
        if upload is None:
            self._fail(404, "NoSuchUpload", "The specified upload does not exist.")
            return
        headers = {"ETag": f'"{etag}"'}
        if algorithm and checksum:
            headers[f"x-amz-checksum-{algorithm.lower()}"] = checksum
        self._send(200, b"", headers)

    def _put_object(self, key: str) -> None:
        self._record("PutObject", key)
        size, md5, computed, sent = self._consume()
        if self._bad_digest(md5, computed, sent):
            return
        metadata = self._metadata()
        etag = md5.hex() if self.stub.digests else "0" * 32
        with self.stub.lock:
            self.stub.objects[key] = StubObject(size, etag, metadata)
        self._send(200, b"", {"ETag": f'"{etag}"'})

    def _metadata(self) -> dict[str, str]:
        return {
            name.lower()[len("x-amz-meta-") :]: value
            for name, value in self.headers.items()
            if name.lower().startswith("x-amz-meta-")
        }

    def do_POST(self) -> None:
        _, key, query = self._route()
        operation = "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload"
        if self._refuses(operation, key):
            return
        if "uploads" in query:
            self._record("CreateMultipartUpload", key)
            self.read_body()
            upload_id = f"upload-{next(self.stub._ids)}"
            algorithm = self.headers.get("x-amz-checksum-algorithm")
            with self.stub.lock:
                self.stub.uploads[upload_id] = StubUpload(key, self._metadata(), algorithm)
            children: list[tuple[str, Any]] = [("Key", key), ("UploadId", upload_id)]
            headers = {"x-amz-checksum-algorithm": algorithm} if algorithm else {}
            self._send(200, _xml("InitiateMultipartUploadResult", children), headers)
            return
        self._record("CompleteMultipartUpload", key)
        self._complete(key, query.get("uploadId", ""), self.read_body())

    def _complete(self, key: str, upload_id: str, body: bytes) -> None:
        listed = []
        for item in ET.fromstring(body):
            fields = {child.tag.rpartition("}")[2]: (child.text or "") for child in item}
            listed.append(fields)
        with self.stub.lock:
            upload = self.stub.uploads.get(upload_id)
        if upload is None:
            self._fail(404, "NoSuchUpload", "The specified upload does not exist.")
            return
        chosen: list[StubPart] = []
        for position, fields in enumerate(listed):
            part = upload.parts.get(int(fields["PartNumber"]))
            if part is None or part.etag != fields.get("ETag", "").strip('"'):
                self._fail(400, "InvalidPart", f"part {fields['PartNumber']} was not found")
                return
            if upload.algorithm and fields.get(f"Checksum{upload.algorithm}") != part.checksum:
                self._fail(400, "InvalidPart", f"part {fields['PartNumber']}: checksum")
                return
            if part.size < MIN_PART and position != len(listed) - 1:
                self._fail(400, "EntityTooSmall", "Your proposed upload is smaller than allowed")
                return
            chosen.append(part)
        combined = hashlib.md5(b"".join(p.md5 for p in chosen), usedforsecurity=False).hexdigest()
        etag = f"{combined}-{len(chosen)}"
        with self.stub.lock:
            self.stub.objects[key] = StubObject(
                sum(p.size for p in chosen), etag, dict(upload.metadata)
            )
            self.stub.uploads.pop(upload_id, None)
        answer: list[tuple[str, Any]] = [("Key", key), ("ETag", f'"{etag}"')]
        if upload.algorithm == "SHA256" and self.stub.digests:
            whole = hashlib.sha256(b"".join(base64.b64decode(p.checksum or "") for p in chosen))
            answer.append(
                ("ChecksumSHA256", f"{base64.b64encode(whole.digest()).decode()}-{len(chosen)}")
            )
        self._send(200, _xml("CompleteMultipartUploadResult", answer))

    def do_GET(self) -> None:
        _, key, query = self._route()
        self._record("ListParts", key)
        with self.stub.lock:
            upload = self.stub.uploads.get(query.get("uploadId", ""))
            parts = sorted(upload.parts.items()) if upload else []
        if upload is None:
            self._fail(404, "NoSuchUpload", "The specified upload does not exist.")
            return
        marker = int(query.get("part-number-marker") or 0)
        limit = int(query.get("max-parts") or 1000)
        after = [(n, p) for n, p in parts if n > marker]
        page, rest = after[:limit], after[limit:]
        children: list[tuple[str, Any]] = [("Key", key), ("UploadId", query["uploadId"])]
        children.append(("IsTruncated", "true" if rest else "false"))
        if rest:
            children.append(("NextPartNumberMarker", page[-1][0]))
        for number, part in page:
            item: list[tuple[str, Any]] = [
                ("PartNumber", number),
                ("Size", part.size),
                ("ETag", f'"{part.etag}"'),
            ]
            if upload.algorithm and part.checksum:
                item.append((f"Checksum{upload.algorithm}", part.checksum))
            children.append(("Part", item))
        self._send(200, _xml("ListPartsResult", children))

    def do_DELETE(self) -> None:
        _, key, query = self._route()
        with self.stub.lock:
            if "uploadId" in query:
                self.stub.calls.append(Call("AbortMultipartUpload", key))
                self.stub.uploads.pop(query["uploadId"], None)
            else:
                self.stub.calls.append(Call("DeleteObject", key))
                self.stub.objects.pop(key, None)
        self._send(204)
