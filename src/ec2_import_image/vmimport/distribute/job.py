"""One entry's distribution in one run: what its steps share.

A ``Job`` holds the entry's claim on the state database (every step is
recorded through it, fenced as the engine's steps are), its identity and
attempt, the clients by Region, the wanted state, the pace of its waits and
the copy slots of the process, and what the run changed and could not do (said
at the end, and in the result).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.diagnostics import Diagnostic, sentence
from ec2_import_image.importtasks.faults import classify
from ec2_import_image.vmimport.distribute.errors import Refused, refusal
from ec2_import_image.vmimport.distribute.observe import Clients, KeyJudge
from ec2_import_image.vmimport.distribute.pacing import CopySlots, CopyWait, Pace
from ec2_import_image.vmimport.distribute.plan import Wanted
from ec2_import_image.vmimport.engine.identity import TAG_NAME, TAG_OWNER, TAG_SHA256
from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.state.distribution import Applied, RegionImage

if TYPE_CHECKING:
    from ec2_import_image.vmimport.state.db import StateDB
    from ec2_import_image.vmimport.state.store import Claim


class Job:
    def __init__(
        self,
        *,
        db: StateDB,
        claim: Claim,
        attempt: int,
        identity: str,
        wanted: Wanted,
        owner: str,
        clients: Clients,
        pace: Pace,
        slots: CopySlots,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        now: Callable[[], datetime.datetime],
        say: Callable[[str], None],
    ) -> None:
        self.db = db
        self.claim = claim
        self.attempt = attempt
        self.identity = identity
        self.wanted = wanted
        self.owner = owner
        self.clients = clients
        self.keys = KeyJudge(clients)
        self.pace = pace
        self.slots = slots
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.say = say
        #: what this run changed, one line each (said as it happens, and kept for the end)
        self.changed: list[str] = []
        self.refusals: list[Diagnostic] = []

    @property
    def entry(self) -> str:
        return self.claim.name

    @property
    def home(self) -> str:
        return self.wanted.home

    def filters(self) -> list[dict[str, Any]]:
        """DescribeImages filters of this import's AMIs (its identity's tags)."""
        return [
            {"Name": f"tag:{TAG_NAME}", "Values": [self.entry]},
            {"Name": f"tag:{TAG_SHA256}", "Values": [self.identity]},
        ]

    @property
    def owner_key(self) -> str:
        return TAG_OWNER

    def pacer(self) -> CopyWait:
        return CopyWait(self.pace, self.clock, self.sleep)

    def recorded(self) -> list[RegionImage]:
        return self.db.region_images(self.entry)

    def record(self, image: RegionImage, note: str | None = None) -> None:
        self.db.record_image(self.claim, image, note)

    def did(self, line: str) -> None:
        """A change made to the account: said now, and listed at the end."""
        self.changed.append(line)
        self.say(line)

    def refused(self, refused: Diagnostic) -> None:
        self.refusals.append(refused)
        self.say(f"not done: {sentence(refused)}")

    def act(
        self,
        region: str,
        what: str,
        call: Callable[[], object],
        explain: Callable[[str, str], tuple[str, str] | None] | None = None,
    ) -> bool:
        """One call of a step; True when it was done.  A refusal is the job's (its code and
        message, or ``explain(code, message)``'s cause and fix) and the run goes on with the
        next step; a transient failure (after botocore's retries) stops the run
        (``Incomplete``: a rerun continues)."""
        from botocore.exceptions import ClientError

        try:
            call()
        except ClientError as error:
            fault = classify(error)
            if fault.transient:
                raise Incomplete(f"{region}: {what} failed: {fault.reason}") from None
            code, message = error_code(error) or "", error_message(error)
            explained = explain(code, message) if explain is not None else None
            cause, fix = explained or (f"{code}: {message}", "")
            self.refused(refusal(Refused.REFUSED, region, what, cause, fix))
            return False
        return True

    def apply(
        self,
        done: Applied,
        what: str,
        call: Callable[[], object],
        line: str,
        *,
        undo: bool = False,
        explain: Callable[[str, str], tuple[str, str] | None] | None = None,
    ) -> bool:
        """One step on one AMI (``act``), then recorded as applied (or, ``undo``, as undone)
        with ``line`` as its history and what the run says."""
        if not self.act(done.region, what, call, explain):
            return False
        if undo:
            self.db.forget_applied(self.claim, done, line)
        else:
            self.db.record_applied(self.claim, done, line)
        self.did(line)
        return True
