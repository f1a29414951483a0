"""The snapshot road's disk inside an OVA, made an S3 object of its own.

ImportSnapshot takes VHD, VMDK or RAW, never an OVA, so the road imports the
VMDK an OVA holds: a local OVA's member is hashed and uploaded as its own
object, each part read from the archive at the member's offset
(``FileDigest.span``: no temporary copy, the hash computed each run and never
recorded as the archive's); an ``s3://`` OVA's member is copied by S3 into its
own object (``upload.membercopy``: UploadPartCopy of its byte range), into
the entry's bucket, else the OVA's.  An OVA of several disks gives each of its
disks, in the OVF's order (the order the check reads them in: the first is the
boot disk), an object of its own; the first disk's upload is journaled in the
OVA's row of the state, each further one in a row of its own
(``StateDB.member_position``).  ``ova_disks`` is that order and those rows, for
every road that takes an OVA's disks one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.ova import Member, read_ova
from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.vmimport.disks import open_disk
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.s3objects import S3Object
from ec2_import_image.vmimport.spec import DiskSource
from ec2_import_image.vmimport.state.records import Span
from ec2_import_image.vmimport.upload.disk import layout_for
from ec2_import_image.vmimport.upload.hashing import sha256_file
from ec2_import_image.vmimport.upload.keys import entry_key
from ec2_import_image.vmimport.upload.membercopy import SourceMember, copy_member
from ec2_import_image.vmimport.upload.multipart import ObjectTarget, upload_file

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.entry import EntryWork


def is_ova(work: EntryWork, disk: DiskSource) -> bool:
    """Whether the check read the disk as an OVA."""
    report = work.reports.get(disk.location)
    return report is not None and report.format is ContainerFormat.OVA


class MemberDisk(NamedTuple):
    """One disk inside an OVA, as the roads that take an OVA's disks one by one see it."""

    #: its place among the OVA's disks, from 0, in the OVF descriptor's DiskSection order
    #: (never the archive's): disk 0 is the boot disk when the OVA is the first DISK, as
    #: ``vmimport check`` (``DiskReport.all_disks``) and RegisterImage take it
    number: int
    #: where it lies in the archive
    member: Member
    #: its row in the state's disks (``StateDB.member_position``): its journals' position
    row: int
    #: how it is named (as the check names it): ``OVA!member``
    label: str


class OvaDisks(NamedTuple):
    """The disks of one OVA (``ova_disks``), and its S3 object when it is on S3."""

    disks: tuple[MemberDisk, ...]
    s3: S3Object | None


def ova_disks(work: EntryWork, position: int, disk: DiskSource) -> OvaDisks:
    """The disks of the OVA at ``position`` in order, each with its state row (the one rule of
    which disk of an OVA comes first, and where each is journaled); an OVA that holds no disk
    ends the entry."""
    with open_disk(work.services.run, disk.location) as opened:
        members = read_ova(opened.blob).disk_members()
        source = opened.s3
    if not members:
        raise EntryFailed(
            Diagnostic(
                FailureCode.CHECK,
                f"{disk.location} holds no disk",
                context="The OVF descriptor names no disk file the archive holds.",
                hint="Check the OVA with vmimport check.",
            )
        )
    found = []
    for number, member in enumerate(members):
        label = f"{disk.location}!{member.name}"
        row = work.db.member_position(work.claim, position, number, label)
        found.append(MemberDisk(number, member, row, label))
    return OvaDisks(tuple(found), source)


def member_objects(work: EntryWork, position: int, disk: DiskSource) -> list[DiskObject]:
    """Each disk of the OVA at ``position`` as an object of its own (see the module), in the
    order of ``ova_disks``: the DiskObjects to import, each named ``OVA!member``."""
    ova = ova_disks(work, position, disk)
    return [
        _member_object(work, one.row, disk, one.member, ova.s3)._replace(source=one.label)
        for one in ova.disks
    ]


def _member_object(
    work: EntryWork, row: int, disk: DiskSource, member: Member, source: S3Object | None
) -> DiskObject:
    """One disk of the OVA as an object of its own, journaled in the disks' row ``row``."""
    journal = work.db.journal(work.claim, row)
    progress = work.reporter.progress
    if source is not None:
        into = work.spec.options.bucket or source.bucket
        target = ObjectTarget(into, entry_key(work.spec.options.prefix, work.name, member.name))
        copied = copy_member(
            work.services.s3,
            journal,
            SourceMember(
                source.bucket, source.key, source.etag, member.name, member.offset, member.size
            ),
            target,
            progress=progress,
        )
        return DiskObject(disk.location, into, target.key, None, copied.size)
    bucket = work.spec.options.bucket
    assert bucket is not None  # the command line and the manifest require it for local disks
    span = Span(member.name, member.offset, member.size)
    progress.begin(f"hashing {member.name} in {disk.location}", member.size)
    try:
        digest = sha256_file(
            disk.location,
            layout=layout_for(journal, work.settings.upload.min_part_size),
            on_progress=progress.advance,
            cancel=work.cancel,
            span=span,
        ).digest
    finally:
        progress.end(f"hashed {member.name}")
    outcome = upload_file(
        work.services.s3,
        journal,
        digest,
        ObjectTarget(bucket, work.key_for(digest)),
        settings=work.settings.upload,
        progress=progress,
        cancel=work.cancel,
    )
    return DiskObject(
        disk.location, outcome.target.bucket, outcome.target.key, outcome.sha256, outcome.size
    )
