"""The report of ``vmimport check``: JSON for programs (``--json``), a summary for people.

The JSON follows ``schemas/check-report.schema.json`` (shipped in the package,
published as docs/check-report.schema.json): sizes in bytes; disks in
argument order, an OVA's disks nested and named ``file.ova!disk.vmdk``;
the image's operating system (read from all its disks) on the first, the boot
disk; problems in disk order, then the account's; what each road would meet.
The summary for people goes to stdout too (it is the command's answer), styled
only on a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, NamedTuple, TextIO

from ec2_import_image import diagnostics
from ec2_import_image.diagnostics import Diagnostic, Keys, Severity, to_json
from ec2_import_image.diskimage.records import DiskReport, Partition
from ec2_import_image.guestos.judge import RoadVerdicts
from ec2_import_image.guestos.osreport import OsFamily, OsReport, OsStatus, VolumeState
from ec2_import_image.roads import Road

SCHEMA_RESOURCE = "check-report.schema.json"
#: the version of the report's JSON (its ``version``): 2 added each disk's ``os``,
#: ``roads``, ``recommended_road`` and ``road_reason``
SCHEMA_VERSION = 2


class CheckReport(NamedTuple):
    disks: tuple[DiskReport, ...]
    #: the account object (region, role, bucket, object, caller), None when not checked
    account: Mapping[str, Any] | None
    problems: tuple[Diagnostic, ...]
    #: the operating system read from the image's disks (None: not read)
    os: OsReport | None
    #: what each road would meet, and the road to take
    roads: RoadVerdicts
    #: the road ``problems`` are judged for (``--via``, or the one ``auto`` takes)
    road: Road = Road.IMAGE

    @property
    def ok(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        verdicts = self.roads.to_json()
        return {
            "version": SCHEMA_VERSION,
            "ok": self.ok,
            "disks": [
                disk_json(disk, self.os if index == 0 else None)
                for index, disk in enumerate(self.disks)
            ],
            "account": None if self.account is None else dict(self.account),
            "problems": [to_json(problem, Keys.CHECK) for problem in self.problems],
            "roads": verdicts["roads"],
            "recommended_road": verdicts["recommended_road"],
            "road_reason": verdicts["reason"],
        }


def schema() -> dict[str, Any]:
    """The JSON Schema the report follows."""
    text = resources.files("ec2_import_image.vmimport.schemas").joinpath(SCHEMA_RESOURCE)
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def partition_json(partition: Partition) -> dict[str, Any]:
    return {
        "number": partition.number,
        "type": partition.type.value,
        "type_id": partition.type_id,
        "filesystem": None if partition.filesystem is None else partition.filesystem.value,
        "size": partition.size,
        "bootable": partition.bootable,
    }


def disk_json(report: DiskReport, guest: OsReport | None = None) -> dict[str, Any]:
    """A disk's object; ``guest``, the image's operating system, goes on the boot disk."""
    table = report.partition_table
    return {
        "source": report.source,
        "format": report.format.value,
        "variant": None if report.variant is None else report.variant.value,
        "virtual_size": report.virtual_size,
        "file_size": report.file_size,
        "complete": report.complete,
        "partition_table": None if table is None else table.value,
        "partitions": [partition_json(p) for p in report.partitions],
        "boot_mode": report.boot_mode.value,
        "esp_loaders": list(report.esp_loaders),
        "filesystem": None if report.filesystem is None else report.filesystem.value,
        "disks": [disk_json(disk) for disk in report.disks],
        "os": None if guest is None else guest.to_json(),
    }


def write_json(report: CheckReport, stream: TextIO) -> None:
    json.dump(report.to_json(), stream, indent=2)
    stream.write("\n")


# -- for people -----------------------------------------------------------------------------


def size_text(value: int | None) -> str:
    if value is None:
        return "unknown size"
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{value} bytes"


def _disk_lines(report: DiskReport, indent: str) -> list[str]:
    kind = report.format.value.upper()
    if report.variant is not None:
        kind += f" {report.variant.value}"
    facts = [kind]
    if report.virtual_size is not None and report.format.value != "ova":
        facts.append(f"{size_text(report.virtual_size)} virtual")
    facts.append(f"{size_text(report.file_size)} file")
    if not report.complete:
        facts.append("[bold red]incomplete[/]")
    lines = [f"{indent}[bold]{_escape(report.source)}[/]: {', '.join(facts)}"]
    if report.partition_table is not None:
        parts = "; ".join(_partition_text(p) for p in report.partitions) or (
            f"no partitions: {report.filesystem.value} on the whole disk"
            if report.filesystem is not None
            else "no partitions"
        )
        lines.append(f"{indent}  {report.partition_table.value}: {parts}")
        loaders = f" ({', '.join(report.esp_loaders)})" if report.esp_loaders else ""
        lines.append(f"{indent}  boot mode: {report.boot_mode.value}{loaders}")
    for disk in report.disks:
        lines.extend(_disk_lines(disk, indent + "  "))
    return lines


def _partition_text(partition: Partition) -> str:
    filesystem = partition.filesystem.value if partition.filesystem is not None else "no fs"
    active = ", active" if partition.bootable else ""
    size = size_text(partition.size)
    return f"{partition.number} {partition.type.value} {size} {filesystem}{active}"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _account_lines(account: Mapping[str, Any]) -> list[str]:
    """A line per thing the account checks read: caller, role, buckets, objects, keys."""
    lines = [f"[bold]Account[/] (import Region {account.get('region')})"]
    caller = account.get("caller") or {}
    if caller:
        lines.append(f"  caller: {_escape(str(caller.get('arn')))}")
    role = account.get("role") or {}
    if role:
        if not role.get("exists"):
            lines.append(f"  role {_escape(str(role.get('name')))}: does not exist")
        else:
            decisions = [str(p.get("decision")) for p in role.get("permissions", [])]
            allowed = decisions.count("allowed")
            trust = (role.get("trust") or {}).get("decision", "unknown")
            lines.append(
                f"  role {_escape(str(role.get('name')))}: trust {trust}, "
                f"{allowed} of {len(decisions)} permissions allowed"
                f" (evaluated by {role.get('evaluated_by')})"
            )
    for bucket in account.get("buckets", []):
        where = bucket.get("region") if bucket.get("exists") else "does not exist"
        lines.append(f"  bucket {_escape(str(bucket.get('name')))}: {where}")
    for item in account.get("objects", []):
        if item.get("exists"):
            facts = f"{size_text(item.get('size'))}, encryption {item.get('encryption')}"
        else:
            facts = "does not exist"
        lines.append(f"  object {_escape(str(item.get('source')))}: {facts}")
    for key in account.get("kms_keys", []):
        lines.append(f"  KMS key {_escape(str(key.get('key_id')))}: named by {key.get('named_by')}")
    return lines


def _os_lines(guest: OsReport) -> list[str]:
    """The operating system in a few lines: what, where, boot, fstab, network, drivers."""
    if guest.status is OsStatus.NOT_FOUND:
        return ["  operating system: none on the file systems read (every one was read)"]
    if not guest.found:
        unread = [
            f"{fact.where}: {fact.detail or fact.filesystem}"
            for fact in guest.volumes
            if fact.state is VolumeState.UNREADABLE
        ]
        reasons = [*guest.findings, *unread]
        reason = f": {_escape('; '.join(reasons))}" if reasons else ""
        return [f"  operating system: not read ({guest.status.value}{reason})"]
    where = f" on {guest.root}" if guest.root else ""
    if not guest.identified:
        return [
            f"  operating system: a {guest.family} root{where} that names no system "
            "(no os-release or release file): not judged"
        ]
    name = " ".join(filter(None, (guest.distribution, guest.version_detail or guest.version)))
    lines = [f"  operating system: {_escape(guest.pretty_name or name)} ({name}){where}"]
    if guest.family is OsFamily.LINUX:
        kernel = guest.default_kernel or f"none determined ({guest.kernel_undetermined})"
        loader = guest.boot_loader.value if guest.boot_loader else "no boot loader"
        lines.append(
            f"    default kernel: {_escape(kernel)} ({loader}; {len(guest.kernels)} installed)"
        )
        mounts = ", ".join(f"{e.spec} on {e.mount}" for e in guest.fstab) or "no entries"
        lines.append(f"    fstab: {_escape(mounts)}")
        cloud = {True: "yes", False: "no", None: "unknown"}[guest.cloud_init]
        lines.append(f"    network: {guest.network.value}; cloud-init: {cloud}")
    if guest.drivers is not None:
        drivers = guest.drivers
        initramfs = guest.initramfs
        skipped = " (initramfs not read)" if initramfs is not None and not initramfs.read else ""
        lines.append(
            f"    drivers: nvme {drivers.nvme.value}, ena {drivers.ena.value}, "
            f"xen {drivers.xen.value}{skipped}"
        )
    return lines


def _road_line(verdicts: RoadVerdicts) -> str:
    """What each road would meet, and the road to take."""
    roads = "; ".join(
        f"{road.value} " + ("ok" if not codes else ", ".join(code.value for code in codes))
        for road, codes in verdicts.blocking.items()
    )
    taken = verdicts.recommended.value if verdicts.recommended else "none"
    return f"[bold]Roads[/]: {roads}. Recommended: {taken} ({_escape(verdicts.reason)})"


def render_text(report: CheckReport, console: Any) -> None:
    """The report for a person (a rich Console; plain text when it is not a terminal)."""
    for index, disk in enumerate(report.disks):
        for line in _disk_lines(disk, ""):
            console.print(line)
        if index == 0 and report.os is not None:
            for line in _os_lines(report.os):
                console.print(line)
    if report.disks:
        console.print(_road_line(report.roads))
    if report.account is not None:
        for line in _account_lines(report.account):
            console.print(line)
    if not report.problems:
        console.print("[bold green]No problems found[/]: the import can go ahead.")
        return
    errors = sum(p.severity is Severity.ERROR for p in report.problems)
    warnings = len(report.problems) - errors
    console.print("")
    for problem in report.problems:
        for line in diagnostics.lines(problem, decorated=True):
            console.print(line)
    verdict = (
        "the import would fail as things stand"
        if errors
        else "the import may go ahead; read the warnings"
    )
    console.print("")
    console.print(
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning"
        f"{'s' if warnings != 1 else ''}: {verdict}."
    )
