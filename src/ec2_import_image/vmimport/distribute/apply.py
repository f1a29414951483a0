"""The engine's hook: a finished import's AMI taken where the user asked, reconciled on reruns.

``Distributor`` is what the engine calls once an entry is done (``EntryWork.finish``)
and on every rerun of a done entry (``EntryWork.result``), with the entry's
work and result; it answers the result with the AMI of the import's own Region
(the named copy, once there is one), ``images`` (Region -> AMI) and ``shared``.
It runs, with the entry's claim held:

1. **read** every Region asked for (``observe``): the import's AMIs by their
   tags, the one kept, its shares and flags; and the plan of what they lack
   (``plan``), said before anything is done;
2. **name** (``naming``): the named copy made and waited for; it becomes the
   attempt's AMI;
3. **copy** (``regions``): the copies to the other Regions made at once and
   waited for (a copy found in progress is waited for);
4. **read again, plan again, apply**: per Region, tag, IMDS, share, unshare,
   deprecate, protect, and retire the AMIs not kept (``flags``, ``sharing``,
   ``retire``); each step recorded in the state database as it is done, and
   said ("says what it changed").

Everything is idempotent against the account: a rerun reads it again and does
only what is missing; ``kill -9`` at any point leaves what a rerun finishes
(ClientTokens for the copies, tags that find them, steps that are no-ops when
done).  Steps the service refuses are gathered and raised at the end
(``DistributionFailed``, exit 1), after every other step has run; the import
itself stays done.

An import that asks nothing of its AMI costs nothing once its AMI carries the
owner and import-time tags (the state database says so).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ec2_import_image.vmimport.distribute import flags, naming, regions, retire, sharing
from ec2_import_image.vmimport.distribute.errors import DistributionFailed, Refused, refusal
from ec2_import_image.vmimport.distribute.job import Job
from ec2_import_image.vmimport.distribute.observe import Clients, describe, region_view
from ec2_import_image.vmimport.distribute.options import Distribution, Grantee
from ec2_import_image.vmimport.distribute.pacing import CopySlots, Pace
from ec2_import_image.vmimport.distribute.plan import (
    DistributionAction,
    ImageView,
    Planned,
    RegionView,
    Wanted,
    iso,
    plan,
)
from ec2_import_image.vmimport.distribute.results import recorded_images, recorded_shares
from ec2_import_image.vmimport.engine.identity import (
    TAG_IMPORTED_AT,
    TAG_OWNER,
    Identity,
    finished_tags,
)
from ec2_import_image.vmimport.state.distribution import (
    ImageRole,
    ImageState,
    RegionImage,
    Step,
)

if TYPE_CHECKING:
    from ec2_import_image.vmimport.context import Run
    from ec2_import_image.vmimport.engine.entry import EntryWork
    from ec2_import_image.vmimport.engine.results import ImportResult
    from ec2_import_image.vmimport.state.records import Entry


DEFAULT_PACE = Pace()


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def asks_nothing(distribution: Distribution) -> bool:
    """Whether the import asks nothing of its AMI but its owner tag."""
    return distribution._replace(owner=None) == Distribution()


def wanted_of(distribution: Distribution, home: str) -> Wanted:
    """What is asked, before the import's time and tags are known."""
    return Wanted(
        home=home,
        copies=tuple(r for r in distribution.copy_to_region if r != home),
        name=distribution.ami_name,
        share=distribution.share_with,
        unshare=distribution.unshare,
        deprecate_at=distribution.deprecate_at,
        deprecate_after=distribution.deprecate_after,
        protect=distribution.deregistration_protection,
        imds=distribution.imds_v2,
        kms=distribution.copy_kms_key,
    )


def import_tags(entry: Entry, identity: str) -> tuple[tuple[str, str], ...]:
    """The tags the engine put on the AMI (the import's, ``Name``): the stored spec's, since a
    rerun with other options applies none of them to the import."""
    return finished_tags(
        Identity(entry.name, (identity,)).tags(entry.spec.options.tags),
        entry.name,
        entry.attempt.via,
    )


def _imported_at(found: Iterable[ImageView], original: str | None) -> datetime.datetime | None:
    """The import's own time: the tag any AMI of the import carries, else the CreationDate of
    the AMI the import registered, else the oldest."""
    from ec2_import_image.vmimport.distribute.observe import parse_time

    images = list(found)
    for image in images:
        tagged = parse_time(image.tag(TAG_IMPORTED_AT))
        if tagged is not None:
            return tagged
    for image in images:
        if image.image_id == original and image.creation is not None:
            return image.creation
    times = [image.creation for image in images if image.creation is not None]
    return min(times) if times else None


