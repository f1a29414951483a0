"""ImportSnapshot tasks: their state on the emulator's clock, and the snapshot they make.

A snapshot task lives in the same ``TaskStore`` as the image tasks (one lock,
one quota of active tasks, ClientTokens kept 7 days, CancelImportTask), with
its own schedule (``lifecycle.SNAPSHOT_PHASES``).  When its age reaches
``SNAPSHOT_COMPLETED_AT`` the store's ``advance`` makes the snapshot: a
``completed`` snapshot in moto's EC2 (``ec2snapshots``) of the disk's virtual
size in GiB rounded up, encrypted as asked, described ``Created by
AWS-VMImport service for <task id>`` as the service describes it (aws-cli#9047:
the DiskContainer's Description is not the snapshot's), without the task's
tags (the service does not copy them: terraform-provider-aws tags the snapshot
itself after the import, and boto3#4659 asks for a ``snapshot`` TagSpecification
for that reason), holding the disk's content (``diskcontent``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import ClassVar

from ec2_import_emulator import diskcontent, ec2snapshots, lifecycle
from ec2_import_emulator.aws_state import AwsState, size_in_gib
from ec2_import_emulator.formats import Inspection
from ec2_import_emulator.snapshotvalidate import UNSUPPORTED_FORMAT, SnapshotRequest
from ec2_import_emulator.tasks import (
    ACTIVE,
    BROKEN_MESSAGE,
    COMPLETED,
    DELETED,
    State,
    cancelled_state,
)

LOG = logging.getLogger("ec2_import_emulator")
SNAPSHOT_BROKEN_MESSAGE = BROKEN_MESSAGE.replace("register the image", "make the snapshot")


def new_snapshot_task_id() -> str:
    return f"import-snap-{secrets.token_hex(9)[:17]}"


def snapshot_description(task_id: str) -> str:
    return f"Created by AWS-VMImport service for {task_id}"


@dataclass
class SnapshotTask:
    task_id: str
    account: str
    region: str
    request: SnapshotRequest
    inspection: Inspection
    created: float
    cancelled_age: float | None = None
    cancel_message: str | None = None
    snapshot_id: str | None = None
    broken: bool = False

    KIND: ClassVar[str] = "snapshot"

    @property
    def client_token(self) -> str | None:
        return self.request.client_token

    @property
    def tags(self) -> tuple[tuple[str, str], ...]:
        return self.request.tags

    @property
    def failure(self) -> str | None:
        if self.request.format_refused:
            return UNSUPPORTED_FORMAT
        return self.inspection.failure

    @property
    def image_size(self) -> int:
        """The bytes of the uploaded image (DiskImageSize)."""
        return self.inspection.disks[0].size if self.inspection.disks else 0

    @property
    def virtual_size(self) -> int:
        return self.inspection.disks[0].virtual_size if self.inspection.disks else 0

    def state_at(self, age: float) -> State:
        if self.cancelled_age is not None:
            return cancelled_state(self.cancelled_age, self.cancel_message, age)
        if self.broken:
            return State(DELETED, SNAPSHOT_BROKEN_MESSAGE, None, lifecycle.SNAPSHOT_COMPLETED_AT)
        failure = self.failure
        if failure is not None and age >= lifecycle.SNAPSHOT_FAILED_AT:
            return State(DELETED, failure, None, 0.0)
        if failure is None and age >= lifecycle.SNAPSHOT_COMPLETED_AT:
            return State(COMPLETED, None, None, age)
        if failure is not None:
            return State(ACTIVE, lifecycle.PENDING, lifecycle.snapshot_progress_at(0.0), 0.0)
        phase = lifecycle.snapshot_phase_at(age)
        return State(ACTIVE, phase.message, lifecycle.snapshot_progress_at(age), age)

    def kms_key(self) -> str | None:
        """The key the snapshot is encrypted with: the one asked for (as an ARN when KMS knows
        it), else the account's default EBS key; None when it is not encrypted."""
        if not self.request.encrypted:
            return None
        asked = self.request.kms_key_id
        if asked is None:
            return ec2snapshots.default_kms_key(self.account, self.region)
        return ec2snapshots.kms_key_arn(self.account, self.region, asked) or asked

    def materialize(self, state: AwsState, age: float) -> None:
        """Make the snapshot, with the disk's content, once the task completes."""
        if self.cancelled_age is not None or self.broken or self.snapshot_id is not None:
            return
        if self.failure is not None or age < lifecycle.SNAPSHOT_COMPLETED_AT:
            return
        disk = self.request.disk
        assert disk is not None
        try:
            key = self.kms_key()
            self.snapshot_id = ec2snapshots.create_snapshot(
                self.account,
                self.region,
                volume_gib=size_in_gib(self.virtual_size),
                description=snapshot_description(self.task_id),
                encrypted=key is not None,
                kms_key_id=key,
            )
            source = diskcontent.DiskSource(bucket=disk.bucket, key=disk.key, declared=disk.format)
            diskcontent.store(state, self.account, self.region, self.snapshot_id, source)
        except Exception:
            LOG.exception("making the snapshot of %s failed", self.task_id)
            self.broken = True

    def discard(self, state: AwsState) -> None:
        if self.snapshot_id is not None:
            ec2snapshots.delete(self.account, self.region, self.snapshot_id)
