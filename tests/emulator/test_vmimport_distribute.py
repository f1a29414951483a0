"""``vmimport import`` with what is asked of the AMI: its name, copies, shares, flags, reruns.

The emulator runs at speed 1 on a manual clock the run's ``sleep`` turns: an
import and its copies (600 s each on the emulator's clock) take no real time.
Every assertion reads the emulator back through boto3, Region by Region.
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.distribution import ImageRole, ImageState
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.emulator.test_vmimport_import import run_import as import_on
from tests.emulator.test_vmimport_import import tags_of
from tests.support.children import kill_when, start_module
from tests.support.diskfixtures import DiskFixtures
from tests.support.vmimport_run import Counting, child_environ, vmimport

WEST = "us-west-2"
EU = "eu-west-1"
ACCOUNT = "111122223333"
OTHER = "444455556666"
ORGANIZATION = "arn:aws:organizations::123456789012:organization/o-abcdefghij"
WEB = ("--ami-name", "web-1", "--copy-to-region", WEST, "--copy-to-region", EU)


#: the emulator, in a thread of this process, reads moto's settings from the environment the
#: run scopes (docs/architecture.md): a Region's backend made during a run must not load
#: moto's built-in AMIs either
MOTO = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@pytest.fixture
def boot(disks: DiskFixtures) -> Path:
    return disks.path("gpt-uefi.stream.vmdk")


def run_import(lab: Lab, *argv: str, state: Path, **options: Any) -> Any:
    return import_on(lab, *argv, state=state, variables=MOTO, **options)


def own_images(lab: Lab, region: str, name: str | None = None) -> list[dict[str, Any]]:
    """This account's AMIs in the Region (of one import's name)."""
    filters = [] if name is None else [{"Name": "tag:vmimport:name", "Values": [name]}]
    reply = lab.client("ec2", region).describe_images(Owners=["self"], Filters=filters)
    return list(reply["Images"])


def launch(lab: Lab, region: str, image_id: str) -> list[dict[str, str]]:
    reply = lab.client("ec2", region).describe_image_attribute(
        ImageId=image_id, Attribute="launchPermission"
    )
    return list(reply["LaunchPermissions"])


def volume_permissions(lab: Lab, region: str, snapshot_id: str) -> list[dict[str, str]]:
    reply = lab.client("ec2", region).describe_snapshot_attribute(
        SnapshotId=snapshot_id, Attribute="createVolumePermission"
    )
    return list(reply["CreateVolumePermissions"])


def snapshots_of(image: dict[str, Any]) -> list[str]:
    return [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]


def parse(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_named_copied_shared_and_deprecated_one_ami_per_region(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    outcome = run_import(
        granted,
        str(boot),
        "--name",
        "web-1",
        *WEB,
        "--share-with",
        ACCOUNT,
        "--deprecate-after",
        "90",
        state=state,
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    assert set(result["images"]) == {REGION, WEST, EU}
    assert result["image_id"] == result["images"][REGION]
    assert result["shared"] == [ACCOUNT]
    with StateDB.open(state) as db:
        owner = db.owner_id()
        rows = {(row.region, row.role): row for row in db.region_images("web-1")}
    original = rows[(REGION, ImageRole.ORIGINAL)]
    assert original.state is ImageState.DEREGISTERED and original.image_id
    assert rows[(REGION, ImageRole.NAMED)].image_id == result["image_id"]
    imported_at = None
    for region in (REGION, WEST, EU):
        (image,) = own_images(granted, region)  # one AMI per Region, nothing else
        assert image["ImageId"] == result["images"][region]
        assert image["Name"] == "web-1" and image["State"] == "available"
        tags = tags_of(image)
        assert tags["vmimport:name"] == tags["Name"] == "web-1"
        assert tags["vmimport:owner"] == owner
        imported_at = imported_at or tags["vmimport:imported-at"]
        assert tags["vmimport:imported-at"] == imported_at  # the import's time, not the copy's
        assert launch(granted, region, image["ImageId"]) == [{"UserId": ACCOUNT}]
        for snapshot_id in snapshots_of(image):
            assert volume_permissions(granted, region, snapshot_id) == [{"UserId": ACCOUNT}]
            (snapshot,) = granted.client("ec2", region).describe_snapshots(
                SnapshotIds=[snapshot_id]
            )["Snapshots"]
            assert tags_of(snapshot)["vmimport:sha256"] == tags["vmimport:sha256"]
        assert imported_at is not None
        deprecation = parse(image["DeprecationTime"])
        expected = parse(imported_at) + datetime.timedelta(days=90)
        assert abs((deprecation - expected).total_seconds()) <= 30  # rounded to the minute
    names = [image["Name"] for image in own_images(granted, REGION)]
    assert not any(name.startswith("import-ami-") for name in names)
    # the original's snapshots went with it
    snaps = granted.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert sorted(s["SnapshotId"] for s in snaps) == sorted(result["snapshot_ids"])
    for line in (f"{WEST}: copying", f"{EU}: shared", "is deprecated at", "deregistered"):
        assert line in outcome.stderr


def test_a_rerun_changes_nothing_and_one_with_more_applies_it_without_importing(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(boot), *WEB, "--share-with", ACCOUNT, state=state)
    assert first.status == ExitStatus.OK, first.stderr
    counting = Counting()
    again = run_import(granted, str(boot), *WEB, state=state, sessions=counting)
    assert again.status == ExitStatus.OK, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)  # the share is not revoked
    for call in ("ImportImage", "CopyImage", "ModifyImageAttribute", "CreateTags"):
        assert counting.count(call) == 0, call
    assert "change(s) made" not in again.stderr

    counting = Counting()
    more = run_import(
        granted,
        str(boot),
        *WEB,
        "--copy-to-region",
        "ap-southeast-2",
        "--share-with",
        OTHER,
        "--unshare",
        ACCOUNT,
        "--deregistration-protection",
        state=state,
        sessions=counting,
    )
    assert more.status == ExitStatus.OK, more.stderr
    assert counting.count("ImportImage") == 0 and counting.count("UploadPart") == 0
    assert counting.count("CopyImage") == 1
    result = json.loads(more.stdout)
    assert set(result["images"]) == {REGION, WEST, EU, "ap-southeast-2"}
    assert result["shared"] == [OTHER]
    for region, image_id in result["images"].items():
        assert launch(granted, region, image_id) == [{"UserId": OTHER}]
        (image,) = own_images(granted, region)
        assert image["DeregistrationProtection"].startswith("enabled")
    assert f"ap-southeast-2: copying {result['image_id']}" in more.stderr
    assert f"{ACCOUNT} can no longer launch" in more.stderr
    assert "change(s) made" in more.stderr


def test_organizations_launch_and_cannot_copy_and_imds_v2_is_set(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    outcome = run_import(
        granted,
        str(boot),
        "--copy-to-region",
        WEST,
        "--share-with",
        ORGANIZATION,
        "--imds-v2",
        state=tmp_path / "s",
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    result = json.loads(outcome.stdout)
    for region in (REGION, WEST):
        image_id = result["images"][region]
        assert launch(granted, region, image_id) == [{"OrganizationArn": ORGANIZATION}]
        (image,) = own_images(granted, region)
        assert image["ImdsSupport"] == "v2.0"
        assert image["Name"].startswith("import-ami-")  # no --ami-name: the import's name
        for snapshot_id in snapshots_of(image):
            assert volume_permissions(granted, region, snapshot_id) == []
    assert "it can launch the AMI, not copy it" in outcome.stderr


def test_an_ami_under_aws_ebs_is_not_shared_and_the_fix_is_said(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    outcome = run_import(
        granted,
        str(boot),
        "--encrypted",
        "--copy-to-region",
        WEST,
        "--share-with",
        ACCOUNT,
        state=state,
    )
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    assert "aws/ebs" in outcome.stderr and "--copy-kms-key" in outcome.stderr
    for region in (REGION, WEST):
        (image,) = own_images(granted, region)
        assert launch(granted, region, image["ImageId"]) == []
    # the fix: the copies re-encrypted under customer managed keys, the originals removed
    keys = {
        region: granted.client("kms", region).create_key()["KeyMetadata"]["Arn"]
        for region in (REGION, WEST)
    }
    (old_west,) = own_images(granted, WEST)
    granted.client("ec2", WEST).deregister_image(ImageId=old_west["ImageId"])
    fixed = run_import(
        granted,
        str(boot),
        "--encrypted",
        "--ami-name",
        "web-1",
        "--copy-to-region",
        WEST,
        "--copy-kms-key",
        f"{REGION}={keys[REGION]}",
        "--copy-kms-key",
        f"{WEST}={keys[WEST]}",
        "--share-with",
        ACCOUNT,
        state=state,
    )
    assert fixed.status == ExitStatus.OK, fixed.stderr
    with StateDB.open(state) as db:
        assert db.entry(boot.name).last_error is None  # what the first run could not do is done
    result = json.loads(fixed.stdout)
    for region in (REGION, WEST):
        (image,) = own_images(granted, region)
        assert image["ImageId"] == result["images"][region]
        assert launch(granted, region, image["ImageId"]) == [{"UserId": ACCOUNT}]
        snapshots = granted.client("ec2", region).describe_snapshots(
            SnapshotIds=snapshots_of(image)
        )["Snapshots"]
        assert {snapshot["KmsKeyId"] for snapshot in snapshots} == {keys[region]}


def test_a_crash_between_the_copy_and_the_deregistration_is_finished_on_the_rerun(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    """Two AMIs carry the import's identity (the named copy made, the original not yet
    deregistered): the rerun keeps the named one and removes the other, snapshots too."""
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(boot), "--name", "web-1", state=state)
    assert first.status == ExitStatus.OK, first.stderr
    original = json.loads(first.stdout)["image_id"]
    (image,) = own_images(granted, REGION)
    tags = [{"Key": k, "Value": v} for k, v in tags_of(image).items()]
    named = granted.ec2.copy_image(
        SourceImageId=original,
        SourceRegion=REGION,
        Name="web-1",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": tags},
            {"ResourceType": "snapshot", "Tags": tags},
        ],
    )["ImageId"]
    granted.elapse(900)
    assert len(own_images(granted, REGION)) == 2
    counting = Counting()
    rerun = run_import(
        granted, str(boot), "--name", "web-1", "--ami-name", "web-1", state=state, sessions=counting
    )
    assert rerun.status == ExitStatus.OK, rerun.stderr
    assert counting.count("CopyImage") == 0
    assert json.loads(rerun.stdout)["image_id"] == named
    (kept,) = own_images(granted, REGION)
    assert kept["ImageId"] == named
    assert f"deregistered {original}" in rerun.stderr
    snaps = granted.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert sorted(s["SnapshotId"] for s in snaps) == sorted(snapshots_of(kept))


def test_a_recorded_ami_that_is_gone_is_imported_again(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(boot), state=state)
    assert first.status == ExitStatus.OK, first.stderr
    dead = json.loads(first.stdout)["image_id"]
    granted.ec2.deregister_image(ImageId=dead, DeleteAssociatedSnapshots=True)
    rerun = run_import(granted, str(boot), state=state)
    assert rerun.status == ExitStatus.OK, rerun.stderr
    alive = json.loads(rerun.stdout)["image_id"]
    assert alive != dead
    assert f"attempt 2: its AMI {dead} no longer exists" in rerun.stderr
    assert [image["ImageId"] for image in own_images(granted, REGION)] == [alive]


def test_bad_values_are_usage_errors_before_anything_is_sent(
    granted: Lab, boot: Path, tmp_path: Path
) -> None:
    cases = [
        (("--ami-name", "x"), "--ami-name: 'x' cannot name an AMI"),
        (("--share-with", "all"), "never does"),
        (("--share-with", "o-abcdefghij"), "give the ARN"),
        (("--copy-to-region", "moon"), "is not a Region name"),
        (("--deprecate-after", "0"), "from 1 to 3650"),
        (("--deprecate-after", "3", "--deprecate-at", "2030-01-01"), "deprecate_after"),
        (("--copy-kms-key", f"{WEST}=k"), f"{WEST}: no copy is made there"),
        (
            (
                "--copy-kms-key",
                f"{WEST}=arn:aws:kms:{EU}:123456789012:key/x",
                "--copy-to-region",
                WEST,
            ),
            "the key is in",
        ),
        (("--share-with", ACCOUNT, "--unshare", ACCOUNT), "both shared and unshared"),
    ]
    counting = Counting()
    for argv, message in cases:
        outcome = run_import(granted, str(boot), *argv, state=tmp_path / "s", sessions=counting)
        assert outcome.status == ExitStatus.USAGE, (argv, outcome.stderr)
        assert message in outcome.stderr, (argv, outcome.stderr)
    assert counting.calls == {}
    assert BUCKET


#: an import of half an hour takes half a second, a copy a sixth of one
SPEED = 3600.0


def test_killed_during_the_copies_a_rerun_gives_the_same_amis_and_no_more(
    make_lab: Any, disks: DiskFixtures, tmp_path: Path
) -> None:
    """A real child process, killed with SIGKILL while its second copy to another Region is
    about to be sent (the named copy and one cross-Region copy answered; the original not yet
    deregistered): the rerun finishes with one AMI per Region, those made before the kill."""
    lab: Lab = make_lab(clock=time.monotonic, speed=SPEED)
    lab.role()
    lab.grant()
    for region in (WEST, EU):
        lab.client("ec2", region).describe_images(Owners=["self"])  # the backends, made here
    state = tmp_path / "state.sqlite"
    argv = [
        "import",
        str(disks.path("gpt-uefi.stream.vmdk")),
        "--name",
        "web-1",
        "--bucket",
        BUCKET,
        "--state",
        str(state),
        "--poll-interval",
        "0.2",
        *WEB,
        "--share-with",
        ACCOUNT,
        "--deprecate-after",
        "90",
    ]
    child = start_module(
        "tests.support.gated_child",
        [lab.endpoint, "CopyImage", "2", *argv],
        environ=child_environ(),
    )
    lines = kill_when(child, lambda seen: "blocked" in seen)
    assert lines[-1] == "blocked" and "answered CopyImage 2" in lines, lines
    before = {region: own_images(lab, region) for region in (REGION, WEST, EU)}
    assert len(before[REGION]) == 2  # the original and its named copy
    (named,) = [image for image in before[REGION] if image["Name"] == "web-1"]
    copied = {region: images for region, images in before.items() if region != REGION}
    assert sorted(len(images) for images in copied.values()) == [0, 1]

    counting = Counting()
    rerun = vmimport(lab.endpoint, *argv, variables=MOTO, sessions=counting)
    assert rerun.status == ExitStatus.OK, rerun.stderr
    assert counting.count("ImportImage") == counting.count("UploadPart") == 0
    assert counting.count("CopyImage") == 1  # only the Region not copied to yet
    result = json.loads(rerun.stdout)
    assert result["image_id"] == named["ImageId"]
    for region in (REGION, WEST, EU):
        (image,) = own_images(lab, region)
        assert image["Name"] == "web-1" and image["ImageId"] == result["images"][region]
        assert launch(lab, region, image["ImageId"]) == [{"UserId": ACCOUNT}]
        assert "DeprecationTime" in image
    for region, images in copied.items():
        if images:
            assert result["images"][region] == images[0]["ImageId"]  # the copy made before
    # a third run has nothing to do
    counting = Counting()
    third = vmimport(lab.endpoint, *argv, variables=MOTO, sessions=counting)
    assert third.status == ExitStatus.OK, third.stderr
    assert json.loads(third.stdout) == result
    assert counting.count("CopyImage") == counting.count("DeregisterImage") == 0


def test_a_batch_manifest_distributes_and_shows_its_steps(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("web-1", "db-1"):
        (exports / f"{name}.vmdk").write_bytes(disks.path("gpt-uefi.stream.vmdk").read_bytes())
    with (exports / "db-1.vmdk").open("ab") as extended:  # another content, another identity
        extended.write(b"\0" * 512)
    manifest = tmp_path / "vms.yaml"
    manifest.write_text(
        "defaults:\n"
        f"  bucket: {BUCKET}\n"
        f"  copy_to_region: [{WEST}]\n"
        "  share_with: ['111122223333']\n"
        "entries:\n"
        "  - name: web-1\n"
        "    disks: [exports/web-1.vmdk]\n"
        "    ami_name: web-1 (2024)\n"
        "    deprecate_at: 2031-01-01\n"
        "  - name: db-1\n"
        "    disks: [exports/db-1.vmdk]\n"
        f"    copy_to_region: {WEST};{EU}\n"
        "    imds_v2: true\n"
    )
    base = ("batch", str(manifest), "--poll-interval", "5")

    def batch(*argv: str) -> Any:
        return vmimport(
            granted.endpoint,
            *base,
            *argv,
            clock=granted.clock,
            sleep=granted.clock.advance,
            variables=MOTO,
        )

    planned = batch("--dry-run", "--json")
    assert planned.status == ExitStatus.OK, planned.stderr
    steps = [(s["entry"], s["action"], s["detail"]) for s in json.loads(planned.stdout)]
    assert ("web-1", "name", f"{REGION}: name it 'web-1 (2024)'") in steps
    assert ("db-1", "copy", f"{EU}: copy from {REGION}") in steps
    assert ("web-1", "deprecate", f"{WEST}: deprecate at 2031-01-01T00:00:00Z") in steps
    assert ("db-1", "share", f"{WEST}: share with account {ACCOUNT}") in steps

    ran = batch()
    assert ran.status == ExitStatus.OK, ran.stderr
    rows = {
        row["entry"]: row
        for row in json.loads((tmp_path / "vms.yaml.results.json").read_text())["entries"]
    }
    assert set(rows["web-1"]["images"]) == {REGION, WEST}
    assert set(rows["db-1"]["images"]) == {REGION, WEST, EU}
    assert rows["db-1"]["shared"] == [ACCOUNT]
    assert rows["web-1"]["image_id"] == rows["web-1"]["images"][REGION]
    (web,) = own_images(granted, REGION, "web-1")
    assert web["Name"] == "web-1 (2024)" and web["DeprecationTime"].startswith("2031-01-01")
    for region in (REGION, WEST, EU):
        (db,) = own_images(granted, region, "db-1")
        assert db["ImdsSupport"] == "v2.0"
    csv_text = (tmp_path / "vms.yaml.results.csv").read_text()
    header = csv_text.splitlines()[0].split(",")
    # columns are appended (version 2: via; 3: via_reason, snapshot_tasks)
    assert header[-5:] == ["images", "shared", "via", "via_reason", "snapshot_tasks"]
    assert f"{EU}={rows['db-1']['images'][EU]}" in csv_text

    status = batch("--status", "--json")
    assert status.status == ExitStatus.OK, status.stderr
    found = {row["entry"]: row for row in json.loads(status.stdout)}
    assert found["db-1"]["distribution"]["planned"] == []
    assert any(line.startswith(f"{EU}: copy ") for line in found["db-1"]["distribution"]["done"])
    assert found["db-1"]["images"] == rows["db-1"]["images"]
    again = batch("--dry-run")
    assert again.status == ExitStatus.OK
    assert "copy" not in again.stdout and "share" not in again.stdout


class Throttled:
    """A session factory whose clients have the service throttle the first polls of each copy
    (DescribeImages of one AMI id, once a CopyImage was answered), before any is sent."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.copied = False

    def _copied(self, **_: Any) -> None:
        self.copied = True

    def _poll(self, **event: Any) -> None:
        from botocore.exceptions import ClientError

        if self.copied and event["params"].get("ImageIds") and self.failures > 0:
            self.failures -= 1
            reply: Any = {
                "Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."},
                "ResponseMetadata": {"HTTPStatusCode": 503},
            }
            raise ClientError(reply, "DescribeImages")

    def __call__(self, options: Any, env: Any) -> Any:
        from ec2_import_image.awsconfig.session import full_session
        from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        session.register("after-call.ec2.CopyImage", self._copied)
        session.register("before-parameter-build.ec2.DescribeImages", self._poll)
        return session


