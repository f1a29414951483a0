"""From a container file to its virtual disk, for every format: written once, used by all.

:func:`open_container` says what a file is and, when it can, gives its virtual
disk as a :class:`~.blob.Blob` (the inspection reads partitions and file
systems through it and records what could not be read as facts).
:func:`open_virtual_disk` is the strict form for whoever copies the disk's
bytes (the EBS direct road): it answers a :class:`VirtualDisk` or raises —
:class:`~.errors.FormatError` for a damaged or truncated file,
:class:`~.errors.UnsupportedError` for what is refused, each message saying
what to do: a differencing disk or a qcow2 overlay without its parent, an
encrypted qcow2, a VMDK descriptor whose extents cannot be opened.

Every virtual disk also tells which ranges may hold data (``allocated``),
from the container's own map: VMDK grain tables, the VHD and VHDX BATs, qcow2
L1/L2 tables, the VDI block map, a local RAW file's holes (``SEEK_DATA``); an
S3 object's RAW disk is all data.  Outside those extents the disk reads as
zeros, so a copy reads and writes only the extents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ec2_import_image.diskimage import ova, qcow2, vdi, vhd, vhdx, vmdk
from ec2_import_image.diskimage.blob import Blob, Extent, SliceBlob, allocated
from ec2_import_image.diskimage.errors import FormatError, UnsupportedError, typed
from ec2_import_image.diskimage.identify import identify
from ec2_import_image.diskimage.records import ContainerFormat, Variant, VhdFacts
from ec2_import_image.diskimage.sources import FileBlob

#: opens a file a VMDK descriptor names (relative to the descriptor), or raises SourceError
Opener = Callable[[str], Blob]

#: how to make one self-contained disk of a disk that depends on a parent
_FLATTEN = {
    ContainerFormat.QCOW2: "qemu-img convert -O qcow2 {source} flat.qcow2",
    ContainerFormat.VHD: "qemu-img convert -O vpc -o subformat=dynamic {source} flat.vhd",
    ContainerFormat.VHDX: "qemu-img convert -O vhdx -o subformat=dynamic {source} flat.vhdx",
    ContainerFormat.VDI: "VBoxManage clonemedium disk {source} flat.vdi",
}


@dataclass(frozen=True)
class Container:
    """What a container file says of itself, and its virtual disk when that can be read."""

    format: ContainerFormat
    variant: Variant | None = None
    #: the size the container states (None when it cannot tell)
    virtual_size: int | None = None
    #: the virtual disk (None: refused, damaged, a descriptor without its extents, an OVA)
    disk: Blob | None = None
    #: why the file is incomplete
    truncation: str | None = None
    #: a structure that could not be read, or metadata the image itself marks corrupt
    damage: str | None = None
    #: why the readers refuse the disk (a feature they do not read)
    refused: str | None = None
    #: what the disk depends on (a backing file, a parent disk); its data reads as zeros
    parent: str | None = None
    #: what the container says of its own state, for a person (a dirty qcow2)
    notes: tuple[str, ...] = ()
    vhd: VhdFacts | None = None
    #: the files a VMDK descriptor's extents name
    extent_files: tuple[str, ...] = ()
    ova: ova.OvaContents | None = None


@dataclass(frozen=True)
class VirtualDisk:
    """A container's virtual disk: its bytes, what it is, and where its data may be.

    It is a :class:`~.blob.Blob` (``size``, ``read``) and answers ``allocated``.
    """

    source: str
    format: ContainerFormat
    variant: Variant | None
    disk: Blob
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """The virtual disk's size in bytes."""
        return self.disk.size

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of the virtual disk from ``offset`` (zeros where unallocated)."""
        with typed():
            return self.disk.read(offset, length)

    def allocated(self, start: int = 0, end: int | None = None) -> Iterator[Extent]:
        """Sorted, non-overlapping ``(offset, length)`` extents of ``[start, end)`` covering
        every byte that may be non-zero; every byte outside them reads as zero."""
        with typed():
            yield from allocated(self.disk, start, end)


def _vmdk(blob: Blob, opener: Opener | None) -> Container:
    info = vmdk.read_vmdk(blob)
    facts = Container(ContainerFormat.VMDK, info.variant, info.virtual_size)
    if info.header is None:
        extents = info.descriptor.extents if info.descriptor is not None else ()
        files = tuple(extent.filename for extent in extents) or ("(none)",)
        if opener is None or info.descriptor is None:
            return _with(facts, extent_files=files)
        disk, truncation = vmdk.extents_disk(info.descriptor, opener)
        return _with(facts, extent_files=files, disk=disk, truncation=truncation)
    try:
        disk = vmdk.SparseDisk(blob, info.header)
    except FormatError as exc:
        return _with(facts, truncation=info.truncation, damage=str(exc))
    truncation = info.truncation or vmdk.completeness(blob, disk, footer=info.footer)
    return _with(facts, disk=disk, truncation=truncation)


def _vhd(blob: Blob) -> Container:
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
    parent = "its parent VHD" if variant is Variant.DIFFERENCING else None
    return Container(
        ContainerFormat.VHD,
        variant,
        effective.current_size,
        disk,
        truncation,
        parent=parent,
        vhd=facts,
    )


def _vhdx(blob: Blob) -> Container:
    layout = vhdx.read_layout(blob)
    disk = vhdx.VhdxDisk(blob, layout)
    variant = layout.geometry.variant
    return Container(
        ContainerFormat.VHDX,
        variant,
        layout.geometry.virtual_size,
        disk,
        disk.truncation(),
        parent="its parent VHDX" if variant is Variant.DIFFERENCING else None,
    )


def _qcow2(blob: Blob) -> Container:
    try:
        header = qcow2.read_header(blob)
    except UnsupportedError as exc:
        return Container(ContainerFormat.QCOW2, refused=str(exc))
    parent = None
    if header.backing_file is not None:
        kind = f" ({header.backing_format})" if header.backing_format else ""
        parent = f"the backing file {header.backing_file}{kind}"
    facts = Container(
        ContainerFormat.QCOW2,
        Variant.DIFFERENCING if parent is not None else None,
        header.size,
        parent=parent,
        notes=header.notes(),
        damage=header.notes()[0] if header.corrupt else None,
    )
    try:
        disk = qcow2.Qcow2Disk(blob, header)
    except UnsupportedError as exc:
        return _with(facts, refused=str(exc))
    return _with(facts, disk=disk, truncation=disk.truncation())


def _vdi(blob: Blob) -> Container:
    try:
        header = vdi.read_header(blob)
    except UnsupportedError as exc:
        return Container(ContainerFormat.VDI, refused=str(exc))
    disk = vdi.VdiDisk(blob, header)
    parent = None
    if header.has_parent:
        parent = f"its parent VDI {header.parent}" if header.parent else "its parent VDI"
    return Container(
        ContainerFormat.VDI,
        header.variant,
        header.size,
        disk,
        disk.truncation(),
        parent=parent,
    )


def _ova(blob: Blob) -> Container:
    contents = ova.read_ova(blob)
    end = max((member.offset + member.size for member in contents.members), default=0)
    truncation = "the archive ends inside a member" if end > blob.size else None
    return Container(ContainerFormat.OVA, truncation=truncation, ova=contents)


def _with(facts: Container, **changes: object) -> Container:
    return replace(facts, **changes)  # type: ignore[arg-type]


def open_container(
    blob: Blob, fmt: ContainerFormat | None = None, *, opener: Opener | None = None
) -> Container:
    """What ``blob`` is (``fmt`` when already identified) and its virtual disk.

    Raises :class:`~.errors.FormatError` when even the container's header cannot be
    read; what is refused or damaged further in is recorded in the answer.
    """
    with typed():
        fmt = identify(blob) if fmt is None else fmt
        if fmt is ContainerFormat.RAW:
            return Container(fmt, virtual_size=blob.size, disk=blob)
        if fmt is ContainerFormat.VMDK:
            return _vmdk(blob, opener)
        if fmt is ContainerFormat.VHD:
            return _vhd(blob)
        if fmt is ContainerFormat.VHDX:
            return _vhdx(blob)
        if fmt is ContainerFormat.QCOW2:
            return _qcow2(blob)
        if fmt is ContainerFormat.VDI:
            return _vdi(blob)
        if fmt is ContainerFormat.OVA:
            return _ova(blob)
    return Container(fmt)


def open_virtual_disk(
    blob: Blob,
    source: str,
    *,
    declared: ContainerFormat | None = None,
    member: str | None = None,
    opener: Opener | None = None,
    without_parent: bool = False,
) -> VirtualDisk:
    """The virtual disk of the image in ``blob`` (named ``source`` in messages), strictly.

    ``declared`` is the format the caller says the file is (a RAW disk without a partition
    table or file system is not recognised by its bytes), else it is identified;
    ``member`` names an OVA's disk (by default its only one); ``opener`` opens the files
    a VMDK descriptor names (see :func:`siblings`); ``without_parent`` reads a
    differencing disk's own layer, its parent's data as zeros (for inspection only:
    such a copy is not the disk).
    """
    with typed():
        fmt = identify(blob) if declared is None else declared
    if fmt is ContainerFormat.OVA:
        return _ova_disk(blob, source, member, without_parent)
    container = open_container(blob, fmt, opener=opener)
    return _strict(container, source, without_parent)


def _strict(container: Container, source: str, without_parent: bool) -> VirtualDisk:
    fmt = container.format
    if fmt is ContainerFormat.UNKNOWN:
        raise UnsupportedError(
            f"{source} is no disk image format these readers know (OVA, VMDK, VHD, VHDX, "
            "qcow2, VDI, or RAW with a partition table or file system)"
        )
    if container.refused is not None:
        raise UnsupportedError(f"{source}: {container.refused}")
    if container.damage is not None:
        raise FormatError(f"{source} is damaged: {container.damage}")
    if container.truncation is not None:
        raise FormatError(f"{source} is incomplete: {container.truncation}")
    if container.disk is None:
        files = ", ".join(container.extent_files)
        raise UnsupportedError(
            f"{source} is a VMDK descriptor: its data is in {files}, which can only be read "
            "beside it (a local descriptor with its extent files in the same directory), or "
            "convert it into one file: qemu-img convert -O vmdk -o subformat=streamOptimized "
            f"{source} out.vmdk"
        )
    if container.parent is not None and not without_parent:
        remedy = _FLATTEN[fmt].format(source=source)
        raise UnsupportedError(
            f"{source} is a differencing {fmt.value} disk (an overlay): what it does not hold "
            f"is in {container.parent}, which is not read. Flatten it into one disk first "
            f"(with the parent beside it): {remedy}"
        )
    return VirtualDisk(source, fmt, container.variant, container.disk, container.notes)


def _ova_disk(blob: Blob, source: str, member: str | None, without_parent: bool) -> VirtualDisk:
    with typed():
        contents = ova.read_ova(blob)
    names = [disk.name for disk in contents.disks]
    if member is None and len(names) != 1:
        listed = ", ".join(names) or "none"
        raise UnsupportedError(f"{source} holds {len(names)} disks ({listed}): name one")
    name = member if member is not None else names[0]
    chosen = next((disk for disk in contents.disks if disk.name == name), None)
    if chosen is None:
        raise UnsupportedError(f"{source} holds no disk {name} (its disks: {', '.join(names)})")
    by_name = {m.name: m for m in contents.members}

    def open_member(file: str) -> Blob:
        found = by_name.get(file)
        if found is None:
            raise FormatError(f"{source} holds no {file}, which {name} names")
        return SliceBlob(blob, found.offset, found.size)

    inner = chosen.blob
    with typed():
        fmt = identify(inner)
    if fmt is ContainerFormat.OVA:
        raise FormatError(f"{source}!{name} is itself an archive")
    container = open_container(inner, fmt, opener=open_member)
    return _strict(container, f"{source}!{name}", without_parent)


def siblings(descriptor: str | Path) -> Opener:
    """An opener of the files a local VMDK descriptor names, relative to its directory."""
    directory = Path(descriptor).parent

    def open_file(name: str) -> Blob:
        return FileBlob(directory / name)

    return open_file
