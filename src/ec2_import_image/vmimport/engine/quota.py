"""The Region's quota of active import tasks, as the account shows it.

The service allows a number of import tasks to be active at once per
account and Region (a service quota; no source states today's default).
``vmimport batch`` starts an import only while fewer than ``--max-active``
tasks are active, counting every active task of the account, not only its
own (another batch, another host, a hand-made import), and treats
ResourceCountLimitExceeded as "not now": it backs off and tries again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.importtasks.tasks import ACTIVE, describe_all, task_id

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

#: ImportImage's answer when the Region's active tasks are at the quota
QUOTA_CODE = "ResourceCountLimitExceeded"
DEFAULT_MAX_ACTIVE = 5
#: entries prepared (checked, hashed, uploaded) at once, while the quota's imports run
DEFAULT_UPLOADS = 2
ACTIVE_FILTER = [{"Name": "task-state", "Values": [ACTIVE]}]


def active_task_ids(ec2: EC2Client) -> set[str]:
    """Every active import image task of the account in the Region (every page)."""
    tasks = describe_all(ec2.describe_import_image_tasks, {"Filters": ACTIVE_FILTER})
    return {task_id(task) for task in tasks}


def free_slots(max_active: int, active: int) -> int:
    """How many imports may start now."""
    return max(0, max_active - active)
