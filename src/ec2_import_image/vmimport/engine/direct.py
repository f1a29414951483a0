"""The direct road: each disk written into an EBS snapshot with the EBS direct APIs, then
RegisterImage.  No bucket, no service role.

``DirectRoad.deliver``, after the shared check, identity and discovery (``road``):

1. each disk, in the AMI's order (``volumes``: the DISK arguments in order, an OVA as the
   disks its descriptor lists, boot disk first), read through its container
   (``diskimage.virtual.open_virtual_disk``: RAW, every VMDK variant the readers know, an
   OVA's VMDK, VHD, VHDX, qcow2, VDI; an ``s3://`` disk is read whole from S3, which costs
   its egress) and written into a snapshot of its own (``upload.ebsdirect.write_snapshot``):
   StartSnapshot's ClientToken is ``identity.snapshot_token`` (the identity, the disk's
   position and place in its OVA, the attempt, and how many times this disk's snapshot was
   replaced), its tags the import's (``vmimport:name``, ``vmimport:sha256``, the user's)
   and ``vmimport:via``, so that a rerun, with or without its state database, writes into
   the same snapshot; the blocks EBS acknowledged are recorded in batches in the disk's row
   of the state (``members.volume_row``: an OVA's further disks have rows of their own), a
   rerun writes only the others; each snapshot is waited for until ``completed``;
2. RegisterImage (``vmimport.register``), found by its name and tags first;
3. the AMI and snapshots recorded: ``FINISHING`` (the shared finish tags them, and runs the
   distribution).

With ``--no-wait`` (``EntryWork.waits`` false) step 1 stops once every disk's blocks are
written and CompleteSnapshot was accepted for it: ``deliver`` answers ``underway.Underway``
(the snapshots, sealing in EBS), and a rerun waits for them to be ``completed`` and
registers the AMI.

A disk's snapshot that can no longer be written (past its Timeout: ``error``, or gone) is
replaced alone: it is deleted, and the disk is written again from its first block into a
new snapshot under the disk's next token (its ``replacement`` count, recorded in the
state database); the other disks' snapshots, completed or still being written, are kept.
A replacement's StartSnapshot also carries ``vmimport:disk`` (the disk's number) and
``vmimport:replacement`` (the count): a rerun without its state database looks the disk's
replacements up by these tags (``_replacement``) and goes on with the last one, so that
every disk ends with one snapshot.  The account's limit of pending snapshots or
concurrent requests (``SnapshotQuotaFull``) is waited out, as a full quota of import tasks
is on the image road (until the run is cancelled).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ec2_import_image.awserrors import SNAPSHOT_NOT_FOUND, error_code
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.diskimage.virtual import VirtualDisk, open_virtual_disk, siblings
from ec2_import_image.importtasks.pacing import POLLING, Pacer
from ec2_import_image.roads import Road
from ec2_import_image.vmimport import register
from ec2_import_image.vmimport.disks import open_disk
from ec2_import_image.vmimport.engine.discovery import Discovered, find_registered
from ec2_import_image.vmimport.engine.identity import (
    TAG_DISK,
    TAG_REPLACEMENT,
    TAG_VIA,
    Identity,
    snapshot_token,
)
from ec2_import_image.vmimport.engine.members import volume_row
from ec2_import_image.vmimport.engine.registering import register_snapshots, road_tags
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.engine.volumes import Volume, volumes
from ec2_import_image.vmimport.state.records import Phase
from ec2_import_image.vmimport.upload.ebsclients import resolve_kms_key
from ec2_import_image.vmimport.upload.ebsdirect import (
    DEFAULT_SETTINGS,
    SnapshotDelivery,
    SnapshotOutcome,
    SnapshotRequest,
    write_snapshot,
)
from ec2_import_image.vmimport.upload.ebserrors import SnapshotQuotaFull, SnapshotUnusable

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef

    from ec2_import_image.vmimport.engine.entry import EntryWork

#: how a disk's snapshot came to be, for the line that ends its writing
_DELIVERED = {
    SnapshotDelivery.STARTED: "a new snapshot",
    SnapshotDelivery.RESUMED: "an earlier run's snapshot, resumed",
    SnapshotDelivery.FOUND: "completed before this run",
}
#: times one run replaces one disk's snapshot that can no longer be written
REPLACEMENTS = 1


@contextlib.contextmanager
def _virtual_disk(work: EntryWork, volume: Volume) -> Iterator[VirtualDisk]:
    """A disk's virtual disk: a local file read directly (its holes known to the reader), an
    ``s3://`` object through ranged GETs; an OVA's disk through the archive."""
    from ec2_import_image.vmimport.disks import reading_failed

    source = volume.source
    if source.startswith("s3://"):
        work.reporter.step(
            f"{volume.label}: read whole from S3 with ranged GETs (S3 bills the bytes as data "
            "transfer out unless this runs on EC2 in the bucket's Region)"
        )
        with open_disk(work.services.run, source) as opened:
            yield open_virtual_disk(opened.blob, source, member=volume.name)
        return
    from ec2_import_image.diskimage.errors import SourceError

    try:
        blob = FileBlob(source)
    except SourceError as error:
        raise reading_failed(error, source) from None
    with blob:
        yield open_virtual_disk(blob, source, member=volume.name, opener=siblings(source))


