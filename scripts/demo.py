#!/usr/bin/env python3
"""The main job end to end on one machine: import a VM image into an AMI, offline.

``make demo`` runs this with the project's virtual environment:

1. start the VM Import emulator on a free loopback port;
2. create an S3 bucket and the ``vmimport`` service role in it (with boto3);
3. write a small, valid OVA (an OVF descriptor and a stream-optimized VMDK) and upload it;
4. run ``aws ec2 import-image ... --wait`` through the drop-in, which waits with progress
   and prints the new AMI's id;
5. show the AMI with a DescribeImages call against the same endpoint;
6. stop the emulator.

Nothing leaves 127.0.0.1 and no AWS account is involved.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUCKET = "demo-vm-images"
KEY = "exports/web-server.ova"
#: the emulator's clock: an import the service takes half an hour for takes 1800/SPEED seconds
SPEED = float(os.environ.get("DEMO_SPEED", "90"))


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


def prepare(endpoint: str) -> None:
    import boto3

    from ec2_import_emulator import samples
    from ec2_import_image.iampolicy.trust import VMIMPORT_TRUST_POLICY

    image = samples.ova([samples.vmdk_stream_optimized()])
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=image)
    print(f"s3://{BUCKET}/{KEY}: an OVA of {len(image)} bytes (OVF + stream-optimized VMDK)")
    iam = boto3.client("iam", endpoint_url=endpoint)
    iam.create_role(RoleName="vmimport", AssumeRolePolicyDocument=json.dumps(VMIMPORT_TRUST_POLICY))
    print("IAM role vmimport, trusting vmie.amazonaws.com")


def show_image(endpoint: str, image_id: str) -> None:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    for image in ec2.describe_images(ImageIds=[image_id])["Images"]:
        devices = [m.get("Ebs", {}).get("SnapshotId") for m in image.get("BlockDeviceMappings", [])]
        print(f"{image['ImageId']}  {image.get('State')}  {image.get('Name', '')}  {devices}")


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
    started = time.monotonic()
    step("Starting the VM Import emulator on 127.0.0.1")
    emulator, endpoint = start_emulator(env)
    try:
        print(endpoint)
        step("Creating the bucket, the image and the vmimport role")
        prepare(endpoint)
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
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    step(f"Done in {time.monotonic() - started:.1f} s; the emulator is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
