"""The account state VM Import reads and writes: S3 objects, the IAM role, EC2 images.

``AwsState`` is what the rest of the emulator needs; ``MotoState`` provides it
from moto's in-process backends, the same ones moto's server answers S3, IAM
and EC2 requests from, so an object uploaded with ``PutObject`` is importable
and an imported AMI is seen by ``DescribeImages``.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ec2_import_emulator import errors
from ec2_import_emulator.s3checksums import Upload
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.iampolicy.trust import trusts_vm_import

GIB = 1024**3


def device_name(position: int) -> str:
    """The device of an imported disk: ``/dev/sda1`` for the boot disk, ``/dev/sdb``..."""
    return "/dev/sda1" if position == 0 else f"/dev/sd{string.ascii_lowercase[position % 26]}"


@dataclass(frozen=True)
class ImageSpec:
    """What an import registers: an AMI with one snapshot per disk."""

    task_id: str
    description: str
    architecture: str
    platform: str
    boot_mode: str
    disk_sizes: tuple[int, ...]
    encrypted: bool = False
    kms_key_id: str | None = None
    usage_operation: str = "RunInstances"
    #: each disk's device, in order (none given: ``device_name`` of its position); the
    #: snapshots' content is filled by the task (``diskcontent``)
    device_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RolePolicies:
    """A role's permission policies as IAM holds them: (label, JSON text) each.  A permissions
    boundary only narrows what they allow, and what they refuse is all the emulator refuses."""

    documents: tuple[tuple[str, str], ...]


@dataclass
class CreatedImage:
    image_id: str
    snapshot_ids: list[str] = field(default_factory=list)


class AwsState(Protocol):
    def account_for(self, access_key: str | None) -> str:
        """The account an access key belongs to."""
        ...

    def open_object(self, account: str, bucket: str, key: str) -> Blob:
        """The object's bytes; ApiError when the bucket or the key does not exist."""
        ...

    def role_usable(self, account: str, region: str, role_name: str) -> bool:
        """Whether the role exists and VM Import may assume it (``iampolicy.trust``)."""
        ...

    def role_policies(self, account: str, region: str, role_name: str) -> RolePolicies | None:
        """The role's inline and attached policies; None when there is no such role."""
        ...

    def bucket_region(self, account: str, bucket: str) -> str | None:
        """The Region the bucket is in, None when it does not exist."""
        ...

    def bucket_has_policy(self, account: str, bucket: str) -> bool:
        """Whether the bucket has a bucket policy (which may grant the role what it lacks)."""
        ...

    def snapshot_size(self, account: str, region: str, snapshot_id: str) -> int | None:
        """The snapshot's volume size in bytes, None when it does not exist."""
        ...

    def create_image(self, account: str, region: str, spec: ImageSpec) -> CreatedImage:
        """Register the snapshots (holding the disks' contents) and the AMI (``pending``)."""
        ...

    def make_available(self, account: str, region: str, image_id: str) -> None: ...

    def discard_image(self, account: str, region: str, image: CreatedImage) -> None: ...


def size_in_gib(size: int) -> int:
    return max(1, math.ceil(size / GIB))


class MotoObjectBlob:
    """Ranged reads of a moto S3 object, without copying the whole of it."""

    def __init__(self, key: Any) -> None:
        self._key = key

    @property
    def size(self) -> int:
        return int(self._key.size)

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0:
            return b""
        buffer = getattr(self._key, "_value_buffer", None)
        lock = getattr(self._key, "lock", None)
        if buffer is None or lock is None:
            data: bytes = self._key.value
            return data[offset : offset + length]
        with lock:
            buffer.seek(offset)
            chunk: bytes = buffer.read(length)
        return chunk


class _PartBytes(Mapping[int, bytes]):
    """A moto multipart upload's parts, each read when asked for."""

    def __init__(self, upload: Any) -> None:
        self._parts: dict[int, Any] = upload.parts

    def __getitem__(self, number: int) -> bytes:
        return bytes(self._parts[number].value)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._parts))

    def __len__(self) -> int:
        return len(self._parts)