def test_failed_polls_of_the_copies_are_borne(granted: Lab, boot: Path, tmp_path: Path) -> None:
    throttled = Throttled(failures=3)
    outcome = run_import(
        granted, str(boot), "--copy-to-region", WEST, state=tmp_path / "s", sessions=throttled
    )
    assert outcome.status == ExitStatus.OK, outcome.stderr
    assert throttled.failures == 0
    assert "RequestLimitExceeded" in outcome.stderr
    assert "polling works again after" in outcome.stderr
    assert set(json.loads(outcome.stdout)["images"]) == {REGION, WEST}
    # and past --max-transient-seconds, the run stops (exit 3): a rerun continues
    stopped = run_import(
        granted,
        str(boot),
        "--copy-to-region",
        EU,
        "--max-transient-seconds",
        "5",
        state=tmp_path / "s",
        sessions=Throttled(failures=1000),
    )
    assert stopped.status == ExitStatus.INCOMPLETE, stopped.stderr
    assert "--max-transient-seconds 5" in stopped.stderr
    again = run_import(granted, str(boot), "--copy-to-region", EU, state=tmp_path / "s")
    assert again.status == ExitStatus.OK, again.stderr
    assert set(json.loads(again.stdout)["images"]) == {REGION, WEST, EU}
    assert len(own_images(granted, EU)) == 1  # the copy the stopped run made, not a second
