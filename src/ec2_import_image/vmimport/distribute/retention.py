"""Which of the AMIs this tool made ``vmimport gc`` keeps, and which it removes (pure).

The AMIs considered are those this account owns that carry the import's
identity tags (``vmimport:name``, ``vmimport:sha256``) and an owner tag in
scope (``vmimport:owner``: the state databases' ids or ``--owner``), whose
``vmimport:name`` matches a pattern given (``fnmatch``'s: ``web-*``).  They are
grouped by Region, owner and name; in each group the newest ``--keep`` are kept,
newest by the import's own time (``vmimport:imported-at``: a copy's CreationDate
is the copy's, not the import's; the CreationDate when the tag is missing).  Of
the others, those younger than ``--older-than`` days are kept too; the rest are
removed, unless:

- shared (a launch permission other than the owner's): skipped unless
  ``--include-shared`` (another account may launch it); public ones always;
- protected from deregistration: reported, never forced;
- in use (DescribeImageReferences names an instance, a launch template...):
  reported, never forced.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple


class Verdict(StrEnum):
    KEEP = "keep"
    #: younger than ``--older-than``
    YOUNG = "keep-young"
    REMOVE = "remove"
    SHARED = "skip-shared"
    PUBLIC = "skip-public"
    PROTECTED = "skip-protected"
    IN_USE = "skip-in-use"

    @property
    def removes(self) -> bool:
        return self is Verdict.REMOVE

    @property
    def skipped(self) -> bool:
        return self.value.startswith("skip")


class Candidate(NamedTuple):
    """An AMI this tool made, as DescribeImages (and its attributes) show it."""

    region: str
    image_id: str
    name: str
    entry: str
    owner: str
    imported_at: datetime.datetime | None
    created: datetime.datetime | None
    snapshot_ids: tuple[str, ...] = ()
    #: the grantees of its launch permission (None: not read)
    shared_with: tuple[str, ...] | None = None
    public: bool = False
    protection: str | None = None
    #: what references it (None: not checked, or the API does not answer)
    used_by: tuple[str, ...] | None = None

    @property
    def time(self) -> datetime.datetime:
        """The import's own time (the tag), else the CreationDate."""
        found = self.imported_at or self.created
        return found or datetime.datetime.min.replace(tzinfo=datetime.UTC)

    @property
    def protected(self) -> bool:
        return (self.protection or "").startswith(("enabled", "disabled-until"))


class Decision(NamedTuple):
    candidate: Candidate
    verdict: Verdict
    reason: str


def matches(entry: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(entry, pattern) for pattern in patterns)


def groups(candidates: Iterable[Candidate]) -> dict[tuple[str, str, str], list[Candidate]]:
    """By Region, owner and name; each group newest first."""
    found: dict[tuple[str, str, str], list[Candidate]] = {}
    for candidate in candidates:
        found.setdefault((candidate.region, candidate.owner, candidate.entry), []).append(candidate)
    for members in found.values():
        members.sort(key=lambda c: (c.time, c.image_id), reverse=True)
    return dict(sorted(found.items()))


def by_age(
    candidates: Iterable[Candidate],
    *,
    keep: int,
    older_than: int | None,
    now: datetime.datetime,
) -> list[Decision]:
    """The first cut: the newest ``keep`` of each group kept, the younger than ``older_than``
    days kept, the others to remove (their checks follow: ``checked``)."""
    decisions: list[Decision] = []
    limit = None if older_than is None else now - datetime.timedelta(days=older_than)
    for members in groups(candidates).values():
        for rank, candidate in enumerate(members):
            if rank < keep:
                decisions.append(
                    Decision(candidate, Verdict.KEEP, f"one of the newest {keep} of its name")
                )
            elif limit is not None and candidate.time > limit:
                decisions.append(
                    Decision(candidate, Verdict.YOUNG, f"imported less than {older_than} days ago")
                )
            else:
                decisions.append(Decision(candidate, Verdict.REMOVE, "older than the newest kept"))
    return decisions


def checked(decision: Decision, *, include_shared: bool) -> Decision:
    """A removal judged on the AMI's attributes (see the module's docstring)."""
    if not decision.verdict.removes:
        return decision
    candidate = decision.candidate
    if candidate.public:
        return decision._replace(verdict=Verdict.PUBLIC, reason="it is public: never removed")
    if candidate.shared_with and not include_shared:
        grantees = ", ".join(candidate.shared_with)
        return decision._replace(
            verdict=Verdict.SHARED,
            reason=f"shared with {grantees} (--include-shared removes it)",
        )
    if candidate.protected:
        return decision._replace(
            verdict=Verdict.PROTECTED,
            reason=f"deregistration protection is on ({candidate.protection}): not forced",
        )
    if candidate.used_by:
        users = ", ".join(candidate.used_by[:5]) + (" ..." if len(candidate.used_by) > 5 else "")
        return decision._replace(verdict=Verdict.IN_USE, reason=f"in use by {users}: not forced")
    return decision


def summary(decisions: Sequence[Decision]) -> dict[str, int]:
    """How many of each verdict."""
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.verdict.value] = counts.get(decision.verdict.value, 0) + 1
    return counts
