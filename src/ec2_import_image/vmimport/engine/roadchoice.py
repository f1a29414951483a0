"""The road an entry takes, in one place: the one its attempt recorded (kept by every rerun,
even by a later version), else the one ``--via`` names, else (``--via auto``) the one the
check chooses before the upload (``roadverdicts``, by ``EntryWork``).

A rerun of an unfinished entry whose road is recorded that names another road explicitly is
refused (``road_conflict``): switching roads mid-way would leave the first road's work (an
upload, a snapshot half written, a task) behind and start a second; ``--via auto`` keeps the
recorded road.  Once the entry has ended (done, or failed: ``--retry-failed`` starts a new
attempt), the road given applies to its next attempt.
"""

from __future__ import annotations

from ec2_import_image.roads import Road
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.spec import Auto, ImportSpec, Via
from ec2_import_image.vmimport.state.records import Entry


def road_named(value: str) -> Road:
    """The road an attempt recorded; one this version does not know is a usage error."""
    try:
        return Road(value)
    except ValueError:
        raise UsageError(
            f"the import takes the road {value!r} (recorded by another version of vmimport), "
            "which this version does not take"
        ) from None


def road_taken(spec: ImportSpec, entry: Entry | None) -> Via:
    """The road a run takes with the entry (``auto``: not chosen yet); a recorded road this
    version does not know is a usage error."""
    if entry is not None and entry.attempt.road_recorded:
        return road_named(entry.attempt.via)
    return spec.options.via


def road_conflict(spec: ImportSpec, entry: Entry | None) -> str | None:
    """Why a run of ``spec`` is refused on the road its entry's attempt recorded (None: it is
    not): another road named explicitly while the entry is under way."""
    if entry is None or entry.phase.final or not entry.attempt.road_recorded:
        return None
    via, recorded = spec.options.via, entry.attempt.via
    if via is Auto.AUTO or via.value == recorded:
        return None
    return (
        f"the import {spec.name} is under way on the {recorded} road "
        f"({entry.attempt.via_reason}), which a rerun keeps: continue it with via {recorded} "
        f"or auto, or give the import another name (via {via.value} applies to a new attempt "
        "once this one has ended)"
    )
