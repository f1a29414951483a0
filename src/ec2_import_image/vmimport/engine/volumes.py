"""The disks an import makes an AMI's volumes of, in the AMI's order: the one rule of which
disk boots, and of the order of an OVA's disks, for every road.

The first DISK argument is the boot disk, the others follow in the order given.  A DISK
that is an OVA counts as the disks it holds, in the order its OVF descriptor's DiskSection
lists them (``diskimage.ova.read_ova``; never the archive's order), the first being the
OVA's boot disk: the order ImportImage imports an OVA's disks in, and the one ``vmimport
check`` judges them in (``DiskReport.all_disks``: the first disk's boot mode, loaders and
architecture are the image's).  The roads that take an OVA's disks one by one take them in
this order (the direct road's snapshots, the snapshot road's objects: ``members``), and
the roads that register the AMI themselves map the volumes in it, the first as the root
device (``register``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ec2_import_image.diskimage.records import ContainerFormat, DiskReport


class Volume(NamedTuple):
    """One disk of an import: where it is, and which volume of the AMI it becomes."""

    #: the DISK argument holding it
    source: str
    #: the DISK argument's place among the import's disks (0: the first)
    position: int
    #: its place among the OVA's disks (0 for a DISK that is not an OVA)
    member: int = 0
    #: the OVA's member file holding it (None for a DISK that is not an OVA)
    name: str | None = None

    @property
    def label(self) -> str:
        """The disk for a person: ``web.ova!web-disk2.vmdk``, or the DISK itself."""
        return f"{self.source}!{self.name}" if self.name is not None else self.source

    @property
    def number(self) -> str:
        """``1``, ``2``... for DISK arguments; ``1.2`` for the second disk of the first's OVA."""
        return f"{self.position + 1}" + (f".{self.member + 1}" if self.member else "")


def disks_of(source: str, position: int, report: DiskReport | None) -> tuple[Volume, ...]:
    """The disks of the DISK ``source`` at ``position`` in order (see the module), from the
    check's report of it: an OVA's disks each, else the DISK itself (a DISK without a report,
    or with one that is no OVA or an OVA of no disk, is one disk)."""
    if report is None or report.format is not ContainerFormat.OVA or not report.disks:
        return (Volume(source, position),)
    return tuple(
        Volume(source, position, member, disk.source.removeprefix(f"{source}!"))
        for member, disk in enumerate(report.disks)
    )


def volumes(sources: Sequence[str], reports: Mapping[str, DiskReport]) -> tuple[Volume, ...]:
    """The import's disks in the AMI's order (see the module), from the check's reports of
    ``sources``."""
    return tuple(
        volume
        for position, source in enumerate(sources)
        for volume in disks_of(source, position, reports.get(source))
    )
