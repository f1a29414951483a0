"""What a road answers when its work in AWS is started and left running (``import --no-wait``).

``road.RoadSteps.deliver`` answers ``Underway`` when the caller does not wait
(``EntryWork.waits`` false): the road started its work (the snapshot road: each
disk's ImportSnapshot task; the direct road: each disk's snapshot written and
CompleteSnapshot accepted) and recorded it, so that a rerun waits for it;
``single`` prints it (``EntryWork.underway_result``) and exits 0.  A module of its
own, so that the roads (``snapshotroad``, ``direct``) and ``road``, which imports
them, share it without a cycle.
"""

from __future__ import annotations

from typing import NamedTuple


class Underway(NamedTuple):
    """A road's work started in AWS and left running, by disk: the snapshot road's
    ImportSnapshot task ids (``tasks``), or the direct road's snapshots, every block written
    and CompleteSnapshot accepted, sealing in EBS (``snapshots``)."""

    tasks: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
