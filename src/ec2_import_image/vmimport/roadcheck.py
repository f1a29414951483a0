"""The disk checks of one road to an AMI (``vmimport check --via ROAD``, and ``import``
before anything is uploaded), from the road's terms in ``roads.TABLE``.

The image road is ImportImage's judgement (``diskimage.judge``) as it always was.  The
snapshot and direct roads take the disk's contents on the same rules, and differ where
their terms do:

- a container the road does not take is refused with the roads that take it
  (``unsupported-format``: a qcow2 or VDI on the image and snapshot roads, a VHDX on the
  snapshot road);
- a VMDK of any variant the readers know is taken by the direct road (it reads the virtual
  disk through it); the snapshot road takes stream-optimized ones, as ImportImage does;
- arm64 is ImportImage's refusal only (``arm64-unsupported``): RegisterImage takes arm64
  with UEFI, and refuses it with legacy-bios (``boot-mode-mismatch``); ``uefi-preferred``
  is ImportImage's refusal only too (RegisterImage takes it);
- a Windows platform is refused off the image road (``platform-unsupported``), with the
  reason (``roads.WINDOWS_REASON``);
- the service role is not judged where the road uses none (``account_problems``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ec2_import_image.diagnostics import Diagnostic
from ec2_import_image.diskimage import judge
from ec2_import_image.diskimage.records import ContainerFormat, DiskReport
from ec2_import_image.problems import ProblemCode, problem
from ec2_import_image.roads import TABLE, WINDOWS_REASON, Road, roads_taking
from ec2_import_image.vmimport.account.problems import ROLE_CODES

#: every container the readers know (an unknown file is refused on every road)
_KNOWN = frozenset(ContainerFormat) - {ContainerFormat.UNKNOWN}
#: what only ImportImage refuses
_IMAGE_ONLY = frozenset({ProblemCode.ARM64_UNSUPPORTED, ProblemCode.BOOT_MODE_UNSUPPORTED})


def _named(roads: Sequence[Road]) -> str:
    return " or ".join(f"--via {road.value}" for road in roads) or "none of the roads"


def _format_problems(road: Road, report: DiskReport) -> list[Diagnostic]:
    terms = TABLE[road]
    if report.format is ContainerFormat.UNKNOWN or report.format in terms.formats:
        return []
    takes = [other for other in roads_taking(report.format) if other is not road]
    return [
        problem(
            ProblemCode.UNSUPPORTED_FORMAT,
            report.source,
            f"{report.source} is {report.format.value.upper()}: the {road.value} road "
            f"({terms.summary}) takes "
            + ", ".join(sorted(fmt.value.upper() for fmt in terms.formats)),
            f"import it with {_named(takes)}",
        )
    ]


def disk_problems(
    road: Road, reports: Sequence[DiskReport], request: judge.ImportRequest
) -> list[Diagnostic]:
    """Every disk-side problem of one import on ``road`` (the disks in order, the boot disk
    first)."""
    if road is Road.IMAGE:
        return judge.image_problems(reports, request)
    terms = TABLE[road]
    found: list[Diagnostic] = []
    for report in reports:
        found.extend(_format_problems(road, report))
    judged = judge.image_problems(reports, request, formats=_KNOWN)
    for item in judged:
        code = ProblemCode(item.code)
        if code in _IMAGE_ONLY:
            continue
        if code is ProblemCode.VMDK_NOT_STREAM_OPTIMIZED and terms.vmdk_variants is None:
            continue
        found.append(item)
    boot = reports[0].all_disks()[0] if reports and reports[0].all_disks() else None
    arm = request.architecture == "arm64" or (
        boot is not None and boot.esp_loaders == ("BOOTAA64.EFI",)
    )
    if arm and request.boot_mode == "legacy-bios":
        found.append(
            problem(
                ProblemCode.BOOT_MODE_MISMATCH,
                reports[0].source,
                "an arm64 AMI boots with UEFI only: RegisterImage refuses legacy-bios for it",
                "register it with --boot-mode uefi (or leave the boot mode to the check)",
            )
        )
    if request.platform and request.platform.lower() == "windows" and not terms.windows:
        source = reports[0].source if reports else ""
        found.append(
            problem(
                ProblemCode.PLATFORM_UNSUPPORTED,
                source,
                f"the {road.value} road does not take Windows: {WINDOWS_REASON}",
                "import it with --via image",
            )
        )
    return found


def account_problems(road: Road, problems: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The account's problems that hold on ``road``: no role problem where none is used, and
    no bucket Region where nothing is uploaded to a bucket (the direct road reads an S3 disk
    from wherever it is)."""
    terms = TABLE[road]
    return [
        item
        for item in problems
        if (terms.role or item.code not in ROLE_CODES)
        and (terms.bucket or item.code != ProblemCode.BUCKET_REGION)
    ]
