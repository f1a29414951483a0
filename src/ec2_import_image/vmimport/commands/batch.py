"""``vmimport batch MANIFEST``: the images of a manifest imported, held under the quota,
each at most once, surviving a crash.

The manifest (YAML or CSV, ``manifest``) is read and checked before anything
starts; the command line's request options are defaults under its own.  Its
entries go into the state database (``MANIFEST.state.sqlite`` beside it, or
``--state``) and the scheduler (``engine.scheduler``) takes them to their
ends: checked, hashed, uploaded to ``PREFIX<entry name>/<file name>``,
imported while fewer than ``--max-active`` import tasks are active in the
account, waited for, finished.  ``--dry-run`` prints the plan and
``--status`` the state, without doing anything.

A local disk is needed only by the entries a run would read it for
(``engine.changes.needs_disks``, as the state database says before the run):
one of those whose disk is not there makes the manifest refused (exit 2,
with its other problems); a finished entry's missing disk is a note, and
``--status`` and ``--dry-run`` need no disk at all (``--dry-run`` reads the local disks
of a ``via: auto`` entry whose road is not recorded yet, to say the road it would take).
An entry under way on a recorded road that the manifest now gives another road is refused
(``engine.roadchoice``).  A finished entry whose
disks changed since its import is said (``changed: the AMI holds the old
content``) and imported again only with ``--reimport-changed``.

Results go beside the manifest after every run (``MANIFEST.results.json`` and
``.csv``), and on stdout with ``--json``; rows the state database does not know
keep what the previous results file said (``engine.results.merged_rows``).
``--status`` and ``--dry-run`` read the state database without writing it
(``StateDB.open_readonly``).  The live table starts from what the state
database recorded, and the summary on stderr names every failed entry of the
manifest with its cause and fix, whichever run it failed in.

Exit status: 0 every entry has an AMI; 4 an entry met an internal error of
vmimport; else 1 some failed (each explained); else 3 some entries could not
be completed in this run (a rerun continues them), or the state database or
the results cannot be written; 2 usage (a bad manifest: every problem
listed); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): imports go on in
AWS, a rerun picks them up.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ec2_import_image import diagnostics
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.commands.importing import (
    dry_run,
    engine_options,
    engine_settings,
    recorded,
    region_home,
    stored_spec,
    write_rows,
)
from ec2_import_image.vmimport.commands.options import given, request_options
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.distribute import show
from ec2_import_image.vmimport.distribute.results import columns as distribution_columns
from ec2_import_image.vmimport.engine import changes
from ec2_import_image.vmimport.engine.board import Board, LineBoard, LiveBoard, Row, recorded_row
from ec2_import_image.vmimport.engine.plan import (
    STATUS_COLUMNS,
    Looking,
    status_note,
    status_row,
)
from ec2_import_image.vmimport.engine.quota import DEFAULT_MAX_ACTIVE, DEFAULT_UPLOADS
from ec2_import_image.vmimport.engine.results import (
    merged_rows,
    read_results,
    results_json,
    results_paths,
    write_results,
)
from ec2_import_image.vmimport.engine.roadchoice import road_conflict
from ec2_import_image.vmimport.errors import ExitStatus, UsageError, VmimportError
from ec2_import_image.vmimport.manifest import KEYS, Manifest, load_manifest
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.paths import batch_state_path
from ec2_import_image.vmimport.state.records import Entry, Phase

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.scheduler import Summary


BATCH_EPILOG = f"""\
The manifest is YAML (a list "entries", and "defaults" for any key but name) or CSV (the keys
as columns; disks, tags and license_specifications separated by ";", tags as k=v). The keys
of an entry: {", ".join(KEYS)}. Each is an option of import in snake_case; a value comes from
the entry, else the defaults, else the command line. Paths are relative to the manifest.

The state database is MANIFEST.state.sqlite beside the manifest unless --state names another;
the results go beside it after every run (MANIFEST.results.json and .csv).

