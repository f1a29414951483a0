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
(``StateDB.member_position``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def member_label(disk: DiskSource, member: Member) -> str:
    """How a disk inside an OVA is named (as the check names it): ``OVA!member``."""
    return f"{disk.location}!{member.name}"


def member_objects(work: EntryWork, position: int, disk: DiskSource) -> list[DiskObject]:
    """Each disk of the OVA at ``position`` as an object of its own (see the module), in the
    OVF's order (the first the boot disk when the OVA is the first DISK): the DiskObjects to
    import, each named ``OVA!member``."""
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
    objects = []
    for number, member in enumerate(members):
        label = member_label(disk, member)
        row = work.db.member_position(work.claim, position, number, label)
        made = _member_object(work, row, disk, member, source)
        objects.append(made._replace(source=label))
    return objects


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
