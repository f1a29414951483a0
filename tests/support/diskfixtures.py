"""The disk-image fixtures of tests/fixtures/disks/ and containers/, unpacked once per session.

They were made by real tools (scripts/make-disk-fixtures.sh; the qcow2 and VDI
images by scripts/make-container-fixtures.sh; the OVA of two disks by
scripts/make-ova-fixtures.sh; the file systems of tests/fixtures/fsread/ by
scripts/make-fsread-fixtures.sh) and packed as their
non-zero extents (scripts/pack_sparse.py): an xz stream of a JSON line (size and
extents) and the extents' bytes.  Unpacking writes a sparse file of the
original size, so a 10 GiB-virtual disk costs only its few MiB of data.
containers/oracle/ holds what QEMU says of the containers (:func:`oracle`).
"""

from __future__ import annotations

import json
import lzma
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "disks"
#: the NTFS volumes of the guest-OS fixtures (scripts/make-guestos-fixtures.sh), packed alike
NTFS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "guestos" / "ntfs"
CONTAINERS = FIXTURES.parent / "containers"
ORACLES = CONTAINERS / "oracle"
FSREAD_FIXTURES = FIXTURES.parent / "fsread"
#: the OVA of two disks (scripts/make-ova-fixtures.sh): its archive holds the data disk
#: before the boot disk, its OVF descriptor's DiskSection lists the boot disk first
TWO_DISK_OVA = "vm-two-disks.ova"
#: its members in the descriptor's order
TWO_DISK_MEMBERS = ("vm-boot.vmdk", "vm-data.vmdk")


def unpack(packed: Path, target: Path) -> None:
    with lzma.open(packed, "rb") as source, target.open("wb") as out:
        header = json.loads(source.readline())
        out.truncate(header["size"])
        for offset, length in header["extents"]:
            out.seek(offset)
            out.write(source.read(length))


class DiskFixtures:
    def __init__(self, directory: Path, packed: Path = FIXTURES) -> None:
        self._directory = directory
        self._packed = packed

    def path(self, name: str) -> Path:
        target = self._directory / name
        if not target.exists():
            packed = self._packed / f"{name}.xz"
            if not packed.exists() and self._packed == FIXTURES:
                packed = CONTAINERS / f"{name}.xz"
            unpack(packed, target)
        return target


def names() -> list[str]:
    packed = [*FIXTURES.glob("*.xz"), *CONTAINERS.glob("*.xz")]
    return sorted(path.name.removesuffix(".xz") for path in packed)


def oracle(name: str, kind: str, folder: Path = ORACLES) -> str:
    """QEMU's word on fixture ``name``: ``info.json``, ``map.json`` or ``sha256``."""
    return (folder / f"{name}.{kind}").read_text(encoding="utf-8")


def member_raw(member: str, ova: str = TWO_DISK_OVA) -> tuple[int, str]:
    """``qemu-img convert -O raw`` of an OVA fixture's member: its size and SHA-256, as the
    recipe recorded them (``OVA.raw.json``)."""
    record = json.loads((FIXTURES / f"{ova}.raw.json").read_text(encoding="utf-8"))[member]
    return int(record["size"]), str(record["sha256"])


def oracle_names() -> list[str]:
    """The fixtures QEMU's oracles were recorded for."""
    return sorted(path.name.removesuffix(".sha256") for path in ORACLES.glob("*.sha256"))
