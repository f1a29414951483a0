"""One entry on its way from disk files to an AMI, each phase committed before the next.

The phases (``state.records.Phase``)::

    CHECKING -> HASHING -> (discovery) -> UPLOADING -> IMPORTING -> WAITING -> FINISHING -> DONE
                                                                                         \\-> FAILED

- **check** (``preflight``): the disks read from their bytes, judged with the
  account (``vmimport check``); errors end the entry before anything is
  uploaded, unless the checks are skipped.  The inspections are kept: they
  give the Format and the boot mode of the request.
- **hash**: each local disk's SHA-256 (reused while ``stat`` says the file is
  unchanged), each ``s3://`` disk's object looked at (``HeadObject``): the
  entry's ``Identity``, recorded with the attempt.
- **discover** (``discovery``): a task or an AMI carrying the identity's tags
  is adopted, and nothing is uploaded.
- **upload** (``upload``): resumable multipart, content keys (``import``) or
  entry keys (``batch``); an ``s3://`` disk is not uploaded.
- **start** (``starting``): the ClientToken recorded, then ImportImage, then
  the task id recorded.
- **wait**: the caller polls (``waiting``); each change of the task's state is
  a line of the entry's history.
- **finish** (``finishing``): the AMI and snapshots tagged, the uploads
  deleted, ``DONE``; then what is asked of the AMI (``Services.after``: the
  ``distribute`` package's hook), also on each rerun of a ``DONE`` entry.

Where to go on from is read from the state database (``resume_point``): an
AMI recorded means finish, a task recorded means wait, anything else means
prepare again, which is cheap for what is done (the hash is reused, an upload
finds its object or resumes its parts, discovery and the token find the task
a crash left behind).  ``kill -9`` anywhere loses nothing.

Discovery and what follows it up to the AMI are the road's (``road.RoadSteps``, chosen by
``--via``): the phases above are the image road's; the direct road (``direct``) writes the
disks into EBS snapshots in ``UPLOADING`` and registers the AMI in ``IMPORTING``, then goes
on to ``FINISHING`` as the image road does once its task completed.  With ``--via auto``
the check chooses the road (its report's recommended road, ``roadverdicts``; none: the
entry fails ``no-road``), which is recorded with its reason before the hash and kept by
every rerun (``roadchoice``); StartSnapshot refused for permissions before any block is
written falls back to the snapshot or image road (``_fall_back``), recorded the same way.

``EntryWork`` does the phases; the ``import`` command (``single``) and the
batch ``scheduler`` decide when.  It talks to AWS through ``Services`` and to
the person watching through a ``Reporter``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ec2_import_image import diagnostics
from ec2_import_image.diagnostics import Diagnostic, Severity
from ec2_import_image.diskimage.records import DiskReport
from ec2_import_image.failures import explain
from ec2_import_image.guestos.judge import RoadVerdicts
from ec2_import_image.importtasks.tasks import (
    Task,
    fields,
    state_line,
    status,
    status_message,
    task_id,
)
from ec2_import_image.roads import TABLE, Road
from ec2_import_image.shellcommand import command
from ec2_import_image.vmimport import s3objects
from ec2_import_image.vmimport.account.assessment import check_account
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.engine import changes, finishing
from ec2_import_image.vmimport.engine.changes import DiskChange, Found
from ec2_import_image.vmimport.engine.discovery import (
    LIVE_IMAGE_STATES,
    Discovered,
    discover,
    find_image_named_after,
)
from ec2_import_image.vmimport.engine.errors import EntryFailed, FailureCode
from ec2_import_image.vmimport.engine.identity import (
    Identity,
    client_token,
    finished_tags,
    s3_stand_in,
)
from ec2_import_image.vmimport.engine.members import is_ova, member_objects
from ec2_import_image.vmimport.engine.request import (
    DiskObject,
    Prepared,
    detected_boot_mode,
    detected_format,
    import_request,
)
from ec2_import_image.vmimport.engine.results import ImportResult, disk_objects, task_ids
from ec2_import_image.vmimport.engine.road import RoadSteps, steps_for
from ec2_import_image.vmimport.engine.roadchoice import road_taken
from ec2_import_image.vmimport.engine.starting import start_import
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.engine.waiting import WaitLimits
from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.explaining import CANCELLED, explained
from ec2_import_image.vmimport.preflight import (
    AccountCheck,
    CheckRequest,
    Inspected,
    check_image,
    inspect_disks,
    os_road,
)
from ec2_import_image.vmimport.report import CheckReport
from ec2_import_image.vmimport.roadverdicts import fallback_after_denial, lacks
from ec2_import_image.vmimport.spec import DEFAULT_ROLE, Auto, ImportSpec, Via
from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import (
    Entry,
    FileDigest,
    ObjectState,
    Phase,
    StoredObject,
)
from ec2_import_image.vmimport.state.store import Claim
from ec2_import_image.vmimport.upload.clients import S3Clients, from_run
from ec2_import_image.vmimport.upload.disk import hash_disk
from ec2_import_image.vmimport.upload.ebserrors import SnapshotAccessDenied
from ec2_import_image.vmimport.upload.keys import content_key, entry_key
from ec2_import_image.vmimport.upload.multipart import (
    DEFAULT_SETTINGS,
    ObjectTarget,
    UploadSettings,
    upload_file,
)
from ec2_import_image.vmimport.upload.progress import Progress

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.slots import Slots
    from ec2_import_image.vmimport.upload.ebsclients import EbsClients
    from ec2_import_image.vmimport.upload.ebsdirect import SnapshotSettings


class KeyStyle(StrEnum):
    """How uploaded objects are named (``upload.keys``)."""

    #: ``PREFIX<16 hex of the SHA-256>/<file name>`` (``import``)
    CONTENT = "content"
    #: ``PREFIX<entry name>/<file name>`` (``batch``: entries sharing a file name never collide)
    ENTRY = "entry"


class EngineSettings(NamedTuple):
    keys: KeyStyle = KeyStyle.CONTENT
    #: go on past check errors (``--skip-check``)
    skip_check: bool = False
    #: verify an S3 OVA's manifest digests too (reads every byte)
    verify_digests: bool = False
    upload: UploadSettings = DEFAULT_SETTINGS
    #: the waits a road makes inside ``prepare`` (the snapshot road's tasks): ``--max-wait``,
    #: ``--max-transient-seconds``, ``--poll-interval``
    limits: WaitLimits = WaitLimits()
    #: how the direct road writes its snapshots (``upload.ebsdirect``; None: its defaults)
    snapshots: SnapshotSettings | None = None


#: what runs after an entry's AMI is finished, and on each rerun of a finished entry (the
#: AMI's name, copies, shares, flags: ``distribute.apply.Distributor``); answers the result
AfterImport = Callable[["EntryWork", ImportResult], ImportResult]


class Services:
    """The AWS clients entries use, made once (botocore clients are thread-safe), and what
    runs after an import (``after``)."""

    def __init__(
        self,
        run: Run,
        *,
        account_check: AccountCheck = check_account,
        concurrency: int = 8,
        after: AfterImport | None = None,
    ) -> None:
        self.run = run
        self.ec2 = run.client("ec2")
        self.s3: S3Clients = from_run(run, concurrency=concurrency)
        self.account_check = account_check
        self.after = after
        self._concurrency = concurrency
        self._ebs: EbsClients | None = None

    @property
    def ebs(self) -> EbsClients:
        """The direct road's clients (EBS direct APIs, EC2, KMS), made on first use."""
        if self._ebs is None:
            from ec2_import_image.vmimport.upload import ebsclients

            self._ebs = ebsclients.from_run(self.run, concurrency=self._concurrency)
        return self._ebs


