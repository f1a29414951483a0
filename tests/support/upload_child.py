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
from pathlib import Path

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec
from ec2_import_image.vmimport.upload.disk import upload_disk
from ec2_import_image.vmimport.upload.keys import content_key
from ec2_import_image.vmimport.upload.multipart import UploadSettings
from tests.support.children import Gate, Recording, say
from tests.support.uploads import Counted, MiB

SETTINGS = UploadSettings(concurrency=2, min_part_size=5 * MiB)


def main(argv: list[str]) -> None:
    endpoint, state, disk, bucket, after = argv
    with StateDB.open(state) as db:
        name = Path(disk).stem
        db.put_entry(EntrySpec(name, (disk,)))
        journal = Recording(db.journal(db.claim(name), 0), "parts_done")
        counted = Counted(endpoint, concurrency=SETTINGS.concurrency)
        counted.clients.plain.meta.events.register("before-call.s3.UploadPart", Gate(int(after)))
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
