"""``vmimport gc``'s work against the account and the state databases.

- ``candidates``: in a Region, this account's AMIs (DescribeImages, owner self,
  every page) carrying ``vmimport:name`` and ``vmimport:sha256`` and a
  ``vmimport:owner`` in scope, whose name matches a pattern;
- ``inspected``: the attributes a removal is judged on (``retention.checked``):
  the launch permission (DescribeImageAttribute), deregistration protection
  (DescribeImages), and what references the AMI (DescribeImageReferences,
  every resource type, 10 AMIs a request as the API takes; where the endpoint
  does not answer it, "not checked" is said, and the removal goes on);
- ``remove``: DeregisterImage with its snapshots (``retire.deregister``);
- ``learn``: each state database that recorded a removed AMI records it
  (``StateDB.image_removed``) and notes it on the entry, so that a later
  ``import`` of that entry starts a new import rather than returning a dead
  AMI (``EntryWork.image_gone`` checks the account too).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.vmimport.distribute.observe import (
    Clients,
    find_images,
    launch_grants,
    parse_time,
)
from ec2_import_image.vmimport.distribute.plan import LIVE, ImageView, iso
from ec2_import_image.vmimport.distribute.retention import Candidate, Decision, matches
from ec2_import_image.vmimport.distribute.retire import Deregistered, deregister
from ec2_import_image.vmimport.engine.identity import (
    TAG_IMPORTED_AT,
    TAG_NAME,
    TAG_OWNER,
    TAG_SHA256,
)
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.errors import StateError

#: the most AMIs DescribeImageReferences takes at once (the API reference)
REFERENCES_CHUNK = 10
#: what DescribeImageReferences' absence looks like (an endpoint or partition without it)
NOT_ANSWERED = ("InvalidAction", "UnsupportedOperation", "UnknownOperationException")


def _candidate(region: str, image: ImageView) -> Candidate:
    return Candidate(
        region=region,
        image_id=image.image_id,
        name=image.name,
        entry=image.tag(TAG_NAME) or "",
        owner=image.tag(TAG_OWNER) or "",
        imported_at=parse_time(image.tag(TAG_IMPORTED_AT)),
        created=image.creation,
        snapshot_ids=image.snapshot_ids,
        protection=image.protection,
    )


def candidates(
    clients: Clients, region: str, owners: Sequence[str], patterns: Sequence[str]
) -> list[Candidate]:
    """The AMIs this tool made in the Region, in scope (see the module's docstring)."""
    filters = [
        {"Name": "tag-key", "Values": [TAG_SHA256]},
        {"Name": f"tag:{TAG_OWNER}", "Values": list(owners)},
    ]
    found = []
    for image in find_images(clients.ec2(region), filters):
        entry = image.tag(TAG_NAME)
        if image.state not in LIVE or not entry or image.tag(TAG_OWNER) not in owners:
            continue
        if matches(entry, patterns):
            found.append(_candidate(region, image))
    return found


def _references(clients: Clients, region: str, ids: Sequence[str]) -> dict[str, list[str]] | None:
    """What references each AMI; None when the endpoint does not answer the question."""
    from botocore.exceptions import ClientError

    ec2 = clients.ec2(region)
    used: dict[str, list[str]] = {image_id: [] for image_id in ids}
    for start in range(0, len(ids), REFERENCES_CHUNK):
        chunk = list(ids[start : start + REFERENCES_CHUNK])
        request: dict[str, object] = {"ImageIds": chunk, "IncludeAllResourceTypes": True}
        while True:
            try:
                reply = ec2.describe_image_references(**request)  # type: ignore[arg-type]
            except ClientError as error:
                code = error_code(error) or ""
                if code in NOT_ANSWERED or code.startswith(
                    ("UnauthorizedOperation", "AccessDenied")
                ):
                    return None
                raise
            for reference in reply.get("ImageReferences", []):
                image_id = str(reference.get("ImageId", ""))
                what = f"{reference.get('ResourceType', '')} {reference.get('Arn', '')}".strip()
                used.setdefault(image_id, []).append(what)
            token = reply.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return used


def inspected(clients: Clients, decisions: Sequence[Decision]) -> tuple[list[Decision], list[str]]:
    """The removals with the facts they are judged on; and notes (what could not be checked)."""
    notes: list[str] = []
    by_region: dict[str, list[str]] = {}
    for decision in decisions:
        if decision.verdict.removes:
            by_region.setdefault(decision.candidate.region, []).append(decision.candidate.image_id)
    references: dict[str, dict[str, list[str]] | None] = {}
    for region, ids in by_region.items():
        references[region] = _references(clients, region, ids)
        if references[region] is None:
            notes.append(
                f"{region}: DescribeImageReferences is not answered here: whether an AMI is in "
                "use was not checked"
            )
    found = []
    for decision in decisions:
        if not decision.verdict.removes:
            found.append(decision)
            continue
        candidate = decision.candidate
        granted, public = launch_grants(clients.ec2(candidate.region), candidate.image_id)
        used = references.get(candidate.region)
        candidate = candidate._replace(
            shared_with=tuple(sorted(g.value for g in granted)),
            public=public,
            used_by=None if used is None else tuple(used.get(candidate.image_id, [])),
        )
        found.append(decision._replace(candidate=candidate))
    return found, notes


class Removed(NamedTuple):
    decision: Decision
    outcome: Deregistered | None
    #: the service's refusal (None: removed)
    error: str | None = None


def remove(clients: Clients, decision: Decision) -> Removed:
    """DeregisterImage with its snapshots; a refusal is the answer, not an exception."""
    from botocore.exceptions import ClientError

    candidate = decision.candidate
    try:
        outcome = deregister(
            clients.ec2(candidate.region), candidate.image_id, candidate.snapshot_ids
        )
    except ClientError as error:
        said = f"{error_code(error) or ''}: {error_message(error)}"
        return Removed(decision, None, said)
    return Removed(decision, outcome)


def learn(paths: Iterable[Path], removed: Sequence[Removed], now: datetime.datetime) -> list[str]:
    """Each state database that recorded a removed AMI records it; answers what was said."""
    gone = [r.decision.candidate for r in removed if r.error is None]
    ids = {candidate.image_id: candidate for candidate in gone}
    lines: list[str] = []
    for path in paths:
        try:
            with StateDB.open(path) as db:
                for name, images in db.entries_with_images(ids).items():
                    lines.extend(_learn_entry(db, path, name=name, images=images, ids=ids, now=now))
        except StateError as error:
            lines.append(f"{path}: not updated: {error.message}")
    return lines


def _learn_entry(
    db: StateDB,
    path: Path,
    *,
    name: str,
    images: Sequence[str],
    ids: dict[str, Candidate],
    now: datetime.datetime,
) -> list[str]:
    try:
        claim = db.claim(name)
    except StateError as error:
        return [f"{path}: {name}: not updated ({error.message}); its next import finds out"]
    lines = []
    try:
        current = db.entry(name).attempt.image_id
        for image_id in images:
            where = ids[image_id].region
            why = f"{where}: {image_id} deregistered by vmimport gc at {iso(now)}"
            db.image_removed(claim, image_id, why)
            if image_id == current:
                db.set_note(
                    claim,
                    f"its AMI {image_id} was deregistered by vmimport gc at {iso(now)}: the "
                    "next import of it is a new import",
                )
            lines.append(f"{path}: {name}: recorded {image_id} as deregistered")
    finally:
        db.release(claim)
    return lines
