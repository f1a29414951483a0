"""Fixtures: an in-process emulator on a free port, with a clock the test turns."""

from __future__ import annotations

import gc
import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from ec2_import_emulator.server import Emulator
from ec2_import_image.iampolicy.trust import VMIMPORT_TRUST_POLICY
from ec2_import_image.vmimport.account.requirements import role_policy_document
from tests.support.clock import ManualClock
from tests.support.diskfixtures import DiskFixtures
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET

REGION = "us-east-1"
BUCKET = "import-bucket"


class Lab:
    """A started emulator (speed 1 on a manual clock) and clients pointed at it."""

    def __init__(self, emulator: Emulator, clock: Any) -> None:
        self.emulator = emulator
        self.clock = clock
        self.s3 = self.client("s3")
        self.iam = self.client("iam")
        self.ec2 = self.client("ec2")

    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def elapse(self, seconds: float) -> None:
        """Let ``seconds`` of a real import pass (the emulator runs at speed 1)."""
        assert isinstance(self.clock, ManualClock)
        self.clock.advance(seconds)

    def role(
        self, name: str = "vmimport", policy: dict[str, Any] | None = None, *, allowed: bool = True
    ) -> None:
        """The service role with this trust policy (VM Import's by default); ``allowed``: with
        the policy ``vmimport setup-role`` writes, for every bucket."""
        document = json.dumps(VMIMPORT_TRUST_POLICY if policy is None else policy)
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
        if allowed:
            access = json.dumps(role_policy_document("aws", ("*",), ()))
            self.iam.put_role_policy(RoleName=name, PolicyName="any-bucket", PolicyDocument=access)

    def grant(self, bucket: str = BUCKET) -> Lab:
        """The bucket, and the ``vmimport`` role allowed what VM Import needs on it (the
        policy ``vmimport setup-role`` writes): ``vmimport check`` finds nothing to say."""
        self.s3.create_bucket(Bucket=bucket)
        document = role_policy_document("aws", (bucket,), ())
        self.iam.put_role_policy(
            RoleName="vmimport", PolicyName="access", PolicyDocument=json.dumps(document)
        )
        return self

    def upload(self, data: bytes, key: str = "disk.img", bucket: str = BUCKET) -> dict[str, str]:
        """Put the bytes in S3 (creating the bucket); answers the UserBucket."""
        buckets = {b["Name"] for b in self.s3.list_buckets()["Buckets"]}
        if bucket not in buckets:
            self.s3.create_bucket(Bucket=bucket)
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        return {"S3Bucket": bucket, "S3Key": key}

    def start(self, fmt: str, data: bytes, key: str = "disk.img", **params: Any) -> str:
        """Upload one disk and import it; answers the task id."""
        bucket = self.upload(data, key)
        reply = self.ec2.import_image(
            DiskContainers=[{"Format": fmt, "UserBucket": bucket}], **params
        )
        return str(reply["ImportTaskId"])

    def task(self, task_id: str, region: str = REGION) -> dict[str, Any]:
        ec2 = self.ec2 if region == REGION else self.client("ec2", region)
        tasks = ec2.describe_import_image_tasks(ImportTaskIds=[task_id])["ImportImageTasks"]
        assert len(tasks) == 1
        return dict(tasks[0])


@pytest.fixture(scope="session")
def _moto_environment() -> Iterator[None]:
    """moto's default AMIs make every EC2 reset slow; the tests do not need them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        patch.delenv("MOTO_ACCOUNT_ID", raising=False)
        yield


def _reset_moto(endpoint: str) -> None:
    """Clear moto's state and the emulator's tasks."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()


@pytest.fixture(scope="session")
def _shared_lab(_moto_environment: None) -> Iterator[Lab]:
    """One emulator for the tests that need no special options, warmed up.

    moto builds each service's app on first use (seconds for EC2), and its
    objects make every full garbage collection slow: both are paid once here,
    and the warm objects are frozen out of the collector's way.
    """
    clock = ManualClock()
    emulator = Emulator(0, clock=clock, speed=1.0).start()
    clock.before_advance = emulator.store.settle
    shared = Lab(emulator, clock)
    shared.s3.list_buckets()
    shared.iam.list_roles()
    shared.ec2.describe_images(Owners=["self"])
    gc.collect()
    gc.freeze()
    yield shared
    gc.unfreeze()
    emulator.stop()


@pytest.fixture
def make_lab(_shared_lab: Lab) -> Iterator[Callable[..., Lab]]:
    """A lab on a fresh moto state: the shared emulator, or one started with the options."""
    started: list[Emulator] = []

    def make(**options: Any) -> Lab:
        if not options:
            _reset_moto(_shared_lab.endpoint)
            return _shared_lab
        clock = options.setdefault("clock", ManualClock())
        options.setdefault("speed", 1.0)
        emulator = Emulator(0, **options).start()
        if isinstance(clock, ManualClock):
            clock.before_advance = emulator.store.settle
        started.append(emulator)
        _reset_moto(emulator.endpoint)
        return Lab(emulator, clock)

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def lab(make_lab: Callable[..., Lab]) -> Lab:
    """The shared emulator on a fresh state, with the vmimport role allowed what VM Import
    needs on every bucket."""
    result = make_lab()
    result.role()
    return result


@pytest.fixture
def trust_only_lab(make_lab: Callable[..., Lab]) -> Lab:
    """The shared emulator on a fresh state, with the vmimport role and its trust policy only:
    the tests grant what they judge."""
    result = make_lab()
    result.role(allowed=False)
    return result


@pytest.fixture
def granted(lab: Lab) -> Lab:
    """The shared emulator with the vmimport role allowed what the service needs on the bucket."""
    return lab.grant()


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> DiskFixtures:
    """The disk fixtures (tests/fixtures/disks), unpacked once per module."""
    return DiskFixtures(tmp_path_factory.mktemp("disks"))
