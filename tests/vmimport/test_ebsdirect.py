"""The EBS direct writer against the loopback EBS stub: what the snapshot holds (read back and
compared with QEMU's conversion of the source), skipped and zero blocks, encryption, resume
after a cancel, throttling, quotas, refused checksums, expiry, completion."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.diskimage.blob import Extent
from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.diskimage.virtual import VirtualDisk, open_virtual_disk
from ec2_import_image.importtasks.pacing import Pacing
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import SnapshotState
from ec2_import_image.vmimport.state.snapshots import SnapshotJournal
from ec2_import_image.vmimport.upload.blocks import (
    BLOCK_SIZE,
    ZERO_BLOCK,
    GiB,
    linear_checksum,
    plan_blocks,
    read_blocks,
    volume_gib,
)
from ec2_import_image.vmimport.upload.ebsclients import EbsClients, KeyNotUsable, resolve_kms_key
from ec2_import_image.vmimport.upload.ebsdirect import (
    SnapshotDelivery,
    SnapshotOutcome,
    SnapshotRequest,
    SnapshotSettings,
    wait_for_snapshot,
    write_snapshot,
)
from ec2_import_image.vmimport.upload.ebserrors import (
    BlockRefused,
    SnapshotAccessDenied,
    SnapshotConflict,
    SnapshotExpired,
    SnapshotFailed,
    SnapshotQuotaFull,
)
from ec2_import_image.vmimport.upload.errors import FileChanged, UploadCancelled
from ec2_import_image.vmimport.upload.progress import NullProgress
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures, oracle
from tests.support.ebsstub import DEFAULT_KEY, EbsStub
from tests.support.snapshots import CountedEbs, disk_journal

MiB = 1024 * 1024
SETTINGS = SnapshotSettings(
    concurrency=3,
    batch_blocks=4,
    batch_seconds=60.0,
    pacing=Pacing(first=0.01, cap=0.05, patience=10.0),
    poll_first=0.01,
    poll_cap=0.02,
)
TOKEN = "vmimport-test-token-1"


@pytest.fixture
def ebs() -> Iterator[EbsStub]:
    with EbsStub() as started:
        yield started


def dense(path: Path, blocks: int, seed: int = 7) -> Path:
    """A RAW disk of ``blocks`` blocks of pseudo-random bytes (no zero block)."""
    path.write_bytes(hashlib.shake_256(str(seed).encode()).digest(blocks * BLOCK_SIZE))
    return path


def raw(path: Path) -> VirtualDisk:
    return open_virtual_disk(FileBlob(path), str(path), declared=ContainerFormat.RAW)


def write(
    stub: EbsStub,
    journal: SnapshotJournal,
    disk: Any,
    request: SnapshotRequest | None = None,
    counted: CountedEbs | None = None,
    **options: Any,
) -> SnapshotOutcome:
    counted = counted or CountedEbs(stub.endpoint, concurrency=SETTINGS.concurrency)
    options.setdefault("settings", SETTINGS)
    return write_snapshot(
        counted.clients, journal, disk, request or SnapshotRequest(TOKEN), **options
    )


def expected_checksum(data: bytes) -> str:
    """The LINEAR aggregate of a disk's non-zero blocks, computed from its bytes."""
    digests = []
    for offset in range(0, len(data), BLOCK_SIZE):
        block = data[offset : offset + BLOCK_SIZE].ljust(BLOCK_SIZE, b"\0")
        if block != ZERO_BLOCK:
            digests.append(hashlib.sha256(block).digest())
    return linear_checksum(digests)


# ------------------------------------------------------------------ content


