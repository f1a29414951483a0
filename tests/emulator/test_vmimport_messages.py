"""What ``vmimport`` says against the emulator, for scripts and for people pasting its fixes:
explain's statuses, the JSON of a failed import, fix lines that work when pasted, the role a
Deny blocks, refused credentials, options a rerun does not apply, one set of names."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ec2_import_emulator import lifecycle
from ec2_import_emulator import samples as images
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport.context import GlobalOptions
from ec2_import_image.vmimport.errors import ExitStatus
from tests.emulator.conftest import BUCKET, REGION, Lab
from tests.emulator.test_vmimport_import import run_import
from tests.support.diskfixtures import DiskFixtures
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET
from tests.support.vmimport_run import NO_FILES, vmimport

BASH = shutil.which("bash")
SPARSE = "mbr-linux.sparse.vmdk"
STREAM = "gpt-uefi.stream.vmdk"


# -- explain -----------------------------------------------------------------------------------


def test_a_malformed_task_id_is_a_usage_error_without_the_seven_day_hint(lab: Lab) -> None:
    outcome = vmimport(lab.endpoint, "explain", "foo")
    assert outcome.status == ExitStatus.USAGE
    assert outcome.stderr == (
        "vmimport: error: The import task ID 'foo' is malformed (an import task id is "
        "import-ami- or import-snap- and hexadecimal digits)\n"
    )
    assert "7 days" not in outcome.stderr


def test_known_tasks_are_explained_when_another_id_is_unknown(lab: Lab) -> None:
    failed = lab.start("VMDK", images.vmdk_monolithic_sparse(), "disk.vmdk")
    lab.elapse(lifecycle.COMPLETED_AT)
    gone = "import-ami-0123456789abcdef0"
    outcome = vmimport(lab.endpoint, "explain", failed, gone)
    assert outcome.status == ExitStatus.INCOMPLETE
    assert f"{failed}: deleted" in outcome.stdout and "fix: Export the VM as OVA" in outcome.stdout
    (line,) = outcome.stderr.splitlines()
    assert line.startswith(f"vmimport: error: The import task ID '{gone}' does not exist")
    assert "keeps a task for 7 days" in line
    as_json = vmimport(lab.endpoint, "explain", "--json", gone, failed, "foo")
    assert as_json.status == ExitStatus.USAGE  # a malformed id among them: usage, said last
    document = json.loads(as_json.stdout)
    assert [task["task_id"] for task in document["tasks"]] == [failed]
    assert [(item["task_id"], item["reason"]) for item in document["unknown"]] == [
        (gone, "not-found"),
        ("foo", "malformed"),
    ]
    assert "'foo' is malformed" in as_json.stderr and f"'{gone}' does not exist" in as_json.stderr


# -- a failed import, for a script ---------------------------------------------------------------


def test_a_failed_import_prints_json_with_the_results_names_and_says_what_it_keeps(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    broken = disks.path(SPARSE)
    argv = ["--json", "--region", REGION, "--skip-check", str(broken)]
    outcome = run_import(granted, *argv, state=tmp_path / "s")
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    document = json.loads(outcome.stdout)
    assert document["status"] == "failed" and document["image_id"] is None
    assert document["import_task_id"].startswith("import-ami-")
    assert document["error_code"] == "import-failed"
    assert document["message"] == (
        f"{document['import_task_id']} failed: ClientError: Unsupported VMDK File Format"
    )
    assert "stream-optimized" in document["cause"] and "streamOptimized" in document["remedy"]
    # the table's remedy is general; the check of these disks and this account is a command
    assert (
        f"check the disks and the account: vmimport check {broken} --bucket {BUCKET} "
        f"--region {REGION} --endpoint-url {granted.endpoint}\n"
    ) in outcome.stderr
    (disk,) = document["disks"]
    key = disk["key"]
    assert disk["bucket"] == BUCKET and key.endswith(f"/{SPARSE}")
    # the upload is kept for the retry, and the command that deletes it works where it runs
    kept = granted.s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [item["Key"] for item in kept] == [key]
    assert f"kept for a retry (--retry-failed uploads nothing again): s3://{BUCKET}/{key}" in (
        outcome.stderr
    )
    assert (
        f"to delete it: aws s3 rm s3://{BUCKET}/{key} --region {REGION} "
        f"--endpoint-url {granted.endpoint}\n"
    ) in outcome.stderr


def test_an_import_found_by_its_tags_has_no_empty_bucket_or_key(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    boot = disks.path(STREAM)
    first = run_import(granted, str(boot), state=tmp_path / "first.sqlite")
    assert first.status == ExitStatus.OK, first.stderr
    found = run_import(granted, str(boot), state=tmp_path / "other.sqlite")
    assert found.status == ExitStatus.OK, found.stderr
    assert "carries these tags" in found.stderr
    (disk,) = json.loads(found.stdout)["disks"]
    assert (disk["bucket"], disk["key"]) == (None, None)
    assert disk["source"] == str(boot)


# -- reruns with other options ------------------------------------------------------------------


def test_a_rerun_with_other_options_says_which_differ_and_applies_nothing(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    boot = disks.path(STREAM)
    state = tmp_path / "state.sqlite"
    first = run_import(granted, str(boot), "--tag", "env=dev", state=state)
    assert first.status == ExitStatus.OK, first.stderr
    image_id = json.loads(first.stdout)["image_id"]
    argv = ["--tag", "env=prod", "--tag", "team=db", "--description", "the db"]
    for _ in range(2):  # the second rerun is compared with the import made, not with the first
        again = run_import(granted, str(boot), *argv, state=state)
        assert again.status == ExitStatus.OK, again.stderr
        assert f"already imported: {image_id}" in again.stderr
        assert (
            "these options differ from that import's, and are not applied to it: --description "
            "the db (was none); --tag env=prod, team=db (was env=dev)"
        ) in again.stderr
        assert "give another --name" in again.stderr
    (image,) = granted.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert {tag["Key"]: tag["Value"] for tag in image["Tags"]}["env"] == "dev"
    same = run_import(granted, str(boot), "--tag", "env=dev", state=state)
    assert "differ" not in same.stderr


# -- one set of names ---------------------------------------------------------------------------


def test_batch_status_json_uses_the_results_files_names(
    granted: Lab, disks: DiskFixtures, tmp_path: Path
) -> None:
    shutil.copyfile(disks.path(STREAM), tmp_path / "web.vmdk")
    manifest = tmp_path / "vms.yaml"
    manifest.write_text(
        f"defaults: {{bucket: {BUCKET}}}\nentries:\n"
        "  - {name: web, disks: [web.vmdk]}\n  - {name: db, disks: [web.vmdk]}\n"
    )
    done = vmimport(
        granted.endpoint,
        "batch",
        str(manifest),
        "--only",
        "web",
        clock=granted.clock,
        sleep=granted.clock.advance,
    )
    assert done.status == ExitStatus.OK, done.stderr
    status = vmimport(granted.endpoint, "batch", str(manifest), "--status", "--json")
    web, db = json.loads(status.stdout)
    results = json.loads((tmp_path / "vms.yaml.results.json").read_text())["entries"][0]
    assert set(web) == {*results, "updated", "distribution"}
    assert {key: web[key] for key in results} == results
    assert "AMI" not in web and "task" not in web
    assert (db["entry"], db["status"], db["phase"], db["image_id"]) == (
        "db",
        "pending",
        "pending",
        None,
    )
    text = vmimport(granted.endpoint, "batch", str(manifest), "--status").stdout
    assert text.splitlines()[0].split() == [
        "entry",
        "phase",
        "attempt",
        "via",
        "task",
        "AMI",
        "updated",
        "error",
        "note",
    ]


# -- fix lines that work when pasted ------------------------------------------------------------


def _ova(folder: Path, member: str, disk: Path) -> Path:
    """An OVA whose one disk is ``member`` (its name as the user's hypervisor wrote it)."""
    size = disk.stat().st_size
    ovf = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" '
        'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">\n'
        f'  <References><File ovf:href="{member}" ovf:id="file1" ovf:size="{size}"/>'
        "</References>\n"
        '  <DiskSection><Info>disks</Info><Disk ovf:capacity="64" ovf:diskId="d1" '
        'ovf:fileRef="file1"/></DiskSection>\n'
        '  <VirtualSystem ovf:id="vm"><Info>vm</Info></VirtualSystem>\n'
        "</Envelope>\n"
    ).encode()
    path = folder / "web vm.ova"
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo("vm.ovf")
        info.size = len(ovf)
        archive.addfile(info, io.BytesIO(ovf))
        archive.add(disk, arcname=member)
    return path


