"""A loopback endpoint of the EBS direct APIs' write side, with EC2's DescribeSnapshots and KMS's
DescribeKey: what ``upload.ebsdirect`` sends, checked as EBS checks it.

It answers, on one endpoint (as ``--endpoint-url`` sends every service to one):

- EBS (rest-json): StartSnapshot (idempotent by ClientToken: the same token with the same
  parameters answers the original reply, other parameters ``ConflictException``; Timeout
  10 to 4,320 minutes; encryption as asked, or by the account's encryption by default),
  PutSnapshotBlock (the snapshot must be ``pending``, the index inside the volume, the data
  524,288 bytes whose SHA-256 is ``x-amz-Checksum``, else ``ValidationException``; the reply
  carries the SHA-256 it computed), CompleteSnapshot (``ChangedBlocksCount`` must be the
  number of blocks written and the checksum their LINEAR aggregate: the SHA-256 of their
  32-byte SHA-256s concatenated in index order);
- EC2 (query): DescribeSnapshots (state, StateMessage, encryption, size);
- KMS (json): DescribeKey (key ids, aliases and ARNs of ``keys``).

With ``keep=True`` (the tests) every block's bytes are kept, so that a test reads the
snapshot back (``read``); with ``keep=False`` (the benchmark) only each block's SHA-256,
so memory does not grow with the disk.  On request: ``fail(operation, code, times)`` answers
the next ``times`` requests of an operation with an error (``RequestThrottledException``,
``ThrottlingException``, ``ConcurrentLimitExceededException``, a 5xx status...);
``damage`` holds block indexes whose next PutSnapshotBlock arrives with a byte changed (so
its checksum fails, as bytes damaged on the way); ``expire`` puts a snapshot in ``error`` (its
Timeout passed); ``completion_polls`` is how many DescribeSnapshots a completed snapshot
stays ``pending``; ``fail_completion`` ends one in ``error`` instead.  SigV4 is not verified.
Every request is recorded (operation, snapshot, block index).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.loopback import LoopbackServer, QuietHandler

BLOCK = 512 * 1024
GiB = 1024**3
ACCOUNT = "111122223333"
ZERO = bytes(BLOCK)
DEFAULT_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0000aaaa-default-ebs"
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
#: the HTTP status of each error code the stub can answer
STATUS = {
    "ValidationException": 400,
    "RequestThrottledException": 400,
    "ThrottlingException": 400,
    "ConcurrentLimitExceededException": 400,
    "ServiceQuotaExceededException": 402,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "InternalServerException": 500,
}


@dataclass
class Call:
    operation: str
    snapshot_id: str | None = None
    block_index: int | None = None


@dataclass
class StubSnapshot:
    snapshot_id: str
    token: str
    params: dict[str, Any]
    reply: dict[str, Any]
    volume_size: int
    encrypted: bool
    kms_key_arn: str | None
    state: str = "pending"
    message: str = ""
    digests: dict[int, bytes] = field(default_factory=dict)
    data: dict[int, bytes] = field(default_factory=dict)
    completing: bool = False
    polls_left: int = 0
    fail_completion: str | None = None

    @property
    def volume_blocks(self) -> int:
        return self.volume_size * (GiB // BLOCK)


def linear(digests: dict[int, bytes]) -> str:
    """The LINEAR aggregate of blocks' SHA-256 digests (see the module's docstring)."""
    total = hashlib.sha256()
    for index in sorted(digests):
        total.update(digests[index])
    return base64.b64encode(total.digest()).decode()


class EbsStub(LoopbackServer):
    def __init__(
        self,
        *,
        keep: bool = True,
        encryption_by_default: bool = False,
        tell_encryption: bool = True,
        completion_polls: int = 0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.keep = keep
        self.encryption_by_default = encryption_by_default
        #: whether StartSnapshot's reply names the KMS key of an encrypted snapshot
        self.tell_encryption = tell_encryption
        self.completion_polls = completion_polls
        self.snapshots: dict[str, StubSnapshot] = {}
        self.tokens: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.failures: dict[str, list[str | int]] = {}
        self.damage: set[int] = set()
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ for the tests

    def fail(self, operation: str, code: str | int, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``operation`` with ``code`` (an error code,
        or an HTTP status without a body)."""
        with self.lock:
            self.failures.setdefault(operation, []).extend([code] * times)

    def expire(self, snapshot_id: str, message: str = "") -> None:
        with self.lock:
            self.snapshots[snapshot_id].state = "error"
            self.snapshots[snapshot_id].message = message

    def add_key(self, arn: str, *names: str) -> None:
        with self.lock:
            for name in (arn, arn.rsplit("/", 1)[-1], *names):
                self.keys[name] = arn

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for call in self.calls if call.operation == operation)

    def indexes_sent(self, since: int = 0) -> list[int]:
        """The block indexes of the PutSnapshotBlock requests from the ``since``-th request."""
        with self.lock:
            return [
                c.block_index
                for c in self.calls[since:]
                if c.operation == "PutSnapshotBlock" and c.block_index is not None
            ]

    def only(self) -> StubSnapshot:
        """The one snapshot started (the tests that start one)."""
        with self.lock:
            (snapshot,) = self.snapshots.values()
            return snapshot

    def read(self, snapshot_id: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the snapshot's volume from ``offset``, as a volume made from it
        reads them (zeros where no block was written)."""
        with self.lock:
            snapshot = self.snapshots[snapshot_id]
            out = bytearray(length)
            for index in range(offset // BLOCK, -(-(offset + length) // BLOCK)):
                data = snapshot.data.get(index)
                if data is None:
                    continue
                start = index * BLOCK
                low, high = max(start, offset), min(start + BLOCK, offset + length)
                out[low - offset : high - offset] = data[low - start : high - start]
            return bytes(out)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        return Handler


class _Refused(Exception):
    def __init__(self, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


def _finish(snapshot: StubSnapshot) -> None:
    if snapshot.fail_completion is not None:
        snapshot.state, snapshot.message = "error", snapshot.fail_completion
    else:
        snapshot.state = "completed"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Handler(QuietHandler):
    stub: EbsStub

    # ------------------------------------------------------------ plumbing

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(
            status,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    def _error(self, error: _Refused) -> None:
        body: dict[str, Any] = {"message": error.message}
        if error.reason:
            body["Reason"] = error.reason
        self._json(STATUS.get(error.code, 400), body, {"x-amzn-ErrorType": error.code})

    def _injected(self, operation: str) -> str | int | None:
        with self.stub.lock:
            queued = self.stub.failures.get(operation)
            return queued.pop(0) if queued else None

    def _record(
        self, operation: str, snapshot_id: str | None = None, index: int | None = None
    ) -> None:
        with self.stub.lock:
            self.stub.calls.append(Call(operation, snapshot_id, index))

    # ------------------------------------------------------------ routing

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/snapshots":
            self._ebs("StartSnapshot", None, None)
        elif path.startswith("/snapshots/completion/"):
            self._ebs("CompleteSnapshot", path.rsplit("/", 1)[-1], None)
        elif self.headers.get("X-Amz-Target", "").startswith("TrentService."):
            self._kms(self.headers["X-Amz-Target"].split(".", 1)[1])
        else:
            self._ec2()

    def do_PUT(self) -> None:
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "snapshots" and parts[2] == "blocks":
            self._ebs("PutSnapshotBlock", parts[1], int(parts[3]))
        else:
            self.read_body()
            self._send(404, b"")

    def _ebs(self, operation: str, snapshot_id: str | None, index: int | None) -> None:
        body = self.read_body()
        self._record(operation, snapshot_id, index)
        injected = self._injected(operation)
        if isinstance(injected, int):
            self._send(injected, b"")
            return
        if injected is not None:
            self._error(_Refused(injected, f"{injected} (injected by the test)"))
            return
        try:
            if operation == "StartSnapshot":
                status, reply, headers = 201, self._start(json.loads(body or b"{}")), {}
            elif operation == "PutSnapshotBlock":
                assert snapshot_id is not None and index is not None
                status, reply, headers = 201, {}, self._put(snapshot_id, index, body)
            else:
                assert snapshot_id is not None
                status, reply, headers = 202, self._complete(snapshot_id), {}
        except _Refused as error:
            self._error(error)
            return
        self._json(status, reply, headers)

    # ------------------------------------------------------------ EBS

    def _start(self, params: dict[str, Any]) -> dict[str, Any]:
        stub = self.stub
        token = str(params.get("ClientToken") or "")
        size = int(params.get("VolumeSize") or 0)
        timeout = params.get("Timeout")
        if not 1 <= size <= 65536:
            raise _Refused(
                "ValidationException", f"invalid VolumeSize {size}", "INVALID_VOLUME_SIZE"
            )
        if timeout is not None and not 10 <= int(timeout) <= 4320:
            raise _Refused(
                "ValidationException", f"invalid Timeout {timeout}", "INVALID_PARAMETER_VALUE"
            )
        with stub.lock:
            known = stub.tokens.get(token)
            if known is not None:
                earlier = stub.snapshots[known]
                if earlier.params != params:
                    raise _Refused(
                        "ConflictException",
                        "The request uses the same client token as a previous, but "
                        "non-identical request.",
                    )
                return earlier.reply
            encrypted = bool(params.get("Encrypted")) or stub.encryption_by_default
            key = params.get("KmsKeyArn") or (DEFAULT_KEY if encrypted else None)
            snapshot_id = f"snap-{next(stub._ids):017x}"
            reply: dict[str, Any] = {
                "SnapshotId": snapshot_id,
                "OwnerId": ACCOUNT,
                "Status": "pending",
                "StartTime": 1_800_000_000,
                "VolumeSize": size,
                "BlockSize": BLOCK,
                "Description": params.get("Description", ""),
                "Tags": params.get("Tags", []),
            }
            if encrypted and stub.tell_encryption:
                reply["KmsKeyArn"] = key
            stub.snapshots[snapshot_id] = StubSnapshot(
                snapshot_id, token, params, reply, size, encrypted, key
            )
            if token:
                stub.tokens[token] = snapshot_id
            return reply

    def _snapshot(self, snapshot_id: str) -> StubSnapshot:
        found = self.stub.snapshots.get(snapshot_id)
        if found is None:
            raise _Refused(
                "ResourceNotFoundException",
                f"snapshot {snapshot_id} not found",
                "SNAPSHOT_NOT_FOUND",
            )
        return found

    def _put(self, snapshot_id: str, index: int, data: bytes) -> dict[str, str]:
        stub = self.stub
        with stub.lock:
            snapshot = self._snapshot(snapshot_id)
            if snapshot.state != "pending" or snapshot.completing:
                raise _Refused(
                    "ValidationException", f"snapshot {snapshot_id} is not pending or is completing"
                )
            if not 0 <= index < snapshot.volume_blocks:
                raise _Refused(
                    "ValidationException",
                    f"block index {index} is outside the volume",
                    "INVALID_BLOCK",
                )
            if index in stub.damage:
                stub.damage.discard(index)
                data = bytes([data[0] ^ 0xFF]) + data[1:]
        if int(self.headers.get("x-amz-Data-Length") or -1) != BLOCK or len(data) != BLOCK:
            raise _Refused("ValidationException", f"the block is {len(data)} bytes, not {BLOCK}")
        if self.headers.get("x-amz-Checksum-Algorithm") != "SHA256":
            raise _Refused("ValidationException", "the checksum algorithm must be SHA256")
        digest = hashlib.sha256(data).digest()
        computed = base64.b64encode(digest).decode()
        if computed != self.headers.get("x-amz-Checksum"):
            raise _Refused(
                "ValidationException",
                "The checksum of the block data does not match the x-amz-Checksum given",
            )
        with stub.lock:
            snapshot.digests[index] = digest
            if stub.keep:
                snapshot.data[index] = ZERO if data == ZERO else data
        return {"x-amz-Checksum": computed, "x-amz-Checksum-Algorithm": "SHA256"}

    def _complete(self, snapshot_id: str) -> dict[str, Any]:
        stub = self.stub
        count = int(self.headers.get("x-amz-ChangedBlocksCount") or -1)
        checksum = self.headers.get("x-amz-Checksum")
        with stub.lock:
            snapshot = self._snapshot(snapshot_id)
            if snapshot.state == "error":
                raise _Refused("ValidationException", f"snapshot {snapshot_id} is in error")
            if count != len(snapshot.digests):
                raise _Refused(
                    "ValidationException",
                    f"ChangedBlocksCount {count} but {len(snapshot.digests)} blocks were written",
                )
            if checksum is not None and (
                self.headers.get("x-amz-Checksum-Algorithm") != "SHA256"
                or self.headers.get("x-amz-Checksum-Aggregation-Method") != "LINEAR"
                or checksum != linear(snapshot.digests)
            ):
                raise _Refused("ValidationException", "the aggregated checksum does not match")
            if snapshot.state == "pending" and not snapshot.completing:
                snapshot.completing = True
                snapshot.polls_left = stub.completion_polls
                if snapshot.polls_left == 0:
                    _finish(snapshot)
            return {"Status": snapshot.state}

    # ------------------------------------------------------------ EC2

    def _ec2(self) -> None:
        form = dict(urllib.parse.parse_qsl(self.read_body().decode()))
        action = form.get("Action", "")
        ids = [value for name, value in form.items() if name.startswith("SnapshotId.")]
        self._record(action, ids[0] if ids else None)
        injected = self._injected(action)
        if injected is not None:
            status = injected if isinstance(injected, int) else 400
            self._ec2_error(status, str(injected), "injected by the test")
            return
        if action != "DescribeSnapshots":
            self._ec2_error(400, "InvalidAction", f"the stub does not answer {action}")
            return
        items = []
        with self.stub.lock:
            for snapshot_id in ids:
                snapshot = self.stub.snapshots.get(snapshot_id)
                if snapshot is None:
                    self._ec2_error(
                        400,
                        "InvalidSnapshot.NotFound",
                        f"The snapshot '{snapshot_id}' does not exist.",
                    )
                    return
                self._settle(snapshot)
                item = (
                    f"<snapshotId>{snapshot_id}</snapshotId><volumeSize>{snapshot.volume_size}"
                    f"</volumeSize><status>{snapshot.state}</status>"
                    f"<statusMessage>{_escape(snapshot.message)}</statusMessage>"
                    f"<encrypted>{str(snapshot.encrypted).lower()}</encrypted>"
                )
                if snapshot.kms_key_arn:
                    item += f"<kmsKeyId>{snapshot.kms_key_arn}</kmsKeyId>"
                items.append(f"<item>{item}</item>")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSnapshotsResponse xmlns="{_EC2_NS}">'
            f"<requestId>0</requestId><snapshotSet>{''.join(items)}</snapshotSet>"
            "</DescribeSnapshotsResponse>"
        ).encode()
        self._send(200, body, {"Content-Type": "text/xml"})

    def _settle(self, snapshot: StubSnapshot) -> None:
        """A completing snapshot's state after one more look at it."""
        if snapshot.state == "pending" and snapshot.completing:
            snapshot.polls_left -= 1
            if snapshot.polls_left <= 0:
                _finish(snapshot)

    def _ec2_error(self, status: int, code: str, message: str) -> None:
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{_escape(message)}</Message>"
            "</Error></Errors><RequestID>0</RequestID></Response>"
        ).encode()
        self._send(status, body, {"Content-Type": "text/xml"})

    # ------------------------------------------------------------ KMS

    def _kms(self, action: str) -> None:
        params = json.loads(self.read_body() or b"{}")
        self._record(action)
        key = str(params.get("KeyId", ""))
        with self.stub.lock:
            arn = self.stub.keys.get(key) or self.stub.keys.get(key.removeprefix("alias/"))
        if action != "DescribeKey" or arn is None:
            self._send(
                400,
                json.dumps(
                    {"__type": "NotFoundException", "message": f"Key '{key}' does not exist"}
                ).encode(),
                {"Content-Type": "application/x-amz-json-1.1"},
            )
            return
        metadata = {
            "Arn": arn,
            "KeyId": arn.rsplit("/", 1)[-1],
            "KeyState": "Enabled",
            "Enabled": True,
        }
        self._send(
            200,
            json.dumps({"KeyMetadata": metadata}).encode(),
            {"Content-Type": "application/x-amz-json-1.1"},
        )
