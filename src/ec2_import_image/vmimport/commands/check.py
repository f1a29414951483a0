"""``vmimport check DISK...``: will this import work, and if not, why.

Each DISK (a local path or ``s3://bucket/key``; several are one multi-volume
image, the first the boot disk) is read from its bytes with the shared
readers: its container, what is inside, the boot mode it supports.  The disks
are judged against the request (``--format``, ``--boot-mode``,
``--architecture``, ``--platform``).  When a DISK is on S3 or ``--bucket`` is
given, the account is checked too: the service role, its policies, the
bucket's Region, the object, the caller.  OVA manifest digests need every
byte: verified for local files, for S3 objects only with
``--verify-digests``.

Exit status: 0 no problem of severity error, 1 some, 3 the check could not
be completed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import click

from ec2_import_image.diskimage import checks, ova
from ec2_import_image.diskimage.errors import DiskImageError, SourceError
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import ContainerFormat, DiskReport
from ec2_import_image.problems import Problem
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.account.check import check_account
from ec2_import_image.vmimport.account.inputs import AccountInputs, S3Location
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.disks import ObjectMissing, OpenedDisk, open_disk, reading_failed
from ec2_import_image.vmimport.errors import ExitStatus, Incomplete, UsageError
from ec2_import_image.vmimport.report import CheckReport, render_text, write_json
from ec2_import_image.vmimport.spec import Architecture, BootMode, DiskFormat, Platform


def _choice(kind: type[Any]) -> click.Choice[str]:
    return click.Choice([member.value for member in kind], case_sensitive=False)


#: ``uefi-preferred`` is accepted on the line so that the check can explain why imports refuse it
BOOT_MODES = [*(member.value for member in BootMode), "uefi-preferred"]


@click.command("check")
@click.argument("disks", nargs=-1, required=True, metavar="DISK...")
@click.option("--format", "disk_format", type=_choice(DiskFormat), help="The Format to import as.")
@click.option("--boot-mode", type=click.Choice(BOOT_MODES), help="The boot mode to import with.")
@click.option("--architecture", type=_choice(Architecture), help="i386 or x86_64.")
@click.option("--platform", type=_choice(Platform), help="Windows or Linux.")
@click.option("--role-name", default="vmimport", show_default=True, help="The service role.")
@click.option("--bucket", help="The bucket the disks will be uploaded to (checks the account).")
@click.option("--kms-key-id", help="The KMS key the import will encrypt with.")
@click.option(
    "--verify-digests",
    is_flag=True,
    help="Also verify an S3 OVA's manifest digests (reads every byte).",
)
@cli.command
def check(
    run: Run,
    *,
    disks: tuple[str, ...],
    disk_format: str | None,
    boot_mode: str | None,
    architecture: str | None,
    platform: str | None,
    role_name: str,
    bucket: str | None,
    kms_key_id: str | None,
    verify_digests: bool,
) -> int:
    """Check disk images (local paths or s3://bucket/key) and the account before an import."""
    request = checks.ImportRequest(
        format=disk_format, boot_mode=boot_mode, architecture=architecture, platform=platform
    )
    objects = tuple(filter(None, (S3Location.parse(disk) for disk in disks)))
    for disk in disks:
        if disk.startswith("s3://") and S3Location.parse(disk) is None:
            raise UsageError(f"{disk!r} is not s3://BUCKET/KEY")
    reports: list[DiskReport] = []
    digest_problems: list[Problem] = []
    for argument in disks:
        try:
            with open_disk(run, argument) as opened:
                inspected = _inspect(opened)
                reports.append(inspected)
                if _should_verify(opened, inspected, verify_digests):
                    digest_problems.extend(_verify_digests(run, opened, inspected))
        except ObjectMissing:
            continue  # the account checks report it (object-missing)
    problems = checks.image_problems(reports, request) if reports else []
    problems = _in_disk_order(problems + digest_problems, reports)
    account = None
    if objects or bucket:
        region = run.region
        if region is None:
            raise Incomplete("no AWS Region was given: use --region or set AWS_REGION")
        inputs = AccountInputs(
            region=region,
            role_name=role_name,
            objects=objects,
            buckets=(bucket,) if bucket else (),
            kms_key_id=kms_key_id,
        )
        checked = check_account(run, inputs)
        account = checked.to_json()
        problems.extend(checked.problems)
    report = CheckReport(tuple(reports), account, tuple(problems))
    if run.options.json:
        write_json(report, run.env.stdout)
    else:
        render_text(report, run.console())
    return ExitStatus.OK if report.ok else ExitStatus.PROBLEMS


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


def _verify_digests(run: Run, opened: OpenedDisk, report: DiskReport) -> list[Problem]:
    """Every byte the manifest names, digested with a progress bar on a terminal."""
    try:
        contents = ova.read_ova(opened.blob)
        with _progress(run, f"verifying {opened.source}") as advance:
            results = ova.verify_manifest(opened.blob, contents, progress=advance)
    except SourceError as error:
        raise reading_failed(error, opened.source) from None
    except DiskImageError:
        return []  # a damaged archive is reported by the disk checks already
    return checks.manifest_problems(report.source, results)


@contextlib.contextmanager
def _progress(run: Run, label: str) -> Iterator[Callable[[int, int], None]]:
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


def _in_disk_order(problems: list[Problem], reports: list[DiskReport]) -> list[Problem]:
    """Problems sorted by the position of their disk (stable within one disk)."""
    order: dict[str, int] = {}
    for index, report in enumerate(reports):
        order.setdefault(report.source, index)
        for inner in report.disks:
            order.setdefault(inner.source, index)
    return sorted(problems, key=lambda p: order.get(p.source, len(reports)))
