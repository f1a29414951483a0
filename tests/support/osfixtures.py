"""The operating-system disks of tests/fixtures/os/ and the tools' records of them.

scripts/make-os-fixtures.sh made each disk with sgdisk or sfdisk and the file systems'
own tools (mkfs.ext4 -d, mkfs.xfs and a loop mount, mkfs.btrfs and subvolumes made
through a mount, pvcreate/vgcreate/lvcreate, mkntfs and ntfs-3g, cryptsetup), the trees of
scripts/os_fixtures.py, initramfs images made by cpio and zstd or gzip, grubenv files made
by grub-editenv; beside each disk, ``NAME.records.json`` holds what the tools said: sfdisk
--json, blkid of each partition, findmnt's reading of each fstab, cpio -it of each
initramfs, grub-editenv list, lvs, btrfs subvolume list, os-release as sh sourced it, and
the trees' manifests.  The disks are packed as their non-zero extents and unpacked once
per test session into sparse files.
"""

from __future__ import annotations

import json
import lzma
from pathlib import Path
from typing import Any

from tests.support.diskfixtures import unpack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "os"
NAMES = sorted(path.name.removesuffix(".raw.xz") for path in FIXTURES.glob("*.raw.xz"))


class OsImages:
    """The packed disks, unpacked on first use into ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def path(self, name: str) -> Path:
        target = self._directory / f"{name}.raw"
        if not target.exists():
            unpack(FIXTURES / f"{name}.raw.xz", target)
        return target


def extents(name: str) -> tuple[int, list[tuple[int, bytes]]]:
    """Fixture ``name``'s size and its non-zero extents (offset, bytes), read from the pack."""
    with lzma.open(FIXTURES / f"{name}.raw.xz", "rb") as source:
        header = json.loads(source.readline())
        runs = [(offset, source.read(length)) for offset, length in header["extents"]]
    return int(header["size"]), runs


def stream_vmdk(name: str) -> bytes:
    """Fixture ``name`` as a stream-optimized VMDK (the emulator's sample writer), so an
    import uploads its few MiB of data, not its hundreds of MiB of zeros."""
    from ec2_import_emulator import samples

    size, runs = extents(name)
    return samples.vmdk_stream_optimized(-(-size // samples.SECTOR), extents=runs)


def records(name: str) -> dict[str, Any]:
    """The tools' records of fixture ``name``."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.records.json").read_text())
    return loaded


def manifest_paths(name: str, tree: str) -> dict[str, dict[str, Any]]:
    """A tree's manifest, by path."""
    return {entry["path"]: entry for entry in records(name)[f"manifest:{tree}"]}


def blkid(name: str, key: str) -> dict[str, str]:
    """blkid's ``KEY=value`` lines for a partition (``blkid:N``) or a volume."""
    text = records(name)[f"blkid:{key}"]
    return dict(line.split("=", 1) for line in str(text).splitlines() if "=" in line)


def initramfs_names(name: str, image: str) -> list[str]:
    """cpio -it's listing of an initramfs's main archive."""
    return [line for line in str(records(name)[f"initramfs:{image}"]).splitlines() if line]
