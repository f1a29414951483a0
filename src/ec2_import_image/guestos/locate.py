"""Where the system is: the volumes of an image's disks, opened, and the root among them.

The volumes, disk by disk (the first disk is the boot disk, as ImportImage takes it):

- each partition of an MBR or GPT table (``diskimage.partitions``; the extended
  partition itself is a container, not a volume), or the whole disk when it has no table;
- each file system is named by its signature (``diskimage.filesystems``); LVM2 physical
  volumes are gathered from every disk and their linear logical volumes followed
  (``diskimage.lvm``: a volume group may span disks), each a volume of its own;
- ext2/3/4 (``fsread.ext``), XFS (``fsread.xfs``), Btrfs (``fsread.btrfs``: the default
  subvolume, and each subvolume in turn when the default one holds no system, Fedora's
  root being subvolume ``root`` under a top level that holds nothing but subvolumes) and
  NTFS (``fsread.ntfs``) are opened with their readers.

A Linux root is a volume with ``/etc`` holding ``fstab`` or a release file
(``release.RELEASE_FILES``); a Windows system volume holds
``Windows/System32/config/SOFTWARE``.  The first found, in disk and partition order, is
the system; others are listed (ImportImage refuses dual-boot images).

Every volume is read on its own: a volume that is encrypted, of a file system no reader
reads, refused (a thin logical volume) or damaged is recorded as such
(``osreport.VolumeFact``) and the others are still read.  Only a failure to read the
source itself (``SourceError``: a ranged GET that failed) stops the search.

fstab's devices are found here too (``Volumes.find``): by ``UUID=`` and ``LABEL=`` (the
file system's), ``PARTUUID=`` and ``PARTLABEL=`` (the partition's), ``/dev/disk/by-*/``,
a kernel name (``/dev/sdb1``, ``/dev/vda2``, ``/dev/xvda1``, ``/dev/hda1``,
``/dev/nvme0n1p1``: disk by letter or controller number, partition by number) or LVM's
``/dev/VG/LV`` and ``/dev/mapper/VG-LV`` (``-`` in a name doubled).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ec2_import_image.diskimage import filesystems, lvm
from ec2_import_image.diskimage.blob import Blob, SliceBlob
from ec2_import_image.diskimage.errors import DiskImageError, SourceError, typed
from ec2_import_image.diskimage.partitions import read_partitions
from ec2_import_image.diskimage.records import ENCRYPTED_FILESYSTEMS, Filesystem, PartitionType
from ec2_import_image.fsread.tree import LinkLoop, NotADirectory, NotFound, Tree
from ec2_import_image.guestos.fstab import DEVICE_NAME, NVME_NAME, DeviceRef
from ec2_import_image.guestos.osreport import DeviceKind, VolumeFact, VolumeState
from ec2_import_image.guestos.release import RELEASE_FILES

#: the file systems a system lives on that the readers read
READABLE = frozenset(
    {Filesystem.EXT2, Filesystem.EXT3, Filesystem.EXT4, Filesystem.XFS, Filesystem.BTRFS}
) | {Filesystem.NTFS}
#: file systems that hold no system (an ESP, swap) or hold volumes (LVM)
NOT_A_ROOT = frozenset({Filesystem.VFAT, Filesystem.SWAP, Filesystem.LVM})
WINDOWS_HIVE = "Windows/System32/config/SOFTWARE"
#: volumes looked at on one image (partitions and logical volumes)
MAX_VOLUMES = 256
#: Btrfs subvolumes tried for a root when the default one holds none
MAX_SUBVOLUMES = 64

if TYPE_CHECKING:
    from ec2_import_image.fsread.btrfs import Btrfs

_T = TypeVar("_T")


class Unreadable(Exception):
    """A volume that could not be read: the reason is the message."""


def guarded(step: Callable[[], _T]) -> _T:
    """Run a reader: a malformed structure, a refused feature or a file that is not where
    a structure says becomes ``Unreadable``; a source that cannot be read goes on up."""
    try:
        with typed():
            return step()
    except SourceError:
        raise
    except (DiskImageError, LookupError, RecursionError) as error:
        raise Unreadable(str(error) or type(error).__name__) from None


@dataclass
class Candidate:
    """A volume of the image: where it is, its bytes, and what names it."""

    where: str
    blob: Blob | None
    filesystem: Filesystem | None
    disk: int | None = None
    partition: int | None = None
    #: (volume group, logical volume)
    lv: tuple[str, str] | None = None
    partuuid: str | None = None
    partlabel: str | None = None
    #: why its bytes cannot be had (a thin logical volume...)
    problem: str | None = None


@dataclass
class Opened:
    """A volume opened with its reader."""

    candidate: Candidate
    uuid: str | None
    label: str | None
    #: the volume's tree (for Btrfs: the default subvolume's)
    tree: Tree
    btrfs: Btrfs | None = None

    def mount(self, options: str) -> Tree:
        """The tree fstab's options mount (Btrfs ``subvol=``/``subvolid=``)."""
        fs = self.btrfs
        if fs is None:
            return self.tree
        return guarded(lambda: Tree(fs.mount(options)))


