#!/usr/bin/env python3
"""The main job end to end on one machine: import a VM image into an AMI, offline.

``make demo`` runs this with the project's virtual environment:

1. start the VM Import emulator on a free loopback port;
2. create an S3 bucket (boto3) and the ``vmimport`` service role (``vmimport setup-role``);
3. write a small, valid OVA (an OVF descriptor and a stream-optimized VMDK with a GPT and an
   EFI system partition) and a broken disk, and ``vmimport check`` both before anything is
   uploaded;
4. upload the OVA and ``vmimport check`` it on S3, with the account;
5. run ``aws ec2 import-image ... --wait`` through the drop-in, which waits with progress
   and prints the new AMI's id;
6. show the AMI with a DescribeImages call against the same endpoint, and whether it could boot
   (the emulator's own view, ``GET /emulator/images/{ami-id}``);
7. ``vmimport import`` the same OVA from its file: check, upload, import, wait, tag the AMI
   and its snapshots, delete the upload; run again, it returns the same AMI and sends nothing;
   run again with ``--ami-name``, ``--copy-to-region``, ``--share-with`` and
   ``--deprecate-after``: the same AMI named, copied and shared, nothing imported again; then
   ``vmimport gc``'s plan (a dry run) for it;
   beside it, the direct road: the same disk as a qcow2, ``vmimport import --via direct``
   (EBS direct APIs, then RegisterImage: no bucket, no role), and its AMI;
8. ``vmimport batch`` a manifest of three VMs, interrupted with Ctrl-C once imports run, then
   run again to the end; show the results file;
9. stop the emulator.

Nothing leaves 127.0.0.1 and no AWS account is involved.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the disk-image fixtures of tests/

BUCKET = "demo-vm-images"
KEY = "exports/web-server.ova"
#: the emulator's clock: an import the service takes half an hour for takes 1800/SPEED seconds
SPEED = float(os.environ.get("DEMO_SPEED", "300"))
#: the longest pause between two polls of vmimport (seconds)
POLL = "1"


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def start_emulator(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ec2_import_emulator", "--port", "0", "--speed", str(SPEED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise SystemExit("the emulator did not start")
    return process, f"http://127.0.0.1:{port}"


def create_bucket(endpoint: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    print(f"s3://{BUCKET}")


def write_images(folder: Path) -> tuple[Path, Path]:
    """The demo's OVA and a disk VM Import refuses, both made by real tools (the test fixtures:
    scripts/make-disk-fixtures.sh): an OVA of a stream-optimized VMDK holding a GPT disk with an
    EFI system partition and an ext4 root, and the same disk as a monolithicSparse VMDK."""
    from tests.support.diskfixtures import FIXTURES, unpack

    good = folder / "web-server.ova"
    unpack(FIXTURES / "vm.ova.xz", good)
    broken = folder / "db-server.vmdk"
    unpack(FIXTURES / "gpt-uefi.sparse.vmdk.xz", broken)
    return good, broken


def upload(endpoint: str, image: Path) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint).upload_file(str(image), BUCKET, KEY)
    print(f"s3://{BUCKET}/{KEY}: {image.stat().st_size} bytes")


def run(command: list[str], env: dict[str, str], expected: int = 0) -> None:
    """Show and run a command (a person's output on the terminal); stop if its status is wrong."""
    shown = [os.path.basename(command[0]), *command[1:]]
    print("$ " + shlex.join(shown), flush=True)
    status = subprocess.run(command, env=env, check=False).returncode
    if status != expected:
        raise SystemExit(f"{shown[0]} exited {status}, expected {expected}")


def write_manifest(folder: Path, ova: Path) -> Path:
    """Three VMs: the OVA, and two stream-optimized VMDKs made by real tools (the fixtures)."""
    from tests.support.diskfixtures import FIXTURES, unpack

    exports = folder / "exports"
    exports.mkdir()
    shutil.copyfile(ova, exports / "web-2.ova")
    unpack(FIXTURES / "mbr-linux.stream.vmdk.xz", exports / "db-1.vmdk")
    unpack(FIXTURES / "gpt-uefi.stream.vmdk.xz", exports / "app-1.vmdk")
    manifest = folder / "vms.yaml"
    manifest.write_text(
        f"""defaults:
  bucket: {BUCKET}
  tags: {{project: demo}}
entries:
  - name: web-2
    disks: [exports/web-2.ova]
    description: web server
  - name: db-1
    disks: [exports/db-1.vmdk]
    platform: Linux
  - name: app-1
    disks: [exports/app-1.vmdk]
"""
    )
    print(manifest.read_text(), end="")
    return manifest


def interrupted_batch(command: list[str], env: dict[str, str]) -> None:
    """Run a batch until its first import has started, then press Ctrl-C (SIGINT)."""
    print("$ " + shlex.join([os.path.basename(command[0]), *command[1:]]), flush=True)
    # Ctrl-C reaches the batch whatever started the demo: a shell running it in the
    # background (`make demo &`, a CI runner's script) starts it with SIGINT ignored, which a
    # child inherits (and a Python started so keeps ignoring it); a handled signal is reset
    # to its default in the child instead
    signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        print(line, end="", flush=True)
        if "started the import task" in line:
            print("^C", flush=True)
            process.send_signal(signal.SIGINT)
            break
    for line in process.stderr:
        print(line, end="", flush=True)
    if process.wait() != 130:
        raise SystemExit(f"the interrupted batch exited {process.returncode}, expected 130")


def show_image(endpoint: str, image_id: str) -> None:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    for image in ec2.describe_images(ImageIds=[image_id])["Images"]:
        devices = [m.get("Ebs", {}).get("SnapshotId") for m in image.get("BlockDeviceMappings", [])]
        print(
            f"{image['ImageId']}  {image.get('State')}  {image.get('Name', '')}  "
            f"{image.get('BootMode', '-')}  {devices}"
        )
    with urllib.request.urlopen(f"{endpoint}/emulator/images/{image_id}", timeout=30) as reply:
        view = json.loads(reply.read())
    verdict = "boots" if view["Boots"] else "would not boot"
    print(f"the emulator's view: {verdict}: {view['Reason']}")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="ec2-import-demo-"))
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TERM": os.environ.get("TERM", "dumb"),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "AKIADEMODEMODEMO",
        "AWS_SECRET_ACCESS_KEY": "demo-secret-key",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    os.environ.update(env)  # for boto3 in this process
    aws = str(Path(sys.executable).with_name("aws"))
    vmimport = str(Path(sys.executable).with_name("vmimport"))
    started = time.monotonic()
    step("Starting the VM Import emulator on 127.0.0.1")
    emulator, endpoint = start_emulator(env)
    try:
        print(endpoint)
        step("The bucket, and the vmimport service role (vmimport setup-role)")
        create_bucket(endpoint)
        run([vmimport, "--endpoint-url", endpoint, "setup-role", "--bucket", BUCKET], env)
        step("vmimport check, before anything is uploaded: a good image and a broken one")
        good, broken = write_images(home)
        run([vmimport, "check", str(good)], env)
        run([vmimport, "check", str(broken)], env, expected=1)
        step("Upload the good one; vmimport check it on S3, with the account")
        upload(endpoint, good)
        run([vmimport, "--endpoint-url", endpoint, "check", f"s3://{BUCKET}/{KEY}"], env)
        step("aws ec2 import-image --wait (the drop-in)")
        command = [
            aws,
            "--endpoint-url",
            endpoint,
            "ec2",
            "import-image",
            "--description",
            "web server exported from VMware",
            "--license-type",
            "BYOL",
            "--disk-containers",
            f"Format=ova,UserBucket={{S3Bucket={BUCKET},S3Key={KEY}}}",
            "--wait",
            "--query",
            "ImageId",
            "--output",
            "text",
        ]
        print("$ " + shlex.join(["aws", *command[1:]]), flush=True)
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if result.returncode != 0:
            print(f"import-image failed with exit code {result.returncode}")
            return result.returncode
        image_id = result.stdout.strip()
        print(image_id)
        step(f"DescribeImages {image_id}")
        show_image(endpoint, image_id)
        on_emulator = [vmimport, "--endpoint-url", endpoint]
        step("vmimport import: the OVA from its file to a tagged AMI, the upload cleaned up")
        state = ["--state", str(home / "import.sqlite"), "--poll-interval", POLL]
        importing = [*on_emulator, "import", str(good), "--bucket", BUCKET, "--name", "web-1"]
        run([*importing, "--tag", "project=demo", *state], env)
        step("vmimport import again: the same AMI, nothing sent")
        run([*importing, "--tag", "project=demo", *state], env)
        step("vmimport import again, asking more of the AMI: named, copied, shared, no import")
        distribution = [
            "--ami-name",
            "web-1",
            "--copy-to-region",
            "us-west-2",
            "--share-with",
            "111122223333",
            "--deprecate-after",
            "90",
        ]
        run([*importing, "--tag", "project=demo", *distribution, *state], env)
        step("vmimport import --via direct: the disk as qcow2, written into an EBS snapshot")
        from tests.support.diskfixtures import CONTAINERS, unpack

        qcow2 = home / "web-server.qcow2"
        unpack(CONTAINERS / "gpt-uefi.v3.qcow2.xz", qcow2)
        direct = [*on_emulator, "import", str(qcow2), "--via", "direct", "--name", "web-2"]
        print("$ " + shlex.join(["vmimport", *direct[1:], *state]), flush=True)
        output = subprocess.run(
            [*direct, *state], env=env, stdout=subprocess.PIPE, text=True, check=False
        )
        if output.returncode != 0:
            raise SystemExit(f"vmimport import --via direct exited {output.returncode}")
        registered = json.loads(output.stdout)["image_id"]
        print(f"{registered} (via direct: no bucket, no role, no import task)")
        show_image(endpoint, registered)
        step("vmimport gc: the plan (a dry run) for the AMIs of web-* this state database made")
        run(
            [
                *on_emulator,
                "gc",
                "web-*",
                "--keep",
                "1",
                "--state",
                str(home / "import.sqlite"),
                "--region",
                "us-east-1",
                "--region",
                "us-west-2",
            ],
            env,
        )
        step("vmimport batch: three VMs, under --max-active 2, interrupted and run again")
        manifest = write_manifest(home, good)
        batch = [*on_emulator, "batch", str(manifest), "--max-active", "2", "--poll-interval", POLL]
        interrupted_batch(batch, env)
        run([*batch, "--status"], env)
        run(batch, env)
        step("The results, beside the manifest")
        print((home / "vms.yaml.results.csv").read_text(), end="")
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    step(f"Done in {time.monotonic() - started:.1f} s; the emulator is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