class Reporter(Protocol):
    """What a person watching an entry sees."""

    #: bytes as they are hashed and uploaded
    progress: Progress

    def phase(self, phase: Phase, message: str) -> None:
        """The entry entered a phase (``message`` says what it does)."""

    def step(self, message: str) -> None:
        """One step of the entry (a finding, a decision)."""

    def task(self, task: Task) -> None:
        """The import task's state, each time it is polled."""


def _problem_line(item: Diagnostic) -> str:
    return "\n".join(diagnostics.lines(item))


def no_road(verdicts: RoadVerdicts, source: str) -> EntryFailed:
    """``--via auto``'s refusal of an image no road takes, with what each road lacks."""
    info = Diagnostic(
        FailureCode.NO_ROAD,
        f"--via auto: no road takes {source} as it is: nothing was uploaded",
        context=f"{verdicts.reason}. What stops each road: {lacks(verdicts)}.",
        hint="Fix what stops a road (vmimport check shows each problem), or choose a road "
        "with --via and --skip-check if the disk boots there all the same.",
    )
    return EntryFailed(info)


def check_failure(problems: Sequence[Diagnostic]) -> EntryFailed:
    """The failure of an entry whose check found errors: the first is its cause and remedy,
    the others its details (each problem said once)."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    first = errors[0]
    more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
    info = Diagnostic(
        FailureCode.CHECK,
        f"vmimport check found {first.code} in {first.subject}{more}: nothing was uploaded",
        context=first.message,
        hint=first.hint,
    )
    return EntryFailed(info, [_problem_line(p) for p in errors[1:]])


class EntryWork:
    """One claimed entry's phases (see the module's docstring)."""

    def __init__(
        self,
        db: StateDB,
        claim: Claim,
        *,
        spec: ImportSpec,
        services: Services,
        settings: EngineSettings,
        reporter: Reporter,
        cancel: threading.Event | None = None,
        slots: Slots | None = None,
        waits: bool = True,
    ) -> None:
        self.db = db
        self.claim = claim
        self.spec = spec
        self.services = services
        self.settings = settings
        self.reporter = reporter
        self.cancel = cancel
        #: the batch's gate on task starts (``--max-active``) for a road that starts its tasks
        #: itself (the snapshot road); None: no gate (a single import)
        self.slots = slots
        #: whether the caller waits for the road's work in AWS (``import --no-wait``: false);
        #: a road that starts and waits in ``deliver`` returns ``underway.Underway`` without it
        self.waits = waits
        self._reports: dict[str, DiskReport] | None = None
        self._digests: dict[int, FileDigest] = {}
        self._s3_disks: dict[int, DiskObject] = {}
        self._identity: Identity | None = None
        self._seen_state: str | None = None
        self._road: RoadSteps | None = None
        #: ``--via auto``: the road the check chose, and the verdicts it chose from
        self._chosen: Road | None = None
        self._verdicts: RoadVerdicts | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(disk.location for disk in self.spec.disks)

    def entry(self) -> Entry:
        return self.db.entry(self.name)

    def _enter(self, phase: Phase, message: str) -> None:
        self.db.set_phase(self.claim, phase, message)
        self.reporter.phase(phase, message)

    def resume_point(self) -> Phase:
        """The phase the entry goes on from (``Entry.resumes_at``)."""
        return self.entry().resumes_at

    def restart(self, why: str) -> None:
        """The next attempt (a new ClientToken); the disks' uploads and objects are kept."""
        attempt = self.db.restart(self.claim)
        self.reporter.step(f"attempt {attempt.number}: {why}")

    # ------------------------------------------------------------------ prepare

    def prepare(self) -> Prepared | Phase | Underway:
        """Check, hash, discover, then the road's own steps (``road``): the entry ready to
        start (the image road), or the phase to go on from (``WAITING``, ``FINISHING``) when
        the account already holds its work or the road registered the AMI itself, or the
        road's work left running (``Underway``: ``waits`` false)."""
        attempt = self.entry().attempt
        auto = self.spec.options.via is Auto.AUTO and not attempt.road_recorded
        if not auto:
            _ = self.road  # a road this version does not take is refused before any work
        # ``--via auto`` chooses its road from the check: run it until a road is recorded
        judge = self.entry().phase in (Phase.PENDING, Phase.CHECKING) or auto
        if judge:
            self._enter(Phase.CHECKING, "checking the disks and the account")
        self._check(judge, choose=auto)
        road = self.road
        if not self.entry().attempt.road_recorded:
            self.db.record_via(self.claim, road.road.value, self._given_reason(road.road))
        self._enter(Phase.HASHING, f"hashing {len(self.sources)} disk(s)")
        identity = self.identify()
        found = road.discover(self, identity)
        if found is not None:
            return self._adopt(found)
        self.reporter.step("none found: this is a new import")
        try:
            return road.deliver(self, identity)
        except SnapshotAccessDenied as denied:
            return self._fall_back(denied, identity)

    @property
    def road(self) -> RoadSteps:
        """The steps of the road the entry takes: the attempt's once recorded (a rerun, even
        by a later version, keeps it), else ``--via``'s, else (``auto``) the check's."""
        if self._road is None:
            via = road_taken(self.spec, self.entry())
            if via is Auto.AUTO:
                assert self._chosen is not None, "--via auto: the check chooses the road first"
                via = self._chosen
            self._road = steps_for(via)
        return self._road

    def _via(self) -> Via:
        """The road the check judges for: the one taken (``auto`` until chosen)."""
        return self._chosen or road_taken(self.spec, self.entry())

    def _given_reason(self, road: Road) -> str:
        """Why the attempt takes a road it was given (recorded with it)."""
        if self.spec.options.via is Auto.AUTO:  # the check could not choose: --skip-check
            return f"--via auto: the {road.value} road, as without the check"
        return f"--via {road.value}"

    def _choose(self, report: CheckReport) -> None:
        """``--via auto``: the road the check recommends, recorded with why, and said; an
        image no road takes is refused with what each lacks (``--skip-check``: the image
        road, as without the check)."""
        verdicts = report.roads
        road, reason = verdicts.recommended, verdicts.reason
        if road is None:
            if not self.settings.skip_check:
                raise no_road(verdicts, self.sources[0])
            road, reason = Road.IMAGE, f"{reason}; --skip-check: the image road"
        if TABLE[road].bucket and not self._bucket_for(road):
            raise EntryFailed(
                Diagnostic(
                    FailureCode.NO_ROAD,
                    f"--via auto chose the {road.value} road ({reason}), which uploads the "
                    "local disks to S3, and no bucket was given: nothing was uploaded",
                    hint="Give --bucket (the manifest's bucket), or choose a road with --via.",
                )
            )
        self._chosen = road
        self._record_road(road, f"--via auto: {reason}")

    def _record_road(self, road: Road, reason: str) -> None:
        self.db.record_via(self.claim, road.value, reason)
        self.db.add_event(self.claim, f"road: {road.value} ({reason})")
        self.reporter.step(f"road: {road.value} ({reason})")

    def _bucket_for(self, road: Road) -> bool:
        """Whether ``road`` has what it uploads local disks to (a bucket, or none to upload)."""
        local = any(not disk.is_s3 for disk in self.spec.disks)
        return not (TABLE[road].bucket and local) or self.spec.options.bucket is not None

    def _fall_back(
        self, denied: SnapshotAccessDenied, identity: Identity
    ) -> Prepared | Phase | Underway:
        """StartSnapshot refused for permissions before any block of the entry was written, on
        the road ``--via auto`` chose: the snapshot road, else the image road
        (``roadverdicts.fallback_after_denial``), recorded and said; else the refusal."""
        written = self.db.any_snapshot_recorded(self.claim)
        if self.spec.options.via is not Auto.AUTO or denied.snapshot_id is not None or written:
            raise denied
        verdicts = self._verdicts or self._recheck().roads
        fallback = fallback_after_denial(verdicts, bucket=self._bucket_for(Road.SNAPSHOT))
        if fallback.road is None:
            raise EntryFailed(
                Diagnostic(
                    FailureCode.NO_ROAD,
                    f"--via auto: the EBS direct APIs refused the direct road ({denied}), and "
                    f"no other road can be taken: {fallback.reason}",
                    hint="Allow the EBS direct APIs (ebs:StartSnapshot, ebs:PutSnapshotBlock, "
                    "ebs:CompleteSnapshot) to the credentials, or give --bucket and choose a "
                    "road with --via.",
                )
            )
        self._record_road(
            fallback.road,
            f"--via auto: StartSnapshot was refused for permissions before any block was "
            f"written ({denied}); {fallback.reason}",
        )
        self._road = steps_for(fallback.road)
        found = self._road.discover(self, identity)
        if found is not None:
            return self._adopt(found)
        return self._road.deliver(self, identity)

    def _recheck(self) -> CheckReport:
        """The check again, for its verdicts (a rerun that fell back without them)."""
        inspected = inspect_disks(
            self.services.run, self.sources, digests=False, os_for=os_road(Auto.AUTO)
        )
        return self._judge(inspected, Auto.AUTO)

    @property
    def reports(self) -> dict[str, DiskReport]:
        """The disks' inspections by source (the check's), empty before it ran."""
        return self._reports or {}

    def image_request(self, identity: Identity, disks: Sequence[DiskObject]) -> Prepared:
        """The image road's ImportImage request of the uploaded disks, and its token."""
        reports = [self.reports[s] for s in self.sources if s in self.reports]
        formats = [
            detected_format(
                self.reports.get(source),
                self.spec.options.format.value if self.spec.options.format else None,
                source,
            )
            for source in self.sources
        ]
        boot_mode = detected_boot_mode(
            reports, self.spec.options.boot_mode.value if self.spec.options.boot_mode else None
        )
        request = import_request(
            self.spec.options, disks, formats, boot_mode, identity.tags(self.spec.options.tags)
        )
        token = client_token(identity, request, self.entry().attempt.number)
        return Prepared(identity, request, token, tuple(disks))

    def _check(self, judge: bool, *, choose: bool = False) -> None:
        """The check (``judge``: the disks judged, not only read for the request);
        ``choose``: ``--via auto``'s road chosen from it (``_choose``)."""
        inspected = inspect_disks(
            self.services.run,
            self.sources,
            verify_digests=self.settings.verify_digests,
            digests=judge,
            os_for=os_road(self._via()) if judge else None,
        )
        self._reports = {report.source: report for report in inspected.reports}
        if not judge:
            return
        try:
            report = self._judge(inspected)
        except Incomplete as error:
            if not self.settings.skip_check:
                raise
            self.reporter.step(f"the check could not be completed ({error}): --skip-check")
            if choose:
                self._chosen = Road.IMAGE
            return
        if choose:
            self._choose(report)
        if report.ok:
            return
        if not self.settings.skip_check:
            raise check_failure(report.problems)
        for item in report.problems:
            if item.severity is Severity.ERROR:
                self.reporter.step(f"check: {_problem_line(item)}")
        self.reporter.step("these check errors do not stop the import (--skip-check)")

    def _judge(self, inspected: Inspected, via: Via | None = None) -> CheckReport:
        """The check's report for ``via`` (the road taken), its warnings said (its errors
        are the caller's)."""
        options = self.spec.options
        via = via or self._via()
        local = any(not disk.is_s3 for disk in self.spec.disks)
        # the direct road uploads nothing to S3; auto may take a road that does
        local = local and (via is Auto.AUTO or TABLE[via].bucket)
        report = check_image(
            self.services.run,
            CheckRequest.of_disks(self.sources, options, via)._replace(
                role_name=options.role_name,
                bucket=options.bucket if local else None,
                kms_key_id=options.kms_key_id,
                verify_digests=self.settings.verify_digests,
            ),
            inspected=inspected,
            account_check=self.services.account_check,
        )
        self._verdicts = report.roads
        for item in report.problems:
            if item.severity is Severity.WARNING:
                self.reporter.step(f"check: {_problem_line(item)}")
        if report.ok:
            warnings = sum(1 for p in report.problems if p.severity is Severity.WARNING)
            self.reporter.step(f"checked: no errors, {warnings} warning(s)")
        return report

    def identify(self, *, record: bool = True) -> Identity:
        """Hash the local disks, look at the S3 ones: the entry's identity, recorded with the
        current attempt unless ``record`` is false (once per run: a rerun's comparison, then
        the next attempt, hash the disks once)."""
        if self._identity is None:
            self._identity = self._identified()
        if record:
            self.db.record_identity(self.claim, self._identity.sha256)
        return self._identity

    def recheck(self) -> DiskChange:
        """A finished entry's disks against the identity its attempt imported (``changes``:
        stat first, a disk hashed only when its stat matches no reusable hash)."""
        gone = changes.missing(self.sources)
        if gone:
            return DiskChange(Found.MISSING, tuple(changes.label(g) for g in gone))
        before = {disk.position: disk.digest for disk in self.db.disks(self.name)}
        now = self.identify(record=False)
        recorded = self.entry().attempt.identity
        if recorded is None or now.sha256 == recorded:
            return DiskChange(Found.SAME)
        differing = [
            self.sources[position]
            for position, digest in self._digests.items()
            if (last := before.get(position)) is not None and last.sha256 != digest.sha256
        ]
        return changes.changed(self.sources, differing)

    def note(self, note: str | None) -> None:
        """What this run found about the finished entry's disks (None: nothing to say)."""
        self.db.set_note(self.claim, note)

    def _identified(self) -> Identity:
        digests: list[str] = []
        for position, disk in enumerate(self.spec.disks):
            if disk.is_s3:
                found = self._look_at(position, disk.location)
                digests.append(found)
                continue
            digest = hash_disk(
                self.db.journal(self.claim, position),
                disk.location,
                min_part_size=self.settings.upload.min_part_size,
                progress=self.reporter.progress,
                cancel=self.cancel,
            )
            self._digests[position] = digest
            digests.append(digest.sha256)
        return Identity(self.name, tuple(digests))

    def _look_at(self, position: int, location: str) -> str:
        """An ``s3://`` disk: its object's size and SHA-256 (or stand-in), recorded as found."""
        bucket, _, key = location.removeprefix("s3://").partition("/")
        head = s3objects.head(self.services.s3.plain, bucket, key)
        if head is None:
            raise EntryFailed(
                Diagnostic(
                    FailureCode.CHECK,
                    f"{location} does not exist",
                    context="The disk's S3 object is not there (or its bucket is not).",
                    hint="Upload the disk, or correct the s3:// URL.",
                )
            )
        sha256, size = head.sha256, head.size
        self._s3_disks[position] = DiskObject(location, bucket, key, sha256, size)
        stored = StoredObject(bucket, key, size, sha256, ObjectState.FOUND)
        if self.db.disks(self.name)[position].object != stored:
            self.db.record_object(self.claim, position, stored)
        return sha256 or s3_stand_in(head.etag, size)

    def enter(self, phase: Phase, message: str) -> None:
        """The entry enters a phase (a road's steps: ``UPLOADING``, ``WAITING``...)."""
        self._enter(phase, message)

    def registered(self, image_id: str, snapshot_ids: Sequence[str]) -> Phase:
        """A registering road's AMI and snapshots recorded: on to finishing."""
        self.db.record_result(self.claim, image_id, snapshot_ids)
        self._enter(Phase.FINISHING, f"registered {image_id}")
        return Phase.FINISHING

    def _adopt(self, found: Discovered) -> Phase:
        """Work found in the account becomes this attempt's."""
        self.reporter.step(f"found: {found.describe()}")
        if found.image is not None:
            facts = finishing.image_facts(found.image)
            self.db.record_result(self.claim, facts.image_id, facts.snapshot_ids)
            self._enter(Phase.FINISHING, f"finishing {facts.image_id}")
            return Phase.FINISHING
        task = found.task
        assert task is not None
        self.db.record_task(self.claim, task_id(task))
        if task.get("ImageId"):
            self.completed(task)
            return Phase.FINISHING
        self._enter(Phase.WAITING, f"waiting for {task_id(task)}")
        return Phase.WAITING

    def key_for(self, digest: FileDigest) -> str:
        """The S3 key of an uploaded disk (``settings.keys``)."""
        prefix = self.spec.options.prefix
        if self.settings.keys is KeyStyle.ENTRY:
            return entry_key(prefix, self.name, digest.name)
        return content_key(prefix, digest.sha256, digest.name)

    def upload_disks(self, *, members: bool = False) -> tuple[DiskObject, ...]:
        """Each local disk uploaded to the entry's bucket (resumably), each ``s3://`` disk as
        found: the disks on S3, in order (the image and snapshot roads).  ``members``: each
        disk of an OVA as an object of its own instead of the OVA (``engine.members``)."""
        local = sum(1 for disk in self.spec.disks if not disk.is_s3)
        self._enter(
            Phase.UPLOADING,
            f"uploading {local} disk(s)" if local else "the disks are on S3: nothing to upload",
        )
        disks: list[DiskObject] = []
        bucket = self.spec.options.bucket
        for position, disk in enumerate(self.spec.disks):
            if members and is_ova(self, disk):
                disks.extend(member_objects(self, position, disk))
                continue
            if disk.is_s3:
                disks.append(self._s3_disks[position])
                continue
            assert bucket is not None  # the command line and the manifest require it
            digest = self._digests[position]
            outcome = upload_file(
                self.services.s3,
                self.db.journal(self.claim, position),
                digest,
                ObjectTarget(bucket, self.key_for(digest)),
                settings=self.settings.upload,
                progress=self.reporter.progress,
                cancel=self.cancel,
            )
            disks.append(
                DiskObject(
                    disk.location,
                    outcome.target.bucket,
                    outcome.target.key,
                    outcome.sha256,
                    outcome.size,
                )
            )
        return tuple(disks)

    # -------------------------------------------------------------- start, wait

    def start(self, prepared: Prepared) -> Task:
        """ImportImage, the token recorded first and the task after (``starting``)."""
        self._enter(Phase.IMPORTING, f"starting the import (ClientToken {prepared.token[:16]}…)")
        self.db.record_token(self.claim, prepared.token)
        try:
            task = start_import(self.services.ec2, prepared.request, prepared.token)
        except EntryFailed as refused:  # the table's remedy is general: this entry's check
            raise EntryFailed(refused.info, [*refused.details, self.check_line()]) from None
        self.db.record_task(self.claim, task_id(task))
        self._enter(Phase.WAITING, f"started the import task {task_id(task)}")
        self._seen_state = state_line(task)
        self.reporter.task(task)
        return task

    def observe(self, task: Task) -> None:
        """A poll's answer: a line of history when the task's state changed."""
        line = state_line(task)  # the task's id in it: each of the snapshot road's tasks
        if line != self._seen_state:
            self._seen_state = line
            progress = str(fields(task).get("Progress") or "")
            fraction = int(progress) / 100 if progress.isdigit() else None
            self.db.add_event(self.claim, line, fraction)
        self.reporter.task(task)

    def completed(self, task: Task) -> None:
        """The task completed: its AMI and snapshots recorded, on to finishing."""
        image_id = str(task.get("ImageId", ""))
        self.db.record_result(self.claim, image_id, finishing.task_snapshot_ids(task))
        self._enter(Phase.FINISHING, f"{task_id(task)} completed: {image_id}")

    def task_failed(self, task: Task) -> EntryFailed:
        """The failure of a task that ended ``deleted``: its message, cause and remedy, and
        the uploads kept for the next attempt."""
        message = status_message(task) or status(task)
        kept = self._kept_uploads()
        if message == CANCELLED:
            info = Diagnostic(
                FailureCode.CANCELLED,
                f"{task_id(task)} was cancelled",
                context="Someone cancelled the import task (CancelImportTask).",
                hint="Start a new attempt: --retry-failed.",
            )
            return EntryFailed(info, kept)
        why = explained(message)
        failed = f"{task_id(task)} failed: {message}"
        info = Diagnostic(
            FailureCode.TASK, failed, context=why.context, hint=why.hint, link=why.link
        )
        return EntryFailed(info, [self.check_line(), *kept])

    def check_line(self) -> str:
        """The ``vmimport check`` of this entry's disks and account, as a command to paste:
        the failure table's remedies name it in general (``vmimport check --bucket BUCKET
        DISK``), this is it for these disks, options and account."""
        options = self.spec.options
        words = ["vmimport", "check", *self.sources]
        named = {
            "--bucket": options.bucket if any(not d.is_s3 for d in self.spec.disks) else None,
            "--role-name": options.role_name if options.role_name != DEFAULT_ROLE else None,
            "--kms-key-id": options.kms_key_id,
            "--format": options.format.value if options.format else None,
            "--boot-mode": options.boot_mode.value if options.boot_mode else None,
            "--architecture": options.architecture.value if options.architecture else None,
            "--platform": options.platform.value if options.platform else None,
            "--via": self._checked_road(),
        }
        for option, value in named.items():
            if value:
                words += [option, value]
        return (
            f"check the disks and the account: {command(*words, reach=self.services.run.reach())}"
        )

    def _checked_road(self) -> str | None:
        """``--via`` of the check line: the road the attempt takes (None: the image road)."""
        via = road_taken(self.spec, self.entry())
        road = self.entry().attempt.via if via is Auto.AUTO else via.value
        return None if road == Road.IMAGE.value else road

    def _kept_uploads(self) -> list[str]:
        """What a failed import leaves in S3: the objects this tool uploaded, kept so that
        ``--retry-failed`` sends nothing again, and the command that deletes each."""
        objects = [
            disk.object
            for disk in self.db.disks(self.name, members=True)
            if disk.object is not None and disk.object.state is ObjectState.UPLOADED
        ]
        if not objects:
            return []
        reach = self.services.run.reach()
        urls = [f"s3://{stored.bucket}/{stored.key}" for stored in objects]
        lines = [f"kept for a retry (--retry-failed uploads nothing again): {', '.join(urls)}"]
        lines += [f"to delete it: {command('aws', 's3', 'rm', url, reach=reach)}" for url in urls]
        return lines

    def lost(self) -> Phase:
        """The service no longer knows the task: an AMI with the entry's tags, the AMI named
        after the task (completed, never finished), or a failure."""
        attempt = self.entry().attempt
        identity_sha = attempt.identity
        found = None
        if identity_sha is not None:
            found = discover(self.services.ec2, _recorded_identity(self.name, identity_sha))
        if (found is None or found.image is None) and attempt.import_task_id is not None:
            found = find_image_named_after(self.services.ec2, attempt.import_task_id)
        if found is not None and found.image is not None:
            return self._adopt(found)
        raise EntryFailed(
            Diagnostic(
                FailureCode.LOST,
                f"the service no longer knows {attempt.import_task_id}, and no AMI carries the "
                "entry's tags or is named after the task",
                context="The service forgets an import task 7 days after it started; the import "
                "failed, or its AMI was deregistered before vmimport tagged it.",
                hint="Start a new attempt with --retry-failed.",
            )
        )

    # ------------------------------------------------------------------- finish

    def finish(self, *, distribute: bool = True) -> ImportResult:
        """Tag the AMI and snapshots, delete the uploads (``finishing``), ``DONE``; then the
        AMI's distribution (``distributed``) unless the caller runs it (``batch``: in a
        thread of its own)."""
        attempt = self.entry().attempt
        image_id = attempt.image_id
        assert image_id is not None
        facts = finishing.describe_image(self.services.ec2, image_id)
        if facts is None:
            raise EntryFailed(
                Diagnostic(
                    FailureCode.LOST,
                    f"the AMI {image_id} no longer exists",
                    context="The AMI was deregistered before vmimport finished the import.",
                    hint="Start a new attempt with --retry-failed.",
                )
            )
        snapshots = attempt.snapshot_ids or facts.snapshot_ids
        if snapshots != attempt.snapshot_ids:
            self.db.record_result(self.claim, image_id, snapshots)
        identity_sha = attempt.identity or self.identify().sha256
        identity = _recorded_identity(self.name, identity_sha)
        tags = finished_tags(identity.tags(self.spec.options.tags), self.name, attempt.via)
        finishing.tag_resources(self.services.ec2, [image_id, *snapshots], tags)
        self.reporter.step(f"tagged {image_id} and {len(snapshots)} snapshot(s)")
        if self.spec.options.keep_upload:
            self.reporter.step("the uploads are kept (--keep-upload)")
        else:
            s3 = self.services.s3.plain
            shared = self.settings.keys is KeyStyle.CONTENT
            finishing.delete_uploads(s3, self.db, self.claim, self.reporter.step, shared=shared)
        self._enter(Phase.DONE, f"done: {image_id}")
        result = self._result(image_id, attempt.import_task_id, snapshots, facts)
        return self.distributed(result) if distribute else result

    def _result(
        self,
        image_id: str | None,
        import_task_id: str | None,
        snapshots: Sequence[str],
        facts: finishing.ImageFacts | None,
    ) -> ImportResult:
        attempt = self.entry().attempt
        return ImportResult(
            image_id=image_id,
            import_task_id=import_task_id,
            snapshot_ids=tuple(snapshots),
            disks=disk_objects(self.db.disks(self.name)),
            boot_mode=facts.boot_mode if facts else None,
            platform=facts.platform if facts else None,
            architecture=facts.architecture if facts else None,
            via=attempt.via,
            via_reason=attempt.via_reason,
            snapshot_tasks=task_ids(attempt.snapshot_tasks),
        )

    def result(self) -> ImportResult:
        """The result of a ``DONE`` entry, as the state database and the AMI say, once its
        distribution is reconciled (``distributed``)."""
        attempt = self.entry().attempt
        image_id = attempt.image_id
        facts = finishing.describe_image(self.services.ec2, image_id) if image_id else None
        result = self._result(image_id, attempt.import_task_id, attempt.snapshot_ids, facts)
        return self.distributed(result)

    def distributed(self, result: ImportResult) -> ImportResult:
        """The finished AMI named, copied, shared, flagged as asked (``Services.after``)."""
        after = self.services.after
        return result if after is None else after(self, result)

    def image_gone(self) -> str | None:
        """Why a ``DONE`` entry's AMI cannot be returned (deregistered: by ``vmimport gc``, or
        by hand), None while it exists."""
        image_id = self.entry().attempt.image_id
        if image_id is None:
            return None
        facts = finishing.describe_image(self.services.ec2, image_id)
        if facts is not None and facts.state in LIVE_IMAGE_STATES:
            return None
        state = f" ({facts.state})" if facts is not None else ""
        return f"its AMI {image_id} no longer exists{state}"

    def started_result(self, task: Mapping[str, Any]) -> ImportResult:
        """The result of an import left running (``--no-wait``): the task, no AMI yet."""
        return self._running(task_id(task), task)

    def underway_result(self, underway: Underway) -> ImportResult:
        """The result of a road's work left running (``--no-wait``: ``Underway``): what was
        started (the snapshot road's ``snapshot_tasks``, the direct road's ``snapshot_ids``),
        no AMI yet."""
        return self._running(None, {}, underway)

    def _running(
        self,
        import_task_id: str | None,
        task: Mapping[str, Any],
        underway: Underway | None = None,
    ) -> ImportResult:
        attempt = self.entry().attempt
        underway = underway or Underway()
        return ImportResult(
            image_id=None,
            import_task_id=import_task_id,
            snapshot_ids=underway.snapshots,
            disks=disk_objects(self.db.disks(self.name)),
            boot_mode=task.get("BootMode"),
            platform=task.get("Platform"),
            architecture=task.get("Architecture"),
            via=attempt.via,
            via_reason=attempt.via_reason,
            snapshot_tasks=underway.tasks,
        )

    def fail(self, failure: EntryFailed) -> None:
        """The entry ends ``FAILED`` with its error recorded (the caller shows it)."""
        self.db.record_error(self.claim, failure.info)
        self.db.set_phase(self.claim, Phase.FAILED, f"failed: {failure.info.message}")

    def remember(self, message: str, *, internal: bool = False) -> None:
        """An error that leaves the entry where it is (a rerun continues): recorded, with the
        cause and remedy of the table of known failures when it knows the message."""
        if internal:
            code = FailureCode.INTERNAL
        elif self.entry().phase is Phase.UPLOADING:
            code = FailureCode.UPLOAD
        else:
            code = FailureCode.INCOMPLETE
        known = None if internal else explain(message)  # e.g. the EBS direct APIs' refusals
        if known is None:
            self.db.record_error(self.claim, Diagnostic(code, message))
            return
        self.db.record_error(
            self.claim,
            Diagnostic(code, message, context=known.context, hint=known.hint, link=known.link),
        )


def _recorded_identity(name: str, sha256: str) -> Identity:
    """An identity known by its combined SHA-256 only (its tags are all that is needed)."""
    return Identity(name, (sha256,))
