"""The last step of the roads that make their own snapshots (snapshot, direct): the AMI
registered from them (``vmimport.register``, at most once) and recorded, on to finishing.

The tags are the import's (the user's, ``vmimport:name``, ``vmimport:sha256``) and
``vmimport:via``, the road: on the AMI at RegisterImage (``find_registered`` finds it by
them) and on what the road makes before it (the direct road's StartSnapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ec2_import_image.roads import Road
from ec2_import_image.vmimport import register
from ec2_import_image.vmimport.engine.identity import TAG_VIA, Identity
from ec2_import_image.vmimport.state.records import Phase

if TYPE_CHECKING:
    from ec2_import_image.vmimport.engine.entry import EntryWork


def road_tags(work: EntryWork, identity: Identity, road: Road) -> tuple[tuple[str, str], ...]:
    """The import's tags and the road's."""
    tags = dict(identity.tags(work.spec.options.tags))
    tags[TAG_VIA] = road.value
    return tuple(sorted(tags.items()))


def register_snapshots(
    work: EntryWork, identity: Identity, snapshots: Sequence[str], road: Road, uefi: str | None
) -> Phase:
    """RegisterImage of the disks' snapshots (the boot disk's first), as the options and the
    boot disk's check say (``uefi``: ``--uefi-data`` read before anything was written); the
    AMI recorded: ``FINISHING``."""
    options = work.spec.options
    first = work.reports.get(work.sources[0])
    boot = first.all_disks()[0] if first is not None and first.all_disks() else first
    distribution = work.spec.distribution
    registration = register.Registration(
        name=distribution.ami_name or register.default_name(identity),
        architecture=register.architecture_of(
            boot, options.architecture.value if options.architecture else None
        ),
        boot_mode=register.boot_mode_of(
            boot, options.boot_mode.value if options.boot_mode else None
        ),
        snapshot_ids=tuple(snapshots),
        ena=options.ena,
        imds_v2=distribution.imds_v2,
        tpm=options.tpm,
        uefi_data=uefi,
        description=options.description,
        tags=road_tags(work, identity, road),
    )
    work.enter(Phase.IMPORTING, f"registering the AMI {registration.name!r}")
    image_id = register.register_image(work.services.ec2, registration, identity)
    return work.registered(image_id, snapshots)
