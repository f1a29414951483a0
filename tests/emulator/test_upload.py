"""Uploads to the emulator's S3 (moto, which keeps the bytes): the object's SHA-256 is
checked by reading it back; an upload killed with SIGKILL is resumed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.state.db import DiskJournal, StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, ObjectState
from ec2_import_image.vmimport.upload.disk import upload_disk
from ec2_import_image.vmimport.upload.keys import content_key
from ec2_import_image.vmimport.upload.multipart import ObjectDelivery, UploadOutcome, UploadSettings
from tests.emulator.conftest import Lab
from tests.support.children import kill_when, start_module
from tests.support.uploads import Counted, CtrlCAfterParts, MiB, write_disk

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "disks"
SIZE = 38 * MiB  # eight parts of 5 MiB, the last 3 MiB
PARTS = 8
SETTINGS = UploadSettings(concurrency=3, min_part_size=5 * MiB)


@pytest.fixture
def s3(lab: Lab) -> Lab:
    lab.s3.create_bucket(Bucket=BUCKET)
    return lab


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    return write_disk(tmp_path / "web-1.vmdk", SIZE)


@pytest.fixture
def db(tmp_path: Path) -> Any:
    with StateDB.open(tmp_path / "state.sqlite") as opened:
        yield opened


def journal_for(db: StateDB, path: Path) -> DiskJournal:
    db.put_entry(EntrySpec("web-1", (str(path),)))
    return db.journal(db.claim("web-1"), 0)


def run(counted: Counted, journal: Any, path: Path) -> UploadOutcome:
    return upload_disk(
        counted.clients,
        journal,
        path,
        BUCKET,
        lambda digest: content_key("vmimport/", digest.sha256, digest.path),
        settings=SETTINGS,
    )


def stored_sha256(lab: Lab, key: str) -> str:
    body = lab.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return hashlib.sha256(body).hexdigest()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_upload_to_the_emulator_holds_the_disk_and_its_sha256(
    s3: Lab, db: StateDB, disk: Path
) -> None:
    counted = Counted(s3.endpoint)
    outcome = run(counted, journal_for(db, disk), disk)
    assert (outcome.delivery, outcome.parts_sent, outcome.checksum_algorithm) == (
        ObjectDelivery.UPLOADED,
        PARTS,
        "SHA256",
    )
    assert stored_sha256(s3, outcome.target.key) == sha256(disk)
    head = s3.s3.head_object(Bucket=BUCKET, Key=outcome.target.key)
    assert head["Metadata"] == {"sha256": sha256(disk)}
    assert head["ContentLength"] == SIZE
    counted.reset()
    again = run(counted, journal_for(db, disk), disk)
    assert (again.delivery, again.ours) == (ObjectDelivery.FOUND, True)
    assert counted.count("UploadPart") == 0


def test_an_upload_killed_with_sigkill_is_resumed_sending_only_the_missing_parts(
    s3: Lab, db: StateDB, disk: Path, tmp_path: Path
) -> None:
    state = tmp_path / "child.sqlite"
    child = start_module(
        "tests.support.upload_child", [s3.endpoint, str(state), str(disk), BUCKET, "4"]
    )
    # killed once both of its workers wait before sending a part: no part is then on its
    # way to S3, where it could land after the listing below and be sent again by no one
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines
    with StateDB.open(state) as resumed_db:
        upload = resumed_db.disks("web-1")[0].upload
        assert upload is not None and len(upload.parts) <= 4  # the rest not recorded yet
        listed = s3.s3.list_parts(Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)
        on_s3 = len(listed["Parts"])
        assert on_s3 == 4
        counted = Counted(s3.endpoint)
        outcome = run(counted, resumed_db.journal(resumed_db.claim("web-1"), 0), disk)
        assert outcome.delivery is ObjectDelivery.RESUMED
        assert counted.count("UploadPart") == PARTS - on_s3 == outcome.parts_sent
        assert stored_sha256(s3, outcome.target.key) == sha256(disk)
        stored = resumed_db.disks("web-1")[0].object
        assert stored is not None and stored.state is ObjectState.UPLOADED


def test_an_interrupted_upload_is_resumed_and_one_s3_forgot_starts_over(
    s3: Lab, db: StateDB, disk: Path
) -> None:
    counted = Counted(s3.endpoint)
    journal = journal_for(db, disk)
    with pytest.raises(KeyboardInterrupt):
        run(counted, CtrlCAfterParts(journal), disk)
    upload = db.disks("web-1")[0].upload
    assert upload is not None
    on_s3 = len(s3.s3.list_parts(Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)["Parts"])
    # S3 forgets it (a lifecycle rule, an abort by hand): the next run starts over
    s3.s3.abort_multipart_upload(Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)
    counted.reset()
    outcome = run(counted, journal, disk)
    assert on_s3 >= 1
    assert outcome.delivery is ObjectDelivery.UPLOADED
    assert counted.count("UploadPart") == PARTS
    assert stored_sha256(s3, outcome.target.key) == sha256(disk)
