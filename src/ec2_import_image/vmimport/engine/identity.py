"""Who an import is: its tags, its identity digest, its ClientToken.

Every import ``vmimport`` starts carries two tags of its own besides the
user's (``--tag``/``tags``): ``vmimport:name`` (the entry's name) and
``vmimport:sha256``, the *identity* of its disks:

- one disk: the disk's SHA-256 (hex);
- several disks: the SHA-256 of their SHA-256s in order, each as 64 hex
  characters and a newline (``sha256sum a.vmdk b.vmdk | cut -d' ' -f1 |
  sha256sum`` computes it);
- an ``s3://`` DISK is not hashed locally (reading a 100 GiB object back to
  hash it would cost what uploading it did): its SHA-256 is the object's
  ``sha256`` metadata when it has one (objects ``vmimport`` uploaded do),
  otherwise a stand-in that changes whenever the object does, the SHA-256 of
  ``s3-object:<ETag>:<size>``.

The tags find the import again when the state database is gone: tasks by
DescribeImportImageTasks' ``tag:`` filters (for the 7 days the service keeps
a task), AMIs by DescribeImages' (the AMI and its snapshots get the same
tags once the import is finished).

Two more tags are put on the finished AMI, its snapshots and every copy
(by ``distribute``, once the import is finished): ``vmimport:owner``, the
state database's own id or ``--owner``, which scopes ``vmimport gc`` to what
this database's imports made (another team's AMIs of the same name are never
touched), and ``vmimport:imported-at``, the time the import registered its
AMI (UTC, ``2024-05-01T12:00:00Z``), the import's own time, which a copy keeps
(a copy's CreationDate is the copy's).  They are not in the import task's tags,
so the ClientToken of an import is the same as before they existed.

The ClientToken makes ImportImage idempotent: the SHA-256 (64 hex
characters, the most ImportImage takes) of the entry's name, its disks'
SHA-256s, the normalized request (keys sorted, tags sorted) and the attempt
number.  The same command run twice, after a crash, or by a second process
with its own state file, sends the same token and gets the same task;
``--retry-failed`` starts the next attempt, hence a new token; a changed
request is another import, hence another token (the service would refuse
the old token with other parameters: IdempotentParameterMismatch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef

TAG_NAME = "vmimport:name"
TAG_SHA256 = "vmimport:sha256"
#: the tag the AMI and its snapshots get besides the import's
TAG_LABEL = "Name"
#: who made the AMI (the state database's id, or ``--owner``): what ``vmimport gc`` scopes by
TAG_OWNER = "vmimport:owner"
#: when the import registered its AMI (UTC, ISO 8601 with a ``Z``), kept by every copy
TAG_IMPORTED_AT = "vmimport:imported-at"
#: which disk of the import (1, 2, ...) a snapshot road's ImportSnapshot task carries
TAG_DISK = "vmimport:disk"
#: the road the import took to its AMI (``roads.Road``), on the AMI and its snapshots (and on
#: the snapshots StartSnapshot makes, for the direct road); never in an image task's tags, so
#: the image road's ClientTokens are what they were before roads existed
TAG_VIA = "vmimport:via"
#: how many times a disk's snapshot was replaced (the direct road: StartSnapshot's tags of a
#: replacement, with ``TAG_DISK``), so that a rerun without its state database finds it
TAG_REPLACEMENT = "vmimport:replacement"
#: the version of the token's recipe (a change of recipe must not reuse old tokens)
TOKEN_RECIPE = 1


def combined_sha256(digests: Sequence[str]) -> str:
    """One disk's SHA-256, or the SHA-256 of several disks' SHA-256s in order."""
    if len(digests) == 1:
        return digests[0]
    lines = "".join(f"{digest}\n" for digest in digests)
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def s3_stand_in(etag: str, size: int) -> str:
    """The identity digest of an S3 object without ``sha256`` metadata."""
    return hashlib.sha256(f"s3-object:{etag.strip(chr(34))}:{size}".encode()).hexdigest()


class Identity(NamedTuple):
    """An entry's name and its disks' SHA-256s (or stand-ins), in order."""

    name: str
    digests: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return combined_sha256(self.digests)

    def own_tags(self) -> tuple[tuple[str, str], ...]:
        return ((TAG_NAME, self.name), (TAG_SHA256, self.sha256))

    def tags(self, user: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """The import task's tags: the user's and the two of ``vmimport``, sorted by key."""
        merged = dict(user)
        merged.update(self.own_tags())
        return tuple(sorted(merged.items()))

    def filters(self) -> list[FilterTypeDef]:
        """DescribeImportImageTasks/DescribeImages filters that find this identity's work."""
        return [{"Name": f"tag:{key}", "Values": [value]} for key, value in self.own_tags()]


def finished_tags(
    tags: Iterable[tuple[str, str]], name: str, via: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The AMI's and snapshots' tags: the import's, ``Name`` = the entry's name, and the road
    it took (``vmimport:via``) when given."""
    merged = dict(tags)
    merged[TAG_LABEL] = name
    if via is not None:
        merged[TAG_VIA] = via
    return tuple(sorted(merged.items()))


def normalized(request: Mapping[str, Any]) -> str:
    """The request as canonical JSON (keys sorted, no spaces), ClientToken left out."""
    kept = {key: value for key, value in request.items() if key != "ClientToken"}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def client_token(identity: Identity, request: Mapping[str, Any], attempt: int) -> str:
    """The ImportImage ClientToken of one attempt (64 hex characters)."""
    recipe = {
        "recipe": TOKEN_RECIPE,
        "name": identity.name,
        "disks": list(identity.digests),
        "request": json.loads(normalized(request)),
        "attempt": attempt,
    }
    text = json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def snapshot_token(
    identity: Identity, position: int, attempt: int, *, member: int = 0, replacement: int = 0
) -> str:
    """The direct road's StartSnapshot ClientToken of one disk in one attempt (64 hex
    characters, the most it takes): as ImportImage's, made of the identity and the attempt,
    and of the disk's position (each disk is a snapshot of its own), its place among an OVA's
    disks (``member``) and how many times its snapshot was replaced (``replacement``: an
    expired snapshot is replaced under the next token, the other disks' kept).  The last two
    are in the recipe only when not 0, so a disk's first token is what it was before them."""
    recipe: dict[str, object] = {
        "recipe": TOKEN_RECIPE,
        "road": "direct",
        "name": identity.name,
        "disks": list(identity.digests),
        "position": position,
        "attempt": attempt,
    }
    if member:
        recipe["member"] = member
    if replacement:
        recipe["replacement"] = replacement
    text = json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
