"""``vmimport import --via direct`` of several disks: an OVA of two disks (made by qemu-img,
sgdisk, mke2fs and tar: scripts/make-ova-fixtures.sh; the archive holds the data disk first,
the OVF lists the boot disk first), one snapshot per disk, the boot disk's first; one
disk's snapshot expired and replaced alone; ``kill -9`` and reruns, with and without the
state database; ``--no-wait``.

Each snapshot read back block by block (ListSnapshotBlocks, GetSnapshotBlock: zeros where
nothing was written) must hash as QEMU's ``qemu-img convert -O raw`` of its OVA member
(``vm-two-disks.ova.raw.json``, recorded by the script, since CI has no qemu-img).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import Lab
from tests.emulator.snapshotlab import ebs_client, read_blocks, volume_from
from tests.emulator.test_vmimport_direct import own_images, own_snapshots, run_direct, tags_of
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import (
    FIXTURES,
    TWO_DISK_MEMBERS,
    TWO_DISK_OVA,
    DiskFixtures,
    member_raw,
    unpack,
)
from tests.support.vmimport_run import Counting, vmimport

MEMBERS = TWO_DISK_MEMBERS
BLOCK = 512 * 1024
#: StartSnapshot's Timeout vmimport asks for (minutes), and a little more
PAST_TIMEOUT = (1440 + 5) * 60


def two_disk_ova(tmp_path: Path) -> Path:
    return DiskFixtures(tmp_path).path(TWO_DISK_OVA)


def disks_of(tmp_path: Path, given_as: str) -> list[str]:
    """The two disks as one OVA, or as two DISK arguments (its members, taken out by tar)."""
    ova = two_disk_ova(tmp_path)
    if given_as == "ova":
        return [str(ova)]
    with tarfile.open(ova) as archive:
        archive.extractall(tmp_path / "members", members=[archive.getmember(m) for m in MEMBERS])
    return [str(tmp_path / "members" / member) for member in MEMBERS]


def boot_disk_blocks(tmp_path: Path) -> int:
    """The blocks of data of the OVA's boot disk, counted in the RAW disk its VMDK was made
    from (gpt-uefi.raw; the same disk, as QEMU's SHA-256 of both says): what an unencrypted
    snapshot of it is written (all-zero blocks skipped)."""
    raw = tmp_path / "gpt-uefi.raw"
    unpack(FIXTURES / "gpt-uefi.raw.xz", raw)
    data = raw.read_bytes()
    assert hashlib.sha256(data).hexdigest() == member_raw(MEMBERS[0])[1]
    zero = bytes(BLOCK)
    return sum(1 for at in range(0, len(data), BLOCK) if data[at : at + BLOCK] != zero)


def snapshot_holds(lab: Lab, snapshot_id: str, member: str) -> bool:
    size, digest = member_raw(member)
    volume = volume_from(read_blocks(ebs_client(lab), snapshot_id), size)
    return hashlib.sha256(volume).hexdigest() == digest


def killed_during_the_second_disk(lab: Lab, argv: list[str], after: int) -> None:
    """Run ``argv`` in a child whose PutSnapshotBlock requests after the first ``after`` wait,
    and kill it (-9) once two of them wait (the data disk has more than two blocks of data)."""
    child = start_module("tests.support.gated_child_event", [lab.endpoint, *_gate(after), *argv])
    lines = kill_when(child, lambda lines: lines.count("blocked") == 2)
    assert lines.count("blocked") == 2, lines


def _gate(after: int) -> list[str]:
    return ["ebs.PutSnapshotBlock", str(after)]


def test_an_ova_of_two_disks_becomes_an_ami_of_two_snapshots_the_boot_disk_first(
    lab: Lab, tmp_path: Path
) -> None:
    ova = two_disk_ova(tmp_path)
    outcome = run_direct(lab, str(ova), "--name", "vm-2", state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    (image,) = lab.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    assert (image["BootMode"], image["RootDeviceName"]) == ("uefi", "/dev/xvda")
    mappings = {m["DeviceName"]: m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"]}
    assert sorted(mappings) == ["/dev/xvda", "/dev/xvdb"]
    assert result["snapshot_ids"] == [mappings["/dev/xvda"], mappings["/dev/xvdb"]]
    assert snapshot_holds(lab, mappings["/dev/xvda"], MEMBERS[0])
    assert snapshot_holds(lab, mappings["/dev/xvdb"], MEMBERS[1])
    assert len(own_snapshots(lab)) == 2
    # each disk's snapshot is kept in the disk's row of the state: the OVA's for its first
    # disk, a row of its own for the second (the row its upload would be journaled in)
    conn = sqlite3.connect(tmp_path / "s")
    rows = conn.execute(
        "SELECT d.source, d.member_of, d.member, s.snapshot_id FROM disk_snapshots s "
        "JOIN disks d ON d.entry_id = s.entry_id AND d.position = s.position ORDER BY d.position"
    ).fetchall()
    conn.close()
    assert rows == [
        (str(ova), None, None, mappings["/dev/xvda"]),
        (f"{ova}!{MEMBERS[1]}", 0, 1, mappings["/dev/xvdb"]),
    ]


@pytest.mark.parametrize("given_as", ["ova", "two files"])
def test_one_disks_expired_snapshot_is_replaced_alone_and_the_other_kept(
    lab: Lab, tmp_path: Path, given_as: str
) -> None:
    """Killed (-9) while the second disk is written, the first disk's snapshot completing
    (--no-wait); the second's snapshot then expires (past its Timeout without a write).  The
    rerun writes no block of the first disk, deletes the expired snapshot, and writes the
    second disk into a new one: one snapshot per disk, one AMI."""
    disks = disks_of(tmp_path, given_as)
    state = tmp_path / "state.sqlite"
    argv = ["import", "--via", "direct", *disks, "--name", "vm-2", "--state", str(state)]
    argv += ["--upload-threads", "2"]
    first_disk = boot_disk_blocks(tmp_path)
    killed_during_the_second_disk(lab, [*argv, "--no-wait"], first_disk + 1)
    assert len(own_snapshots(lab)) == 2
    lab.elapse(PAST_TIMEOUT)
    states = {s["SnapshotId"]: s["State"] for s in own_snapshots(lab)}
    assert sorted(states.values()) == ["completed", "error"]
    (kept,) = [sid for sid, state in states.items() if state == "completed"]
    (expired,) = [sid for sid, state in states.items() if state == "error"]

    counting = Counting()
    outcome = vmimport(
        lab.endpoint, *argv, clock=lab.clock, sleep=lab.clock.advance, sessions=counting
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["snapshot_ids"][0] == kept
    replacement = result["snapshot_ids"][1]
    assert replacement not in (kept, expired)
    assert counting.puts.get(kept, 0) == 0
    assert set(counting.puts) == {replacement}
    assert {s["SnapshotId"] for s in own_snapshots(lab)} == {kept, replacement}
    (image,) = own_images(lab)
    assert image["ImageId"] == result["image_id"]
    assert snapshot_holds(lab, kept, MEMBERS[0]) and snapshot_holds(lab, replacement, MEMBERS[1])


def test_a_replacement_is_found_again_by_a_rerun_without_its_state_database(
    lab: Lab, tmp_path: Path
) -> None:
    """The second disk's snapshot expired and its replacement started, then the run killed
    (-9); a rerun with another state database finds the first disk's snapshot by its
    ClientToken and the replacement by its tags: one snapshot per disk, one AMI."""
    ova = two_disk_ova(tmp_path)
    state = tmp_path / "state.sqlite"
    argv = ["import", "--via", "direct", str(ova), "--upload-threads", "2"]
    first_disk = boot_disk_blocks(tmp_path)
    killed_during_the_second_disk(lab, [*argv, "--state", str(state), "--no-wait"], first_disk + 1)
    lab.elapse(PAST_TIMEOUT)
    (kept,) = [s["SnapshotId"] for s in own_snapshots(lab) if s["State"] == "completed"]
    killed_during_the_second_disk(lab, [*argv, "--state", str(state)], 1)
    pending = [s for s in own_snapshots(lab) if s["State"] == "pending"]
    assert len(pending) == 1 and len(own_snapshots(lab)) == 2  # the expired one deleted
    replacement = pending[0]["SnapshotId"]
    assert tags_of(pending[0])["vmimport:replacement"] == "1"

    outcome = vmimport(
        lab.endpoint,
        *argv,
        "--state",
        str(tmp_path / "another.sqlite"),
        clock=lab.clock,
        sleep=lab.clock.advance,
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert json.loads(outcome.stdout)["snapshot_ids"] == [kept, replacement]
    assert {s["SnapshotId"] for s in own_snapshots(lab)} == {kept, replacement}
    assert len(own_images(lab)) == 1
    assert snapshot_holds(lab, replacement, MEMBERS[1])


def test_no_wait_returns_the_snapshots_written_and_a_rerun_registers_the_ami(
    lab: Lab, tmp_path: Path
) -> None:
    ova = two_disk_ova(tmp_path)
    left = run_direct(lab, str(ova), "--no-wait", state=tmp_path / "s")
    assert left.status == ExitStatus.OK, left.stderr
    result = json.loads(left.stdout)
    assert (result["image_id"], result["via"]) == (None, "direct")
    assert len(result["snapshot_ids"]) == 2 and own_images(lab) == []
    assert "a rerun waits for them and registers the AMI" in left.stderr
    counting = Counting()
    done = vmimport(
        lab.endpoint,
        "import",
        "--via",
        "direct",
        str(ova),
        "--state",
        str(tmp_path / "s"),
        clock=lab.clock,
        sleep=lab.clock.advance,
        sessions=counting,
    )
    assert done.status == ExitStatus.OK, done.stderr
    finished = json.loads(done.stdout)
    assert finished["snapshot_ids"] == result["snapshot_ids"] and counting.puts == {}
    (image,) = own_images(lab)
    assert image["ImageId"] == finished["image_id"]
