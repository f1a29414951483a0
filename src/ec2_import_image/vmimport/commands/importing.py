"""``vmimport import DISK... --bucket B``: one image from disk files (or S3 objects) to an AMI.

The engine on one entry (``engine.single``): check, hash, look for earlier
work (the state database, then tasks and AMIs tagged for these disks),
upload (``PREFIX<16 hex of the SHA-256>/<file name>``), ImportImage with an
idempotent ClientToken and the ``vmimport:`` tags, wait, tag the AMI and its
snapshots, delete the upload.  The state is kept in
``${XDG_STATE_HOME:-~/.local/state}/vmimport/state.sqlite`` (``--state``),
the entry named ``--name`` (default: the first disk's file name); a rerun
continues where a run stopped, and a rerun of a finished import returns its
result without sending anything.

Each step goes to stderr (rich on a terminal, one line per step otherwise);
the result is JSON on stdout.  With ``--json``, an import that fails or stops
prints a JSON document too (``failure_document``: the results file's names),
so that a script gets the task id and the error either way.  A rerun of an
ended import with other options says which differ (``option_changes``) and
applies none: the stored spec stays the one that import was made with until
a new attempt starts.  The road is the attempt's once recorded (``--via auto``'s choice
too): another one named while the import is under way is refused
(``engine.roadchoice``).

Exit status: 0 the AMI exists (or, with ``--no-wait``, the import started);
1 the checks found errors, ``--via auto`` found no road that takes the disks,
ImportImage refused the import or its task failed
(the cause and remedy on stderr); 2 usage; 3 the work could not be completed
(a rerun continues); 4 an internal error of vmimport; 130 interrupted
(imports go on in AWS; a rerun picks them up).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ec2_import_image.importtasks.pacing import POLLING
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.commands.options import given, request_options
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.distribute.pacing import DEFAULT_MAX_COPIES
from ec2_import_image.vmimport.engine.plan import Choice, Looking
from ec2_import_image.vmimport.engine.roadchoice import road_conflict
from ec2_import_image.vmimport.errors import ExitStatus, UsageError, VmimportError
from ec2_import_image.vmimport.manifest import NAME, NAME_RULE, entry_from_options, option_name
from ec2_import_image.vmimport.spec import MAX_DISKS, Auto, ImportSpec
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.paths import import_state_path
from ec2_import_image.vmimport.state.records import DiskState, Entry, EntrySpec
from ec2_import_image.vmimport.state.records import ImportOptions as StoredOptions
from ec2_import_image.vmimport.upload.ebsclients import DEFAULT_CONCURRENCY
from ec2_import_image.vmimport.upload.parts import S3_MIN_PART

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.entry import EngineSettings, KeyStyle

MiB = 1024 * 1024
F = TypeVar("F", bound=Callable[..., Any])


def default_name(disk: str) -> str:
    """The entry's name when ``--name`` is not given: the first disk's file name."""
    name = PurePosixPath(disk).name if disk.startswith("s3://") else Path(disk).name
    if not NAME.match(name):
        raise UsageError(
            f"the first disk's file name {name!r} cannot name the import ({NAME_RULE}): give --name"
        )
    return name


def stored_spec(spec: ImportSpec) -> EntrySpec:
    """The spec as the state database keeps it (plain values)."""
    options = spec.options
    return EntrySpec(
        spec.name,
        tuple(disk.location for disk in spec.disks),
        StoredOptions(
            bucket=options.bucket,
            prefix=options.prefix,
            format=options.format.value if options.format else None,
            boot_mode=options.boot_mode.value if options.boot_mode else None,
            architecture=options.architecture.value if options.architecture else None,
            platform=options.platform.value if options.platform else None,
            license_type=options.license_type.value if options.license_type else None,
            usage_operation=options.usage_operation,
            description=options.description,
            role_name=options.role_name,
            encrypted=options.encrypted,
            kms_key_id=options.kms_key_id,
            license_specifications=options.license_specifications,
            tags=options.tags,
            keep_upload=options.keep_upload,
            via=options.via.value,
            ena=options.ena,
            tpm=options.tpm,
            uefi_data=options.uefi_data,
        ),
    )


def _recorded(db: StateDB, name: str) -> Entry | None:
    from ec2_import_image.vmimport.state.errors import UnknownEntry

    try:
        return db.entry(name)
    except UnknownEntry:
        return None


def _refuse_a_change_under_way(entry: Entry | None, wanted: EntrySpec) -> None:
    """Another request under a name whose import task runs: refused, not silently mixed."""
    if entry is None:
        return
    task = entry.attempt.import_task_id
    if entry.spec != wanted and not entry.phase.final and task:
        raise UsageError(
            f"the import {wanted.name} is under way ({task}) with other disks or options: run "
            "its command again to finish it, or give this one another --name"
        )


def _shown(value: Any) -> str:
    if value is None or value == () or value is False:
        return "none"
    if value is True:
        return "yes"
    if isinstance(value, tuple):
        return ", ".join("=".join(item) if isinstance(item, tuple) else item for item in value)
    return str(value)


def option_changes(before: StoredOptions, after: StoredOptions) -> tuple[str, ...]:
    """The options of ``after`` that differ from ``before``, as a person reads them:
    ``--tag env=prod (was env=dev)``."""
    return tuple(
        f"{option_name(key)} {_shown(new)} (was {_shown(old)})"
        for key, old, new in zip(before._fields, before, after, strict=True)
        if old != new
    )


#: where ``import`` keeps its state unless ``--state`` says (``state.paths``)
IMPORT_STATE = "${XDG_STATE_HOME:-~/.local/state}/vmimport/state.sqlite"

IMPORT_EPILOG = f"""\
The state database is {IMPORT_STATE} unless --state names another; a rerun of the same
command continues where a run stopped, and returns a finished import's result without
sending anything.

