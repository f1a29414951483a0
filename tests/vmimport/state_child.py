"""A child process for the state database's process tests: ``python -m tests.vmimport.state_child``.

- ``steps DB N``: record parts 1..N of one upload, one commit each, printing
  ``committed I`` after each commit; a rerun continues after the last part
  recorded, and prints ``finished`` at the end;
- ``claim DB WORKER GO``: once the file GO exists, claim entries one by one
  (``claim_next``), mark each worked on by WORKER and done, until none is left;
- ``hold DB NAME``: claim NAME, print ``held``, and wait to be killed;
- ``open DB NAME GO``: once the file GO exists, open DB (perhaps new), add
  entries ``NAME-0``... and claim and release one after each, then print ``opened``.
"""

from __future__ import annotations

import os
import sys
import time

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, MultipartUpload, Part, Phase


def steps(path: str, count: int) -> None:
    with StateDB.open(path) as db:
        db.put_entry(EntrySpec("disk", ("/data/disk.img",)))
        claim = db.claim("disk")
        upload = db.disk(claim, 0).upload
        if upload is None:
            upload = MultipartUpload("u-1", "b", "k", "0" * 64, 5, None)
            db.record_upload(claim, 0, upload)
        start = max((p.number for p in upload.parts), default=0) + 1
        for number in range(start, count + 1):
            db.record_parts(claim, 0, "u-1", [Part(number, 5, f"etag-{number}")])
            db.add_event(claim, f"part {number}")
            print(f"committed {number}", flush=True)
        db.set_phase(claim, Phase.DONE)
        print("finished", flush=True)


def claim_all(path: str, worker: str, go: str) -> None:
    with StateDB.open(path) as db:
        while not os.path.exists(go):
            time.sleep(0.001)
        done = 0
        while (claim := db.claim_next()) is not None:
            db.add_event(claim, f"worked by {worker}")
            time.sleep(0.002)
            db.set_phase(claim, Phase.DONE)
            db.release(claim)
            done += 1
        print(f"{worker} did {done}", flush=True)


def hold(path: str, name: str) -> None:
    with StateDB.open(path) as db:
        db.claim(name)
        print("held", flush=True)
        time.sleep(600)


def open_at_once(path: str, name: str, go: str) -> None:
    while not os.path.exists(go):
        time.sleep(0.001)
    with StateDB.open(path) as db:
        for number in range(10):
            db.put_entry(EntrySpec(f"{name}-{number}", (f"/data/{name}.img",)))
            claim = db.claim_next()
            if claim is not None:
                db.release(claim)
    print("opened", flush=True)


def main(argv: list[str]) -> None:
    mode, path, *rest = argv
    if mode == "steps":
        steps(path, int(rest[0]))
    elif mode == "claim":
        claim_all(path, rest[0], rest[1])
    elif mode == "hold":
        hold(path, rest[0])
    elif mode == "open":
        open_at_once(path, rest[0], rest[1])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
