"""What a road answers when its work in AWS is started and left running (``import --no-wait``).

``road.RoadSteps.deliver`` answers ``Underway`` when the caller does not wait
(``EntryWork.waits`` false): the road started its work (the snapshot road: each
disk's ImportSnapshot task) and recorded it, so that a rerun waits for it;
``single`` prints it (``EntryWork.underway_result``) and exits 0.  A module of its
own, so that the roads (``snapshotroad``, ``direct``) and ``road``, which imports
them, share it without a cycle.
"""

from __future__ import annotations

from typing import NamedTuple


class Underway(NamedTuple):
    """A road's work started in AWS and left running: what was started, by disk (the
    snapshot road: each disk's ImportSnapshot task id)."""

    started: tuple[str, ...]
