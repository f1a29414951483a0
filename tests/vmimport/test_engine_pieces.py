"""The engine's pure pieces: identity, tags and tokens; the request; failures borne;
the results files; the plan."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import pytest

from ec2_import_image.diskimage.records import BootMode, ContainerFormat
from ec2_import_image.importtasks.pacing import Pacer, Pacing
from ec2_import_image.vmimport.engine.errors import EntryFailed
from ec2_import_image.vmimport.engine.identity import (
    Identity,
    client_token,
    combined_sha256,
    finished_tags,
    s3_stand_in,
)
from ec2_import_image.vmimport.engine.plan import Looking, PlannedAction, plan_entry
from ec2_import_image.vmimport.engine.request import (
    DiskObject,
    detected_boot_mode,
    detected_format,
    import_request,
)
from ec2_import_image.vmimport.engine.results import write_results
from ec2_import_image.vmimport.errors import ExitStatus, Incomplete, bear, status_for
from ec2_import_image.vmimport.spec import (
    Architecture,
    DiskSource,
    ImportOptions,
    ImportSpec,
    LicenseType,
    Platform,
)
from ec2_import_image.vmimport.state.records import Attempt, Entry, Phase, SnapshotTask
from tests.support.clock import FakeClock

A, B = "a" * 64, "b" * 64


def test_the_identity_of_several_disks_is_the_sha256_of_their_sha256s_in_order() -> None:
    assert combined_sha256([A]) == A
    expected = hashlib.sha256(f"{A}\n{B}\n".encode()).hexdigest()
    assert combined_sha256([A, B]) == expected != combined_sha256([B, A])


def test_an_s3_object_without_metadata_is_named_by_its_etag_and_size() -> None:
    assert s3_stand_in('"abc-3"', 10) == hashlib.sha256(b"s3-object:abc-3:10").hexdigest()
    assert s3_stand_in("abc-3", 10) != s3_stand_in("abc-3", 11)


def test_tags_are_the_users_and_vmimports_sorted() -> None:
    identity = Identity("web-1", (A,))
    tags = identity.tags([("project", "x"), ("vmimport:name", "forged")])
    assert tags == (("project", "x"), ("vmimport:name", "web-1"), ("vmimport:sha256", A))
    assert finished_tags(tags, "web-1")[0] == ("Name", "web-1")
    assert identity.filters() == [
        {"Name": "tag:vmimport:name", "Values": ["web-1"]},
        {"Name": "tag:vmimport:sha256", "Values": [A]},
    ]


def test_the_client_token_follows_name_disks_request_and_attempt() -> None:
    identity = Identity("web-1", (A,))
    request = {"Platform": "Linux", "DiskContainers": [{"Format": "vmdk"}]}
    token = client_token(identity, request, 1)
    assert len(token) == 64 and token.isascii()
    reordered = {"DiskContainers": [{"Format": "vmdk"}], "Platform": "Linux", "ClientToken": "x"}
    assert client_token(identity, reordered, 1) == token
    others = {
        client_token(identity, request, 2),
        client_token(Identity("web-2", (A,)), request, 1),
        client_token(Identity("web-1", (B,)), request, 1),
        client_token(identity, {**request, "Platform": "Windows"}, 1),
    }
    assert token not in others and len(others) == 4


def _report(fmt: ContainerFormat, boot: BootMode) -> object:
    from ec2_import_image.diskimage.records import DiskReport

    return DiskReport(
        source="d",
        format=fmt,
        variant=None,
        virtual_size=1,
        file_size=1,
        complete=True,
        partition_table=None,
        partitions=(),
        boot_mode=boot,
        esp_loaders=(),
        has_esp=False,
    )


def test_format_and_boot_mode_come_from_the_bytes_unless_given() -> None:
    uefi = _report(ContainerFormat.VMDK, BootMode.UEFI)
    both = _report(ContainerFormat.RAW, BootMode.BOTH)
    assert detected_format(uefi, None, "d") == "vmdk"  # type: ignore[arg-type]
    assert detected_format(uefi, "raw", "d") == "raw"  # type: ignore[arg-type]
    with pytest.raises(EntryFailed, match="is qcow2"):
        detected_format(_report(ContainerFormat.QCOW2, BootMode.UNKNOWN), None, "d")  # type: ignore[arg-type]
    assert detected_boot_mode([uefi], None) == "uefi"  # type: ignore[list-item]
    assert detected_boot_mode([both], None) is None  # type: ignore[list-item]
    assert detected_boot_mode([both], "legacy-bios") == "legacy-bios"  # type: ignore[list-item]


def test_the_request_has_what_was_given_and_sorted_tags() -> None:
    options = ImportOptions(
        bucket="b",
        architecture=Architecture.X86_64,
        license_type=LicenseType.BYOL,
        description="web",
        encrypted=True,
        kms_key_id="alias/k",
        license_specifications=("arn:aws:license-manager:x",),
    )
    disks = [DiskObject("/d.vmdk", "b", "k/d.vmdk", A, 1)]
    request = import_request(options, disks, ["vmdk"], "uefi", [("z", "1"), ("a", "2")])
    assert request == {
        "DiskContainers": [
            {"Format": "vmdk", "UserBucket": {"S3Bucket": "b", "S3Key": "k/d.vmdk"}}
        ],
        "Architecture": "x86_64",
        "BootMode": "uefi",
        "Description": "web",
        "LicenseType": "BYOL",
        "KmsKeyId": "alias/k",
        "Encrypted": True,
        "LicenseSpecifications": [{"LicenseConfigurationArn": "arn:aws:license-manager:x"}],
        "TagSpecifications": [
            {
                "ResourceType": "import-image-task",
                "Tags": [{"Key": "a", "Value": "2"}, {"Key": "z", "Value": "1"}],
            }
        ],
    }
    other_role = import_request(options._replace(role_name="mine"), disks, ["vmdk"], None, [])
    assert other_role["RoleName"] == "mine" and "BootMode" not in other_role


def test_patience_gives_up_after_the_streak_lasted_its_limit() -> None:
    clock = FakeClock()
    pacer = Pacer(Pacing(patience=60), clock.clock)
    reason = "An error occurred (Throttling): slow down"
    assert bear(pacer, "polling", reason) == 0
    clock.sleep(30)
    assert bear(pacer, "polling", reason) == 30 and pacer.failing
    assert pacer.succeeded() == 30 and not pacer.failing
    bear(pacer, "polling", reason)
    clock.sleep(60)
    with pytest.raises(Incomplete, match=r"polling failed for 60 s \(--max-transient-seconds 60\)"):
        bear(pacer, "polling", reason)


def _entry(name: str, phase: Phase, attempt: Attempt) -> Entry:
    from datetime import UTC, datetime

    from ec2_import_image.vmimport.state.records import EntrySpec

    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Entry(name, 0, EntrySpec(name, ("/d",)), phase, attempt, None, None, now, now)


def test_the_results_files_beside_the_manifest(tmp_path: Path) -> None:
    from ec2_import_image.vmimport.engine.results import entry_row

    done = _entry("web", Phase.DONE, Attempt(1, "t", "import-ami-1", "ami-1", ("snap-1", "snap-2")))
    tasks = (
        SnapshotTask(0, "a.vmdk", "t0", "import-snap-a", "completed", "snap-a"),
        SnapshotTask(1, "b.vmdk", "t1", "import-snap-b", "completed", "snap-b"),
    )
    snap = Attempt(1, image_id="ami-2", snapshot_ids=("snap-a", "snap-b"), via="snapshot")
    by_snapshots = _entry("snap", Phase.DONE, snap._replace(snapshot_tasks=tasks))
    rows = [
        entry_row(done),
        entry_row(_entry("db", Phase.UPLOADING, Attempt(2))),
        entry_row(by_snapshots),
    ]
    manifest = tmp_path / "vms.yaml"
    json_path, csv_path = write_results(manifest, rows)
    assert (json_path.name, csv_path.name) == ("vms.yaml.results.json", "vms.yaml.results.csv")
    document = json.loads(json_path.read_text())
    assert document["entries"][0]["snapshot_ids"] == ["snap-1", "snap-2"]
    assert [row["status"] for row in document["entries"]] == ["done", "in-progress", "done"]
    with csv_path.open(newline="") as source:
        table = list(csv.DictReader(source))
    assert table[0]["snapshot_ids"] == "snap-1;snap-2" and table[1]["image_id"] == ""
    # version 3: the snapshot road's task per disk, a list in JSON, ';'-joined in the CSV
    assert document["version"] == 3
    assert [row["snapshot_tasks"] for row in document["entries"]] == [
        [],
        [],
        ["import-snap-a", "import-snap-b"],
    ]
    assert list(table[0])[-1] == "snapshot_tasks"
    assert [row["snapshot_tasks"] for row in table] == ["", "", "import-snap-a;import-snap-b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "vms.yaml.results.csv",
        "vms.yaml.results.json",
    ]


def test_the_plan_of_each_kind_of_entry(tmp_path: Path) -> None:
    disk = tmp_path / "d.vmdk"
    disk.write_bytes(b"x" * 2048)
    spec = ImportSpec("web", (DiskSource(str(disk)),), ImportOptions(bucket="b"))
    on_s3 = ImportSpec("s3", (DiskSource("s3://b/k.vmdk"),), ImportOptions())
    fresh = plan_entry(spec, None, (), Looking())
    assert (fresh.action, fresh.detail) == (
        PlannedAction.UPLOAD,
        "upload 1 disk(s), 2.0 KiB, to s3://b/vmimport/web/d.vmdk",
    )
    assert plan_entry(on_s3, None, (), Looking()).action is PlannedAction.IMPORT
    waiting = _entry("web", Phase.WAITING, Attempt(1, "t", "import-ami-1"))
    assert plan_entry(spec, waiting, (), Looking()).detail == "wait for import-ami-1"
    finishing = _entry("web", Phase.FINISHING, Attempt(1, "t", "import-ami-1", "ami-1"))
    assert plan_entry(spec, finishing, (), Looking()).action is PlannedAction.FINISH
    failed = _entry("web", Phase.FAILED, Attempt(3))
    assert plan_entry(spec, failed, (), Looking()).action is PlannedAction.SKIP
    assert plan_entry(spec, failed, (), Looking(retry_failed=True)).detail.startswith("attempt 4")
    uploading = _entry("web", Phase.UPLOADING, Attempt(1))
    assert plan_entry(spec, uploading, (), Looking()).action is PlannedAction.RESUME
    gone = ImportSpec("gone", (DiskSource(str(tmp_path / "gone.vmdk")),), ImportOptions())
    missing = plan_entry(gone, None, (), Looking())
    assert (missing.action, missing.detail) == (
        PlannedAction.MISSING,
        f"{tmp_path / 'gone.vmdk'}: no such file (a run refuses the manifest until it is there)",
    )
    finished = _entry(
        "gone", Phase.DONE, Attempt(1, "t", "import-ami-1", "ami-1", (), None, None, "a")
    )
    assert plan_entry(gone, finished, (), Looking()).detail == (
        "done: ami-1 (gone.vmdk no longer there: the AMI holds what it was (nothing needs it now))"
    )
    assert plan_entry(gone, waiting, (), Looking()).action is PlannedAction.WAIT  # needs no disk


def test_results_keep_the_rows_of_entries_the_state_does_not_know(tmp_path: Path) -> None:
    from ec2_import_image.vmimport.engine.results import entry_row, merged_rows, read_results

    manifest = tmp_path / "vms.yaml"
    assert read_results(manifest) == {}
    done = _entry("a", Phase.DONE, Attempt(1, "t", "import-ami-1", "ami-1", ("snap-1",)))
    gone = _entry("gone", Phase.DONE, Attempt(1, "t", "import-ami-2", "ami-2"))
    write_results(manifest, [entry_row(done), entry_row(gone)])
    previous = read_results(manifest)
    assert previous is not None
    now = _entry("b", Phase.UPLOADING, Attempt(1))
    rows = merged_rows(["a", "b", "c"], {"b": now}, previous)
    assert rows == [entry_row(done), entry_row(now)]  # "gone" left the manifest; "c" is unknown
    manifest.with_name("vms.yaml.results.json").write_text("{not json")
    assert read_results(manifest) is None


def test_a_results_file_that_cannot_be_written_is_incomplete_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    from ec2_import_image.vmimport.engine.results import ResultsNotWritten

    manifest = tmp_path / "vms.yaml"
    temporary = tmp_path / f".vms.yaml.results.json.{os.getpid()}.tmp"
    temporary.symlink_to("/dev/full")  # every write to it: ENOSPC
    with pytest.raises(ResultsNotWritten) as refused:
        write_results(manifest, [])
    assert str(refused.value) == (
        f"cannot write the results file {tmp_path / 'vms.yaml.results.json'}: "
        "No space left on device"
    )
    assert status_for(refused.value) is ExitStatus.INCOMPLETE
    assert list(tmp_path.iterdir()) == []


def test_the_image_roads_token_is_what_it_was_before_the_roads() -> None:
    """An import started by the version before the roads (main 081bb2e computed this token
    for this request) is found by its ClientToken after them: ``via`` and RegisterImage's
    options are in no ImportImage request."""
    from ec2_import_image.roads import Road

    identity = Identity("web-1", ("a" * 64,))
    options = ImportOptions(bucket="b", platform=Platform.LINUX, tags=(("project", "x"),))
    disks = [DiskObject("/d/web-1.vmdk", "b", "vmimport/aaaa/web-1.vmdk", "a" * 64, 10)]
    for asked in (options, options._replace(via=Road.IMAGE, ena=False, tpm=True)):
        request = import_request(asked, disks, ["vmdk"], "uefi", identity.tags(asked.tags))
        assert client_token(identity, request, 1) == (
            "51e26844217bb95dd6e575382d969bfe77da4951490ebdcba835a3bbe87bd5f0"
        )


def test_the_plan_says_each_disk_of_an_ova_on_the_roads_that_take_them_one_by_one(
    tmp_path: Path,
) -> None:
    """One OVA argument may hold several disks: the plan (which reads no disk) says each disk
    of it, never "1 disk(s)", for the direct road's snapshots and the snapshot road's tasks."""
    from ec2_import_image.roads import Road
    from ec2_import_image.vmimport.engine.plan import status_note

    (tmp_path / "vm.ova").write_bytes(b"x" * 1024)
    ova = DiskSource(str(tmp_path / "vm.ova"))
    direct = ImportSpec("vm", (ova,), ImportOptions(via=Road.DIRECT))
    assert plan_entry(direct, None, (), Looking()).detail == (
        "write each disk of the OVA, 1.0 KiB local, into EBS snapshots (--via direct), then "
        "RegisterImage"
    )
    two = direct._replace(disks=(ova, DiskSource("s3://b/data.vmdk")))
    assert plan_entry(two, None, (), Looking()).detail.startswith(
        "write each disk of the 2 DISKs (an OVA's disks each), 1.0 KiB local"
    )
    snapshot = ImportSpec("vm", (ova,), ImportOptions(bucket="b", via=Road.SNAPSHOT))
    assert plan_entry(snapshot, None, (), Looking()).detail.endswith(
        "then an ImportSnapshot task for each disk of the OVA, and RegisterImage (--via snapshot)"
    )
    assert status_note(snapshot, None, (), Looking()) == (
        "an ImportSnapshot task for each disk of the OVA, then RegisterImage"
    )


def test_the_plan_and_status_of_a_snapshot_road_entry_say_its_calls(tmp_path: Path) -> None:
    from ec2_import_image.roads import Road
    from ec2_import_image.vmimport.engine.plan import status_note, status_row

    disks = []
    for name in ("a.vmdk", "b.vmdk"):
        (tmp_path / name).write_bytes(b"x" * 1024)
        disks.append(DiskSource(str(tmp_path / name)))
    spec = ImportSpec("web", tuple(disks), ImportOptions(bucket="b", via=Road.SNAPSHOT))
    then = "then 2 ImportSnapshot task(s), one per disk, and RegisterImage (--via snapshot)"
    fresh = plan_entry(spec, None, (), Looking())
    assert (fresh.action, fresh.detail) == (
        PlannedAction.UPLOAD,
        f"upload 2 disk(s), 2.0 KiB, to s3://b/vmimport/web/a.vmdk, s3://b/vmimport/web/b.vmdk, "
        f"{then}",
    )
    on_s3 = ImportSpec("s3", (DiskSource("s3://b/k.vmdk"),), ImportOptions(via=Road.SNAPSHOT))
    assert plan_entry(on_s3, None, (), Looking()).detail == (
        "import from s3://b/k.vmdk, then 1 ImportSnapshot task(s), one per disk, and "
        "RegisterImage (--via snapshot)"
    )
    waiting = _entry("web", Phase.WAITING, Attempt(1))
    resumed = plan_entry(spec, waiting, (), Looking())
    assert (resumed.action, resumed.detail) == (
        PlannedAction.RESUME,
        f"resume from waiting, {then}; the tasks already started are found again (the "
        "state's, else by their tags)",
    )
    row = status_row(spec, waiting, status_note(spec, waiting, (), Looking()))
    assert row["via"] == "snapshot" and row["import_task_id"] is None
    assert row["note"] == "2 ImportSnapshot task(s), one per disk, then RegisterImage"
    # the tasks the state recorded: waited for, and shown with their statuses
    started = Attempt(
        1,
        snapshot_tasks=(
            SnapshotTask(0, "a.vmdk", "t0", "import-snap-a", "completed", "snap-a"),
            SnapshotTask(1, "b.vmdk", "t1", "import-snap-b", "active"),
        ),
    )
    recorded = _entry("web", Phase.WAITING, started)
    waits = plan_entry(spec, recorded, (), Looking())
    assert (waits.action, waits.detail) == (
        PlannedAction.WAIT,
        "wait for import-snap-a, import-snap-b, then RegisterImage (--via snapshot)",
    )
    row = status_row(spec, recorded, status_note(spec, recorded, (), Looking()))
    assert row["snapshot_tasks"] == ["import-snap-a", "import-snap-b"]
    assert row["note"] == (
        "ImportSnapshot tasks: disk 1 import-snap-a (completed), disk 2 import-snap-b (active); "
        "then RegisterImage"
    )
    image = ImportSpec("img", (disks[0],), ImportOptions(bucket="b"))
    unknown = status_row(image, None, status_note(image, None, (), Looking()))
    assert unknown["via"] == "image" and unknown["snapshot_tasks"] == []
    assert status_note(image, None, (), Looking()) is None