Exit status: 0 the AMI exists (with --no-wait: the import started); 1 the checks found
errors, --via auto found no road that takes the disks, ImportImage refused the import or
its task failed (the cause and the fix on stderr); 2 usage error (another --via for an
import under way on its recorded road too); 3 the work could not be completed (no
credentials or Region, the endpoint unreachable, the wait's limits reached: a rerun
continues); 4 an internal error of vmimport (a bug: --debug shows its traceback); 130
interrupted (an import started goes on in AWS).
"""


def engine_options(state_default: str) -> Callable[[F], F]:
    """Options of how the engine runs, shared with ``batch`` (``state_default``: where the
    state database is when ``--state`` is not given, as ``--help`` says it)."""

    def decorate(function: F) -> F:
        for decorator in reversed(_engine_options(state_default)):
            function = decorator(function)
        return function

    return decorate


def _engine_options(state_default: str) -> list[Callable[[F], F]]:
    return [
        click.option(
            "--skip-check", is_flag=True, help="Go on past check errors (they are still shown)."
        ),
        click.option(
            "--verify-digests", is_flag=True, help="Also verify an S3 OVA's manifest digests."
        ),
        click.option(
            "--state",
            "state_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"The state database (default: {state_default}).",
        ),
        click.option(
            "--retry-failed", is_flag=True, help="Start a new attempt for failed imports."
        ),
        click.option(
            "--max-transient-seconds",
            type=click.IntRange(min=0),
            default=int(POLLING.patience),
            show_default=True,
            help="How long polls may keep failing transiently.",
        ),
        click.option(
            "--poll-interval",
            type=click.FloatRange(min=0.05),
            default=POLLING.cap,
            show_default=True,
            help="The longest pause between two polls, in seconds.",
        ),
        click.option(
            "--part-size",
            type=click.IntRange(min=S3_MIN_PART // MiB, max=5120),
            default=32,
            show_default=True,
            help="The smallest upload part, in MiB.",
        ),
        click.option(
            "--upload-threads",
            type=click.IntRange(min=1, max=64),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Parts (S3) or blocks (--via direct: EBS direct APIs) sent at once per disk.",
        ),
        click.option(
            "--max-image-copies",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_COPIES,
            show_default=True,
            help="AMI copies in progress at once per destination Region (the service's limit).",
        ),
    ]


def engine_settings(values: dict[str, Any], keys: KeyStyle) -> EngineSettings:
    """The engine's settings from the options of ``engine_options``."""
    from ec2_import_image.vmimport.engine.entry import EngineSettings
    from ec2_import_image.vmimport.engine.waiting import WaitLimits
    from ec2_import_image.vmimport.upload.ebsdirect import SnapshotSettings
    from ec2_import_image.vmimport.upload.multipart import UploadSettings

    return EngineSettings(
        keys=keys,
        skip_check=values["skip_check"],
        verify_digests=values["verify_digests"],
        upload=UploadSettings(
            concurrency=values["upload_threads"], min_part_size=values["part_size"] * MiB
        ),
        limits=WaitLimits(
            max_wait=values.get("max_wait"),
            max_transient=values["max_transient_seconds"],
            poll_interval=values["poll_interval"],
        ),
        snapshots=SnapshotSettings(concurrency=values["upload_threads"]),
    )


