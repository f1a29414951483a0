"""The EBS direct APIs: snapshots written block by block, read back, on the emulator's clock.

What the service does, from the EBS user guide and API reference (pages named
by their file name under docs.aws.amazon.com/ebs/latest/):

- StartSnapshot makes a ``pending`` snapshot of VolumeSize GiB (at most 65536)
  that EC2's DescribeSnapshots shows; ClientToken makes it idempotent: the same
  token with the same parameters answers the same snapshot, with other
  parameters ConflictException (ebs-direct-api-idempotency); Timeout (10 to
  4320 minutes, default 60) cancels a snapshot to ``error`` "if no put or
  complete requests are made for the snapshot" within it (writesnapshots,
  StartSnapshot's reference: the time runs from the start or the last block
  written); encryption follows ``encryption``; at most 50 tags.
- PutSnapshotBlock takes 512 KiB blocks only (DataLength 524288), an index
  inside the volume (VolumeSize × 2048 blocks), and fails when the body's
  SHA-256 is not the ``x-amz-Checksum`` header's (ebsapis-using-checksums);
  only while the snapshot is ``pending``; a block written again is replaced.
- CompleteSnapshot "start[s] an asynchronous workflow that seals the snapshot
  and moves it to a completed state" (writesnapshots): it answers ``pending``
  and the snapshot is ``completed`` a while later (``SEAL_SECONDS`` of service
  time, modelled).  ChangedBlocksCount must be the number of blocks written
  (modelled: the count is checked), and an aggregated checksum, when given, the
  SHA-256 of the blocks' SHA-256 digests "in ascending order of their block
  index" concatenated (the raw 32-byte digests, as awslabs/coldsnap computes
  it), base64-encoded.
- GetSnapshotBlock, ListSnapshotBlocks and ListChangedBlocks read a
  ``completed`` snapshot only (ebsapi-faq), any the emulator made (EBS direct,
  ImportSnapshot, ImportImage); ListSnapshotBlocks "only returns the block
  indexes and tokens of blocks that were written", in index order, in pages of
  MaxResults with NextToken (tokens in ``tokens``).

The snapshots' blocks live in the content store (``snapshots``); their EC2
records in moto (``ec2snapshots``).  Each call takes the service's lock; a
block's SHA-256 is computed outside it.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ec2_import_emulator import ec2snapshots
from ec2_import_emulator.ebsdirect import encryption, errors
from ec2_import_emulator.ebsdirect.faults import Faults
from ec2_import_emulator.ebsdirect.tokens import BLOCK_TOKEN_LIFETIME, PAGE_TOKEN_LIFETIME, Tokens
from ec2_import_emulator.snapshots import (
    BLOCK_SIZE,
    SnapshotContent,
    SnapshotKey,
    SnapshotStore,
    default_store,
    sha256,
)

PENDING, COMPLETED, ERROR = ec2snapshots.PENDING, ec2snapshots.COMPLETED, ec2snapshots.ERROR
#: StartSnapshot's Timeout default, in minutes (StartSnapshot's reference)
DEFAULT_TIMEOUT = 60
#: "The maximum size is 65536 GiB (64 TiB)" (StartSnapshot's VolumeSize)
MAX_VOLUME_GIB = 65536
#: "You can specify up to 50 tags per snapshot" (StartSnapshot's Tags)
MAX_TAGS = 50
#: how long CompleteSnapshot's sealing takes, in seconds of service time (modelled)
SEAL_SECONDS = 60.0
#: ListSnapshotBlocks' and ListChangedBlocks' page without MaxResults (modelled), and the
#: least a page may be asked for (ebsapi-faq: below 100, "at least 100 results")
DEFAULT_MAX_RESULTS = 10000
MIN_MAX_RESULTS = 100
CHECKSUM_ALGORITHM = "SHA256"
AGGREGATION_METHOD = "LINEAR"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _same_digest(claimed: str, digest: bytes) -> bool:
    try:
        return base64.b64decode(claimed.encode("ascii"), validate=True) == digest
    except (ValueError, binascii.Error, UnicodeError):
        return False


def linear_checksum(digests: list[bytes]) -> bytes:
    """The LINEAR aggregate: SHA-256 of the blocks' digests concatenated in index order."""
    return sha256(b"".join(digests))


