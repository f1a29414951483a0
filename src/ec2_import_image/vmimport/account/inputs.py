"""What the account checks are asked about: the import's Region, the role, the S3 objects."""

from __future__ import annotations

from typing import NamedTuple

from ec2_import_image.shellcommand import Reach

DEFAULT_ROLE = "vmimport"


class S3Location(NamedTuple):
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def parse(cls, uri: str) -> S3Location | None:
        """``s3://bucket/key`` as a location; None for anything else (a local path)."""
        if not uri.startswith("s3://"):
            return None
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket or not key:
            return None
        return cls(bucket, key)


class AccountInputs(NamedTuple):
    #: the Region of the import (where ImportImage will be called)
    region: str
    role_name: str = DEFAULT_ROLE
    #: the disks on S3, in argument order
    objects: tuple[S3Location, ...] = ()
    #: buckets named without an object (``--bucket``)
    buckets: tuple[str, ...] = ()
    #: ``--kms-key-id``: the key the imported snapshots are encrypted with
    kms_key_id: str | None = None
    #: the options a remedy's command needs to act on this account (endpoint, profile)
    reach: Reach = Reach()

    @property
    def reach_here(self) -> Reach:
        """``reach`` in the import's Region: where the remedies' commands must act."""
        return self.reach._replace(region=self.region)

    @property
    def all_buckets(self) -> tuple[str, ...]:
        """Every bucket, each once, in the order first named (the objects' first)."""
        return tuple(dict.fromkeys([*(o.bucket for o in self.objects), *self.buckets]))
