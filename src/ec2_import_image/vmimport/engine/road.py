"""Each road's own steps for one entry, between the steps every road shares.

``EntryWork`` does what every road shares: the check (judged against the road's terms,
``vmimport.roadcheck``), the identity (the disks' SHA-256s), the state, and the finish (the
AMI and snapshots tagged, the uploads deleted, ``DONE``, then the distribution hook).  A
road (``RoadSteps``) does the rest, in two calls ``EntryWork.prepare`` makes:

- ``discover(work, identity)``: the work the account already holds for this identity, found
  by its tags before anything is sent (``discovery.Discovered``: a task to wait for, or an
  AMI to finish), None for none;
- ``deliver(work, identity)``: upload, start, wait: the entry taken as far as this road
  takes it in one go.  It answers either a ``request.Prepared`` (the image road: the disks
  are on S3 and ImportImage is started later by the caller, ``single`` at once or the
  batch ``scheduler`` under the quota of active import tasks, then waited for with
  ``EntryWork.start``/``observe``/``completed``/``task_failed``), or ``Phase.FINISHING``
  once the road has registered the AMI itself and recorded it (``EntryWork.registered``),
  or, when the caller does not wait (``EntryWork.waits`` false: ``import --no-wait``), an
  ``underway.Underway``: the road's work started in AWS and left running, recorded so that a rerun
  waits for it (the snapshot road: its tasks; the direct road: its snapshots, every
  block written and CompleteSnapshot accepted; ``single`` prints them and exits 0).

Each step is recorded in the state database before the next (``work.enter`` for phases,
the journals for uploads and snapshots), so that ``kill -9`` anywhere and a rerun go on:
``deliver`` is called again, and finds what it did (an upload's parts, a snapshot's blocks,
a task by its ClientToken, an AMI by its name and tags).

Roads:

- **image** (``ImageRoad``): today's road: image tasks and AMIs by tags; upload; the
  ImportImage request and its ClientToken (unchanged by the roads: an import started before
  them is found after).
- **direct** (``engine.direct.DirectRoad``): AMIs by tags; each disk's virtual blocks into
  an EBS snapshot (``upload.ebsdirect``), waited for ``completed``; RegisterImage
  (``vmimport.register``); ``FINISHING``.
- **snapshot** (``engine.snapshotroad.SnapshotRoad``): AMIs by tags; the disks on S3 (an
  OVA's disk as its own object, ``engine.members``); ImportSnapshot per disk (ClientToken by
  ImportImage's recipe, the task found again by its tags), waited for as image tasks are;
  RegisterImage (``engine.registering``); ``FINISHING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ec2_import_image.roads import Road
from ec2_import_image.vmimport.engine.discovery import Discovered, discover
from ec2_import_image.vmimport.engine.underway import Underway
from ec2_import_image.vmimport.errors import UsageError

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.entry import EntryWork
    from ec2_import_image.vmimport.engine.identity import Identity
    from ec2_import_image.vmimport.engine.request import Prepared
    from ec2_import_image.vmimport.state.records import Phase


class RoadSteps(Protocol):
    """One road's own steps (see the module's docstring)."""

    @property
    def road(self) -> Road: ...

    def discover(self, work: EntryWork, identity: Identity) -> Discovered | None:
        """The work the account holds for ``identity`` on this road, None for none."""

    def deliver(self, work: EntryWork, identity: Identity) -> Prepared | Phase | Underway:
        """Upload, start, wait as far as the road goes in one go (see the docstring)."""


class ImageRoad:
    """ImportImage: the disks on S3, then a request the caller starts and waits for."""

    road = Road.IMAGE

    def discover(self, work: EntryWork, identity: Identity) -> Discovered | None:
        work.reporter.step(f"looking for imports tagged vmimport:sha256={identity.sha256[:16]}…")
        return discover(work.services.ec2, identity)

    def deliver(self, work: EntryWork, identity: Identity) -> Prepared:
        disks = work.upload_disks()
        return work.image_request(identity, disks)


def _image() -> RoadSteps:
    return ImageRoad()


def _direct() -> RoadSteps:
    from ec2_import_image.vmimport.engine.direct import DirectRoad

    return DirectRoad()


def _snapshot() -> RoadSteps:
    from ec2_import_image.vmimport.engine.snapshotroad import SnapshotRoad

    return SnapshotRoad()


_ROADS = {Road.IMAGE: _image, Road.SNAPSHOT: _snapshot, Road.DIRECT: _direct}


def steps_for(road: Road) -> RoadSteps:
    """The steps of ``road``; a road this version does not have is a usage error."""
    make = _ROADS.get(road)
    if make is None:
        raise UsageError(f"--via {road.value}: this version of vmimport does not take that road")
    return make()