@dataclass(frozen=True)
class StartParameters:
    """What StartSnapshot's ClientToken stands for (compared on a retry)."""

    volume_size: int
    parent_snapshot_id: str | None
    tags: tuple[tuple[str, str], ...]
    description: str | None
    encrypted: bool | None
    kms_key_arn: str | None
    timeout: int


@dataclass
class DirectSnapshot:
    key: SnapshotKey
    parameters: StartParameters
    outcome: encryption.Outcome
    start_time: datetime
    content: SnapshotContent
    #: the clock's time of the start or the last block written (Timeout counts from it)
    last_activity: float
    status: str = PENDING
    #: the clock's time CompleteSnapshot was accepted
    sealed_at: float | None = None
    progress: int | None = None


def _tags(raw: list[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    if len(raw) > MAX_TAGS:
        raise errors.invalid_tag(f"{len(raw)} tags, at most {MAX_TAGS}")
    tags = []
    for tag in raw:
        key = tag.get("Key")
        if not key:
            raise errors.invalid_tag("a tag has no Key")
        if str(key).lower().startswith("aws:"):
            raise errors.invalid_tag(f"the prefix aws: is reserved ({key})")
        tags.append((str(key), str(tag.get("Value", ""))))
    if len({key for key, _ in tags}) != len(tags):
        raise errors.invalid_tag("a Key is given twice")
    return tuple(tags)


class EbsDirect:
    """The service's state: the snapshots EBS direct started, their ClientTokens."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 60.0,
        faults: Faults | None = None,
        store: SnapshotStore | None = None,
    ) -> None:
        self._clock = clock
        self._speed = speed
        self.faults = faults or Faults()
        self._store = store
        self._lock = threading.RLock()
        self._records: dict[SnapshotKey, DirectSnapshot] = {}
        self._tokens: dict[tuple[str, str, str], DirectSnapshot] = {}
        self._signer = Tokens()

    @property
    def store(self) -> SnapshotStore:
        return self._store or default_store()

    def _service_seconds(self, since: float) -> float:
        return max(0.0, (self._clock() - since) * self._speed)

    # -- the clock ------------------------------------------------------------

    def advance(self) -> None:
        """Seal what CompleteSnapshot started, time out what was left alone, and forget
        snapshots EC2 no longer has (DeleteSnapshot), here and in the content store."""
        with self._lock:
            for key, record in list(self._records.items()):
                if not ec2snapshots.exists(key.account, key.region, key.snapshot_id):
                    self._forget(key)
                    continue
                if record.status != PENDING:
                    continue
                if record.sealed_at is not None:
                    if self._service_seconds(record.sealed_at) >= SEAL_SECONDS:
                        self._settle(record, COMPLETED)
                elif self._service_seconds(record.last_activity) >= record.parameters.timeout * 60:
                    self._settle(record, ERROR)
            self.store.retain(lambda k: ec2snapshots.exists(k.account, k.region, k.snapshot_id))

    def _settle(self, record: DirectSnapshot, status: str) -> None:
        record.status = status
        key = record.key
        ec2snapshots.set_state(key.account, key.region, key.snapshot_id, status)

    def _forget(self, key: SnapshotKey) -> None:
        self._records.pop(key, None)
        for token, record in list(self._tokens.items()):
            if record.key == key:
                del self._tokens[token]

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._tokens.clear()
            self.store.reset()

    # -- the operations -------------------------------------------------------

    def call(self, operation: str, account: str, region: str, params: Mapping[str, Any]) -> Any:
        operations: dict[str, Callable[[str, str, Mapping[str, Any]], dict[str, Any]]] = {
            "StartSnapshot": self.start_snapshot,
            "PutSnapshotBlock": self.put_snapshot_block,
            "CompleteSnapshot": self.complete_snapshot,
            "GetSnapshotBlock": self.get_snapshot_block,
            "ListSnapshotBlocks": self.list_snapshot_blocks,
            "ListChangedBlocks": self.list_changed_blocks,
        }
        return operations[operation](account, region, params)

    def _view(self, record: DirectSnapshot) -> dict[str, Any]:
        parameters = record.parameters
        view: dict[str, Any] = {
            "SnapshotId": record.key.snapshot_id,
            "OwnerId": record.key.account,
            "Status": record.status,
            "StartTime": record.start_time,
            "VolumeSize": parameters.volume_size,
            "BlockSize": BLOCK_SIZE,
            "Tags": [{"Key": key, "Value": value} for key, value in parameters.tags],
        }
        if parameters.description is not None:
            view["Description"] = parameters.description
        if parameters.parent_snapshot_id is not None:
            view["ParentSnapshotId"] = parameters.parent_snapshot_id
        if record.outcome.encrypted:
            view["KmsKeyArn"] = record.outcome.kms_key_arn
        return view

    def _parent(
        self, account: str, region: str, parent_id: str, volume_size: int
    ) -> tuple[encryption.Parent, SnapshotContent | None]:
        found = ec2snapshots.facts(account, region, parent_id)
        if found is None:
            raise errors.not_found(parent_id)
        if found.state != COMPLETED:
            raise errors.parent_not_completed(parent_id, found.state)
        if volume_size < found.volume_gib:
            raise errors.smaller_than_parent(volume_size, found.volume_gib)
        content = self.store.get(SnapshotKey(account, region, parent_id))
        return encryption.Parent(found.encrypted, found.kms_key_id), content

    def start_snapshot(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        refusal = self.faults.take_refusal()
        if refusal is not None:
            raise refusal
        size = int(params["VolumeSize"])
        if size > MAX_VOLUME_GIB:
            raise errors.volume_size(size, MAX_VOLUME_GIB)
        parameters = StartParameters(
            volume_size=size,
            parent_snapshot_id=params.get("ParentSnapshotId"),
            tags=_tags(params.get("Tags", [])),
            description=params.get("Description"),
            encrypted=params.get("Encrypted"),
            kms_key_arn=params.get("KmsKeyArn"),
            timeout=int(params.get("Timeout", DEFAULT_TIMEOUT)),
        )
        token = params.get("ClientToken")
        with self._lock:
            if token is not None and (account, region, token) in self._tokens:
                known = self._tokens[(account, region, token)]
                if known.parameters != parameters:
                    raise errors.token_conflict()
                return self._view(known)
            parent, parent_content = None, None
            if parameters.parent_snapshot_id is not None:
                parent, parent_content = self._parent(
                    account, region, parameters.parent_snapshot_id, size
                )
            outcome = encryption.outcome(
                encrypted=parameters.encrypted,
                kms_key_arn=parameters.kms_key_arn,
                parent=parent,
                by_default=ec2snapshots.encryption_by_default(account, region),
                default_key=lambda: ec2snapshots.default_kms_key(account, region),
            )
            named = parameters.kms_key_arn
            if (
                named is not None
                and outcome.kms_key_arn == named
                and ec2snapshots.kms_key_arn(account, region, named) is None
            ):
                raise errors.unknown_key()
            snapshot_id = ec2snapshots.create_snapshot(
                account,
                region,
                volume_gib=size,
                description=parameters.description or "",
                encrypted=outcome.encrypted,
                kms_key_id=outcome.kms_key_arn,
                tags=parameters.tags,
                state=PENDING,
            )
            key = SnapshotKey(account, region, snapshot_id)
            record = DirectSnapshot(
                key=key,
                parameters=parameters,
                outcome=outcome,
                start_time=datetime.now(UTC),
                content=self.store.create(key, size, parent_content),
                last_activity=self._clock(),
            )
            self._records[key] = record
            if token is not None:
                self._tokens[(account, region, token)] = record
            return self._view(record)

    def _writable(self, account: str, region: str, snapshot_id: str) -> DirectSnapshot:
        record = self._records.get(SnapshotKey(account, region, snapshot_id))
        if record is None:
            found = ec2snapshots.facts(account, region, snapshot_id)
            if found is None:
                raise errors.not_found(snapshot_id)
            raise errors.not_pending(snapshot_id, found.state)
        if record.status != PENDING:
            raise errors.not_pending(snapshot_id, record.status)
        return record

    def put_snapshot_block(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        snapshot_id = str(params["SnapshotId"])
        index = int(params["BlockIndex"])
        data = bytes(params["BlockData"])
        with self._lock:
            record = self._writable(account, region, snapshot_id)
        length = int(params["DataLength"])
        if length != BLOCK_SIZE:
            raise errors.data_length(length, BLOCK_SIZE)
        if len(data) != length:
            raise errors.read_failed()
        if index >= record.content.block_count:
            raise errors.block_outside(index, record.content.block_count)
        if record.sealed_at is not None:
            raise errors.not_pending(snapshot_id, "pending (CompleteSnapshot was called)")
        digest = sha256(data)
        if not _same_digest(str(params["Checksum"]), digest):
            raise errors.checksum_mismatch()
        with self._lock:
            record = self._writable(account, region, snapshot_id)
            if record.sealed_at is not None:
                raise errors.not_pending(snapshot_id, "pending (CompleteSnapshot was called)")
            record.content.write_block(index, data)
            record.last_activity = self._clock()
            if "Progress" in params:
                record.progress = int(params["Progress"])
        return {"Checksum": b64(digest), "ChecksumAlgorithm": CHECKSUM_ALGORITHM}

    def complete_snapshot(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        snapshot_id = str(params["SnapshotId"])
        with self._lock:
            record = self._records.get(SnapshotKey(account, region, snapshot_id))
            if record is None:
                found = ec2snapshots.facts(account, region, snapshot_id)
                if found is None:
                    raise errors.not_found(snapshot_id)
                if found.state == COMPLETED:
                    return {"Status": COMPLETED}
                raise errors.not_pending(snapshot_id, found.state)
            if record.status == ERROR:
                raise errors.not_pending(snapshot_id, ERROR)
            if record.status == COMPLETED or record.sealed_at is not None:
                return {"Status": record.status}
            own = record.content.own_digests()
            if int(params["ChangedBlocksCount"]) != len(own):
                raise errors.changed_blocks(int(params["ChangedBlocksCount"]), len(own))
            claimed = params.get("Checksum")
            if claimed is not None:
                if (
                    params.get("ChecksumAlgorithm") != CHECKSUM_ALGORITHM
                    or params.get("ChecksumAggregationMethod") != AGGREGATION_METHOD
                ):
                    raise errors.checksum_settings()
                if not _same_digest(str(claimed), linear_checksum([d for _, d in own])):
                    raise errors.aggregate_checksum()
            record.sealed_at = self._clock()
            return {"Status": record.status}

    # -- reading --------------------------------------------------------------

    def _readable(
        self, account: str, region: str, snapshot_id: str
    ) -> tuple[ec2snapshots.SnapshotFacts, SnapshotContent | None]:
        found = ec2snapshots.facts(account, region, snapshot_id)
        if found is None:
            raise errors.not_found(snapshot_id)
        if found.state != COMPLETED:
            raise errors.not_completed(snapshot_id, found.state)
        return found, self.store.get(SnapshotKey(account, region, snapshot_id))

    def _expiry(self) -> datetime:
        """When tokens issued now expire, in real time (7 days of service time)."""
        return datetime.now(UTC) + timedelta(seconds=BLOCK_TOKEN_LIFETIME / self._speed)

    def _start(self, params: Mapping[str, Any], snapshot_id: str, kind: str) -> int:
        token = params.get("NextToken")
        if token is None:
            return int(params.get("StartingBlockIndex", 0))
        checked = self._signer.check_page(str(token), snapshot_id, kind)
        if checked is None or self._service_seconds(checked[1]) >= PAGE_TOKEN_LIFETIME:
            raise errors.page_token()
        return checked[0]

    def _listing(
        self,
        member: str,
        entries: list[dict[str, Any]],
        *,
        found: ec2snapshots.SnapshotFacts,
        snapshot_id: str,
        kind: str,
        following: int | None,
        now: float,
    ) -> dict[str, Any]:
        """A page of a listing, with the token of the next one when more follow."""
        result: dict[str, Any] = {
            member: entries,
            "ExpiryTime": self._expiry(),
            "VolumeSize": found.volume_gib,
            "BlockSize": BLOCK_SIZE,
        }
        if following is not None:
            result["NextToken"] = self._signer.page(snapshot_id, kind, following, now)
        return result

    @staticmethod
    def _page_size(params: Mapping[str, Any]) -> int:
        return max(MIN_MAX_RESULTS, int(params.get("MaxResults", DEFAULT_MAX_RESULTS)))

    def get_snapshot_block(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        snapshot_id = str(params["SnapshotId"])
        index = int(params["BlockIndex"])
        with self._lock:
            found, content = self._readable(account, region, snapshot_id)
        count = found.volume_gib * (1024**3 // BLOCK_SIZE)
        if index >= count:
            raise errors.block_outside(index, count)
        digest = None if content is None else content.digest(index)
        issued = (
            None
            if digest is None
            else self._signer.check_block(str(params["BlockToken"]), snapshot_id, index, digest)
        )
        if (
            digest is None
            or issued is None
            or self._service_seconds(issued) >= BLOCK_TOKEN_LIFETIME
        ):
            raise errors.block_token()
        assert content is not None
        data = content.block(index)
        assert data is not None
        return {
            "DataLength": len(data),
            "BlockData": data,
            "Checksum": b64(digest),
            "ChecksumAlgorithm": CHECKSUM_ALGORITHM,
        }

    def list_snapshot_blocks(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        snapshot_id = str(params["SnapshotId"])
        with self._lock:
            found, content = self._readable(account, region, snapshot_id)
        start = self._start(params, snapshot_id, "blocks")
        size = self._page_size(params)
        indexes = [] if content is None else content.indexes(start)
        now = self._clock()
        blocks = []
        for index in indexes[:size]:
            digest = content.digest(index) if content is not None else None
            if digest is not None:
                token = self._signer.block(snapshot_id, index, digest, now)
                blocks.append({"BlockIndex": index, "BlockToken": token})
        following = indexes[size] if len(indexes) > size else None
        return self._listing(
            "Blocks",
            blocks,
            found=found,
            snapshot_id=snapshot_id,
            kind="blocks",
            following=following,
            now=now,
        )

    @staticmethod
    def _lineage(first: SnapshotContent | None, second: SnapshotContent | None) -> bool:
        """Whether ``first`` is ``second`` or one of its ancestors."""
        current = second
        while current is not None:
            if current is first:
                return True
            current = current.parent
        return False

    def list_changed_blocks(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        second_id = str(params["SecondSnapshotId"])
        first_id = params.get("FirstSnapshotId")
        with self._lock:
            found, second = self._readable(account, region, second_id)
            first = None
            if first_id is not None:
                _, first = self._readable(account, region, str(first_id))
                if first is not None and not self._lineage(first, second):
                    raise errors.unrelated(str(first_id), second_id)
        kind = f"changed:{first_id or ''}"
        start = self._start(params, second_id, kind)
        size = self._page_size(params)
        count = found.volume_gib * (1024**3 // BLOCK_SIZE)
        candidates = set() if second is None else set(second.indexes(start))
        if first is not None:
            candidates.update(i for i in first.indexes(start) if i < count)
        now = self._clock()
        changed = []
        for index in sorted(candidates):
            old = None if first is None else first.digest(index)
            new = None if second is None else second.digest(index)
            if old != new:
                changed.append((index, old, new))
        entries = []
        for index, old, new in changed[:size]:
            entry: dict[str, Any] = {"BlockIndex": index}
            if old is not None and first_id is not None:
                entry["FirstBlockToken"] = self._signer.block(str(first_id), index, old, now)
            if new is not None:
                entry["SecondBlockToken"] = self._signer.block(second_id, index, new, now)
            entries.append(entry)
        following = changed[size][0] if len(changed) > size else None
        return self._listing(
            "ChangedBlocks",
            entries,
            found=found,
            snapshot_id=second_id,
            kind=kind,
            following=following,
            now=now,
        )
