#!/usr/bin/env python3
"""One disk written into an EBS snapshot, as a fresh process: the client side of
``bench/ebs_direct.py``.

    python bench/ebs_client.py ENDPOINT FILE TOKEN [--qcow2] [--concurrency N]

Opens FILE (RAW, or qcow2 with ``--qcow2``) with ``open_virtual_disk`` and writes it with
``upload.ebsdirect.write_snapshot`` (a state database in a temporary directory, as
``vmimport import`` keeps one), with the writer's defaults unless told.  Prints one JSON
line: wall and CPU seconds (user and system, all threads) measured around the call (the
interpreter's start-up and imports are not counted), the PutSnapshotBlock requests sent and
the bytes they carried.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY_ID, SECRET = "AKIDEXAMPLE", "bench-secret"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("file", type=Path)
    parser.add_argument("token")
    parser.add_argument("--qcow2", action="store_true")
    parser.add_argument("--concurrency", type=int)
    args = parser.parse_args()

    import botocore.session

    from ec2_import_image.diskimage.records import ContainerFormat
    from ec2_import_image.diskimage.sources import FileBlob
    from ec2_import_image.diskimage.virtual import open_virtual_disk
    from ec2_import_image.vmimport.state.db import StateDB
    from ec2_import_image.vmimport.state.records import EntrySpec
    from ec2_import_image.vmimport.upload.ebsclients import EbsClients
    from ec2_import_image.vmimport.upload.ebsdirect import (
        DEFAULT_SETTINGS,
        SnapshotRequest,
        write_snapshot,
    )

    settings = DEFAULT_SETTINGS
    if args.concurrency:
        settings = settings._replace(concurrency=args.concurrency)
    session = botocore.session.get_session()

    def make(service: str, config: Any) -> Any:
        return session.create_client(
            service,
            region_name="us-east-1",
            endpoint_url=args.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=config,
        )

    clients = EbsClients(make, concurrency=settings.concurrency)
    declared = None if args.qcow2 else ContainerFormat.RAW
    with (
        tempfile.TemporaryDirectory() as scratch,
        StateDB.open(Path(scratch) / "s.sqlite") as db,
        FileBlob(args.file) as blob,
    ):
        db.put_entry(EntrySpec("disk", (str(args.file),)))
        journal = db.snapshot_journal(db.claim("disk"), 0)
        started, cpu_started = time.perf_counter(), cpu_seconds()
        disk = open_virtual_disk(blob, args.file.name, declared=declared)
        outcome = write_snapshot(
            clients, journal, disk, SnapshotRequest(args.token), settings=settings
        )
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    result = {
        "wall": wall,
        "cpu": cpu,
        "requests": outcome.blocks_written,
        "bytes": outcome.bytes_written,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