def _pasted(line: str, folder: Path) -> str:
    """``line`` typed into an interactive bash (history expansion on, as in a terminal), with
    ``qemu-img`` a function that records its arguments; answers what bash printed."""
    recorder = 'qemu-img() { printf "qemu-img"; printf " [%s]" "$@"; printf "\\n"; }'
    script = f"{recorder}\ncd {folder}\n{line}\nexit\n"
    done = subprocess.run(
        [str(BASH), "--norc", "--noprofile", "-i"],
        input=script,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HISTFILE": "/dev/null", "HOME": str(folder)},
        timeout=60,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.mark.skipif(BASH is None, reason="no bash")
def test_a_fix_for_a_disk_inside_an_ova_extracts_it_first_and_survives_history_expansion(
    disks: DiskFixtures, tmp_path: Path
) -> None:
    member = "disk!1.vmdk"
    ova = _ova(tmp_path, member, disks.path(SPARSE))
    outcome = vmimport("http://127.0.0.1:9", "check", "--json", str(ova))
    assert outcome.status == ExitStatus.PROBLEMS, outcome.stderr
    problems = json.loads(outcome.stdout)["problems"]
    (fix,) = [p["remedy"] for p in problems if p["code"] == "vmdk-not-stream-optimized"]
    assert fix == (
        f"tar -xf '{ova}' 'disk!1.vmdk' && qemu-img convert -O vmdk -o "
        "subformat=streamOptimized 'disk!1.vmdk' out.vmdk"
    )
    work = tmp_path / "paste"
    work.mkdir()
    printed = _pasted(fix, work)
    assert "event not found" not in printed
    assert "qemu-img [convert] [-O] [vmdk] [-o] [subformat=streamOptimized] [disk!1.vmdk] " in (
        printed
    )
    assert (work / member).read_bytes() == disks.path(SPARSE).read_bytes()


@pytest.fixture
def subprocess_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_CONFIG_FILE": str(NO_FILES / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(NO_FILES / "credentials"),
    }