@pytest.mark.parametrize(
    ("fixture", "declared"),
    [
        ("gpt-uefi.raw", ContainerFormat.RAW),
        ("gpt-uefi.v3.qcow2", None),
        ("gpt-uefi.stream.vmdk", None),
    ],
)
def test_the_snapshot_reads_back_as_qemu_converts_the_disk(
    tmp_path: Path, db: StateDB, ebs: EbsStub, fixture: str, declared: ContainerFormat | None
) -> None:
    path = DiskFixtures(tmp_path).path(fixture)
    with FileBlob(path) as blob:
        disk = open_virtual_disk(blob, fixture, declared=declared)
        outcome = write(ebs, disk_journal(db, "disk", str(path)), disk)
        size = disk.size
    # QEMU's word: the SHA-256 of `qemu-img convert -O raw` (a RAW file is its own conversion)
    converted = (
        hashlib.sha256(path.read_bytes()).hexdigest()
        if declared is ContainerFormat.RAW
        else oracle(fixture, "sha256").strip()
    )
    assert outcome.volume_size == 1
    data = ebs.read(outcome.snapshot_id, 0, size)
    assert hashlib.sha256(data).hexdigest() == converted
    snapshot = ebs.only()
    # unencrypted: only the blocks that hold data were written (none past the disk's end), and
    # no all-zero one
    assert sorted(snapshot.data) == [
        offset // BLOCK_SIZE
        for offset in range(0, size, BLOCK_SIZE)
        if data[offset : offset + BLOCK_SIZE].strip(b"\0")
    ]
    assert outcome.changed_blocks == len(snapshot.data) == outcome.blocks_written
    assert outcome.checksum == expected_checksum(data)
    assert (
        outcome.delivery is SnapshotDelivery.STARTED and outcome.completed and not outcome.encrypted
    )
    assert snapshot.params == {
        "VolumeSize": 1,
        "ClientToken": TOKEN,
        "Timeout": SETTINGS.timeout_minutes,
    }