class Distributor:
    """The hook (see the module's docstring); one per command run, shared by its threads."""

    def __init__(
        self,
        run: Run,
        *,
        pace: Pace = DEFAULT_PACE,
        slots: CopySlots | None = None,
        now: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self.run = run
        self.pace = pace
        self.slots = slots or CopySlots()
        self.now = now
        self.clients = Clients(run)

    @classmethod
    def from_options(cls, run: Run, values: Mapping[str, object]) -> Distributor:
        """The hook of a command's options (``--poll-interval``, ``--max-transient-seconds``,
        ``--max-wait`` when it has it, ``--max-image-copies``)."""
        max_wait = values.get("max_wait")
        return cls(
            run,
            pace=Pace(
                poll_interval=float(str(values["poll_interval"])),
                max_transient=float(str(values["max_transient_seconds"])),
                max_wait=None if max_wait is None else float(str(max_wait)),
            ),
            slots=CopySlots(int(str(values["max_image_copies"]))),
        )

    def __call__(self, work: EntryWork, result: ImportResult) -> ImportResult:
        entry = work.entry()
        attempt = entry.attempt
        if result.image_id is None or attempt.identity is None or attempt.image_id is None:
            return result
        distribution = work.spec.distribution
        owner = distribution.owner or work.db.owner_id()
        if asks_nothing(distribution) and self._tagged(work, attempt.image_id, owner):
            return self._answer(work, result, None)
        home = self.run.region
        assert home is not None  # the import ran in it
        job = Job(
            db=work.db,
            claim=work.claim,
            attempt=attempt.number,
            identity=attempt.identity,
            wanted=wanted_of(distribution, home),
            owner=owner,
            clients=self.clients,
            pace=self.pace,
            slots=self.slots,
            clock=self.run.env.clock,
            sleep=self.run.env.sleep,
            now=self.now,
            say=work.reporter.step,
        )
        for region in distribution.copy_to_region:
            if region == home:
                job.say(f"{home} is the import's own Region: no copy there")
        views = self._distribute(job, entry, attempt.image_id, distribution)
        answered = self._answer(work, result, views)
        if job.refusals:
            raise DistributionFailed(job.refusals)
        if job.changed and not asks_nothing(distribution):
            job.say(f"distribution: {len(job.changed)} change(s) made")
        if work.entry().last_error is not None:  # what an earlier run could not do is done
            work.db.clear_error(work.claim)
        return answered

    # ------------------------------------------------------------------ steps

    def _tagged(self, work: EntryWork, image_id: str, owner: str) -> bool:
        return any(
            done.step is Step.TAG and done.image_id == image_id and done.target == owner
            for done in work.db.applied(work.name)
        )

    def _view(self, job: Job, region: str, own: str | None) -> tuple[RegionView, list[ImageView]]:
        recorded = [row.image_id for row in job.recorded() if row.image_id]
        return region_view(
            job.clients,
            job.keys,
            region,
            job.filters(),
            name=job.wanted.name,
            owner=job.owner,
            owner_key=job.owner_key,
            recorded=recorded,
            only=own if region == job.home else None,
        )

    def _views(self, job: Job, own: str, which: Iterable[str]) -> dict[str, RegionView]:
        return {region: self._view(job, region, own)[0] for region in which}

    def _distribute(
        self, job: Job, entry: Entry, own: str, distribution: Distribution
    ) -> dict[str, RegionView]:
        wanted = job.wanted
        home_view, found = self._view(job, job.home, own)
        imported_at = _imported_at(found, own)
        if imported_at is None:
            imported_at = job.now()
        tags = dict(import_tags(entry, job.identity))
        tags[TAG_OWNER] = job.owner
        tags[TAG_IMPORTED_AT] = iso(imported_at)
        job.wanted = wanted._replace(tags=tuple(sorted(tags.items())), imported_at=imported_at)
        self._record_original(job, own, found)
        views = {job.home: home_view, **self._views(job, own, job.wanted.copies)}
        planned = plan(job.wanted, views, job.now())
        if not asks_nothing(distribution):
            for step in planned:
                job.say(f"to do: {step.region}: {step.detail}")
        views[job.home] = self._named(job, views[job.home], found, own)
        source = views[job.home].image
        if source is None or source.state != "available":
            return views
        missing: list[str] = []
        pending: dict[str, ImageView] = {}
        for region in job.wanted.copies:
            image = views[region].image
            if image is None:
                missing.append(region)
            elif image.state != "available":
                pending[region] = image
        if missing or pending:
            regions.copy(job, source, missing, pending)
            views.update(self._views(job, own, [*missing, *pending]))
        for step in plan(job.wanted, views, job.now()):
            self._apply(job, step, views)
        return views

    def _record_original(self, job: Job, own: str, found: Iterable[ImageView]) -> None:
        """The import's own AMI, recorded once (unless it is already the named copy)."""
        if any(row.role is ImageRole.ORIGINAL for row in job.recorded()):
            return
        image = next((i for i in found if i.image_id == own), None)
        if image is None or (job.wanted.name is not None and image.name == job.wanted.name):
            return
        job.record(
            RegionImage(
                job.home,
                ImageRole.ORIGINAL,
                own,
                ImageState.AVAILABLE,
                snapshot_ids=image.snapshot_ids,
                name=image.name,
            )
        )

    def _named(self, job: Job, view: RegionView, found: list[ImageView], own: str) -> RegionView:
        """The home Region with its named copy (made now if missing, adopted when found)."""
        name = job.wanted.name
        if name is None:
            return view
        if view.image is not None and view.image.state == "available":
            self._adopt(job, view.image, own)
            return view
        source = next((i for i in found if i.image_id == own and i.state == "available"), None)
        if source is None:
            source = next((i for i in found if i.state == "available" and i.name != name), None)
        if source is None:
            job.refused(
                refusal(
                    Refused.AMI_UNAVAILABLE,
                    job.home,
                    f"name the AMI {name!r}",
                    f"the import's AMI {own} is not available to copy",
                    "run again once it is available",
                )
            )
            return view
        if naming.name(job, source, view.image) is None:
            return view
        return self._view(job, job.home, own)[0]

    def _adopt(self, job: Job, named: ImageView, own: str) -> None:
        """A named copy found (a crash after its CopyImage, another state database's run)
        becomes the attempt's AMI, as one made now would."""
        if named.image_id == own:
            return
        job.record(
            RegionImage(
                job.home,
                ImageRole.NAMED,
                named.image_id,
                ImageState.AVAILABLE,
                snapshot_ids=named.snapshot_ids,
                name=named.name,
            ),
            f"{job.home}: found the named copy {named.image_id} ({named.name!r})",
        )
        job.db.record_result(job.claim, named.image_id, named.snapshot_ids)
        job.say(
            f"{job.home}: found {named.image_id} ({named.name!r}): the import's AMI from now on"
        )

    def _apply(self, job: Job, step: Planned, views: Mapping[str, RegionView]) -> None:
        view = views[step.region]
        image = view.image
        if step.action is DistributionAction.BLOCKED:
            what = f"{step.action} {step.target}".strip()
            job.refused(refusal(Refused.BLOCKED, step.region, what, step.detail))
            return
        if image is None or image.state != "available":
            return  # its copy failed or is not there: the refusal says why
        grantees = {g.value: g for g in (*job.wanted.share, *job.wanted.unshare)}
        actions: dict[DistributionAction, Callable[[], None]] = {
            DistributionAction.TAG: lambda: flags.tag(job, step.region, image),
            DistributionAction.IMDS: lambda: flags.imds(job, step.region, image),
            DistributionAction.DEPRECATE: lambda: flags.deprecate(
                job, step.region, image, step.target
            ),
            DistributionAction.PROTECT: lambda: flags.protect(job, step.region, image),
            DistributionAction.SHARE: lambda: sharing.share(
                job, step.region, image, _grantee(grantees, step)
            ),
            DistributionAction.UNSHARE: lambda: sharing.unshare(
                job, step.region, image, _grantee(grantees, step)
            ),
            DistributionAction.SHARE_SNAPSHOTS: lambda: sharing.share_snapshots(
                job, step.region, image, step.target
            ),
            DistributionAction.UNSHARE_SNAPSHOTS: lambda: sharing.unshare_snapshots(
                job, step.region, image, step.target
            ),
            DistributionAction.RETIRE: lambda: self._retire(job, step, view),
        }
        run = actions.get(step.action)
        if run is not None:
            run()

    def _retire(self, job: Job, step: Planned, view: RegionView) -> None:
        old = next((image for image in view.stale if image.image_id == step.target), None)
        if old is not None:
            retire.retire(job, step.region, old)

    # ----------------------------------------------------------------- answer

    def _answer(
        self, work: EntryWork, result: ImportResult, views: Mapping[str, RegionView] | None
    ) -> ImportResult:
        """The result with the AMI of the import's own Region, ``images`` and ``shared``."""
        images = dict(recorded_images(work.db, work.name))
        attempt = work.entry().attempt
        home = self.run.region or ""
        if attempt.image_id:
            images[home] = attempt.image_id
        for region, view in (views or {}).items():
            if view.image is not None and view.image.state == "available":
                images[region] = view.image.image_id
        answered = result._replace(
            images=tuple(sorted(images.items())),
            shared=recorded_shares(work.db, work.name),
        )
        if attempt.image_id and attempt.image_id != result.image_id:
            facts = describe(self.clients.ec2(home), attempt.image_id)
            answered = answered._replace(
                image_id=attempt.image_id,
                snapshot_ids=attempt.snapshot_ids,
                boot_mode=result.boot_mode or (facts.boot_mode if facts else None),
                platform=result.platform or (facts.platform if facts else None),
                architecture=result.architecture or (facts.architecture if facts else None),
            )
        return answered


def _grantee(grantees: Mapping[str, Grantee], step: Planned) -> Grantee:
    return grantees[step.target]