Exit status: 0 every entry has an AMI; 1 some entries failed (each explained); 2 usage error
(a bad manifest: every problem listed; another via for an entry under way on its recorded
road); 3 some entries could not be completed in this run (a rerun continues them); 4 an
internal error of vmimport (a bug: --debug logs its traceback); 130 interrupted (imports
started go on in AWS; a rerun picks them up).
"""


@click.command("batch", epilog=BATCH_EPILOG)
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@request_options
@engine_options("MANIFEST.state.sqlite beside the manifest")
@click.option(
    "--max-active",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ACTIVE,
    show_default=True,
    help="Import tasks active at once in the account (all of them count).",
)
@click.option(
    "--parallel-uploads",
    type=click.IntRange(min=1, max=32),
    default=DEFAULT_UPLOADS,
    show_default=True,
    help="Entries checked, hashed and uploaded at once.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="NAME",
    help="Run only the entries of this name or glob pattern (repeatable): this host's.",
)
@click.option(
    "--reimport-changed",
    is_flag=True,
    help="Import again the finished entries whose disks changed since (else only said).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; do nothing.")
@click.option("--status", "show_status", is_flag=True, help="Print the state; do nothing.")
@cli.command
def batch(run: Run, *, manifest: Path, **values: Any) -> int:
    """Import the images of a manifest (YAML or CSV), each once, under the quota."""
    if values["dry_run"] and values["show_status"]:
        raise UsageError("--dry-run and --status cannot be given together")
    state_path = values["state_file"] or batch_state_path(manifest)
    looking = values["dry_run"] or values["show_status"]
    loaded = load_manifest(
        manifest,
        given(values),
        only=_selection(values["only"]),
        require_files=False if looking else _needs_disks(state_path, values["retry_failed"]),
    )
    if not loaded.entries:
        raise UsageError(f"--only {' '.join(values['only'])}: no entry of {manifest} is named so")
    if looking:
        return _look(run, loaded, state_path, values)
    # the engine (and botocore) only when a batch runs: `vmimport --help` stays light
    from ec2_import_image.vmimport.distribute.apply import Distributor
    from ec2_import_image.vmimport.engine.entry import KeyStyle, Services
    from ec2_import_image.vmimport.engine.scheduler import BatchOptions, Scheduler
    from ec2_import_image.vmimport.preflight import CachedAccountCheck

    settings = engine_settings(values, KeyStyle.ENTRY)
    options = BatchOptions(
        max_active=values["max_active"],
        uploads=values["parallel_uploads"],
        poll_interval=values["poll_interval"],
        max_transient=values["max_transient_seconds"],
        retry_failed=values["retry_failed"],
        reimport_changed=values["reimport_changed"],
    )
    names = [spec.name for spec in loaded.entries]
    with StateDB.open(state_path) as db:
        _refuse_road_changes(db, loaded)
        db.put_entries([stored_spec(spec) for spec in loaded.entries], list(range(len(names))))
        recorded = [recorded_row(entry) for entry in db.entries() if entry.name in names]
        board = _board(run, names, recorded)
        scheduler = Scheduler(
            db,
            loaded.entries,
            services=Services(
                run,
                account_check=CachedAccountCheck(),
                concurrency=settings.upload.concurrency,
                after=Distributor.from_options(run, values),
            ),
            settings=settings,
            options=options,
            board=board,
            clock=run.env.clock,
            sleep=run.env.sleep,
        )
        try:
            summary = scheduler.run()
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (``signals``)
            board.close()
            _results_after_a_stop(run, db, loaded)
            run.env.stderr.write(
                f"stopped: the state is kept in {state_path}; imports already started go on "
                "in AWS; run the same command again to continue\n"
            )
            raise
        except BaseException:
            board.close()
            _results_after_a_stop(run, db, loaded)
            raise
        board.close()
        _write_results(run, db, loaded, interrupted=False)
        status = _exit_status(run, summary, len(names))
        _say_ended(run, db, loaded, summary)
    return status


def _refuse_road_changes(db: StateDB, loaded: Manifest) -> None:
    """Entries under way on a recorded road that the manifest now gives another road
    (``roadchoice.road_conflict``): refused together, before anything is written."""
    known = {entry.name: entry for entry in db.entries()}
    conflicts = [road_conflict(spec, known.get(spec.name)) for spec in loaded.entries]
    found = [conflict for conflict in conflicts if conflict is not None]
    if found:
        raise UsageError("; ".join(found))


def _needs_disks(state_path: Path, retry_failed: bool) -> Callable[[str], bool]:
    """Which entries need their local disks to be there (``changes.needs_disks``), as the
    state database says before the run (read only: a bad manifest creates nothing)."""
    known: dict[str, Entry] = {}
    if state_path.exists():
        with StateDB.open_readonly(state_path) as db:
            known = {entry.name: entry for entry in db.entries()}
    return lambda name: changes.needs_disks(known.get(name), retry_failed=retry_failed)


def _selection(patterns: tuple[str, ...]) -> Callable[[str], bool] | None:
    """``--only``: the entries whose name matches one of the patterns (fnmatch's)."""
    if not patterns:
        return None
    return lambda name: any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _board(run: Run, names: list[str], recorded: list[Row]) -> Board:
    if run.env.stderr_isatty:
        return LiveBoard(run.console(stderr=True), names, run.env.clock, recorded)
    return LineBoard(run.env.stderr, names, run.env.clock, recorded)


def _write_results(run: Run, db: StateDB, loaded: Manifest, *, interrupted: bool) -> None:
    """Both results files: the state database's rows, and an earlier run's for the entries it
    does not know (``merged_rows``)."""
    previous = read_results(loaded.path)
    if previous is None:
        run.env.stderr.write(
            f"the earlier results file {results_paths(loaded.path)[0]} cannot be read: it is "
            "replaced, without the rows of entries this state database does not know\n"
        )
    entries = {entry.name: entry for entry in db.entries()}
    rows = merged_rows(loaded.names, entries, previous or {})
    for row in rows:
        if row["entry"] in entries:
            row.update(distribution_columns(db, row["entry"], run.region))
    json_path, csv_path = write_results(loaded.path, rows)
    run.env.stderr.write(f"results: {json_path} and {csv_path}\n")
    if run.options.json and not interrupted:
        run.env.stdout.write(results_json(loaded.path, rows))


def _results_after_a_stop(run: Run, db: StateDB, loaded: Manifest) -> None:
    """The results of a run that stops (interrupted, or failed): a failure to write them is
    said, and the stop's own cause goes on."""
    try:
        _write_results(run, db, loaded, interrupted=True)
    except VmimportError as error:
        run.env.stderr.write(f"{error.message}\n")


def _say_ended(run: Run, db: StateDB, loaded: Manifest, summary: Summary) -> None:
    """Each failed entry of the manifest with its cause and fix (whichever run it failed in),
    then each set aside in this run with why: what the summary's counts are made of."""
    wanted = {spec.name for spec in loaded.entries}
    lines: list[str] = []
    for entry in db.entries():
        if entry.name not in wanted or entry.phase is not Phase.FAILED:
            continue
        error = entry.last_error
        lines.append(f"failed: {entry.name}: {error.message if error else 'failed'}")
        if error is not None:
            lines.extend(diagnostics.body(error))
    for name, message in summary.reasons:
        lines.append(f"to continue in another run: {name}: {message}")
    for line in lines:
        run.env.stderr.write(f"{line}\n")


def _exit_status(run: Run, summary: Summary, total: int) -> int:
    parts = [f"{summary.done} of {total} imported", f"{summary.failed} failed"]
    if summary.set_aside:
        parts.append(f"{len(summary.set_aside)} to continue in another run")
    if summary.internal:
        parts.append(
            f"{len(summary.internal)} met an internal error of vmimport (a bug: --debug logs "
            "its traceback; report it)"
        )
    run.env.stderr.write(", ".join(parts) + "\n")
    if summary.done == total and not summary.set_aside:
        return ExitStatus.OK
    if summary.internal:
        return ExitStatus.INTERNAL
    if summary.failed:
        return ExitStatus.PROBLEMS
    return ExitStatus.INCOMPLETE


def _look(run: Run, loaded: Manifest, state_path: Path, values: dict[str, Any]) -> int:
    """``--dry-run`` or ``--status``: the manifest against the state, nothing done, nothing
    written, no disk read (``stat`` only) but a ``via: auto`` entry's (``auto_choices``)."""
    if values["dry_run"]:
        return dry_run(
            run,
            loaded.entries,
            state_path,
            Looking(values["retry_failed"], values["reimport_changed"]),
        )
    with recorded(state_path) as (db, entries, disks):
        looking = Looking(values["retry_failed"], values["reimport_changed"], db)
        home = region_home(run)
        now = show.utc_now()
        rows = []
        for spec in loaded.entries:
            entry = entries.get(spec.name)
            row = status_row(
                spec, entry, status_note(spec, entry, disks.get(spec.name, ()), looking)
            )
            row["distribution"] = show.status(db, entry, spec.distribution, home, now)
            if db is not None and entry is not None:
                row.update(distribution_columns(db, spec.name, home))
            rows.append(row)
        asked = any(not show.asks_nothing(spec.distribution) for spec in loaded.entries)
        extra = (("distribution", "distribution"),) if asked else ()
        write_rows(run, rows, (*STATUS_COLUMNS, *extra))
        return ExitStatus.OK
