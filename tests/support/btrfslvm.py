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