@click.command("import", epilog=IMPORT_EPILOG)
@click.argument("disks", nargs=-1, required=True, metavar="DISK...")
@click.option("--name", help="The import's name (default: the first disk's file name).")
@request_options
@engine_options(IMPORT_STATE)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Return once the import has started (--via snapshot: every disk's task; --via "
    "direct: every disk written and its snapshot completing); a rerun waits and finishes.",
)
@click.option("--max-wait", type=click.IntRange(min=1), help="Stop waiting after so many seconds.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan (with --via auto: the road and why); send, write, upload nothing.",
)
@cli.command
def import_image(run: Run, *, disks: tuple[str, ...], name: str | None, **values: Any) -> int:
    """Import disk images (local files or s3://bucket/key) into an AMI, idempotently, by the
    road --via names (image: S3 and ImportImage; direct: EBS direct APIs and RegisterImage;
    auto: the one the check recommends)."""
    # the engine (and botocore) only when a command runs: `vmimport --help` stays light
    from ec2_import_image.vmimport.distribute.apply import Distributor
    from ec2_import_image.vmimport.engine.display import LineReporter, RichReporter
    from ec2_import_image.vmimport.engine.entry import EntryWork, KeyStyle, Services
    from ec2_import_image.vmimport.engine.errors import EntryFailed
    from ec2_import_image.vmimport.engine.single import (
        Clock,
        SingleOptions,
        failure_lines,
        import_one,
    )

    if len(disks) > MAX_DISKS:
        raise UsageError(f"{len(disks)} disks: an image can have at most {MAX_DISKS} volumes")
    raw = {"name": name or default_name(disks[0]), "disks": list(disks), **given(values)}
    spec = entry_from_options(raw, Path.cwd())
    state_path = values["state_file"] or import_state_path(run.env.environ)
    if values["dry_run"]:
        looking = Looking(retry_failed=values["retry_failed"], content_keys=True)
        return dry_run(run, [spec], state_path, looking)
    settings = engine_settings(values, KeyStyle.CONTENT)
    options = SingleOptions(
        limits=settings.limits,
        retry_failed=values["retry_failed"],
    )
    env = run.env
    reporter = (
        RichReporter(run.console(stderr=True)) if env.stderr_isatty else LineReporter(env.stderr)
    )
    wanted = stored_spec(spec)
    with StateDB.open(state_path) as db:
        before = _recorded(db, spec.name)
        _refuse_a_change_under_way(before, wanted)
        conflict = road_conflict(spec, before)
        if conflict is not None:
            raise UsageError(conflict)
        changes: tuple[str, ...] = ()
        if before is not None and before.phase.final and before.spec.disks == wanted.disks:
            # the stored spec stays the ended import's until a new attempt starts: what a
            # rerun with other options is compared with is what that import was made with
            changes = option_changes(before.spec.options, wanted.options)
        if changes:
            options = options._replace(
                changed_options=changes, adopt_spec=lambda: db.put_entry(wanted)
            )
        else:
            db.put_entry(wanted)
        claim = db.claim(spec.name)
        with db.hold(claim):
            work = EntryWork(
                db,
                claim,
                spec=spec,
                services=Services(
                    run,
                    concurrency=settings.upload.concurrency,
                    after=Distributor.from_options(run, values),
                ),
                settings=settings,
                reporter=reporter,
                waits=not values["no_wait"],
            )
            try:
                result = import_one(work, options, Clock(env.clock, env.sleep))
            except EntryFailed as failure:
                reporter.close()
                for line in failure_lines(failure):
                    env.stderr.write(f"{line}\n")
                env.stderr.flush()
                if run.options.json:
                    _write_json(run, failure_document(db, spec.name, run.region))
                return ExitStatus.PROBLEMS
            except VmimportError:
                if run.options.json:
                    _write_json(run, failure_document(db, spec.name, run.region))
                raise
            except KeyboardInterrupt:
                reporter.close()
                env.stderr.write(
                    f"\nstopped: the state is kept in {state_path}; an import already started "
                    "goes on in AWS; run the same command again to continue\n"
                )
                raise
            finally:
                reporter.close()
    _write_json(run, result.to_json())
    return ExitStatus.OK


def _write_json(run: Run, document: dict[str, Any]) -> None:
    json.dump(document, run.env.stdout, indent=2)
    run.env.stdout.write("\n")


def failure_document(db: StateDB, name: str, region: str | None = None) -> dict[str, Any]:
    """What ``--json`` prints for an import that failed or stopped: the entry as the results
    file of a batch has it (``status``, ``image_id``, ``import_task_id``, ``error_code``,
    ``message``, ``cause``, ``remedy``, ``images``, ``shared``...) and its disks."""
    from ec2_import_image.vmimport.distribute.results import columns
    from ec2_import_image.vmimport.engine.results import disk_objects, entry_row

    document = entry_row(db.entry(name))
    document.update(columns(db, name, region))
    document["disks"] = [disk.to_json() for disk in disk_objects(db.disks(name))]
    return document