class MotoState:
    """AwsState over moto's backends (imported on first use).

    ``now`` is the emulator's time (UTC, naive): the CreationDate of the AMI an import
    registers is read off it, as those of RegisterImage and CopyImage are, so that a test's
    clock orders them (the wall clock gives two imports of one second the same time)."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC).replace(tzinfo=None, microsecond=0))

    def _partition(self, region: str) -> str:
        from moto.utilities.utils import get_partition

        return str(get_partition(region))

    def account_for(self, access_key: str | None) -> str:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.iam.models import get_account_id_from

        return str(DEFAULT_ACCOUNT_ID if access_key is None else get_account_id_from(access_key))

    def _ec2(self, account: str, region: str) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[account][region]

    def open_object(self, account: str, bucket: str, key: str) -> Blob:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        backend = s3_backends[account][self._partition("us-east-1")]
        try:
            found = backend.get_object(bucket, key)
        except MissingBucket:
            raise errors.no_such_bucket(bucket) from None
        if found is None:
            raise errors.no_such_key(bucket, key)
        return MotoObjectBlob(found)

    def _role(self, account: str, region: str, role_name: str) -> Any:
        """moto's role of that name, None when there is none."""
        from moto.iam.models import iam_backends

        backend = iam_backends[account][self._partition(region)]
        return next((role for role in backend.get_roles() if role.name == role_name), None)

    def role_usable(self, account: str, region: str, role_name: str) -> bool:
        role = self._role(account, region, role_name)
        if role is None:
            return False
        document = role.assume_role_policy_document
        return trusts_vm_import(document, account=account, region=region)

    def role_policies(self, account: str, region: str, role_name: str) -> RolePolicies | None:
        role = self._role(account, region, role_name)
        if role is None:
            return None
        documents = [(f"inline policy {name}", text) for name, text in role.policies.items()]
        for arn, policy in role.managed_policies.items():
            for version in policy.versions:
                if version.is_default:
                    documents.append((f"managed policy {arn}", version.document))
        return RolePolicies(tuple(documents))

    def multipart_upload(self, account: str, bucket: str, upload_id: str) -> Upload | None:
        """A multipart upload moto keeps: its checksum algorithm and its parts' bytes."""
        found = self._bucket(account, bucket)
        upload = None if found is None else found.multiparts.get(upload_id)
        if upload is None:
            return None
        algorithm = upload.metadata.get("x-amz-checksum-algorithm")
        return Upload(str(algorithm).upper() if algorithm else None, _PartBytes(upload))

    def object_etag(self, account: str, bucket: str, key: str) -> str | None:
        """An object's ETag as moto keeps it (quoted), None when there is none."""
        found = self._bucket(account, bucket)
        stored = None if found is None else found.keys.get(key)
        return None if stored is None else str(stored.etag)

    def _bucket(self, account: str, bucket: str) -> Any:
        from moto.s3.models import s3_backends

        return s3_backends[account][self._partition("us-east-1")].buckets.get(bucket)

    def bucket_region(self, account: str, bucket: str) -> str | None:
        found = self._bucket(account, bucket)
        return None if found is None else str(found.region_name)

    def bucket_has_policy(self, account: str, bucket: str) -> bool:
        found = self._bucket(account, bucket)
        return found is not None and found.policy is not None

    def snapshot_size(self, account: str, region: str, snapshot_id: str) -> int | None:
        snapshot = self._ec2(account, region).snapshots.get(snapshot_id)
        if snapshot is None:
            return None
        return int(snapshot.volume.size) * GIB

    def create_image(self, account: str, region: str, spec: ImageSpec) -> CreatedImage:
        from ec2_import_emulator.images.imported import ImportedDisk, register_import

        disks = []
        for position, size in enumerate(spec.disk_sizes):
            disks.append(
                ImportedDisk(
                    device_name=(
                        spec.device_names[position]
                        if position < len(spec.device_names)
                        else device_name(position)
                    ),
                    size_gib=size_in_gib(size),
                )
            )
        image_id, snapshot_ids = register_import(
            account,
            region,
            name=spec.task_id,
            description=spec.description,
            snapshot_description=f"Created by AWS-VMImport service for {spec.task_id}",
            architecture=spec.architecture,
            windows=spec.platform == "Windows",
            boot_mode=spec.boot_mode,
            usage_operation=spec.usage_operation,
            encrypted=spec.encrypted,
            kms_key_id=spec.kms_key_id,
            disks=tuple(disks),
            now=self._now(),
        )
        return CreatedImage(image_id, list(snapshot_ids))

    def make_available(self, account: str, region: str, image_id: str) -> None:
        ami = self._ec2(account, region).amis.get(image_id)
        if ami is not None:
            ami.state = "available"

    def discard_image(self, account: str, region: str, image: CreatedImage) -> None:
        backend = self._ec2(account, region)
        if image.image_id in backend.amis:
            backend.deregister_image(image.image_id)
        for snapshot_id in image.snapshot_ids:
            if snapshot_id in backend.snapshots:
                backend.delete_snapshot(snapshot_id)
