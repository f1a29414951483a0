"""``vmimport gc NAME-PATTERN... --keep N``: old AMIs of this tool deregistered, snapshots too.

The AMIs considered (``distribute.prune``): this account's, in each
``--region`` (default: the run's Region), that carry the import's identity
tags and a ``vmimport:owner`` in scope: the ``--owner`` values, else the ids of
the state databases (the default one of ``import`` when it exists, and each
``--state``), so that another team's AMIs of the same names are never touched;
whose ``vmimport:name`` matches a NAME-PATTERN (``fnmatch``'s).  Grouped by
Region, owner and name, the newest ``--keep`` of each are kept by the import's
own time (``vmimport:imported-at``), and those younger than ``--older-than``
days; the rest are removed (``distribute.retention``), unless shared
(``--include-shared``), protected from deregistration, or in use
(DescribeImageReferences): those are reported, never forced.

Without ``--yes`` only the plan is printed: nothing is removed.  ``--keep 0``
(every AMI of each name) needs ``--allow-keep-zero``.  With ``--yes``, each
AMI is deregistered with its snapshots, and every state database given (and
the default one) that recorded a removed AMI records it: a later ``import``
of that entry starts a new import.

Exit status: 0 the plan printed (without ``--yes``), or every AMI planned for
removal removed (skipped ones reported); 1 the service refused a removal;
2 usage (no pattern, ``--keep 0`` without ``--allow-keep-zero``, no state
database and no ``--owner``, a ``--state`` that does not exist); 3 the work
could not be completed (credentials, endpoint, access); 4 an internal error.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import ExitStatus, UsageError
from ec2_import_image.vmimport.state.paths import import_state_path

if TYPE_CHECKING:
    from ec2_import_image.vmimport.distribute.prune import Removed
    from ec2_import_image.vmimport.distribute.retention import Decision

GC_EPILOG = """\
The AMIs this tool made carry vmimport:name, vmimport:sha256 and vmimport:owner (the state
database's id, or --owner). Without --owner, the owners are the ids of the default state
database of import (when it exists) and of each --state.

Exit status: 0 the plan printed (no --yes), or every AMI planned for removal removed (those
skipped reported); 1 the service refused a removal; 2 usage error; 3 the work could not be
completed (a rerun continues); 4 an internal error of vmimport.
"""


def _state_paths(run: Run, given: tuple[Path, ...]) -> list[Path]:
    """The state databases: the default one of ``import`` when it exists, and each given."""
    paths: list[Path] = []
    default = import_state_path(run.env.environ)
    if default.exists():
        paths.append(default)
    for path in given:
        if not path.exists():
            raise UsageError(f"--state {path}: no such state database")
        if path.resolve() not in [p.resolve() for p in paths]:
            paths.append(path)
    return paths


def _owners(paths: list[Path], given: tuple[str, ...]) -> list[str]:
    from ec2_import_image.vmimport.distribute.options import Refused, owner
    from ec2_import_image.vmimport.state.db import StateDB

    if given:
        try:
            return [owner(value) for value in given]
        except Refused as refused:
            raise UsageError(f"--owner: {refused}") from None
    owners = []
    for path in paths:
        with StateDB.open_readonly(path) as db:
            owners.append(db.owner_id())
    if not owners:
        raise UsageError(
            "no state database to tell this tool's AMIs by (the default one of import does not "
            "exist): give --owner (the vmimport:owner tag's value) or --state"
        )
    return list(dict.fromkeys(owners))


def _row(decision: Decision) -> dict[str, Any]:
    from ec2_import_image.vmimport.distribute.plan import iso

    candidate = decision.candidate
    return {
        "region": candidate.region,
        "entry": candidate.entry,
        "owner": candidate.owner,
        "image_id": candidate.image_id,
        "name": candidate.name,
        "imported_at": iso(candidate.time) if candidate.imported_at or candidate.created else None,
        "snapshot_ids": list(candidate.snapshot_ids),
        "verdict": decision.verdict.value,
        "reason": decision.reason,
    }


def _table(run: Run, rows: list[dict[str, Any]]) -> None:
    columns = ("region", "entry", "image_id", "imported_at", "verdict", "reason")
    cells = [[str(row[key] or "") for key in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        text = "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        run.env.stdout.write(f"{text}\n")


@click.command("gc", epilog=GC_EPILOG)
@click.argument("patterns", nargs=-1, required=True, metavar="NAME-PATTERN...")
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    required=True,
    help="AMIs of each name (per Region) to keep, newest first by the import's time.",
)
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Remove only AMIs imported more than DAYS days ago.",
)
@click.option("--yes", is_flag=True, help="Remove them (without it, only the plan is printed).")
@click.option("--include-shared", is_flag=True, help="Remove shared AMIs too (never public ones).")
@click.option("--allow-keep-zero", is_flag=True, help="Allow --keep 0 (every AMI of each name).")
@click.option(
    "--owner",
    "owners",
    multiple=True,
    metavar="NAME",
    help="The vmimport:owner of the AMIs (repeatable; default: the state databases' ids).",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A state database whose AMIs these are, and which learns what is removed (repeatable).",
)
@cli.command_in_regions
def gc(run: Run, *, regions: tuple[str, ...], patterns: tuple[str, ...], **values: Any) -> int:
    """Deregister old AMIs this tool made, with their snapshots, keeping the newest of each name."""
    from ec2_import_image.vmimport.distribute import prune, retention
    from ec2_import_image.vmimport.distribute.observe import Clients

    keep: int = values["keep"]
    if keep == 0 and not values["allow_keep_zero"]:
        raise UsageError("--keep 0 removes every AMI of each name: give --allow-keep-zero too")
    paths = _state_paths(run, values["states"])
    owners = _owners(paths, values["owners"])
    where = regions or ((run.region,) if run.region else ())
    if not where:
        raise UsageError("no AWS Region was given: use --region or set AWS_REGION")
    clients = Clients(run)
    now = datetime.datetime.now(datetime.UTC)
    found = [c for region in where for c in prune.candidates(clients, region, owners, patterns)]
    decisions = retention.by_age(found, keep=keep, older_than=values["older_than"], now=now)
    decisions, notes = prune.inspected(clients, decisions)
    decisions = [retention.checked(d, include_shared=values["include_shared"]) for d in decisions]
    removed: list[Removed] = []
    learned: list[str] = []
    if values["yes"]:
        removed = [prune.remove(clients, d) for d in decisions if d.verdict.removes]
        learned = prune.learn(paths, removed, now)
    rows = [_row(d) for d in decisions]
    failed = [r for r in removed if r.error is not None]
    if run.options.json:
        document = {
            "dry_run": not values["yes"],
            "owners": owners,
            "regions": list(where),
            "decisions": rows,
            "removed": [
                {
                    "region": r.decision.candidate.region,
                    "image_id": r.decision.candidate.image_id,
                    "deleted_snapshots": list(r.outcome.deleted) if r.outcome else [],
                    "kept_snapshots": [s for s, _ in r.outcome.kept] if r.outcome else [],
                    "error": r.error,
                }
                for r in removed
            ],
            "notes": notes,
            "state": learned,
        }
        json.dump(document, run.env.stdout, indent=2)
        run.env.stdout.write("\n")
    else:
        _table(run, rows)
    _say(run, decisions, removed, notes, learned, dry_run=not values["yes"], owners=owners)
    return ExitStatus.PROBLEMS if failed else ExitStatus.OK


def _say(
    run: Run,
    decisions: list[Decision],
    removed: list[Removed],
    notes: list[str],
    learned: list[str],
    *,
    dry_run: bool,
    owners: list[str],
) -> None:
    from ec2_import_image.vmimport.distribute.retention import summary

    err = run.env.stderr
    err.write(f"owners: {', '.join(owners)}\n")
    for note in notes:
        err.write(f"note: {note}\n")
    counts = ", ".join(f"{n} {verdict}" for verdict, n in summary(decisions).items())
    err.write(f"{len(decisions)} AMI(s) of this tool match: {counts or 'none'}\n")
    if dry_run:
        planned = sum(1 for d in decisions if d.verdict.removes)
        err.write(
            f"dry run: nothing was removed; --yes deregisters the {planned} AMI(s) marked "
            "remove and deletes their snapshots\n"
        )
        return
    for outcome in removed:
        candidate = outcome.decision.candidate
        if outcome.error is not None:
            err.write(f"not removed: {candidate.region}: {candidate.image_id}: {outcome.error}\n")
        elif outcome.outcome is not None:
            kept = "".join(f"; kept {s} ({why})" for s, why in outcome.outcome.kept)
            err.write(
                f"removed: {candidate.region}: {candidate.image_id} and "
                f"{len(outcome.outcome.deleted)} snapshot(s){kept}\n"
            )
    for line in learned:
        err.write(f"state: {line}\n")
