"""A child process that writes a RAW disk into an EBS snapshot and stops mid-way, to be killed
with SIGKILL.

    python -m tests.support.snapshot_child ENDPOINT STATE DISK TOKEN AFTER

It writes DISK (the entry named after its file) to the EBS endpoint with two threads,
committing acknowledged blocks every 4 blocks, the state in the database STATE, printing
``recorded N`` as blocks are committed.  The first AFTER blocks are sent; a thread about to
send any other prints ``blocked`` and waits.  Both threads come to wait, each once its last
block is answered: the parent kills the process then, with exactly AFTER blocks in the
snapshot, of which the state database holds the committed batches only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ec2_import_image.diskimage.records import ContainerFormat
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.diskimage.virtual import open_virtual_disk
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.upload.ebsdirect import (
    SnapshotRequest,
    SnapshotSettings,
    write_snapshot,
)
from tests.support.children import Gate, Recording, say
from tests.support.snapshots import CountedEbs, disk_journal

SETTINGS = SnapshotSettings(concurrency=2, batch_blocks=4, batch_seconds=600.0)


def main(argv: list[str]) -> None:
    endpoint, state, disk, token, after = argv
    with StateDB.open(state) as db, FileBlob(disk) as blob:
        journal = Recording(disk_journal(db, Path(disk).stem, disk), "blocks_written")
        counted = CountedEbs(endpoint, concurrency=SETTINGS.concurrency)
        gate = Gate(int(after))
        counted.clients.ebs.meta.events.register("before-call.ebs.PutSnapshotBlock", gate)
        virtual = open_virtual_disk(blob, disk, declared=ContainerFormat.RAW)
        write_snapshot(counted.clients, journal, virtual, SnapshotRequest(token), settings=SETTINGS)
        say("finished")


if __name__ == "__main__":
    main(sys.argv[1:])