# -- --dry-run, shared with batch ------------------------------------------------------------


def dry_run(run: Run, specs: Sequence[ImportSpec], state_path: Path, looking: Looking) -> int:
    """``--dry-run`` (``import`` and ``batch``): each entry's plan (``engine.plan``) and its
    AMI's distribution steps, from the specs, the state database (read only; a missing one
    is not created) and ``stat``; the local disks of a ``via: auto`` entry whose road is not
    recorded are read as ``check`` reads them (``auto_choices``).  Nothing is sent or
    written."""
    from ec2_import_image.vmimport.distribute import show
    from ec2_import_image.vmimport.engine.plan import plan

    with recorded(state_path) as (db, entries, disks):
        home = region_home(run)
        now = show.utc_now()
        steps = []
        choices = auto_choices(run, specs, entries)
        looking = looking._replace(cache=db)
        for step in plan(specs, entries, disks, looking, choices):
            steps.append(step.to_json())
            spec = next(s for s in specs if s.name == step.entry)
            for later in show.planned(db, entries.get(spec.name), spec.distribution, home, now):
                steps.append(
                    {
                        "entry": spec.name,
                        "action": later.action.value,
                        "detail": f"{later.region}: {later.detail}",
                    }
                )
    columns = (("entry", "entry"), ("action", "action"), ("detail", "detail"))
    write_rows(run, steps, columns)
    run.env.stderr.write(
        "dry run: nothing was done; a run also looks for each entry's task or AMI in the "
        "account (by its tags) before uploading it\n"
    )
    return ExitStatus.OK


@contextlib.contextmanager
def recorded(
    state_path: Path,
) -> Iterator[tuple[StateDB | None, dict[str, Entry], dict[str, Sequence[DiskState]]]]:
    """The state database read only (None when there is none: it is not created), its
    entries and their disks by name (``--dry-run``, ``--status``)."""
    if not state_path.exists():
        yield None, {}, {}
        return
    with StateDB.open_readonly(state_path) as db:
        entries = {entry.name: entry for entry in db.entries()}
        yield db, entries, {name: db.disks(name) for name in entries}


def auto_choices(
    run: Run, specs: Sequence[ImportSpec], entries: Mapping[str, Entry]
) -> dict[str, Choice]:
    """``--via auto``: the road each entry without a recorded one would take, from its disks
    alone (``check``'s verdicts without the account: nothing is sent), for entries whose disks
    are all local and there; read as ``check`` reads them (containers, partitions, the OS)."""
    from ec2_import_image.vmimport.engine import changes
    from ec2_import_image.vmimport.preflight import CheckRequest, check_image

    choices: dict[str, Choice] = {}
    for spec in specs:
        entry = entries.get(spec.name)
        if spec.options.via is not Auto.AUTO or (entry is not None and entry.phase.final):
            continue
        if entry is not None and entry.attempt.road_recorded:
            continue
        if any(disk.is_s3 for disk in spec.disks) or changes.missing(
            [disk.location for disk in spec.disks]
        ):
            continue
        locations = [disk.location for disk in spec.disks]
        request = CheckRequest.of_disks(locations, spec.options, Auto.AUTO)
        try:
            verdicts = check_image(run, request).roads
        except VmimportError:
            continue  # a run says why the disks cannot be read
        choices[spec.name] = Choice(verdicts.recommended, verdicts.reason)
    return choices


def region_home(run: Run) -> str:
    """The Region the imports go to, as the run resolves it (offline: no request is sent)."""
    try:
        region = run.region
    except Exception:  # a configuration that cannot be read: the plan says so
        region = None
    return region or "(the import's Region)"


def _cell(value: Any) -> str:
    from ec2_import_image.vmimport.distribute import show

    if value is None:
        return ""
    if isinstance(value, dict) and set(value) == {"done", "planned"}:
        return show.summary(value)
    return str(value)


def write_rows(run: Run, rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> None:
    """The rows as JSON (every key), or a table of ``columns`` (header, key)."""
    if run.options.json:
        json.dump(rows, run.env.stdout, indent=2)
        run.env.stdout.write("\n")
        return
    headers = [header for header, _ in columns]
    cells = [[_cell(row[key]) for _, key in columns] for row in rows]
    widths = [
        max(len(header), *(len(line[i]) for line in cells)) for i, header in enumerate(headers)
    ]
    for line in [headers, *cells]:
        run.env.stdout.write(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        )
        run.env.stdout.write("\n")
