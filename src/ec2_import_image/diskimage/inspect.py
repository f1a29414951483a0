"""Inspect a disk image: the container, then through it the partitions, file systems, ESP.

``inspect_image(blob, source)`` is the one entry point (``inspect_image_disks``
also gives the virtual disks it opened, for reading what they hold): it never raises for
what is in the bytes (a malformed structure becomes ``damage`` or
``truncation`` in the report, a refused feature ``refused``); only
:class:`~.errors.SourceError` (the bytes could not be read) comes out.  The
container is opened by :func:`~.virtual.open_container`, the one mapping of
every format to its virtual disk (a differencing disk's own layer is read,
its parent's data as zeros).  An OVA's disks are inspected as their own
reports, sourced ``file.ova!disk.vmdk``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from ec2_import_image.diskimage import bootmode, fat, filesystems
from ec2_import_image.diskimage.blob import Blob, SliceBlob
from ec2_import_image.diskimage.errors import FormatError, typed
from ec2_import_image.diskimage.identify import HEAD, foreign, identify
from ec2_import_image.diskimage.partitions import read_partitions
from ec2_import_image.diskimage.records import (
    BootMode,
    ContainerFormat,
    DiskReport,
    EspFault,
    Filesystem,
    Partition,
    PartitionTable,
    PartitionType,
    Variant,
)
from ec2_import_image.diskimage.virtual import Container, open_container

_MAX_PARTITIONS = 128
_T = TypeVar("_T")


def _guarded(step: Callable[[], _T]) -> _T:
    with typed():
        return step()


@dataclass(frozen=True)
class Contents:
    """What is inside a virtual disk."""

    partition_table: PartitionTable
    partitions: tuple[Partition, ...]
    boot_mode: BootMode
    esp_loaders: tuple[str, ...]
    has_esp: bool
    damage: str | None
    #: what fills a disk without a partition table
    filesystem: Filesystem | None = None
    esp_faults: tuple[EspFault, ...] = ()


def _esp_loaders(
    number: int, part: Blob, filesystem: Filesystem | None
) -> EspFault | tuple[str, ...]:
    """The fallback loaders on an EFI system partition, or why UEFI cannot read it.

    UEFI firmware reads an EFI system partition as FAT (UEFI specification, 13.3): one
    that holds no FAT file system, or a FAT that cannot be read, boots nothing.
    """
    if filesystem is not Filesystem.VFAT:
        return EspFault(number, filesystem)
    try:
        return _guarded(lambda: fat.fallback_loaders(part))
    except FormatError as exc:
        return EspFault(number, filesystem, str(exc))


def read_contents(disk: Blob) -> Contents:
    """The partition table, each partition's file system, the ESP's loaders, the boot mode."""
    layout = _guarded(lambda: read_partitions(disk))
    partitions: list[Partition] = []
    loaders: list[str] = []
    faults: list[EspFault] = []
    damage: str | None = None
    for slot in layout.slots[:_MAX_PARTITIONS]:
        filesystem = None
        if slot.type is not PartitionType.EXTENDED:
            part = SliceBlob(disk, slot.start, slot.size)
            try:
                filesystem = _guarded(lambda part=part: filesystems.detect(part))  # type: ignore[misc]
            except FormatError as exc:
                damage = damage or f"partition {slot.number}: {exc}"
            if slot.type is PartitionType.EFI_SYSTEM:
                found = _esp_loaders(slot.number, part, filesystem)
                if isinstance(found, EspFault):
                    faults.append(found)
                else:
                    loaders.extend(name for name in found if name not in loaders)
        partitions.append(
            Partition(
                slot.number,
                slot.type,
                slot.type_id,
                slot.start,
                slot.size,
                slot.bootable,
                filesystem,
                slot.name,
            )
        )
    legacy = bootmode.legacy_bootable(layout.table, layout.slots, layout.boot_code)
    has_esp = any(slot.type is PartitionType.EFI_SYSTEM for slot in layout.slots)
    whole = None
    if layout.table is PartitionTable.NONE:
        whole = _guarded(lambda: filesystems.detect(disk))
    return Contents(
        layout.table,
        tuple(partitions),
        bootmode.boot_mode(legacy, loaders),
        tuple(loaders),
        has_esp,
        damage,
        whole,
        tuple(faults),
    )


def _report(
    source: str,
    blob: Blob,
    fmt: ContainerFormat,
    *,
    variant: Variant | None = None,
    virtual_size: int | None = None,
    disk: Blob | None = None,
    truncation: str | None = None,
    **extra: object,
) -> DiskReport:
    """A report, with the contents read through ``disk`` when there is one."""
    report = DiskReport(
        source=source,
        format=fmt,
        variant=variant,
        virtual_size=virtual_size,
        file_size=blob.size,
        complete=truncation is None,
        partition_table=None,
        partitions=(),
        boot_mode=BootMode.UNKNOWN,
        esp_loaders=(),
        has_esp=False,
        truncation=truncation,
        **extra,  # type: ignore[arg-type]
    )
    if disk is None:
        return report
    try:
        contents = read_contents(disk)
    except FormatError as exc:
        return replace(report, damage=str(exc))
    return replace(
        report,
        partition_table=contents.partition_table,
        partitions=contents.partitions,
        boot_mode=contents.boot_mode,
        esp_loaders=contents.esp_loaders,
        has_esp=contents.has_esp,
        damage=report.damage or contents.damage,
        filesystem=contents.filesystem,
        esp_faults=contents.esp_faults,
    )


def _container_report(source: str, blob: Blob, container: Container) -> DiskReport:
    return _report(
        source,
        blob,
        container.format,
        variant=container.variant,
        virtual_size=container.virtual_size,
        disk=container.disk,
        truncation=container.truncation,
        damage=container.damage,
        refused=container.refused,
        extent_files=container.extent_files,
        vhd=container.vhd,
    )


def _raw(report: DiskReport, blob: Blob) -> DiskReport:
    end = max((p.start + p.size for p in report.partitions), default=0)
    if end > blob.size:
        reason = f"the partition table describes {end} bytes, the file has {blob.size}"
        return replace(report, complete=False, truncation=reason)
    return report


def inspect_image(blob: Blob, source: str) -> DiskReport:
    """Everything the checks need about one image file (an OVA's disks included)."""
    return _inspect(blob, source, [])


def inspect_image_disks(blob: Blob, source: str) -> tuple[DiskReport, tuple[Blob | None, ...]]:
    """:func:`inspect_image`, and the virtual disks the file holds (an OVA's in order), for
    reading what they hold (the guest OS) without opening the containers again (a stream
    VMDK's completeness check reads every grain table).  A disk that cannot be read whole
    is None: refused, damaged, incomplete, a descriptor without its extents, or a
    differencing disk (its parent's data would read as zeros)."""
    disks: list[Blob | None] = []
    report = _inspect(blob, source, disks)
    return report, tuple(disks)


def _whole(container: Container) -> Blob | None:
    unread = (container.refused, container.damage, container.truncation, container.parent)
    return container.disk if all(fact is None for fact in unread) else None


def _inspect(blob: Blob, source: str, found: list[Blob | None]) -> DiskReport:
    fmt = _guarded(lambda: identify(blob))
    if fmt is ContainerFormat.UNKNOWN:
        found.append(None)
        return _report(source, blob, fmt, foreign=foreign(blob.read(0, HEAD)))
    try:
        container = open_container(blob, fmt)
    except FormatError as exc:
        found.append(None)
        return _report(source, blob, fmt, damage=str(exc))
    if container.ova is not None:
        disks = tuple(
            _inspect(disk.blob, f"{source}!{disk.name}", found) for disk in container.ova.disks
        )
        report = _report(
            source, blob, fmt, truncation=container.truncation, ova=container.ova.facts
        )
        return replace(report, disks=disks)
    try:
        report = _guarded(lambda: _container_report(source, blob, container))
    except FormatError as exc:
        found.append(None)
        return _report(source, blob, fmt, damage=str(exc))
    report = _raw(report, blob) if fmt is ContainerFormat.RAW else report
    found.append(_whole(container) if report.complete else None)
    return report