class DirectRoad:
    """The EBS direct APIs, then RegisterImage (see the module's docstring)."""

    road = Road.DIRECT

    def discover(self, work: EntryWork, identity: Identity) -> Discovered | None:
        work.reporter.step(
            f"looking for AMIs tagged vmimport:sha256={identity.sha256[:16]}… "
            f"and {TAG_VIA}={self.road.value}"
        )
        return find_registered(work.services.ec2, identity, self.road.value)

    def deliver(self, work: EntryWork, identity: Identity) -> Phase | Underway:
        uefi = register.uefi_data(work.spec.options.uefi_data)  # refused before any write
        disks = volumes(work.sources, work.reports)
        work.enter(Phase.UPLOADING, f"writing {len(disks)} disk(s) into EBS snapshots (EBS direct)")
        options = work.spec.options
        clients = work.services.ebs
        kms_arn = resolve_kms_key(clients.kms, options.kms_key_id) if options.kms_key_id else None
        snapshots = [self._volume(work, identity, volume, kms_arn) for volume in disks]
        if not work.waits:
            work.reporter.step(
                f"{len(snapshots)} snapshot(s) written and completing: a rerun waits for them "
                "and registers the AMI (--no-wait)"
            )
            return Underway(snapshots=tuple(snapshots))
        return register_snapshots(work, identity, snapshots, self.road, uefi)

    def _volume(
        self, work: EntryWork, identity: Identity, volume: Volume, kms_arn: str | None
    ) -> str:
        """The disk's snapshot, written (or found written), its own replacement included."""
        replacement = self._replacement(work, identity, volume)
        for replaced in range(REPLACEMENTS + 1):
            try:
                request = self._request(work, identity, volume, replacement, kms_arn)
                outcome = self._write(work, volume, request, replacement)
            except SnapshotUnusable as error:
                if replaced == REPLACEMENTS:
                    raise
                replacement += 1
                self._replace(work, volume, error, replacement)
                continue
            work.reporter.step(
                f"{volume.label}: snapshot {outcome.snapshot_id}, "
                f"{_DELIVERED[outcome.delivery]}: {outcome.blocks_written} block(s) written "
                "by this run"
            )
            return outcome.snapshot_id
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(
        self,
        work: EntryWork,
        identity: Identity,
        volume: Volume,
        replacement: int,
        kms_arn: str | None,
    ) -> SnapshotRequest:
        options = work.spec.options
        tags = road_tags(work, identity, self.road)
        if replacement:  # found again by these when the state database is gone
            marked = {**dict(tags), TAG_DISK: volume.number, TAG_REPLACEMENT: str(replacement)}
            tags = tuple(sorted(marked.items()))
        token = snapshot_token(
            identity,
            volume.position,
            work.entry().attempt.number,
            member=volume.member,
            replacement=replacement,
        )
        return SnapshotRequest(
            client_token=token,
            description=options.description,
            tags=tags,
            encrypted=True if options.encrypted or kms_arn else None,
            kms_key_arn=kms_arn,
        )

    def _replacement(self, work: EntryWork, identity: Identity, volume: Volume) -> int:
        """How many times the disk's snapshot was replaced: as recorded, else (no state of
        it) the highest ``vmimport:replacement`` of the disk's snapshots in the account."""
        recorded = work.db.disk_snapshot(work.claim, volume_row(work, volume))
        if recorded is not None:
            return recorded.replacement
        filters: list[FilterTypeDef] = [
            *identity.filters(),
            {"Name": f"tag:{TAG_VIA}", "Values": [self.road.value]},
            {"Name": f"tag:{TAG_DISK}", "Values": [volume.number]},
            {"Name": "tag-key", "Values": [TAG_REPLACEMENT]},
        ]
        found = 0
        paginator = work.services.ec2.get_paginator("describe_snapshots")
        for page in paginator.paginate(OwnerIds=["self"], Filters=filters):
            for snapshot in page.get("Snapshots", []):
                number = register.tags_of(snapshot).get(TAG_REPLACEMENT, "")
                if number.isdigit():
                    found = max(found, int(number))
        if found:
            work.reporter.step(f"{volume.label}: its snapshot was replaced {found} time(s)")
        return found

    def _write(
        self, work: EntryWork, volume: Volume, request: SnapshotRequest, replacement: int
    ) -> SnapshotOutcome:
        settings = work.settings.snapshots or DEFAULT_SETTINGS
        env = work.services.run.env
        pacer = Pacer(POLLING, env.clock)  # as a full quota of import tasks is waited
        cancel = work.cancel or threading.Event()

        def pause(seconds: float) -> bool:
            """The run's sleep (its clock), cut short by nothing but a cancel seen after."""
            env.sleep(seconds)
            return cancel.is_set()

        journal = work.db.snapshot_journal(
            work.claim, volume_row(work, volume), replacement=replacement
        )
        while True:
            try:
                with _virtual_disk(work, volume) as disk:
                    return write_snapshot(
                        work.services.ebs,
                        journal,
                        disk,
                        request,
                        settings=settings,
                        progress=work.reporter.progress,
                        cancel=cancel,
                        name=volume.label,
                        wait=work.waits,
                        clock=env.clock,
                        pause=pause,
                    )
            except SnapshotQuotaFull as full:
                delay = pacer.next_delay()
                work.reporter.step(
                    f"the account's EBS snapshot quota is full ({full}): trying again in "
                    f"{round(delay)} s"
                )
                if pause(delay):
                    raise

    def _replace(
        self, work: EntryWork, volume: Volume, error: SnapshotUnusable, replacement: int
    ) -> None:
        """Delete the disk's snapshot that cannot be written any more (the others are kept);
        its next snapshot is started under the disk's next token."""
        from botocore.exceptions import ClientError

        snapshot_id = error.snapshot_id
        if snapshot_id:
            try:
                work.services.ec2.delete_snapshot(SnapshotId=snapshot_id)
            except ClientError as refused:
                if error_code(refused) != SNAPSHOT_NOT_FOUND:
                    raise
        work.reporter.step(
            f"{error}: deleted; {volume.label} is written again into a new snapshot "
            f"(replacement {replacement}), the other disks' snapshots kept"
        )
