"""The disks an import makes an AMI's volumes of, in the AMI's order: the one rule of which
disk boots.

The first DISK argument is the boot disk, the others follow in the order given.  A DISK
that is an OVA counts as the disks it holds, in the order its OVF descriptor's DiskSection
lists them (``diskimage.ova.read_ova``), the first being the OVA's boot disk: the order
ImportImage imports an OVA's disks in, and the one ``vmimport check`` judges them in
(``DiskReport.all_disks``: the first disk's boot mode, loaders and architecture are the
image's).  The roads that register the AMI themselves map the volumes in this order, the
first as the root device (``register``).
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


def volumes(sources: Sequence[str], reports: Mapping[str, DiskReport]) -> tuple[Volume, ...]:
    """The import's disks in the AMI's order (see the module), from the check's reports of
    ``sources`` (a DISK without a report, or with one that is no OVA, is one disk)."""
    found: list[Volume] = []
    for position, source in enumerate(sources):
        report = reports.get(source)
        if report is None or report.format is not ContainerFormat.OVA or not report.disks:
            found.append(Volume(source, position))
            continue
        for member, disk in enumerate(report.disks):
            name = disk.source.removeprefix(f"{source}!")
            found.append(Volume(source, position, member, name))
    return tuple(found)
