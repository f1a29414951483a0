"""A child process that uploads a disk and stops mid-way, to be killed with SIGKILL.

    python -m tests.support.upload_child ENDPOINT STATE DISK BUCKET AFTER

It uploads DISK (the entry named after its file) to ``s3://BUCKET/`` (two
threads, 5 MiB parts), the state in the database STATE, printing ``recorded N``
as parts are committed.  The first AFTER parts are sent; a worker about to
send any other prints ``blocked`` and waits.  With at least two parts left,
both workers come to wait, each once its last part is answered: the parent
kills the process then, with exactly AFTER parts on S3, which the state
database may or may not have recorded yet.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ec2_import_image.vmimport.state.db import DiskJournal, StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, Part
from ec2_import_image.vmimport.upload.disk import upload_disk
from ec2_import_image.vmimport.upload.keys import content_key
from ec2_import_image.vmimport.upload.multipart import UploadSettings
from tests.support.children import say
from tests.support.uploads import Counted, MiB

SETTINGS = UploadSettings(concurrency=2, min_part_size=5 * MiB)


class Printing:
    """The disk's journal, printing how many parts are recorded."""

    def __init__(self, journal: DiskJournal) -> None:
        self.journal = journal
        self.recorded = 0
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.journal, name)

    def parts_done(self, upload_id: str, parts: Sequence[Part]) -> None:
        self.journal.parts_done(upload_id, parts)
        with self.lock:
            self.recorded += len(parts)
            say(f"recorded {self.recorded}")


def main(argv: list[str]) -> None:
    endpoint, state, disk, bucket, after = argv
    with StateDB.open(state) as db:
        name = Path(disk).stem
        db.put_entry(EntrySpec(name, (disk,)))
        journal = Printing(db.journal(db.claim(name), 0))
        counted = Counted(endpoint, concurrency=SETTINGS.concurrency)
        passed = [0]

        def gate(**_: Any) -> None:
            with journal.lock:
                passed[0] += 1
                blocked = passed[0] > int(after)
            if blocked:
                say("blocked")
                time.sleep(600)

        counted.clients.plain.meta.events.register("before-call.s3.UploadPart", gate)
        upload_disk(
            counted.clients,
            journal,
            Path(disk),
            bucket,
            lambda digest: content_key("vmimport/", digest.sha256, digest.path),
            settings=SETTINGS,
        )
        say("finished")


if __name__ == "__main__":
    main(sys.argv[1:])
