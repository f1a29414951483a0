"""The checks of one image, as a function: ``vmimport check`` prints what it returns, and
``vmimport import``/``batch`` stop an entry on its errors before anything is uploaded.

``inspect_disks`` reads each DISK (a local path or ``s3://bucket/key``) from its
bytes with the shared readers, verifies an OVA's manifest digests where
that is asked (local files always, S3 objects with ``verify_digests``), and
reads the operating system from all the disks together (``guestos.read_os``:
a root on LVM may span them; the initramfs over S3 only for a road that needs
it).  ``check_image`` adds the judgement against the request (the OS's for the
road asked for, ``via``) and, when a DISK is on S3 or a bucket is named, the
account checks; it answers a ``CheckReport`` with what each road would meet.
``import`` needs the inspections even when the checks are skipped: the
Format and the boot mode it declares come from them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage import judge, ova
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import DiskImageError, SourceError
from ec2_import_image.diskimage.inspect import inspect_image_disks
from ec2_import_image.diskimage.records import ContainerFormat, DiskReport
from ec2_import_image.guestos.judge import judge_os, needs_initramfs
from ec2_import_image.guestos.osreport import OsReport, OsStatus
from ec2_import_image.guestos.read import read_os
from ec2_import_image.roads import ROADS, Road
from ec2_import_image.vmimport import roadcheck
from ec2_import_image.vmimport.account.assessment import check_account
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.records import AccountReport
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.disks import ObjectMissing, OpenedDisk, open_disk, reading_failed
from ec2_import_image.vmimport.errors import Incomplete, UsageError
from ec2_import_image.vmimport.report import CheckReport
from ec2_import_image.vmimport.roadverdicts import road_verdicts
from ec2_import_image.vmimport.spec import Auto, ImportOptions, Via

#: how the account is checked (``check_account``, or a cache of it for a batch)
AccountCheck = Callable[[Run, AccountInputs], AccountReport]
#: a byte count as a long read goes (done, total)
Advance = Callable[[int, int], None]


class CheckRequest(NamedTuple):
    """What to check: the disks (the boot disk first) and the import they are for."""

    disks: tuple[str, ...]
    format: str | None = None
    boot_mode: str | None = None
    architecture: str | None = None
    platform: str | None = None
    role_name: str = "vmimport"
    bucket: str | None = None
    kms_key_id: str | None = None
    verify_digests: bool = False
    #: the road the import takes: the disks (``roadcheck``) and the operating system are
    #: judged for it (``auto``: for the road the verdicts recommend)
    via: Via = Road.IMAGE

    @classmethod
    def of_disks(cls, disks: Sequence[str], options: ImportOptions, via: Via) -> CheckRequest:
        """The check of an import's disks as its options describe them (format, boot mode,
        architecture, platform: what was given) for ``via``, without the account
        (``_replace`` adds the role, bucket and key to check it too)."""
        return cls(
            disks=tuple(disks),
            format=options.format.value if options.format else None,
            boot_mode=options.boot_mode.value if options.boot_mode else None,
            architecture=options.architecture.value if options.architecture else None,
            platform=options.platform.value if options.platform else None,
            via=via,
        )


class Inspected(NamedTuple):
    """The disks read from their bytes, in order (an S3 object that is missing is left out),
    the problems of their OVA manifest digests, and the operating system read from them all
    (None when it was not asked for)."""

    reports: tuple[DiskReport, ...]
    digest_problems: tuple[Diagnostic, ...]
    os: OsReport | None = None


def inspect_disks(
    run: Run,
    disks: Sequence[str],
    *,
    verify_digests: bool = False,
    digests: bool = True,
    os_for: Road | None = Road.IMAGE,
) -> Inspected:
    """Read every DISK through its container (see the module's docstring); ``digests``
    false: no OVA manifest digest at all (what the import's request needs is the headers);
    ``os_for``: the road the operating system is read for (None: not read; nor is it when
    an S3 object is missing)."""
    for disk in disks:
        if disk.startswith("s3://") and S3Location.parse(disk) is None:
            raise UsageError(f"{disk!r} is not s3://BUCKET/KEY")
    reports: list[DiskReport] = []
    digest_problems: list[Diagnostic] = []
    with contextlib.ExitStack() as stack:
        opened_disks: list[OpenedDisk] = []
        virtual_disks: list[Blob | None] = []
        for argument in disks:
            try:
                opened = stack.enter_context(open_disk(run, argument))
            except ObjectMissing:
                continue  # the account checks report it (object-missing)
            inspected, virtual = _inspect(opened)
            reports.append(inspected)
            opened_disks.append(opened)
            virtual_disks.extend(virtual)
            if digests and _should_verify(opened, inspected, verify_digests):
                digest_problems.extend(_verify_digests(run, opened, inspected))
        guest = None
        # a missing object leaves the image's system unread: its other disks are not it
        if os_for is not None and opened_disks and len(opened_disks) == len(disks):
            guest = _read_guest_os(opened_disks, virtual_disks, os_for)
    return Inspected(tuple(reports), tuple(digest_problems), guest)


def _read_guest_os(
    opened: Sequence[OpenedDisk], virtual: Sequence[Blob | None], road: Road
) -> OsReport:
    """The operating system on the image's virtual disks (the boot disk first), read
    through the containers the inspection opened; the initramfs is read from local disks,
    and over S3 only for a road where the NVMe driver's place decides (tens of MB of ranged
    GETs).  A disk that cannot be read whole leaves the system unread (a root on LVM may
    span the disks): the disk checks say why."""
    disks = [disk for disk in virtual if disk is not None]
    if len(disks) < len(virtual):
        return OsReport(
            status=OsStatus.UNREADABLE,
            findings=("a disk of the image cannot be read whole (see the disk checks)",),
        )
    initramfs = all(disk.local for disk in opened) or needs_initramfs(road)
    try:
        return read_os(disks, read_initramfs=initramfs)
    except SourceError as error:
        raise reading_failed(error, opened[0].source) from None


def os_road(via: Via) -> Road:
    """The road the operating system is read for: ``auto`` reads it for every road (the
    initramfs over S3 too: the direct road is taken only where NVMe is known at boot)."""
    return Road.DIRECT if via is Auto.AUTO else via


def check_image(
    run: Run,
    request: CheckRequest,
    *,
    inspected: Inspected | None = None,
    account_check: AccountCheck = check_account,
) -> CheckReport:
    """The report of ``vmimport check`` for one image (``inspected``: disks already read);
    for ``--via auto`` its problems are those of the road the verdicts recommend (the image
    road's when none: ``CheckReport.road``)."""
    found = inspected or inspect_disks(
        run, request.disks, verify_digests=request.verify_digests, os_for=os_road(request.via)
    )
    judged = judge.ImportRequest(
        format=request.format,
        boot_mode=request.boot_mode,
        architecture=request.architecture,
        platform=request.platform,
    )
    reports = list(found.reports)
    # each road's own checks of the disks (and below, of the account): the one asked for
    # gives the problems, every road its verdict (``roadverdicts``)
    per_road = {
        road: (roadcheck.disk_problems(road, reports, judged) if reports else [])
        + list(found.digest_problems)
        for road in ROADS
    }
    on_disks = {road: list(problems) for road, problems in per_road.items()}
    objects = tuple(filter(None, (S3Location.parse(disk) for disk in request.disks)))
    account = None
    account_problems: Sequence[Diagnostic] = ()
    if objects or request.bucket:
        region = run.region
        if region is None:
            raise Incomplete("no AWS Region was given: use --region or set AWS_REGION")
        inputs = AccountInputs(
            region=region,
            role_name=request.role_name,
            objects=objects,
            buckets=(request.bucket,) if request.bucket else (),
            kms_key_id=request.kms_key_id,
            reach=run.reach(),
        )
        checked = account_check(run, inputs)
        account = checked.to_json()
        account_problems = checked.problems
        for road in ROADS:
            per_road[road] += roadcheck.account_problems(road, checked.problems)
    verdicts = road_verdicts(per_road, found.os)
    road = request.via if isinstance(request.via, Road) else (verdicts.recommended or Road.IMAGE)
    problems = on_disks[road]
    if found.os is not None and reports:
        # a code the road's own check gave already (a Windows --platform off the image road,
        # also read on the disk: platform-unsupported) is said once
        given = {problem.code for problem in problems}
        problems += [
            problem
            for problem in judge_os(found.os, road, source=reports[0].source)
            if problem.code not in given
        ]
    problems = _in_disk_order(problems, reports)
    problems.extend(roadcheck.account_problems(road, account_problems))
    return CheckReport(tuple(reports), account, tuple(problems), found.os, verdicts, road)


class CachedAccountCheck:
    """``check_account`` answered once per set of inputs: a batch's entries share a role and
    a bucket, and their checks need not ask again (thread-safe)."""

    def __init__(self, check: AccountCheck = check_account) -> None:
        self._check = check
        self._lock = threading.Lock()
        self._answers: dict[AccountInputs, AccountReport] = {}

    def __call__(self, run: Run, inputs: AccountInputs) -> AccountReport:
        with self._lock:
            if inputs not in self._answers:
                self._answers[inputs] = self._check(run, inputs)
            return self._answers[inputs]


def _inspect(opened: OpenedDisk) -> tuple[DiskReport, tuple[Blob | None, ...]]:
    try:
        return inspect_image_disks(opened.blob, opened.source)
    except SourceError as error:
        raise reading_failed(error, opened.source) from None


def _should_verify(opened: OpenedDisk, report: DiskReport, verify_digests: bool) -> bool:
    if report.format is not ContainerFormat.OVA or report.ova is None:
        return False
    if not report.ova.manifest_entries:
        return False
    return opened.local or verify_digests


def _verify_digests(run: Run, opened: OpenedDisk, report: DiskReport) -> list[Diagnostic]:
    """Every byte the manifest names, digested with a progress bar on a terminal."""
    try:
        contents = ova.read_ova(opened.blob)
        with _progress(run, f"verifying {opened.source}") as advance:
            results = ova.verify_manifest(opened.blob, contents, progress=advance)
    except SourceError as error:
        raise reading_failed(error, opened.source) from None
    except DiskImageError:
        return []  # a damaged archive is reported by the disk checks already
    return judge.manifest_problems(report.source, results)


@contextlib.contextmanager
def _progress(run: Run, label: str) -> Iterator[Advance]:
    """A rich progress bar on stderr when it is a terminal; one line at the end otherwise."""
    if not run.env.stderr_isatty:
        done = [0]

        def count(current: int, total: int) -> None:
            done[0] = current

        yield count
        run.env.stderr.write(f"{label}: {done[0]} bytes digested\n")
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=run.console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def advance(current: int, total: int) -> None:
            bar.update(task, completed=current, total=total)

        yield advance


def _in_disk_order(problems: list[Diagnostic], reports: list[DiskReport]) -> list[Diagnostic]:
    """Problems sorted by the position of their disk (stable within one disk)."""
    order: dict[str, int] = {}
    for index, report in enumerate(reports):
        order.setdefault(report.source, index)
        for inner in report.disks:
            order.setdefault(inner.source, index)
    return sorted(problems, key=lambda p: order.get(p.subject or "", len(reports)))
