"""The snapshot road's disk inside an OVA, made an S3 object of its own.

ImportSnapshot takes VHD, VMDK or RAW, never an OVA, so the road imports the
VMDK an OVA holds: a local OVA's member is hashed and uploaded as its own
object, each part read from the archive at the member's offset
(``FileDigest.span``: no temporary copy, the hash computed each run and never
recorded as the archive's); an ``s3://`` OVA's member is copied by S3 into its
own object (``upload.membercopy``: UploadPartCopy of its byte range), into
the entry's bucket, else the OVA's.  An OVA of several disks is refused for
now with what to do instead (one DISK argument per disk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.ova import Member, read_ova
from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.vmimport.disks import open_disk
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.request import DiskObject
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


def _only_disk(disk: DiskSource, members: tuple[Member, ...]) -> Member:
    if len(members) == 1:
        return members[0]
    names = ", ".join(member.name for member in members) or "none"
    raise EntryFailed(
        Diagnostic(
            FailureCode.CHECK,
            f"{disk.location} holds {len(members)} disks ({names}): the snapshot road imports "
            "the disk of an OVA that holds one",
            context="Each disk of the snapshot road is one ImportSnapshot of one VMDK.",
            hint="Extract the disks (tar -xf) and give each as a DISK argument, boot disk "
            "first; or take --via image or --via direct.",
        )
    )


def member_object(work: EntryWork, position: int, disk: DiskSource) -> DiskObject:
    """The OVA's disk as an object of its own (see the module), the DiskObject to import."""
    journal = work.db.journal(work.claim, position)
    with open_disk(work.services.run, disk.location) as opened:
        member = _only_disk(disk, read_ova(opened.blob).disk_members())
        source = opened.s3
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
