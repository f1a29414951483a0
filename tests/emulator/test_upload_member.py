"""An OVA's member disk uploaded as an object of its own, streamed from the archive by byte range
(the snapshot road: ImportSnapshot takes the VMDK, not the OVA): the object holds the member's
bytes, an interrupted upload resumes, and the member's hash never stands for the archive's."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples as images
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.ova import read_ova
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import Span
from ec2_import_image.vmimport.upload.disk import upload_disk
from ec2_import_image.vmimport.upload.errors import UploadError
from ec2_import_image.vmimport.upload.hashing import identify, sha256_file
from ec2_import_image.vmimport.upload.keys import content_key
from ec2_import_image.vmimport.upload.multipart import ObjectDelivery, UploadOutcome
from tests.emulator.conftest import Lab
from tests.emulator.test_upload import BUCKET, SETTINGS, journal_for
from tests.support.uploads import Counted, CtrlCAfterParts, MiB

MEMBER = 37 * MiB + 12345  # eight parts of 5 MiB, the last one short
PARTS = 8


@pytest.fixture
def s3(lab: Lab) -> Lab:
    lab.s3.create_bucket(Bucket=BUCKET)
    return lab


def _disk(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def ova(tmp_path: Path) -> tuple[Path, list[bytes], list[Span]]:
    disks = [_disk(MEMBER, 1), _disk(6 * MiB, 2)]
    data = images.ova(disks)
    path = tmp_path / "web-1.ova"
    path.write_bytes(data)
    contents = read_ova(BytesBlob(data))
    spans = [Span(m.name, m.offset, m.size) for m in contents.disk_members()]
    return path, disks, spans


def _run(counted: Counted, journal: Any, path: Path, span: Span) -> UploadOutcome:
    return upload_disk(
        counted.clients,
        journal,
        path,
        BUCKET,
        lambda digest: content_key("vmimport/", digest.sha256, digest.name),
        settings=SETTINGS,
        span=span,
    )


def _stored(lab: Lab, key: str) -> bytes:
    return bytes(lab.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_the_members_are_where_the_archive_holds_them(
    ova: tuple[Path, list[bytes], list[Span]],
) -> None:
    path, disks, spans = ova
    data = path.read_bytes()
    assert [s.name for s in spans] == ["vm-disk1.vmdk", "vm-disk2.vmdk"]
    for span, disk in zip(spans, disks, strict=True):
        assert data[span.offset : span.offset + span.length] == disk


def test_a_member_is_uploaded_as_its_own_object(
    s3: Lab, tmp_path: Path, ova: tuple[Path, list[bytes], list[Span]]
) -> None:
    path, disks, spans = ova
    with StateDB.open(tmp_path / "state.sqlite") as db:
        counted = Counted(s3.endpoint)
        outcome = _run(counted, journal_for(db, path), path, spans[0])
        want = hashlib.sha256(disks[0]).hexdigest()
        assert outcome.sha256 == want and outcome.size == MEMBER
        assert outcome.target.key == f"vmimport/{want[:16]}/vm-disk1.vmdk"
        assert (outcome.delivery, outcome.parts_sent) == (ObjectDelivery.UPLOADED, PARTS)
        assert _stored(s3, outcome.target.key) == disks[0]
        head = s3.s3.head_object(Bucket=BUCKET, Key=outcome.target.key)
        assert head["Metadata"] == {"sha256": want}
        # the member's hash is never the archive's
        assert db.cached_digest(identify(path)) is None
        whole = sha256_file(path, cache=db).digest
        assert whole.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        counted.reset()
        again = _run(counted, journal_for(db, path), path, spans[0])
        assert (again.delivery, again.ours) == (ObjectDelivery.FOUND, True)
        assert counted.count("UploadPart") == 0


def test_an_interrupted_member_upload_resumes(
    s3: Lab, tmp_path: Path, ova: tuple[Path, list[bytes], list[Span]]
) -> None:
    path, disks, spans = ova
    with StateDB.open(tmp_path / "state.sqlite") as db:
        journal = journal_for(db, path)
        counted = Counted(s3.endpoint)
        with pytest.raises(KeyboardInterrupt):
            _run(counted, CtrlCAfterParts(journal), path, spans[0])
        upload = db.disks("web-1")[0].upload
        assert upload is not None
        listed = s3.s3.list_parts(Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)
        on_s3 = len(listed["Parts"])
        counted.reset()
        outcome = _run(counted, journal, path, spans[0])
        assert outcome.delivery is ObjectDelivery.RESUMED
        # the parts in flight when Ctrl-C came (at most one per thread) may have landed
        assert 1 <= on_s3 < PARTS and counted.count("UploadPart") == PARTS - on_s3
        assert _stored(s3, outcome.target.key) == disks[0]


def test_a_span_past_the_end_of_the_file_is_refused(
    tmp_path: Path, ova: tuple[Path, list[bytes], list[Span]]
) -> None:
    path, _, spans = ova
    span = spans[1]._replace(length=spans[1].length + path.stat().st_size)
    with pytest.raises(UploadError, match="has no"):
        sha256_file(path, span=span)
