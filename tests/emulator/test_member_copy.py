"""An ``s3://`` OVA's member made its own object by UploadPartCopy of its byte range, on the
emulator (moto copies the ranges; the emulator adds S3's part checksums and CopySourceIfMatch):
the object holds the member, a rerun finds it, an interrupted copy resumes, a replaced OVA is
refused."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples as images
from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.ova import read_ova
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, ObjectState
from ec2_import_image.vmimport.upload.errors import FileChanged, ObjectConflict
from ec2_import_image.vmimport.upload.membercopy import SourceMember, copy_member, member_digest
from ec2_import_image.vmimport.upload.multipart import ObjectDelivery, ObjectTarget, UploadOutcome
from tests.emulator.conftest import Lab
from tests.support.uploads import Counted, CtrlCAfterParts, MiB

BUCKET = "disks"
MEMBER = 36 * MiB + 4321  # eight parts of 5 MiB, the last one short
PARTS = 8
TARGET = ObjectTarget(BUCKET, "vmimport/web-1/vm-disk1.vmdk")


@pytest.fixture
def ova(lab: Lab) -> tuple[list[bytes], list[SourceMember]]:
    disks = [random.Random(n).randbytes(size) for n, size in ((1, MEMBER), (2, 3 * MiB))]
    data = images.ova(disks)
    lab.s3.create_bucket(Bucket=BUCKET)
    lab.s3.put_object(Bucket=BUCKET, Key="vms/web-1.ova", Body=data)
    etag = lab.s3.head_object(Bucket=BUCKET, Key="vms/web-1.ova")["ETag"]
    members = [
        SourceMember(BUCKET, "vms/web-1.ova", etag, m.name, m.offset, m.size)
        for m in read_ova(BytesBlob(data)).disk_members()
    ]
    return disks, members


@pytest.fixture
def db(tmp_path: Path) -> Any:
    with StateDB.open(tmp_path / "state.sqlite") as opened:
        opened.put_entry(EntrySpec("web-1", ("s3://disks/vms/web-1.ova",)))
        yield opened


def _copy(
    counted: Counted, journal: Any, member: SourceMember, concurrency: int = 4
) -> UploadOutcome:
    return copy_member(
        counted.clients, journal, member, TARGET, min_part_size=5 * MiB, concurrency=concurrency
    )


def _stored(lab: Lab) -> bytes:
    return bytes(lab.s3.get_object(Bucket=BUCKET, Key=TARGET.key)["Body"].read())


def test_the_member_is_copied_by_s3(lab: Lab, db: StateDB, ova: Any) -> None:
    disks, members = ova
    counted = Counted(lab.endpoint)
    journal = db.journal(db.claim("web-1"), 0)
    outcome = _copy(counted, journal, members[0])
    assert (outcome.delivery, outcome.parts_sent, outcome.size) == (
        ObjectDelivery.UPLOADED,
        PARTS,
        MEMBER,
    )
    assert outcome.checksum_algorithm == "SHA256"
    assert counted.count("UploadPartCopy") == PARTS and counted.count("UploadPart") == 0
    assert _stored(lab) == disks[0]
    head = lab.s3.head_object(Bucket=BUCKET, Key=TARGET.key)
    assert head["Metadata"] == {"vmimport-member": member_digest(members[0])}
    stored = db.disks("web-1")[0].object
    assert stored is not None and stored.state is ObjectState.UPLOADED
    counted.reset()
    again = _copy(counted, journal, members[0])
    assert (again.delivery, again.ours) == (ObjectDelivery.FOUND, True)
    assert counted.count("UploadPartCopy") == 0


def test_an_interrupted_copy_resumes(lab: Lab, db: StateDB, ova: Any) -> None:
    disks, members = ova
    journal = db.journal(db.claim("web-1"), 0)
    counted = Counted(lab.endpoint)
    with pytest.raises(KeyboardInterrupt):
        _copy(counted, CtrlCAfterParts(journal), members[0], concurrency=1)
    upload = db.disks("web-1")[0].upload
    assert upload is not None
    on_s3 = len(
        lab.s3.list_parts(Bucket=BUCKET, Key=TARGET.key, UploadId=upload.upload_id)["Parts"]
    )
    counted.reset()
    outcome = _copy(counted, journal, members[0])
    assert outcome.delivery is ObjectDelivery.RESUMED
    assert 1 <= on_s3 < PARTS and counted.count("UploadPartCopy") == PARTS - on_s3
    assert _stored(lab) == disks[0]


def test_an_ova_replaced_during_the_copy_is_refused(lab: Lab, db: StateDB, ova: Any) -> None:
    _, members = ova
    lab.s3.put_object(Bucket=BUCKET, Key="vms/web-1.ova", Body=b"another archive" * 1000)
    journal = db.journal(db.claim("web-1"), 0)
    with pytest.raises(FileChanged, match="changed"):
        _copy(Counted(lab.endpoint), journal, members[0])
    assert db.disks("web-1")[0].upload is None
    uploads = lab.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert uploads == []


def test_an_object_this_tool_did_not_make_is_not_overwritten(
    lab: Lab, db: StateDB, ova: Any
) -> None:
    _, members = ova
    lab.s3.put_object(Bucket=BUCKET, Key=TARGET.key, Body=b"someone else's")
    with pytest.raises(ObjectConflict):
        _copy(Counted(lab.endpoint), db.journal(db.claim("web-1"), 0), members[0])
