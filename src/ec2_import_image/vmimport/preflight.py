"""The checks of one image, as a function: ``vmimport check`` prints what it returns, and
``vmimport import``/``batch`` stop an entry on its errors before anything is uploaded.

``inspect_disks`` reads each DISK (a local path or ``s3://bucket/key``) from its
bytes with the shared readers, and verifies an OVA's manifest digests where
that is asked (local files always, S3 objects with ``verify_digests``).
``check_image`` adds the judgement against the request and, when a DISK is on
S3 or a bucket is named, the account checks; it answers a ``CheckReport``.
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
from ec2_import_image.diskimage.errors import DiskImageError, SourceError
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import ContainerFormat, DiskReport
from ec2_import_image.roads import Road
from ec2_import_image.vmimport import roadcheck
from ec2_import_image.vmimport.account.assessment import check_account
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.account.records import AccountReport
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.disks import ObjectMissing, OpenedDisk, open_disk, reading_failed
from ec2_import_image.vmimport.errors import Incomplete, UsageError
from ec2_import_image.vmimport.report import CheckReport

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
    #: the road the disks are judged for (``roadcheck``)
    via: Road = Road.IMAGE


class Inspected(NamedTuple):
    """The disks read from their bytes, in order (an S3 object that is missing is left out),
    and the problems of their OVA manifest digests."""

    reports: tuple[DiskReport, ...]
    digest_problems: tuple[Diagnostic, ...]


def inspect_disks(
    run: Run, disks: Sequence[str], *, verify_digests: bool = False, digests: bool = True
) -> Inspected:
    """Read every DISK through its container (see the module's docstring); ``digests``
    false: no OVA manifest digest at all (what the import's request needs is the headers)."""
    for disk in disks:
        if disk.startswith("s3://") and S3Location.parse(disk) is None:
            raise UsageError(f"{disk!r} is not s3://BUCKET/KEY")
    reports: list[DiskReport] = []
    digest_problems: list[Diagnostic] = []
    for argument in disks:
        try:
            with open_disk(run, argument) as opened:
                inspected = _inspect(opened)
                reports.append(inspected)
                if digests and _should_verify(opened, inspected, verify_digests):
                    digest_problems.extend(_verify_digests(run, opened, inspected))
        except ObjectMissing:
            continue  # the account checks report it (object-missing)
    return Inspected(tuple(reports), tuple(digest_problems))


def check_image(
    run: Run,
    request: CheckRequest,
    *,
    inspected: Inspected | None = None,
    account_check: AccountCheck = check_account,
) -> CheckReport:
    """The report of ``vmimport check`` for one image (``inspected``: disks already read)."""
    found = inspected or inspect_disks(run, request.disks, verify_digests=request.verify_digests)
    judged = judge.ImportRequest(
        format=request.format,
        boot_mode=request.boot_mode,
        architecture=request.architecture,
        platform=request.platform,
    )
    reports = list(found.reports)
    problems = roadcheck.disk_problems(request.via, reports, judged) if reports else []
    problems = _in_disk_order(problems + list(found.digest_problems), reports)
    objects = tuple(filter(None, (S3Location.parse(disk) for disk in request.disks)))
    account = None
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
        problems.extend(roadcheck.account_problems(request.via, checked.problems))
    return CheckReport(tuple(reports), account, tuple(problems))


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


def _inspect(opened: OpenedDisk) -> DiskReport:
    try:
        return inspect_image(opened.blob, opened.source)
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
