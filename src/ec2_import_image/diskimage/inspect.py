"""Inspect a disk image: the container, then through it the partitions, file systems, ESP.

``inspect_image(blob, source)`` is the one entry point: it never raises for
what is in the bytes (a malformed structure becomes ``damage`` or
``truncation`` in the report); only :class:`~.errors.SourceError` (the bytes
could not be read) comes out.  An OVA's disks are inspected as their own
reports, sourced ``file.ova!disk.vmdk``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TypeVar

from ec2_import_image.diskimage import bootmode, fat, filesystems, ova, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob, SliceBlob
from ec2_import_image.diskimage.errors import FormatError
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
    VhdFacts,
)

_MAX_PARTITIONS = 128
_T = TypeVar("_T")


@contextmanager
def _typed() -> Iterator[None]:
    """Turn a parser's slip on malformed bytes into the readers' own error."""
    try:
        yield
    except (
        struct.error,
        ValueError,
        IndexError,
        KeyError,
        OverflowError,
        ZeroDivisionError,
    ) as exc:
        raise FormatError(f"malformed structure ({type(exc).__name__}: {exc})") from exc


def _guarded(step: Callable[[], _T]) -> _T:
    with _typed():
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


def _raw(source: str, blob: Blob) -> DiskReport:
    report = _report(source, blob, ContainerFormat.RAW, virtual_size=blob.size, disk=blob)
    end = max((p.start + p.size for p in report.partitions), default=0)
    if end > blob.size:
        reason = f"the partition table describes {end} bytes, the file has {blob.size}"
        return replace(report, complete=False, truncation=reason)
    return report


def _vmdk(source: str, blob: Blob) -> DiskReport:
    info = vmdk.read_vmdk(blob)
    if info.header is None:
        extents = info.descriptor.extents if info.descriptor is not None else ()
        files = tuple(extent.filename for extent in extents) or ("(none)",)
        return _vmdk_report(source, blob, info, extent_files=files)
    truncation = info.truncation
    try:
        disk = vmdk.SparseDisk(blob, info.header)
    except FormatError as exc:
        return _vmdk_report(source, blob, info, truncation=truncation, damage=str(exc))
    truncation = truncation or _guarded(lambda: vmdk.completeness(blob, disk, footer=info.footer))
    return _vmdk_report(source, blob, info, disk=disk, truncation=truncation)


def _vmdk_report(source: str, blob: Blob, info: vmdk.VmdkInfo, **extra: object) -> DiskReport:
    return _report(
        source,
        blob,
        ContainerFormat.VMDK,
        variant=info.variant,
        virtual_size=info.virtual_size,
        **extra,  # type: ignore[arg-type]
    )


def _vhd(source: str, blob: Blob) -> DiskReport:
    footer = vhd.read_footer(blob)
    copy = vhd.read_copy(blob)
    effective = footer or copy
    if effective is None:
        raise FormatError("no VHD footer")
    variant = effective.variant
    truncation = None if footer is not None else "the VHD footer at the end of the file is missing"
    copy_matches = (
        None
        if copy is None and variant is Variant.FIXED
        else (footer is not None and copy is not None and copy.raw == footer.raw)
    )
    facts = VhdFacts(footer is not None, effective.checksum_ok, copy_matches)
    disk: Blob | None = None
    if variant is Variant.FIXED:
        if footer is not None and blob.size < effective.current_size + vhd.FOOTER_SIZE:
            truncation = "the fixed VHD is shorter than its footer's disk size"
        disk = vhd.fixed_disk(blob, effective)
    elif variant is not None:
        dynamic = vhd.DynamicDisk(blob, effective, vhd.read_dynamic_header(blob, effective))
        truncation = truncation or dynamic.truncation()
        disk = dynamic
    return _report(
        source,
        blob,
        ContainerFormat.VHD,
        variant=variant,
        virtual_size=effective.current_size,
        disk=disk,
        truncation=truncation,
        vhd=facts,
    )


def _vhdx(source: str, blob: Blob) -> DiskReport:
    layout = vhdx.read_layout(blob)
    disk = vhdx.VhdxDisk(blob, layout)
    return _report(
        source,
        blob,
        ContainerFormat.VHDX,
        variant=layout.geometry.variant,
        virtual_size=layout.geometry.virtual_size,
        disk=disk,
        truncation=disk.truncation(),
    )


def _ova(source: str, blob: Blob) -> DiskReport:
    contents = ova.read_ova(blob)
    end = max((member.offset + member.size for member in contents.members), default=0)
    truncation = "the archive ends inside a member" if end > blob.size else None
    disks = tuple(inspect_image(disk.blob, f"{source}!{disk.name}") for disk in contents.disks)
    report = _report(source, blob, ContainerFormat.OVA, truncation=truncation, ova=contents.facts)
    return replace(report, disks=disks)


def _refused_size(fmt: ContainerFormat, blob: Blob) -> int | None:
    """The virtual size a QCOW2 or VDI header states."""
    if fmt is ContainerFormat.QCOW2:
        raw = blob.read(24, 8)
        return struct.unpack(">Q", raw)[0] if len(raw) == 8 else None
    raw = blob.read(368, 8)
    return struct.unpack("<Q", raw)[0] if len(raw) == 8 else None


_READERS: dict[ContainerFormat, Callable[[str, Blob], DiskReport]] = {
    ContainerFormat.RAW: _raw,
    ContainerFormat.VMDK: _vmdk,
    ContainerFormat.VHD: _vhd,
    ContainerFormat.VHDX: _vhdx,
    ContainerFormat.OVA: _ova,
}


def inspect_image(blob: Blob, source: str) -> DiskReport:
    """Everything the checks need about one image file (an OVA's disks included)."""
    fmt = _guarded(lambda: identify(blob))
    reader = _READERS.get(fmt)
    if reader is None:
        if fmt is ContainerFormat.UNKNOWN:
            return _report(source, blob, fmt, foreign=foreign(blob.read(0, HEAD)))
        size = _guarded(lambda: _refused_size(fmt, blob))
        return _report(source, blob, fmt, virtual_size=size)
    try:
        return _guarded(lambda: reader(source, blob))
    except FormatError as exc:
        return _report(source, blob, fmt, damage=str(exc))