def test_holes_are_not_read_and_zeros_not_written(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    """A 2 GiB-virtual RAW disk: data at two places, a written run of zeros between (read, not
    written), holes elsewhere (never read); its last block partial."""
    path = tmp_path / "sparse.raw"
    size = 2 * GiB - 1000
    with path.open("wb") as file:
        file.truncate(size)
        file.seek(3 * MiB + 7)
        file.write(os.urandom(MiB))
        file.write(bytes(4 * MiB))  # allocated, all zeros
        file.seek(size - 300)
        file.write(b"the end" * 40)
    reads: list[tuple[int, int]] = []
    disk = raw(path)

    class Counting:
        size = disk.size

        def read(self, offset: int, length: int) -> bytes:
            reads.append((offset, length))
            return disk.read(offset, length)

        def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
            return disk.allocated(start, end)

    outcome = write(ebs, disk_journal(db, "disk", str(path)), Counting())
    data_blocks = {6, 7, 8, 4095}  # 3 MiB + 7 .. 4 MiB + 7, and the tail
    assert set(ebs.only().data) == data_blocks
    assert outcome.blocks_written == len(data_blocks) and outcome.volume_size == 2
    assert sum(length for _, length in reads) <= 16 * MiB  # the holes were never read
    with path.open("rb") as source:
        for offset, length in ((3 * MiB, 6 * MiB), (4095 * BLOCK_SIZE, size - 4095 * BLOCK_SIZE)):
            source.seek(offset)
            assert ebs.read(outcome.snapshot_id, offset, length) == source.read(length)


def test_an_encrypted_snapshot_gets_every_block_of_its_volume(tmp_path: Path, db: StateDB) -> None:
    """Encryption by default, and a reply that does not say so: EC2 is asked, and every block
    of the 1 GiB volume is written (zeros included), so none reads as decrypted zeros."""
    path = dense(tmp_path / "small.raw", 3)
    with EbsStub(encryption_by_default=True, tell_encryption=False) as stub:
        counted = CountedEbs(stub.endpoint, concurrency=4)
        outcome = write(stub, disk_journal(db, "disk", str(path)), raw(path), counted=counted)
        snapshot = stub.only()
        assert outcome.encrypted and outcome.kms_key_arn == DEFAULT_KEY
        assert len(snapshot.data) == 2048 == outcome.changed_blocks
        assert stub.read(outcome.snapshot_id, 0, 3 * BLOCK_SIZE) == path.read_bytes()
        assert sum(1 for data in snapshot.data.values() if data is not ZERO_BLOCK) >= 3
    assert "Encrypted" not in snapshot.params  # nothing was asked: the account decided
    assert db.disk_snapshot(db.claim("disk"), 0).encrypted is True  # type: ignore[union-attr]


def test_a_kms_alias_is_resolved_to_its_key_arn(ebs: EbsStub) -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ebs.add_key(arn, "alias/images")
    kms = CountedEbs(ebs.endpoint)
    assert resolve_kms_key(kms.clients.kms, "alias/images") == arn
    assert resolve_kms_key(kms.clients.kms, "1234abcd-12ab-34cd-56ef-1234567890ab") == arn
    assert resolve_kms_key(kms.clients.kms, arn) == arn
    assert kms.count("DescribeKey") == 2  # a key ARN is used as given
    with pytest.raises(KeyNotUsable, match="alias/nothing does not exist"):
        resolve_kms_key(kms.clients.kms, "alias/nothing")


def test_a_requested_key_encrypts_the_snapshot_and_a_denied_block_is_told(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/feedface-0000"
    path = dense(tmp_path / "small.raw", 2)
    request = SnapshotRequest(
        TOKEN, description="web-1", tags=(("vmimport:name", "web-1"),), kms_key_arn=arn
    )
    ebs.fail("PutSnapshotBlock", "AccessDeniedException")
    journal = disk_journal(db, "disk", str(path))
    with pytest.raises(SnapshotAccessDenied, match="PutSnapshotBlock of snapshot snap-") as denied:
        write(ebs, journal, raw(path), request)
    snapshot = ebs.only()
    assert denied.value.snapshot_id == snapshot.snapshot_id
    assert snapshot.params["Encrypted"] is True and snapshot.params["KmsKeyArn"] == arn
    assert snapshot.params["Tags"] == [{"Key": "vmimport:name", "Value": "web-1"}]
    assert snapshot.params["Description"] == "web-1"
    recorded = journal.snapshot()
    assert recorded is not None and recorded.encrypted and recorded.kms_key_arn == arn


def test_every_block_carries_one_user_agent_made_once(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    """The EBS client's User-Agent is given once (botocore, Python, the platform and the
    session's own extra), not built anew by botocore for each of 2,048 requests per GiB."""
    import platform

    import botocore
    import botocore.session

    session = botocore.session.get_session()
    session.user_agent_extra = "ec2-import-image/test vmimport"
    sent: list[str] = []

    def make(service: str, config: Any) -> Any:
        client = session.create_client(
            service,
            region_name="us-east-1",
            endpoint_url=ebs.endpoint,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            config=config,
        )
        client.meta.events.register(
            "before-send.ebs.PutSnapshotBlock",
            lambda request, **_: sent.append(request.headers["User-Agent"].decode()),
        )
        return client

    path = dense(tmp_path / "dense.raw", 3)
    journal = disk_journal(db, "disk", str(path))
    write_snapshot(EbsClients(make, concurrency=2), journal, raw(path), SnapshotRequest(TOKEN))
    expected = (
        f"Botocore/{botocore.__version__} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()} ec2-import-image/test vmimport"
    )
    assert sent == [expected] * 3


# ------------------------------------------------------------------ resume


class CancelAfter:
    """Sets ``event`` once ``count`` PutSnapshotBlock requests were answered."""

    def __init__(self, counted: CountedEbs, count: int) -> None:
        self.event = threading.Event()
        self.count = count
        self.answered = 0
        self.lock = threading.Lock()
        counted.clients.ebs.meta.events.register("after-call.ebs.PutSnapshotBlock", self._after)

    def _after(self, **_: Any) -> None:
        with self.lock:
            self.answered += 1
            if self.answered >= self.count:
                self.event.set()


def cancelled(ebs: EbsStub, journal: SnapshotJournal, path: Path, after: int) -> int:
    """A write of the RAW disk ``path`` cancelled once ``after`` blocks were answered; answers
    how many were."""
    counted = CountedEbs(ebs.endpoint, concurrency=3)
    stop = CancelAfter(counted, after)
    with pytest.raises(UploadCancelled, match="stopped"):
        write(ebs, journal, raw(path), counted=counted, cancel=stop.event)
    return stop.answered


def test_a_cancelled_write_resumes_with_only_the_missing_blocks(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    path = dense(tmp_path / "dense.raw", 48)
    journal = disk_journal(db, "disk", str(path))
    answered = cancelled(ebs, journal, path, 20)
    recorded = journal.snapshot()
    assert recorded is not None and recorded.state is SnapshotState.WRITING
    # every block EBS acknowledged was committed before the exception went on
    assert recorded.written == answered >= 20
    assert recorded.written < 48

    again = CountedEbs(ebs.endpoint, concurrency=3)
    outcome = write(ebs, journal, raw(path), counted=again)
    assert again.count("PutSnapshotBlock") == 48 - recorded.written == outcome.blocks_written
    assert again.count("StartSnapshot") == 0 and len(ebs.snapshots) == 1
    assert outcome.delivery is SnapshotDelivery.RESUMED and outcome.changed_blocks == 48
    assert outcome.checksum == expected_checksum(path.read_bytes())
    assert ebs.read(outcome.snapshot_id, 0, 48 * BLOCK_SIZE) == path.read_bytes()
    done = journal.snapshot()
    assert done is not None and done.state is SnapshotState.COMPLETED and done.written == 48


def test_ctrl_c_commits_every_acknowledged_block_before_it_goes_on(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    """A KeyboardInterrupt in the calling thread (where the progress is told of each block):
    the senders stop within their block, and every block EBS acknowledged is recorded."""
    path = dense(tmp_path / "dense.raw", 30)
    journal = disk_journal(db, "disk", str(path))

    class Interrupting(NullProgress):
        done = 0

        def advance(self, amount: int) -> None:
            self.done += amount
            if self.done >= 10 * BLOCK_SIZE:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write(ebs, journal, raw(path), progress=Interrupting())
    recorded = journal.snapshot()
    assert recorded is not None and recorded.written == len(ebs.only().digests) >= 10
    again = CountedEbs(ebs.endpoint)
    outcome = write(ebs, journal, raw(path), counted=again)
    assert again.count("PutSnapshotBlock") == 30 - recorded.written
    assert outcome.changed_blocks == 30


def test_a_rerun_without_its_record_finds_the_snapshot_by_its_token(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    path = dense(tmp_path / "dense.raw", 12)
    cancelled(ebs, disk_journal(db, "disk", str(path)), path, 5)
    with StateDB.open(tmp_path / "other.sqlite") as lost:
        outcome = write(ebs, disk_journal(lost, "disk", str(path)), raw(path))
    assert len(ebs.snapshots) == 1 and outcome.snapshot_id == ebs.only().snapshot_id
    assert outcome.changed_blocks == 12 and outcome.delivery is SnapshotDelivery.STARTED
    with (
        StateDB.open(tmp_path / "third.sqlite") as lost,
        pytest.raises(SnapshotConflict, match="ClientToken vmimport-test-token-1 was used"),
    ):
        write(
            ebs, disk_journal(lost, "disk", str(path)), raw(path), SnapshotRequest(TOKEN, "other")
        )


def test_an_expired_snapshot_is_reported_and_a_new_token_starts_anew(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    path = dense(tmp_path / "dense.raw", 10)
    journal = disk_journal(db, "disk", str(path))
    cancelled(ebs, journal, path, 4)
    first = ebs.only().snapshot_id
    ebs.expire(first)
    for _ in range(2):  # found in error, then known expired without asking
        with pytest.raises(SnapshotExpired, match=rf"snapshot {first} .* delete it") as raised:
            write(ebs, journal, raw(path))
        assert raised.value.snapshot_id == first
    recorded = journal.snapshot()
    assert recorded is not None and recorded.state is SnapshotState.EXPIRED

    outcome = write(ebs, journal, raw(path), SnapshotRequest("vmimport-test-token-2"))
    assert outcome.snapshot_id != first and outcome.changed_blocks == 10
    assert outcome.blocks_written == 10  # the old snapshot's blocks count for nothing


# ------------------------------------------------------------------ faults


def test_throttling_and_server_errors_are_borne(tmp_path: Path, db: StateDB, ebs: EbsStub) -> None:
    path = dense(tmp_path / "dense.raw", 6)
    ebs.fail("StartSnapshot", "ThrottlingException", 2)  # botocore's retry, then ours
    ebs.fail("PutSnapshotBlock", "RequestThrottledException", 4)
    ebs.fail("PutSnapshotBlock", "InternalServerException", 1)
    ebs.fail("PutSnapshotBlock", 503, 1)
    ebs.fail("CompleteSnapshot", "RequestThrottledException", 1)
    ebs.fail("DescribeSnapshots", "RequestLimitExceeded", 1)
    counted = CountedEbs(ebs.endpoint, concurrency=3, retries=2)  # botocore retries once too
    outcome = write(ebs, disk_journal(db, "disk", str(path)), raw(path), counted=counted)
    assert outcome.changed_blocks == 6 and outcome.completed
    assert ebs.count("PutSnapshotBlock") == 6 + 6
    assert ebs.count("StartSnapshot") == 3 and ebs.count("CompleteSnapshot") == 2


@pytest.mark.parametrize(
    "code", ["ConcurrentLimitExceededException", "ServiceQuotaExceededException"]
)
def test_a_full_quota_at_start_is_its_own_error(
    tmp_path: Path, db: StateDB, ebs: EbsStub, code: str
) -> None:
    path = dense(tmp_path / "dense.raw", 2)
    ebs.fail("StartSnapshot", code)
    journal = disk_journal(db, "disk", str(path))
    with pytest.raises(SnapshotQuotaFull, match=f"{code}.*try again later") as raised:
        write(ebs, journal, raw(path))
    assert raised.value.snapshot_id is None and journal.snapshot() is None
    assert ebs.count("StartSnapshot") == 1  # not retried: the engine waits and tries later
    assert write(ebs, journal, raw(path)).changed_blocks == 2


def test_access_denied_at_start_is_its_own_error(tmp_path: Path, db: StateDB, ebs: EbsStub) -> None:
    path = dense(tmp_path / "dense.raw", 2)
    ebs.fail("StartSnapshot", "AccessDeniedException")
    with pytest.raises(SnapshotAccessDenied, match="may not use the EBS direct APIs") as raised:
        write(ebs, disk_journal(db, "disk", str(path)), raw(path))
    assert raised.value.snapshot_id is None
    assert ebs.count("PutSnapshotBlock") == 0


def test_a_block_damaged_on_its_way_stops_the_write_and_a_rerun_resumes(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    path = dense(tmp_path / "dense.raw", 8)
    journal = disk_journal(db, "disk", str(path))
    ebs.damage.add(5)
    with pytest.raises(BlockRefused, match=r"refused block 5 .* damaged on their way") as raised:
        write(ebs, journal, raw(path))
    assert raised.value.snapshot_id == ebs.only().snapshot_id
    outcome = write(ebs, journal, raw(path))
    assert outcome.changed_blocks == 8 and len(ebs.snapshots) == 1
    assert ebs.read(outcome.snapshot_id, 0, 8 * BLOCK_SIZE) == path.read_bytes()


def test_a_disk_changing_under_the_writer_is_told(
    tmp_path: Path, db: StateDB, ebs: EbsStub
) -> None:
    """The block EBS refused is read again and holds other bytes: the disk changed."""
    path = dense(tmp_path / "dense.raw", 4)
    disk = raw(path)

    class Changing:
        size = disk.size
        reads = 0

        def read(self, offset: int, length: int) -> bytes:
            self.reads += 1
            data = disk.read(offset, length)
            return data if self.reads == 1 else bytes(len(data) - 1) + b"!"

        def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
            return disk.allocated(start, end)

    ebs.damage.add(2)
    with pytest.raises(FileChanged, match=r"changed while it was written .* block 2"):
        write(ebs, disk_journal(db, "disk", str(path)), Changing())


def test_completion_is_waited_for_and_a_failure_told(tmp_path: Path, db: StateDB) -> None:
    path = dense(tmp_path / "dense.raw", 3)
    with EbsStub(completion_polls=4) as stub:
        journal = disk_journal(db, "disk", str(path))
        counted = CountedEbs(stub.endpoint)
        early = write(stub, journal, raw(path), counted=counted, wait=False)
        assert not early.completed
        recorded = journal.snapshot()
        assert recorded is not None and recorded.state is SnapshotState.COMPLETING
        done = wait_for_snapshot(counted.clients, journal, settings=SETTINGS)
        assert done.state is SnapshotState.COMPLETED and stub.only().state == "completed"
    with EbsStub(completion_polls=2) as stub:
        journal = disk_journal(db, "second", str(path))
        counted = CountedEbs(stub.endpoint)
        write(stub, journal, raw(path), counted=counted, wait=False)
        stub.only().fail_completion = "Snapshot creation failed"
        with pytest.raises(
            SnapshotFailed, match="failed after completion: Snapshot creation failed"
        ):
            wait_for_snapshot(counted.clients, journal, settings=SETTINGS)
        assert journal.snapshot().state is SnapshotState.EXPIRED  # type: ignore[union-attr]


def test_memory_holds_a_bounded_number_of_blocks(tmp_path: Path, db: StateDB, ebs: EbsStub) -> None:
    """With every request held, the reader stops after about twice the pool of blocks."""
    path = dense(tmp_path / "dense.raw", 64)
    disk = raw(path)
    read_blocks = [0]

    class Counting:
        size = disk.size

        def read(self, offset: int, length: int) -> bytes:
            read_blocks[0] += length // BLOCK_SIZE
            return disk.read(offset, length)

        def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
            return disk.allocated(start, end)

    counted = CountedEbs(ebs.endpoint, concurrency=2)
    release = threading.Event()
    held = threading.Semaphore(0)

    def hold(**_: Any) -> None:
        held.release()
        release.wait(30)

    counted.clients.ebs.meta.events.register("before-call.ebs.PutSnapshotBlock", hold)
    settings = SETTINGS._replace(concurrency=2)
    result: list[SnapshotOutcome] = []
    thread = threading.Thread(
        target=lambda: result.append(
            write(
                ebs,
                disk_journal(db, "disk", str(path)),
                Counting(),
                counted=counted,
                settings=settings,
            )
        )
    )
    thread.start()
    for _ in range(2):
        assert held.acquire(timeout=30)
    time.sleep(0.5)  # the reader fills the queue and waits
    # in flight (2) + queued (2) + what one read of 8 blocks holds
    assert read_blocks[0] <= 2 + 2 + 8 + 8
    release.set()
    thread.join(60)
    assert result and result[0].changed_blocks == 64


# ------------------------------------------------------------------ kill -9


def test_a_write_killed_mid_way_resumes_with_only_the_missing_blocks(
    tmp_path: Path, ebs: EbsStub
) -> None:
    """SIGKILL with 14 blocks in the snapshot, the state database holding the batches
    committed before: the rerun writes every block not recorded (those EBS has but the
    database lost included: writing one again changes nothing), to the same snapshot, and
    completes it with the checksum of the whole disk."""
    path = dense(tmp_path / "dense.raw", 40)
    state = tmp_path / "state.sqlite"
    child = start_module(
        "tests.support.snapshot_child", [ebs.endpoint, str(state), str(path), TOKEN, "14"]
    )
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines
    assert len(ebs.only().digests) == 14 == ebs.count("PutSnapshotBlock")
    with StateDB.open(state) as db:
        journal = disk_journal(db, "dense", str(path))
        recorded = journal.snapshot()
        assert recorded is not None and recorded.state is SnapshotState.WRITING
        # committed in batches of 4 or more, and the last blocks answered may not have reached
        # the database before the kill: whatever it holds, the rerun writes the rest
        assert recorded.written <= 14
        since = len(ebs.calls)
        counted = CountedEbs(ebs.endpoint, concurrency=3)
        outcome = write(ebs, journal, raw(path), counted=counted)
    resent = ebs.indexes_sent(since)
    assert len(resent) == 40 - recorded.written == outcome.blocks_written
    assert counted.count("StartSnapshot") == 0 and len(ebs.snapshots) == 1
    assert outcome.changed_blocks == 40 and outcome.delivery is SnapshotDelivery.RESUMED
    assert outcome.checksum == expected_checksum(path.read_bytes())
    assert ebs.read(outcome.snapshot_id, 0, 40 * BLOCK_SIZE) == path.read_bytes()


# ------------------------------------------------------------------ the block plan


def test_the_volume_is_whole_gib_and_the_plan_joins_touching_extents() -> None:
    assert [volume_gib(size) for size in (1, GiB, GiB + 1, 20 * GiB - 512)] == [1, 1, 2, 20]

    class Mapped:
        size = 3 * GiB + 5

        def read(self, offset: int, length: int) -> bytes:
            return bytes(length)

        def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
            # two extents inside one block, one touching the next, a far one, the last byte
            yield from ((100, 10), (200, BLOCK_SIZE), (10 * MiB, 1), (3 * GiB + 4, 1))

    plan = plan_blocks(Mapped())
    assert plan.volume_blocks == 4 * 2048
    assert plan.runs == (range(2), range(20, 21), range(6144, 6145))
    assert plan.block_count == 4


def test_blocks_are_read_in_runs_and_zero_blocks_are_the_shared_buffer() -> None:
    data = bytearray(10 * BLOCK_SIZE + 100)
    data[3 * BLOCK_SIZE] = 1
    data[-1] = 2
    reads: list[tuple[int, int]] = []

    class Source:
        size = len(data)

        def read(self, offset: int, length: int) -> bytes:
            reads.append((offset, length))
            return bytes(data[offset : offset + length])

        def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
            yield (0, len(data))

    blocks = list(read_blocks(Source(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]))
    assert [b.index for b in blocks] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert reads == [(0, 8 * BLOCK_SIZE), (8 * BLOCK_SIZE, BLOCK_SIZE), (10 * BLOCK_SIZE, 100)]
    assert [b.index for b in blocks if not b.zero] == [3, 10]
    assert all(b.data is ZERO_BLOCK for b in blocks if b.zero)
    assert blocks[-2].data == bytes(99) + b"\2" + bytes(BLOCK_SIZE - 100)  # padded
    assert blocks[-1].data is ZERO_BLOCK  # past the disk's end


def test_a_local_raw_file_is_read_one_block_per_read(tmp_path: Path) -> None:
    """Each block of a RAW file is its own ``pread``: no run read and then cut (a copy)."""
    path = dense(tmp_path / "dense.raw", 10)
    reads: list[tuple[int, int]] = []

    class Counted(FileBlob):
        def read(self, offset: int, length: int) -> bytes:
            reads.append((offset, length))
            return super().read(offset, length)

    with Counted(path) as blob:
        disk = open_virtual_disk(blob, str(path), declared=ContainerFormat.RAW)
        blocks = list(read_blocks(disk, range(10)))
    assert reads == [(i * BLOCK_SIZE, BLOCK_SIZE) for i in range(10)]
    assert b"".join(block.data for block in blocks) == path.read_bytes()


def test_the_linear_checksum_hashes_the_digests_concatenated_in_order() -> None:
    digests = [hashlib.sha256(bytes([i]) * 7).digest() for i in range(5)]
    joined = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    assert linear_checksum(digests) == joined
    assert linear_checksum(reversed(digests)) != joined