@dataclass(frozen=True)
class Root:
    """A system found: its tree, where it is, and the volume it is on."""

    kind: str  # "linux" or "windows"
    where: str
    tree: Tree
    volume: Opened


@dataclass
class Search:
    """Everything found on the image's disks."""

    opened: list[Opened] = field(default_factory=list)
    facts: list[VolumeFact] = field(default_factory=list)
    roots: list[Root] = field(default_factory=list)

    def find(self, ref: DeviceRef) -> Opened | None:
        """The volume an fstab device or ``root=`` names (see the module's docstring)."""
        for volume in self.opened:
            if _names(volume, ref):
                return volume
        return None


def _disk_letters(letters: str) -> int:
    """``a`` 0, ``z`` 25, ``aa`` 26: a kernel disk name's index."""
    number = 0
    for char in letters:
        number = number * 26 + string.ascii_lowercase.index(char) + 1
    return number - 1


def _names(volume: Opened, ref: DeviceRef) -> bool:
    candidate = volume.candidate
    value = ref.value
    if ref.kind is DeviceKind.UUID:
        return volume.uuid is not None and volume.uuid.lower() == value.lower()
    if ref.kind is DeviceKind.LABEL:
        return volume.label is not None and volume.label == value
    if ref.kind is DeviceKind.PARTUUID:
        return candidate.partuuid is not None and candidate.partuuid.lower() == value.lower()
    if ref.kind is DeviceKind.PARTLABEL:
        return candidate.partlabel is not None and candidate.partlabel == value
    if ref.kind is DeviceKind.DEVICE_NAME:
        match = DEVICE_NAME.fullmatch(value)
        assert match is not None
        disk = _disk_letters(match["disk"]) + 1
        part = int(match["part"]) if match["part"] else None
        return candidate.disk == disk and candidate.partition == part
    if ref.kind is DeviceKind.NVME:
        match = NVME_NAME.fullmatch(value)
        assert match is not None
        part = int(match["part"]) if match["part"] else None
        return candidate.disk == int(match["controller"]) + 1 and candidate.partition == part
    if ref.kind is DeviceKind.MAPPER and candidate.lv is not None:
        group, name = candidate.lv
        mapper = f"/dev/mapper/{group.replace('-', '--')}-{name.replace('-', '--')}"
        return value in (mapper, f"/dev/{group}/{name}")
    return False


# -- the volumes ----------------------------------------------------------------------------


