#!/usr/bin/env python3
"""One upload, as a fresh process: the client side of ``bench/upload.py``.

    python bench/upload_client.py TOOL ENDPOINT FILE KEY [--part-mib N] [--concurrency N]

TOOL is ``vmimport`` (the hash, then ``upload_file`` with a state database in
a temporary directory, as ``vmimport import`` runs them) or ``boto3``
(``upload_file``, s3transfer).  Without ``--part-mib``/``--concurrency`` each
tool runs with its own defaults.  Prints one JSON line: the seconds of the
hash and of the upload, measured around the calls (the interpreter's start-up
and imports are not counted, and are the same for both tools); for vmimport also the CPU
seconds of each (all threads) and the parts sent.
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

MiB = 1024 * 1024
KEY_ID, SECRET = "AKIDEXAMPLE", "bench-secret"
Settings = tuple[int | None, int | None]  # part size (MiB), threads: None for the default


def with_boto3(endpoint: str, path: Path, key: str, tuning: Settings) -> dict[str, float]:
    import boto3
    from boto3.s3.transfer import TransferConfig

    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    part_mib, threads = tuning
    options: dict[str, Any] = {}
    if part_mib:
        options.update(multipart_threshold=part_mib * MiB, multipart_chunksize=part_mib * MiB)
    if threads:
        options.update(max_concurrency=threads)
    started = time.perf_counter()
    client.upload_file(str(path), "bench", key, Config=TransferConfig(**options))
    return {"upload": time.perf_counter() - started, "hash": 0.0}


def with_vmimport(endpoint: str, path: Path, key: str, tuning: Settings) -> dict[str, float]:
    import botocore.session

    from ec2_import_image.vmimport.state.db import StateDB
    from ec2_import_image.vmimport.state.records import EntrySpec
    from ec2_import_image.vmimport.upload.clients import S3Clients
    from ec2_import_image.vmimport.upload.disk import hash_disk
    from ec2_import_image.vmimport.upload.multipart import (
        DEFAULT_SETTINGS,
        ObjectTarget,
        upload_file,
    )

    settings = DEFAULT_SETTINGS
    part_mib, threads = tuning
    if part_mib:
        settings = settings._replace(min_part_size=part_mib * MiB)
    if threads:
        settings = settings._replace(concurrency=threads)
    session = botocore.session.get_session()

    def make(config: Any) -> Any:
        return session.create_client(
            "s3",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=config,
        )

    clients = S3Clients(make, concurrency=settings.concurrency)
    with tempfile.TemporaryDirectory() as scratch, StateDB.open(Path(scratch) / "s.sqlite") as db:
        db.put_entry(EntrySpec("disk", (str(path),)))
        journal = db.journal(db.claim("disk"), 0)
        started, cpu_started = time.perf_counter(), cpu_seconds()
        digest = hash_disk(journal, path, min_part_size=settings.min_part_size)
        hashed, cpu_hashed = time.perf_counter(), cpu_seconds()
        outcome = upload_file(
            clients, journal, digest, ObjectTarget("bench", key), settings=settings
        )
        done, cpu_done = time.perf_counter(), cpu_seconds()
    return {
        "upload": done - hashed,
        "hash": hashed - started,
        "cpu_upload": cpu_done - cpu_hashed,
        "cpu_hash": cpu_hashed - cpu_started,
        "requests": outcome.parts_sent,
    }


def cpu_seconds() -> float:
    """User and system CPU seconds of this process so far, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["vmimport", "boto3"])
    parser.add_argument("endpoint")
    parser.add_argument("file", type=Path)
    parser.add_argument("key")
    parser.add_argument("--part-mib", type=int)
    parser.add_argument("--concurrency", type=int)
    args = parser.parse_args()
    run = with_vmimport if args.tool == "vmimport" else with_boto3
    result = run(args.endpoint, args.file, args.key, (args.part_mib, args.concurrency))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
