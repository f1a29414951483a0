"""The disks of an OVA one by one, each with its row in the state; and the snapshot road's
disk inside an OVA, made an S3 object of its own.

Each disk of an OVA is journaled in a row of the state's disks of its own
(``StateDB.member_position``): the first disk in the OVA's row, each further one in a row
made for it.  ``volume_row`` is that row for any disk of an import (``volumes.Volume``):
the direct road keeps each disk's snapshot and blocks there, the snapshot road each disk's
upload (a rerun after ``--via auto`` fell back from one road to the other finds the same
rows).  The order of an OVA's disks is ``volumes``'s (the OVF descriptor's DiskSection,
as the check read it), for both roads.

ImportSnapshot takes VHD, VMDK or RAW, never an OVA, so the snapshot road imports the
VMDK an OVA holds: a local OVA's member is hashed and uploaded as its own object, each
part read from the archive at the member's offset (``FileDigest.span``: no temporary
copy, the hash computed each run and never recorded as the archive's); an ``s3://`` OVA's
member is copied by S3 into its own object (``upload.membercopy``: UploadPartCopy of its
byte range), into the entry's bucket, else the OVA's.  An OVA of several disks gives each
of its disks an object of its own (``ova_disks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage.ova import Member, read_ova
from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.vmimport.disks import open_disk
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.request import DiskObject
from ec2_import_image.vmimport.engine.volumes import Volume, disks_of
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
    """One disk inside an OVA, as the snapshot road uploads it."""

    #: the disk, in the order of ``volumes`` (its ``label``: ``OVA!member``, as the check
    #: names it)
    volume: Volume
    #: where it lies in the archive
    member: Member
    #: its row in the state's disks (``volume_row``): its upload journal's position
    row: int


class OvaDisks(NamedTuple):
    """The disks of one OVA (``ova_disks``), and its S3 object when it is on S3."""

    disks: tuple[MemberDisk, ...]
    s3: S3Object | None


def volume_row(work: EntryWork, volume: Volume) -> int:
    """The row of the state's disks that journals ``volume`` (see the module): the DISK's own
    row, or an OVA's further disk's row (made on first use)."""
    return work.db.member_position(work.claim, volume.position, volume.member, volume.label)


def ova_disks(work: EntryWork, position: int, disk: DiskSource) -> OvaDisks:
    """The disks of the OVA at ``position`` in the order of ``volumes``, each where the archive
    holds it and with its state row; an OVA that holds no disk ends the entry."""
    found = [
        volume
        for volume in disks_of(disk.location, position, work.reports.get(disk.location))
        if volume.name is not None
    ]
    with open_disk(work.services.run, disk.location) as opened:
        by_name = {member.name: member for member in read_ova(opened.blob).members}
        source = opened.s3
    if not found or any(volume.name not in by_name for volume in found):
        raise EntryFailed(
            Diagnostic(
                FailureCode.CHECK,
                f"{disk.location} holds no disk",
                context="The OVF descriptor names no disk file the archive holds.",
                hint="Check the OVA with vmimport check.",
            )
        )
    return OvaDisks(
        tuple(
            MemberDisk(volume, by_name[volume.name or ""], volume_row(work, volume))
            for volume in found
        ),
        source,
    )


def member_objects(work: EntryWork, position: int, disk: DiskSource) -> list[DiskObject]:
    """Each disk of the OVA at ``position`` as an object of its own (see the module), in the
    order of ``ova_disks``: the DiskObjects to import, each named ``OVA!member``."""
    ova = ova_disks(work, position, disk)
    return [
        _member_object(work, one.row, disk, one.member, ova.s3)._replace(source=one.volume.label)
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