def candidates(disks: Sequence[Blob], facts: list[VolumeFact]) -> list[Candidate]:
    """Every volume of the disks, partitions first (disk by disk), logical volumes after;
    what holds nothing is recorded in ``facts`` and left out."""
    found: list[Candidate] = []
    physical: list[lvm.PhysicalVolume] = []
    for number, disk in enumerate(disks, 1):
        try:
            layout = guarded(lambda disk=disk: read_partitions(disk))  # type: ignore[misc]
        except Unreadable as error:
            facts.append(VolumeFact(f"disk {number}", None, VolumeState.UNREADABLE, str(error)))
            continue
        pieces: list[Candidate] = []
        if not layout.slots:
            pieces.append(Candidate(f"disk {number}", disk, None, disk=number))
        for slot in layout.slots:
            if slot.type is PartitionType.EXTENDED:
                continue
            pieces.append(
                Candidate(
                    f"disk {number} partition {slot.number}",
                    SliceBlob(disk, slot.start, slot.size),
                    None,
                    disk=number,
                    partition=slot.number,
                    partuuid=slot.unique_id or None,
                    partlabel=slot.name or None,
                )
            )
        for piece in pieces:
            if len(found) >= MAX_VOLUMES:
                break
            blob = piece.blob
            assert blob is not None
            try:
                piece.filesystem = guarded(lambda blob=blob: filesystems.detect(blob))  # type: ignore[misc]
            except Unreadable as error:
                facts.append(VolumeFact(piece.where, None, VolumeState.UNREADABLE, str(error)))
                continue
            if piece.filesystem is Filesystem.LVM:
                try:
                    physical.append(guarded(lambda blob=blob: lvm.read_pv(blob)))  # type: ignore[misc]
                except Unreadable as error:
                    facts.append(VolumeFact(piece.where, "lvm", VolumeState.UNREADABLE, str(error)))
                    continue
                facts.append(VolumeFact(piece.where, "lvm", VolumeState.SKIPPED, "LVM2 PV"))
                continue
            found.append(piece)
    if physical:
        found.extend(_logical_volumes(physical, facts))
    return found


def _logical_volumes(
    physical: list[lvm.PhysicalVolume], facts: list[VolumeFact]
) -> Iterator[Candidate]:
    try:
        volumes = guarded(lambda: lvm.logical_volumes(physical))
    except Unreadable as error:
        facts.append(VolumeFact("lvm", None, VolumeState.UNREADABLE, str(error)))
        return
    for volume in volumes[:MAX_VOLUMES]:
        where = f"lvm {volume.path}"
        if volume.problem is not None or volume.blob is None:
            yield Candidate(
                where, None, None, lv=(volume.vg_name, volume.name), problem=volume.problem
            )
            continue
        blob = volume.blob
        try:
            kind = guarded(lambda blob=blob: filesystems.detect(blob))  # type: ignore[misc]
        except Unreadable as error:
            facts.append(VolumeFact(where, None, VolumeState.UNREADABLE, str(error)))
            continue
        yield Candidate(where, blob, kind, lv=(volume.vg_name, volume.name))


def _open(candidate: Candidate) -> Opened:
    blob = candidate.blob
    assert blob is not None
    kind = candidate.filesystem
    if kind in (Filesystem.EXT2, Filesystem.EXT3, Filesystem.EXT4):
        from ec2_import_image.fsread.ext import ExtVolume

        ext = ExtVolume(blob)
        return Opened(candidate, ext.uuid, ext.label, Tree(ext))
    if kind is Filesystem.XFS:
        from ec2_import_image.fsread.xfs import XfsVolume

        xfs = XfsVolume(blob)
        return Opened(candidate, xfs.uuid, xfs.label, Tree(xfs))
    if kind is Filesystem.BTRFS:
        from ec2_import_image.fsread.btrfs import Btrfs

        fs = Btrfs(blob)
        return Opened(candidate, fs.uuid, fs.label, Tree(fs.mount("")), btrfs=fs)
    from ec2_import_image.fsread.ntfs import NtfsVolume

    ntfs = NtfsVolume(blob)
    return Opened(candidate, ntfs.uuid, ntfs.label, Tree(ntfs))


