"""The Region's quota of active import tasks, as the account shows it.

The service allows a number of import tasks to be active at once per
account and Region (a service quota; no source states today's default).
``vmimport batch`` starts an import only while fewer than ``--max-active``
tasks are active, counting every active task of the account, not only its
own (another batch, another host, a hand-made import), and treats
ResourceCountLimitExceeded as "not now": it backs off and tries again.
The quota is VM Import's, ImportImage's and ImportSnapshot's tasks together
(the snapshot road's tasks count as much as the image road's): both kinds are
counted, the snapshot tasks by their status (DescribeImportSnapshotTasks'
documentation names no ``task-state`` filter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.importtasks.tasks import ACTIVE, SNAPSHOT, describe_all, status, task_id

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

#: ImportImage's answer when the Region's active tasks are at the quota
QUOTA_CODE = "ResourceCountLimitExceeded"
DEFAULT_MAX_ACTIVE = 5
#: entries prepared (checked, hashed, uploaded) at once, while the quota's imports run
DEFAULT_UPLOADS = 2
ACTIVE_FILTER = [{"Name": "task-state", "Values": [ACTIVE]}]


def active_task_ids(ec2: EC2Client) -> set[str]:
    """Every active import task of the account in the Region, image and snapshot tasks (every
    page)."""
    tasks = describe_all(ec2.describe_import_image_tasks, {"Filters": ACTIVE_FILTER})
    snapshots = describe_all(SNAPSHOT.describe(ec2), {}, SNAPSHOT.key)
    active = [task for task in snapshots if status(task) == ACTIVE]
    return {task_id(task) for task in [*tasks, *active]}


def free_slots(max_active: int, active: int) -> int:
    """How many imports may start now."""
    return max(0, max_active - active)
