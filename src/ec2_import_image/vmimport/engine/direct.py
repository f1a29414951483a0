"""The direct road: each disk written into an EBS snapshot with the EBS direct APIs, then
RegisterImage.  No bucket, no service role.

``DirectRoad.deliver``, after the shared check, identity and discovery (``road``):

1. each disk, in order, read through its container (``diskimage.virtual.open_virtual_disk``:
   RAW, every VMDK variant the readers know, a one-disk OVA's VMDK, VHD, VHDX, qcow2, VDI;
   an ``s3://`` disk is read whole from S3, which costs its egress) and written into a
   snapshot (``upload.ebsdirect.write_snapshot``): StartSnapshot's ClientToken is
   ``identity.snapshot_token`` (the identity, the disk's position and the attempt), its tags
   the import's (``vmimport:name``, ``vmimport:sha256``, the user's) and ``vmimport:via``,
   so that a rerun, with or without its state database, writes into the same snapshot; the
   blocks EBS acknowledged are recorded in batches, a rerun writes only the others; each
   snapshot is waited for until ``completed``;
2. RegisterImage (``vmimport.register``), found by its name and tags first;
3. the AMI and snapshots recorded: ``FINISHING`` (the shared finish tags them, and runs the
   distribution).

A snapshot that can no longer be written (past its Timeout: ``error``, or gone) is
deleted and the entry's next attempt begins, whose tokens are new (``EntryWork.restart``);
the disks are written again from the first block.  The account's limit of pending
snapshots or concurrent requests (``SnapshotQuotaFull``) is waited out, as a full quota of
import tasks is on the image road (until the run is cancelled).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.diskimage.virtual import VirtualDisk, open_virtual_disk, siblings
from ec2_import_image.importtasks.pacing import POLLING, Pacer
from ec2_import_image.roads import Road
from ec2_import_image.vmimport import register
from ec2_import_image.vmimport.disks import open_disk
from ec2_import_image.vmimport.engine.discovery import Discovered, find_registered
from ec2_import_image.vmimport.engine.identity import TAG_VIA, Identity, snapshot_token
from ec2_import_image.vmimport.engine.registering import register_snapshots, road_tags
from ec2_import_image.vmimport.state.records import Phase
from ec2_import_image.vmimport.upload.ebsclients import resolve_kms_key
from ec2_import_image.vmimport.upload.ebsdirect import (
    DEFAULT_SETTINGS,
    SnapshotOutcome,
    SnapshotRequest,
    write_snapshot,
)
from ec2_import_image.vmimport.upload.ebserrors import SnapshotQuotaFull, SnapshotUnusable

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.entry import EntryWork

#: attempts of one run at replacing a snapshot that can no longer be written
REPLACEMENTS = 1


@contextlib.contextmanager
def _virtual_disk(work: EntryWork, source: str) -> Iterator[VirtualDisk]:
    """A DISK's virtual disk: a local file read directly (its holes known to the reader), an
    ``s3://`` object through ranged GETs."""
    from ec2_import_image.vmimport.disks import reading_failed

    if source.startswith("s3://"):
        with open_disk(work.services.run, source) as opened:
            yield open_virtual_disk(opened.blob, source)
        return
    from ec2_import_image.diskimage.errors import SourceError

    try:
        blob = FileBlob(source)
    except SourceError as error:
        raise reading_failed(error, source) from None
    with blob:
        yield open_virtual_disk(blob, source, opener=siblings(source))


class DirectRoad:
    """The EBS direct APIs, then RegisterImage (see the module's docstring)."""

    road = Road.DIRECT

    def discover(self, work: EntryWork, identity: Identity) -> Discovered | None:
        work.reporter.step(
            f"looking for AMIs tagged vmimport:sha256={identity.sha256[:16]}… "
            f"and {TAG_VIA}={self.road.value}"
        )
        return find_registered(work.services.ec2, identity, self.road.value)

    def deliver(self, work: EntryWork, identity: Identity) -> Phase:
        uefi = register.uefi_data(work.spec.options.uefi_data)  # refused before any write
        for replaced in range(REPLACEMENTS + 1):
            try:
                snapshots = self._write_all(work, identity)
                break
            except _Unusable as unusable:
                if replaced == REPLACEMENTS:
                    raise unusable.error from None
                self._replace(work, unusable)
        return register_snapshots(work, identity, snapshots, self.road, uefi)

    def _write_all(self, work: EntryWork, identity: Identity) -> list[str]:
        options = work.spec.options
        count = len(work.sources)
        work.enter(Phase.UPLOADING, f"writing {count} disk(s) into EBS snapshots (EBS direct)")
        clients = work.services.ebs
        kms_arn = resolve_kms_key(clients.kms, options.kms_key_id) if options.kms_key_id else None
        attempt = work.entry().attempt.number
        snapshots: list[str] = []
        for position, source in enumerate(work.sources):
            request = SnapshotRequest(
                client_token=snapshot_token(identity, position, attempt),
                description=options.description,
                tags=road_tags(work, identity, self.road),
                encrypted=True if options.encrypted or kms_arn else None,
                kms_key_arn=kms_arn,
            )
            try:
                outcome = self._write(work, position, source, request)
            except SnapshotUnusable as error:
                raise _Unusable(error, position) from None
            work.reporter.step(
                f"{source}: snapshot {outcome.snapshot_id} {outcome.delivery.value} "
                f"({outcome.blocks_written} block(s) written by this run)"
            )
            snapshots.append(outcome.snapshot_id)
        return snapshots

    def _write(
        self, work: EntryWork, position: int, source: str, request: SnapshotRequest
    ) -> SnapshotOutcome:
        settings = work.settings.snapshots or DEFAULT_SETTINGS
        env = work.services.run.env
        pacer = Pacer(POLLING, env.clock)  # as a full quota of import tasks is waited
        cancel = work.cancel or threading.Event()

        def pause(seconds: float) -> bool:
            """The run's sleep (its clock), cut short by nothing but a cancel seen after."""
            env.sleep(seconds)
            return cancel.is_set()

        while True:
            try:
                with _virtual_disk(work, source) as disk:
                    return write_snapshot(
                        work.services.ebs,
                        work.db.snapshot_journal(work.claim, position),
                        disk,
                        request,
                        settings=settings,
                        progress=work.reporter.progress,
                        cancel=cancel,
                        name=source,
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

    def _replace(self, work: EntryWork, unusable: _Unusable) -> None:
        """Delete the snapshot that cannot be written any more; the next attempt."""
        snapshot_id = unusable.error.snapshot_id
        if snapshot_id:
            from botocore.exceptions import ClientError

            with contextlib.suppress(ClientError):
                work.services.ec2.delete_snapshot(SnapshotId=snapshot_id)
        work.restart(f"{unusable.error}: deleted, written again under new ClientTokens")


class _Unusable(Exception):
    """A disk's snapshot can no longer be written (``SnapshotUnusable``)."""

    def __init__(self, error: SnapshotUnusable, position: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.position = position