@pytest.mark.skipif(BASH is None, reason="no bash")
def test_an_account_fix_carries_the_runs_region_and_endpoint_and_works_when_pasted(
    make_lab: Callable[..., Lab], tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    lab = make_lab()
    lab.upload(images.raw_mbr(), "web.raw")
    outcome = vmimport(
        lab.endpoint, "--region", REGION, "check", "--json", f"s3://{BUCKET}/web.raw"
    )
    assert outcome.status == ExitStatus.PROBLEMS
    (missing,) = [p for p in json.loads(outcome.stdout)["problems"] if p["code"] == "role-missing"]
    fix = missing["remedy"].removeprefix("Create it: ")
    assert fix == (
        f"vmimport setup-role --bucket {BUCKET} --region {REGION} --endpoint-url {lab.endpoint}"
    )
    pasted = subprocess.run(
        [str(BASH), "-c", fix], capture_output=True, text=True, env=subprocess_env, check=False
    )
    assert pasted.returncode == 0, pasted.stderr
    after = vmimport(lab.endpoint, "--region", REGION, "check", f"s3://{BUCKET}/web.raw")
    assert after.status == ExitStatus.OK, after.stdout


def test_bucket_and_key_fixes_carry_the_runs_options(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    lab.role()
    outcome = vmimport(
        lab.endpoint, "check", "--json", "--region", REGION, "s3://no-such-bucket/d.raw"
    )
    (missing,) = [p for p in json.loads(outcome.stdout)["problems"] if p["source"].startswith("s3")]
    assert missing["remedy"].endswith(
        f"aws s3 mb s3://no-such-bucket --region {REGION} --endpoint-url {lab.endpoint}"
    )


# -- the role a Deny blocks ---------------------------------------------------------------------


def test_setup_role_names_the_deny_that_blocks_the_role_and_never_calls_it_set_up(
    make_lab: Callable[..., Lab],
) -> None:
    lab = make_lab()
    first = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert first.status == ExitStatus.OK, first.stdout
    deny = {"Sid": "NoAmis", "Effect": "Deny", "Action": "ec2:RegisterImage", "Resource": "*"}
    lab.iam.put_role_policy(
        RoleName="vmimport",
        PolicyName="guard",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    outcome = vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET)
    assert outcome.status == ExitStatus.PROBLEMS
    assert "already set up" not in outcome.stdout
    assert (
        "Nothing setup-role can change, yet the role is not set up: a Deny outside its policy "
        "vmimport-access blocks it (setup-role changes only that policy, and does not remove a "
        "Deny it did not write):\n"
        "  inline policy guard statement 1 (NoAmis) denies ec2:RegisterImage on "
        "arn:aws:ec2:us-east-1:*\n"
    ) in outcome.stdout
    as_json = json.loads(vmimport(lab.endpoint, "setup-role", "--bucket", BUCKET, "--json").stdout)
    assert as_json["blocked_by"] == [
        {
            "statement": "inline policy guard statement 1 (NoAmis)",
            "action": "ec2:RegisterImage",
            "resource": "arn:aws:ec2:us-east-1:*",
        }
    ]


# -- refused credentials ------------------------------------------------------------------------


class Enforced(NamedTuple):
    lab: Lab
    #: the access key of an IAM user allowed nothing
    reader: dict[str, str]


@pytest.fixture
def enforced(lab: Lab) -> Iterator[Enforced]:
    """The emulator with moto's authentication on: only keys moto's IAM made are valid (one,
    of a user allowed nothing, is made before)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    lab.upload(images.raw_mbr(), "web.raw")
    lab.iam.create_user(UserName="reader")
    key = lab.iam.create_access_key(UserName="reader")["AccessKey"]
    reader = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    try:
        yield Enforced(lab, reader)
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = before


def test_refused_credentials_are_said_the_same_way_by_check_and_the_other_commands(
    enforced: Enforced,
) -> None:
    said: dict[str, Any] = {}
    for command in (["check", f"s3://{BUCKET}/web.raw"], ["setup-role", "--bucket", BUCKET]):
        outcome = vmimport(enforced.lab.endpoint, *command)
        assert outcome.status == ExitStatus.INCOMPLETE
        said[command[0]] = outcome.stderr
    assert said["check"] == said["setup-role"]
    assert said["check"].startswith(
        "vmimport: error: the AWS credentials are not valid (GetCallerIdentity failed: "
        "InvalidClientTokenId: The security token included in the request is invalid)"
    )
    assert "403" not in said["check"]


def test_a_caller_denied_the_object_is_told_apart_from_refused_credentials(
    enforced: Enforced,
) -> None:
    from ec2_import_image.awsconfig.session import full_session

    def as_reader(options: GlobalOptions, env: Environment) -> Any:
        session = full_session(profile=None, region=REGION, environ=env.environ)
        session.set_credentials(enforced.reader["id"], enforced.reader["secret"])
        return session

    url = f"s3://{BUCKET}/web.raw"
    outcome = vmimport(enforced.lab.endpoint, "check", url, sessions=as_reader)
    assert outcome.status == ExitStatus.INCOMPLETE
    assert outcome.stderr == (
        f"vmimport: error: reading s3://{BUCKET}/web.raw was refused (HeadObject: 403 Forbidden) "
        "for arn:aws:iam::123456789012:user/reader: it needs s3:GetObject on the object (and "
        "kms:Decrypt on its key, if it has one), not denied by the bucket policy\n"
    )
