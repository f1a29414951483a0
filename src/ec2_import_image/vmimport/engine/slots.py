"""``--max-active`` over image and snapshot tasks together: one gate on every start of a batch.

The batch's scheduler starts ImportImage in its loop; the snapshot road starts
ImportSnapshot in the batch's preparing workers.  Both start through one
``Slots``: under its lock the account's active tasks of both kinds are counted
(``quota.active_task_ids``) and a task starts only while fewer than
``max_active`` are active, so that no other thread's start falls between a
count and the start it allows.  A start the gate holds back is ``NoSlot`` (a
``QuotaFull``: the starter backs off and tries again, as when the service says
its quota is full).  A single ``vmimport import`` has no gate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ec2_import_image.importtasks.tasks import Task
from ec2_import_image.vmimport.engine.errors import QuotaFull
from ec2_import_image.vmimport.engine.quota import active_task_ids

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client


class NoSlot(QuotaFull):
    """``--max-active`` tasks are active: start this task later."""

    def __init__(self, active: int, max_active: int) -> None:
        super().__init__(
            f"{active} import task(s) active in the Region (--max-active {max_active})"
        )

    @property
    def reason(self) -> str:
        return f"{self}: waiting for a slot"


class Slots:
    """The batch's count of active import tasks, one start at a time (see the module)."""

    def __init__(self, max_active: int) -> None:
        self.max_active = max_active
        #: held over a count and the starts it allows (the scheduler's loop holds it too)
        self.lock = threading.Lock()

    def start(self, ec2: EC2Client, begin: Callable[[], Task]) -> Task:
        """``begin()`` (a call that starts one task) if fewer than ``max_active`` tasks are
        active, else ``NoSlot``."""
        with self.lock:
            active = len(active_task_ids(ec2))
            if active >= self.max_active:
                raise NoSlot(active, self.max_active)
            return begin()
