"""``vmimport check DISK...``: will this import work, and if not, why.

Each DISK (a local path or ``s3://bucket/key``; several are one multi-volume
image, the first the boot disk) is read from its bytes with the shared
readers: its container, what is inside, the boot mode it supports, and the
operating system on the disks together.  The disks are judged against the
request (``--format``, ``--boot-mode``, ``--architecture``, ``--platform``),
the operating system for the image road; the report says what each road to an
AMI would meet and the one to take.  When a DISK is on S3 or ``--bucket`` is
given, the account is checked too: the service role, its policies, the
bucket's Region, the object, the caller.  OVA manifest digests need every
byte: verified for local files, for S3 objects only with
``--verify-digests``.  The work is ``preflight.check_image``'s, which
``vmimport import`` and ``batch`` run too.

Exit status: 0 no problem of severity error, 1 some, 3 the check could not
be completed.
"""

from __future__ import annotations

from typing import Any

import click

from ec2_import_image.roads import Road
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.preflight import CheckRequest, check_image
from ec2_import_image.vmimport.report import render_text, write_json
from ec2_import_image.vmimport.spec import Architecture, BootMode, DiskFormat, Platform

#: arm64 is one of the choices so that the check can say why ImportImage refuses it
ARCHITECTURE_HELP = (
    "i386 or x86_64, what ImportImage imports (arm64 is taken, to be refused with its reason)."
)


def choice(kind: type[Any]) -> click.Choice[str]:
    """A case-insensitive choice of an enum's values."""
    return click.Choice([member.value for member in kind], case_sensitive=False)


#: ``uefi-preferred`` is accepted on the line so that the check can explain why imports refuse it
BOOT_MODES = [*(member.value for member in BootMode), "uefi-preferred"]


@click.command("check")
@click.argument("disks", nargs=-1, required=True, metavar="DISK...")
@click.option("--format", "disk_format", type=choice(DiskFormat), help="The Format to import as.")
@click.option("--boot-mode", type=click.Choice(BOOT_MODES), help="The boot mode to import with.")
@click.option("--architecture", type=choice(Architecture), help=ARCHITECTURE_HELP)
@click.option("--platform", type=choice(Platform), help="Windows or Linux.")
@click.option("--role-name", default="vmimport", show_default=True, help="The service role.")
@click.option("--bucket", help="The bucket the disks will be uploaded to (checks the account).")
@click.option("--kms-key-id", help="The KMS key the import will encrypt with.")
@click.option(
    "--verify-digests",
    is_flag=True,
    help="Also verify an S3 OVA's manifest digests (reads every byte).",
)
@click.option(
    "--via",
    type=click.Choice([road.value for road in Road], case_sensitive=False),
    default=Road.IMAGE.value,
    show_default=True,
    help="The road to the AMI the disks are judged for (image, snapshot, direct).",
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
    via: str,
) -> int:
    """Check disk images (local paths or s3://bucket/key) and the account before an import."""
    report = check_image(
        run,
        CheckRequest(
            disks=disks,
            format=disk_format,
            boot_mode=boot_mode,
            architecture=architecture,
            platform=platform,
            role_name=role_name,
            bucket=bucket,
            kms_key_id=kms_key_id,
            verify_digests=verify_digests,
            via=Road(via.lower()),
        ),
    )
    if run.options.json:
        write_json(report, run.env.stdout)
    else:
        render_text(report, run.console())
    return ExitStatus.OK if report.ok else ExitStatus.PROBLEMS
