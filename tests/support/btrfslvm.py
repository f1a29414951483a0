"""The Btrfs and LVM2 fixtures of tests/fixtures/btrfs-lvm/, and the records made with them.

scripts/make-btrfs-lvm-fixtures.sh made the images with mkfs.btrfs, the kernel's
btrfs (loop mounts), pvcreate/vgcreate/lvcreate and vgcfgrestore, and recorded
beside them what the tools and the kernel say: manifests of every file, `btrfs
subvolume list`, blkid, dump-tree's extents, pvs/vgs/lvs, pvck's metadata.
The images are packed as their non-zero extents (scripts/pack_sparse.py) and
unpacked once per test session into sparse files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ec2_import_image.diskimage.blob import Blob, clamp_read
from tests.support.diskfixtures import unpack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "btrfs-lvm"


class Images:
    """The packed images, unpacked on first use into ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def path(self, name: str) -> Path:
        target = self._directory / name
        if not target.exists():
            unpack(FIXTURES / f"{name}.xz", target)
        return target


def record(name: str) -> Any:
    """A JSON record of the fixtures."""
    return json.loads((FIXTURES / name).read_text())


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


class Patched:
    """A blob with some of its bytes replaced: an image damaged without copying it."""

    def __init__(self, base: Blob, patches: dict[int, bytes]) -> None:
        self._base = base
        self._patches = patches

    @property
    def size(self) -> int:
        return self._base.size

    def read(self, offset: int, length: int) -> bytes:
        length = clamp_read(offset, length, self.size)
        data = bytearray(self._base.read(offset, length))
        for at, patch in self._patches.items():
            start, end = max(at, offset), min(at + len(patch), offset + length)
            if start < end:
                data[start - offset : end - offset] = patch[start - at : end - at]
        return bytes(data)
