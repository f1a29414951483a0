"""``vmimport import`` against the emulator: disk file to AMI, idempotent, resumable, explained.

The emulator runs at speed 1 on a manual clock, and the run's ``sleep``
turns that clock: a wait of half an hour of import takes a few dozen polls
and no real time.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ec2_import_emulator import samples as images
from ec2_import_image.vmimport.engine.identity import combined_sha256, s3_stand_in
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import ObjectState, Phase
from tests.emulator.conftest import BUCKET, Lab
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages
from tests.support.vmimport_run import Counting, Outcome, vmimport

DAY = 86400.0


@pytest.fixture
def boot(disks: DiskFixtures) -> Path:
    return disks.path("gpt-uefi.stream.vmdk")


def run_import(lab: Lab, *argv: str, state: Path, **options: Any) -> Outcome:
    return vmimport(
        lab.endpoint,
        "import",
        *argv,
        "--bucket",
        BUCKET,
        "--state",
        str(state),
        clock=lab.clock,
        sleep=lab.clock.advance,
        **options,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def objects(lab: Lab) -> list[str]:
    return [item["Key"] for item in lab.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def tasks(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.ec2.describe_import_image_tasks()["ImportImageTasks"])


def test_one_import_end_to_end_tags_the_ami_and_snapshots_and_deletes_the_upload(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    outcome = run_import(
        granted, str(boot), "--tag", "project=dc-exit", "--name", "web-1", state=tmp_path / "s"
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert set(result) == {
        "image_id",
        "import_task_id",
        "snapshot_ids",
        "disks",
        "boot_mode",
        "platform",
        "architecture",
        "images",
        "shared",
        "via",
        "via_reason",
        "snapshot_tasks",
    }
    assert (result["images"], result["shared"]) == ({"us-east-1": result["image_id"]}, [])
    assert (result["via"], result["via_reason"]) == ("image", "--via image")
    digest = sha256(boot)
    assert result["disks"] == [
        {
            "source": str(boot),
            "bucket": BUCKET,
            "key": f"vmimport/{digest[:16]}/gpt-uefi.stream.vmdk",
            "sha256": digest,
            "size": boot.stat().st_size,
        }
    ]
    assert (result["boot_mode"], result["platform"], result["architecture"]) == (
        "uefi",
        "Linux",
        "x86_64",
    )
    expected = {
        "Name": "web-1",
        "project": "dc-exit",
        "vmimport:name": "web-1",
        "vmimport:sha256": digest,
    }
    (image,) = granted.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    with StateDB.open(tmp_path / "s") as db:
        owner = db.owner_id()
    finished = {
        **expected,
        "vmimport:via": "image",  # the road, on the AMI only: never in the task's tags (token)
        "vmimport:owner": owner,  # the state database's id: what vmimport gc scopes by
        "vmimport:imported-at": image["CreationDate"][:19] + "Z",
    }
    assert tags_of(image) == finished
    snapshots = granted.ec2.describe_snapshots(SnapshotIds=result["snapshot_ids"])["Snapshots"]
    assert len(snapshots) == 1 and tags_of(snapshots[0]) == finished
    (task,) = tasks(granted)
    assert task["ImportTaskId"] == result["import_task_id"]
    # the task's tags are the import's own only: its ClientToken is as before the owner's tags
    assert tags_of(task) == {k: v for k, v in expected.items() if k != "Name"}
    assert task["BootMode"] == "uefi"  # detected from the disk's bytes
    assert objects(granted) == []  # the upload is deleted
    for step in ("checked: no errors", "uploaded gpt-uefi.stream.vmdk", "deleted s3://"):
        assert step in outcome.stderr


def test_the_amis_creation_date_is_the_emulators_time(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    """Read off the emulator's clock, as RegisterImage's and CopyImage's are: on the wall
    clock, two imports in one second had one CreationDate and gc kept an arbitrary one."""
    granted.elapse(3 * DAY)
    outcome = run_import(granted, str(boot), state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    (image,) = granted.ec2.describe_images(ImageIds=[json.loads(outcome.stdout)["image_id"]])[
        "Images"
    ]
    created = datetime.fromisoformat(image["CreationDate"].replace("Z", "+00:00"))
    assert created - datetime.now(UTC) > timedelta(days=2)


def test_keep_upload_keeps_the_object(granted: Lab, boot: Path, tmp_path: Path) -> None:
    outcome = run_import(granted, str(boot), "--keep-upload", state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert objects(granted) == [f"vmimport/{sha256(boot)[:16]}/gpt-uefi.stream.vmdk"]


def test_a_rerun_returns_the_same_task_and_sends_nothing(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(boot), state=state)
    assert first.status == ExitStatus.OK, first.stderr
    counting = Counting()
    again = run_import(granted, str(boot), state=state, sessions=counting)
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "already imported" in again.stderr
    assert counting.count("ImportImage") == 0
    assert counting.count("UploadPart") == counting.count("PutObject") == 0
    assert counting.count("CreateMultipartUpload") == 0
    assert len(tasks(granted)) == 1


def test_no_wait_returns_once_started_and_a_rerun_waits_for_the_same_task(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    started = run_import(granted, str(boot), "--no-wait", state=state)
    assert started.status == ExitStatus.OK, started.stderr
    result = json.loads(started.stdout)
    assert result["image_id"] is None and result["import_task_id"].startswith("import-ami-")
    assert result["snapshot_ids"] == []
    assert len(objects(granted)) == 1  # the task reads it: kept until the import is finished
    finished = run_import(granted, str(boot), state=state)
    assert finished.status == ExitStatus.OK, finished.stderr
    done = json.loads(finished.stdout)
    assert done["import_task_id"] == result["import_task_id"]
    assert done["image_id"].startswith("ami-")
    assert len(tasks(granted)) == 1
    assert objects(granted) == []


def test_without_the_state_file_the_task_is_found_by_its_tags(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    started = run_import(granted, str(boot), "--no-wait", state=tmp_path / "first.sqlite")
    task_id = json.loads(started.stdout)["import_task_id"]
    counting = Counting()
    outcome = run_import(granted, str(boot), state=tmp_path / "other.sqlite", sessions=counting)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert json.loads(outcome.stdout)["import_task_id"] == task_id
    assert f"the import task {task_id} (active) carries these tags" in outcome.stderr
    assert counting.count("ImportImage") == 0
    assert counting.count("CreateMultipartUpload") == counting.count("UploadPart") == 0
    assert len(tasks(granted)) == 1
    # found before the upload: its object was not this run's, and is not deleted
    assert len(objects(granted)) == 1


def test_after_seven_days_the_ami_is_found_by_its_tags(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    first = run_import(granted, str(boot), state=tmp_path / "first.sqlite")
    image_id = json.loads(first.stdout)["image_id"]
    granted.elapse(8 * DAY)
    assert tasks(granted) == []  # the service forgot the task
    counting = Counting()
    outcome = run_import(granted, str(boot), state=tmp_path / "lost.sqlite", sessions=counting)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert json.loads(outcome.stdout)["image_id"] == image_id
    assert f"the AMI {image_id} carries these tags" in outcome.stderr
    assert counting.count("ImportImage") == counting.count("CreateMultipartUpload") == 0
    assert tasks(granted) == []
    images_found = granted.ec2.describe_images(Owners=["self"])["Images"]
    assert [image["ImageId"] for image in images_found] == [image_id]


def test_an_import_never_finished_and_forgotten_is_found_by_the_ami_named_after_its_task(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    """Started with --no-wait, never waited for: after 8 days the service no longer knows the
    task and its AMI carries no tag of ours, but the state database still knows the task id."""
    state = tmp_path / "state.sqlite"
    started = run_import(granted, str(boot), "--no-wait", state=state)
    task_id = json.loads(started.stdout)["import_task_id"]
    granted.elapse(DAY)
    (image,) = granted.ec2.describe_images(Owners=["self"])["Images"]
    assert image["Name"] == task_id and not image.get("Tags")
    granted.elapse(7 * DAY)
    assert tasks(granted) == []  # the service forgot the task
    counting = Counting()
    outcome = run_import(granted, str(boot), state=state, sessions=counting)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert (result["import_task_id"], result["image_id"]) == (task_id, image["ImageId"])
    assert f"the AMI {image['ImageId']} is named after the import task {task_id}" in outcome.stderr
    assert counting.count("ImportImage") == counting.count("UploadPart") == 0
    (tagged,) = granted.ec2.describe_images(ImageIds=[image["ImageId"]])["Images"]
    tags = {tag["Key"]: tag["Value"] for tag in tagged["Tags"]}
    assert tags["vmimport:name"] == boot.name and tags["Name"] == boot.name
    assert objects(granted) == []  # the upload, its own, deleted as the import finished


def test_a_forgotten_task_without_an_ami_is_a_failure_with_a_remedy(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    broken = disks.path("gpt-uefi.sparse.vmdk")
    started = run_import(granted, str(broken), "--skip-check", "--no-wait", state=state)
    task_id = json.loads(started.stdout)["import_task_id"]
    granted.elapse(8 * DAY)  # the task failed, then was forgotten
    outcome = run_import(granted, str(broken), "--skip-check", state=state)
    assert outcome.status == ExitStatus.PROBLEMS
    assert f"the service no longer knows {task_id}" in outcome.stderr
    assert "--retry-failed" in outcome.stderr
    assert granted.ec2.describe_images(Owners=["self"])["Images"] == []


def test_a_role_the_service_refuses_is_explained_and_a_rerun_after_setup_role_imports(
    trust_only_lab: Lab, boot: Path, tmp_path: Path
) -> None:
    """The role trusts VM Import but is allowed nothing: the check says so, --skip-check goes
    on, ImportImage is refused at the call (no task), and once setup-role has granted the
    bucket, the same command imports without sending the disk again."""
    lab = trust_only_lab
    lab.s3.create_bucket(Bucket=BUCKET)
    state = tmp_path / "state.sqlite"
    refused = run_import(lab, str(boot), "--skip-check", "--keep-upload", state=state)
    assert refused.status == ExitStatus.PROBLEMS
    assert "error role-policy-s3" in refused.stderr and "error role-policy-ec2" in refused.stderr
    assert (
        "ImportImage refused: InvalidParameter: The service role vmimport provided does not "
        "exist or does not have sufficient permissions" in refused.stderr
    )
    assert "fix: Create or repair the role" in refused.stderr
    assert tasks(lab) == [] and len(objects(lab)) == 1
    granted = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert granted.status == ExitStatus.OK, granted.stderr
    counting = Counting()
    outcome = run_import(lab, str(boot), state=state, sessions=counting)
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert counting.count("UploadPart") == counting.count("PutObject") == 0
    assert counting.count("ImportImage") == 1
    assert json.loads(outcome.stdout)["image_id"].startswith("ami-")
    assert len(tasks(lab)) == 1


def test_a_failed_import_is_explained_and_skip_check_goes_past_check_errors(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    broken = disks.path("gpt-uefi.sparse.vmdk")
    outcome = run_import(granted, str(broken), "--skip-check", state=tmp_path / "s")
    assert outcome.status == ExitStatus.PROBLEMS
    assert "vmdk-not-stream-optimized" in outcome.stderr  # shown, but it did not stop
    (task,) = tasks(granted)
    assert task["Status"] == "deleted"
    lines = outcome.stderr.splitlines()
    assert f"{task['ImportTaskId']} failed: ClientError: Unsupported VMDK File Format" in lines
    assert any(line.startswith("cause: ") for line in lines)
    assert any(line.startswith("fix: ") and "streamOptimized" in line for line in lines)
    assert outcome.stdout == ""
    again = run_import(granted, str(broken), "--skip-check", state=tmp_path / "s")
    assert again.status == ExitStatus.PROBLEMS
    assert "--retry-failed" in again.stderr
    assert len(tasks(granted)) == 1


def test_check_errors_stop_before_anything_is_uploaded(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    broken = disks.path("gpt-uefi.sparse.vmdk")
    outcome = run_import(granted, str(broken), state=tmp_path / "s")
    assert outcome.status == ExitStatus.PROBLEMS
    assert "vmimport check found vmdk-not-stream-optimized" in outcome.stderr
    assert "fix: qemu-img convert" in outcome.stderr
    # each problem once: the first is the failure's cause and fix, not repeated below them
    assert outcome.stderr.count("qemu-img convert") == 1
    assert outcome.stderr.count("is a monolithicSparse VMDK") == 1
    assert objects(granted) == [] and tasks(granted) == []
    with StateDB.open(tmp_path / "s") as db:
        (entry,) = db.entries()
        assert entry.phase is Phase.FAILED
        assert entry.last_error is not None and entry.last_error.code == "check-failed"


def test_an_os_the_image_road_refuses_stops_before_the_upload(
    granted: Lab, os_images: OsImages, tmp_path: Path
) -> None:
    """Debian 8 is read from the disk and is not among the systems ImportImage takes: the
    import stops at the check, as on any check error, with nothing uploaded or started."""
    outcome = run_import(granted, str(os_images.path("debian8")), state=tmp_path / "s")
    assert outcome.status == ExitStatus.PROBLEMS
    assert "vmimport check found os-unsupported" in outcome.stderr
    assert "Debian GNU/Linux 8 (jessie)" in outcome.stderr
    assert objects(granted) == [] and tasks(granted) == []


def test_the_quota_of_active_tasks_is_waited_for(make_lab: Any, boot: Path, tmp_path: Path) -> None:
    lab = make_lab(max_active_tasks=1)
    lab.role()
    lab.grant()
    other = lab.start("vmdk", boot.read_bytes(), key="other.vmdk")
    outcome = run_import(lab, str(boot), state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert "quota of active import tasks is reached" in outcome.stderr
    assert "ResourceCountLimitExceeded" not in outcome.stdout
    mine = json.loads(outcome.stdout)["import_task_id"]
    assert {task["ImportTaskId"] for task in tasks(lab)} == {other, mine}


def test_ctrl_c_keeps_the_state_and_a_rerun_picks_the_task_up(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    sleeps: list[float] = []

    def interrupting(seconds: float) -> None:
        sleeps.append(seconds)
        granted.clock.advance(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    stopped = vmimport(
        granted.endpoint,
        "import",
        str(boot),
        "--bucket",
        BUCKET,
        "--state",
        str(state),
        clock=granted.clock,
        sleep=interrupting,
    )
    assert stopped.status == ExitStatus.INTERRUPTED
    assert "goes on in AWS; run the same command again" in stopped.stderr
    (task,) = tasks(granted)
    assert task["Status"] == "active"
    resumed = run_import(granted, str(boot), state=state)
    assert resumed.status == ExitStatus.OK, resumed.stderr
    assert json.loads(resumed.stdout)["import_task_id"] == task["ImportTaskId"]
    assert len(tasks(granted)) == 1


def test_an_s3_disk_is_neither_uploaded_nor_deleted(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    granted.s3.put_object(Bucket=BUCKET, Key="exports/web.vmdk", Body=boot.read_bytes())
    head = granted.s3.head_object(Bucket=BUCKET, Key="exports/web.vmdk")
    counting = Counting()
    outcome = run_import(
        granted, f"s3://{BUCKET}/exports/web.vmdk", state=tmp_path / "s", sessions=counting
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["disks"] == [
        {
            "source": f"s3://{BUCKET}/exports/web.vmdk",
            "bucket": BUCKET,
            "key": "exports/web.vmdk",
            "sha256": None,
            "size": boot.stat().st_size,
        }
    ]
    assert counting.count("CreateMultipartUpload") == counting.count("DeleteObject") == 0
    assert objects(granted) == ["exports/web.vmdk"]
    (image,) = granted.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    stand_in = s3_stand_in(head["ETag"], head["ContentLength"])
    assert tags_of(image)["vmimport:sha256"] == stand_in
    assert tags_of(image)["vmimport:name"] == "web.vmdk"


def test_several_disks_are_one_image_named_by_the_sha256_of_their_sha256s(
    granted: Lab, disks: DiskFixtures, boot: Path, tmp_path: Path
) -> None:
    data = disks.path("mbr-linux.stream.vmdk")
    outcome = run_import(granted, str(boot), str(data), state=tmp_path / "s")
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert [disk["sha256"] for disk in result["disks"]] == [sha256(boot), sha256(data)]
    assert len(result["snapshot_ids"]) == 2
    (image,) = granted.ec2.describe_images(ImageIds=[result["image_id"]])["Images"]
    assert tags_of(image)["vmimport:sha256"] == combined_sha256([sha256(boot), sha256(data)])
    with StateDB.open(tmp_path / "s") as db:
        states = [disk.object.state for disk in db.disks("gpt-uefi.stream.vmdk") if disk.object]
    assert states == [ObjectState.DELETED, ObjectState.DELETED]


def test_the_state_lives_under_xdg_state_home_and_the_terminal_gets_rich_output(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    outcome = vmimport(
        granted.endpoint,
        "import",
        str(boot),
        "--bucket",
        BUCKET,
        clock=granted.clock,
        sleep=granted.clock.advance,
        tty=True,
        variables={"XDG_STATE_HOME": str(tmp_path)},
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert json.loads(outcome.stdout)["image_id"].startswith("ami-")
    assert (tmp_path / "vmimport" / "state.sqlite").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{disk}"], "--bucket: required to upload local disks"),
        (["{disk}", "--bucket", BUCKET, "--tag", "vmimport:x=1"], "is reserved"),
        (["{disk}", "--bucket", BUCKET, "--tag", "novalue"], "expected KEY=VALUE"),
        (["{disk}", "--bucket", BUCKET, "--kms-key-id", "k"], "needs encrypted"),
        (["{disk}", "--bucket", BUCKET, "--name", "no spaces"], "is not a usable name"),
        (["{spaced}", "--bucket", BUCKET], "give --name"),
        (["missing.vmdk", "--bucket", BUCKET], "no such file"),
        (["{disk}", "--bucket", BUCKET, "--boot-mode", "uefi-preferred"], "uefi-preferred"),
    ],
)
def test_usage_errors(
    granted: Lab, boot: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    spaced = tmp_path / "my disk.vmdk"
    spaced.write_bytes(images.vmdk_stream_optimized())
    words = [word.format(disk=boot, spaced=spaced) for word in argv]
    outcome = vmimport(granted.endpoint, "import", *words, "--state", str(tmp_path / "s"))
    assert outcome.status == ExitStatus.USAGE, outcome.stderr
    assert message in outcome.stderr
    assert tasks(granted) == []


def test_max_wait_leaves_the_import_running_for_a_rerun(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    stopped = run_import(granted, str(boot), "--max-wait", "600", state=state)
    assert stopped.status == ExitStatus.INCOMPLETE
    assert "(--max-wait 600); the import goes on in AWS" in stopped.stderr
    (task,) = tasks(granted)
    assert task["Status"] == "active"
    resumed = run_import(granted, str(boot), state=state)
    assert resumed.status == ExitStatus.OK, resumed.stderr
    assert json.loads(resumed.stdout)["import_task_id"] == task["ImportTaskId"]


def test_an_object_two_unfinished_imports_read_is_not_deleted_under_the_other(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    for name in ("first", "second"):
        started = run_import(granted, str(boot), "--name", name, "--no-wait", state=state)
        assert started.status == ExitStatus.OK, started.stderr
    key = f"vmimport/{sha256(boot)[:16]}/gpt-uefi.stream.vmdk"
    finished = run_import(granted, str(boot), "--name", "first", state=state)
    assert finished.status == ExitStatus.OK, finished.stderr
    assert f"kept s3://{BUCKET}/{key}: the entry second imports it too" in finished.stderr
    assert objects(granted) == [key]
    assert len(tasks(granted)) == 2


def test_other_disks_under_a_name_whose_import_runs_are_refused(
    granted: Lab, boot: Path, disks: DiskFixtures, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    started = run_import(granted, str(boot), "--name", "web", "--no-wait", state=state)
    assert started.status == ExitStatus.OK, started.stderr
    other = disks.path("mbr-linux.stream.vmdk")
    refused = run_import(granted, str(other), "--name", "web", state=state)
    assert refused.status == ExitStatus.USAGE
    assert "the import web is under way (import-ami-" in refused.stderr
    assert len(tasks(granted)) == 1


def test_other_content_under_the_same_name_is_a_new_import(
    granted: Lab, boot: Path, disks: DiskFixtures, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    disk = tmp_path / "web.vmdk"
    disk.write_bytes(boot.read_bytes())
    first = run_import(granted, str(disk), state=state)
    assert first.status == ExitStatus.OK, first.stderr
    disk.write_bytes(disks.path("mbr-linux.stream.vmdk").read_bytes())  # exported again
    second = run_import(granted, str(disk), state=state)
    assert second.status == ExitStatus.OK, second.stderr
    assert "attempt 2: the disks changed" in second.stderr
    assert json.loads(second.stdout)["image_id"] != json.loads(first.stdout)["image_id"]
    assert len(tasks(granted)) == 2
    with StateDB.open(state) as db:
        identities = [attempt.identity for attempt in db.attempts("web.vmdk")]
    assert identities == [sha256(boot), sha256(disk)]