def open_volumes(found: list[Candidate], facts: list[VolumeFact]) -> list[Opened]:
    """Each volume opened with its reader; the others recorded with the reason."""
    opened: list[Opened] = []
    for candidate in found:
        kind = candidate.filesystem.value if candidate.filesystem else None
        if candidate.problem is not None:
            facts.append(
                VolumeFact(candidate.where, kind, VolumeState.UNREADABLE, candidate.problem)
            )
            continue
        if candidate.filesystem in NOT_A_ROOT:
            facts.append(VolumeFact(candidate.where, kind, VolumeState.SKIPPED))
            continue
        if candidate.filesystem is None:
            facts.append(
                VolumeFact(candidate.where, None, VolumeState.SKIPPED, "no file system found")
            )
            continue
        if candidate.filesystem in ENCRYPTED_FILESYSTEMS:
            facts.append(
                VolumeFact(candidate.where, kind, VolumeState.UNREADABLE, "an encrypted volume")
            )
            continue
        if candidate.filesystem not in READABLE:
            facts.append(
                VolumeFact(candidate.where, kind, VolumeState.UNREADABLE, f"no reader reads {kind}")
            )
            continue
        try:
            volume = guarded(lambda candidate=candidate: _open(candidate))  # type: ignore[misc]
        except Unreadable as error:
            facts.append(VolumeFact(candidate.where, kind, VolumeState.UNREADABLE, str(error)))
            continue
        opened.append(volume)
    return opened


# -- the roots ------------------------------------------------------------------------------


def _exists(tree: Tree, path: str) -> bool:
    try:
        tree.lookup(path)
    except (NotFound, NotADirectory, LinkLoop):
        return False
    return True


def is_linux_root(tree: Tree) -> bool:
    if not tree.is_dir("/etc"):
        return False
    return _exists(tree, "/etc/fstab") or any(_exists(tree, path) for path in RELEASE_FILES)


def is_windows_root(tree: Tree) -> bool:
    return _exists(tree, WINDOWS_HIVE)


def _kind(tree: Tree) -> str | None:
    if is_linux_root(tree):
        return "linux"
    if is_windows_root(tree):
        return "windows"
    return None


def _btrfs_roots(volume: Opened) -> Iterator[Root]:
    """A Btrfs volume's system: its default subvolume, else the first subvolume holding one."""
    fs = volume.btrfs
    assert fs is not None
    kind = _kind(volume.tree)
    if kind is not None:
        yield Root(kind, volume.candidate.where, volume.tree, volume)
        return
    default = fs.default_subvolume().id
    for subvolume in fs.subvolumes()[:MAX_SUBVOLUMES]:
        if subvolume.id == default:
            continue
        tree = Tree(fs.open_subvolume(subvolume.id))
        kind = _kind(tree)
        if kind is not None:
            where = f"{volume.candidate.where}, btrfs subvolume {subvolume.path}"
            yield Root(kind, where, tree, volume)
            return


def find_roots(opened: list[Opened], facts: list[VolumeFact]) -> list[Root]:
    """The systems on the opened volumes, in order; each volume looked at is recorded."""
    roots: list[Root] = []
    for volume in opened:
        where = volume.candidate.where
        kind = volume.candidate.filesystem.value if volume.candidate.filesystem else None
        try:
            if volume.btrfs is not None:
                found = guarded(lambda volume=volume: list(_btrfs_roots(volume)))  # type: ignore[misc]
            else:
                system = guarded(lambda volume=volume: _kind(volume.tree))  # type: ignore[misc]
                found = [Root(system, where, volume.tree, volume)] if system else []
        except Unreadable as error:
            facts.append(VolumeFact(where, kind, VolumeState.UNREADABLE, str(error)))
            continue
        detail = f"{found[0].kind} system" if found else None
        facts.append(VolumeFact(where, kind, VolumeState.READ, detail))
        roots.extend(found)
    return roots


def search(disks: Sequence[Blob]) -> Search:
    """The volumes of the disks, opened, and the systems on them."""
    result = Search()
    found = candidates(disks, result.facts)
    result.opened = open_volumes(found, result.facts)
    result.roots = find_roots(result.opened, result.facts)
    return result
