"""The VM Import actions: a parsed request in, an XML reply out.

ImportImage, DescribeImportImageTasks and CancelImportTask are parsed and
rendered with the drop-in's pinned model; ImportSnapshot and
DescribeImportSnapshotTasks with botocore's EC2 model (``ec2model``).
CancelImportTask cancels a task of either kind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ec2_import_emulator import errors, resolve, snapshotvalidate, validate, wire
from ec2_import_emulator.aws_state import AwsState
from ec2_import_emulator.ec2model import ec2_model
from ec2_import_emulator.snapshottasks import SnapshotTask, new_snapshot_task_id
from ec2_import_emulator.snapshotview import snapshot_task_view
from ec2_import_emulator.tasks import TASK_STATES, TagFilter, Task, TaskStore
from ec2_import_emulator.view import task_view
from ec2_import_image.model.shapes import Model

LOG = logging.getLogger("ec2_import_emulator")

IMPORT_IMAGE = "ImportImage"
DESCRIBE_TASKS = "DescribeImportImageTasks"
CANCEL_TASK = "CancelImportTask"
IMPORT_SNAPSHOT = "ImportSnapshot"
DESCRIBE_SNAPSHOT_TASKS = "DescribeImportSnapshotTasks"
ACTIONS = (IMPORT_IMAGE, DESCRIBE_TASKS, CANCEL_TASK, IMPORT_SNAPSHOT, DESCRIBE_SNAPSHOT_TASKS)
#: the actions whose shapes come from botocore's EC2 model (the others: the pinned model)
EC2_MODEL_ACTIONS = (IMPORT_SNAPSHOT, DESCRIBE_SNAPSHOT_TASKS)
TASK_STATE_FILTER = "task-state"
TAG_FILTER_PREFIX = "tag:"
TAG_KEY_FILTER = "tag-key"


@dataclass(frozen=True)
class Call:
    """One request to the VM Import API."""

    action: str
    form: Mapping[str, str]
    account: str
    region: str
    request_id: str


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


def _legacy_filters(form: Mapping[str, str]) -> dict[str, str]:
    """Accept ``Filter.N`` (older SDKs) as well as ``Filters.N`` (botocore)."""
    return {
        ("Filters." + key[len("Filter.") :] if key.startswith("Filter.") else key): value
        for key, value in form.items()
    }


def _model(action: str) -> Model | None:
    return ec2_model() if action in EC2_MODEL_ACTIONS else None


def _filters(params: Mapping[str, Any]) -> tuple[set[str] | None, list[TagFilter]]:
    """The task states and tag filters a Describe asks for."""
    states: set[str] | None = None
    tag_filters: list[TagFilter] = []
    for entry in params.get("Filters", []):
        name = entry.get("Name", "")
        values = list(entry.get("Values", []))
        if name.startswith(TAG_FILTER_PREFIX) and len(name) > len(TAG_FILTER_PREFIX):
            tag_filters.append(TagFilter(name[len(TAG_FILTER_PREFIX) :], values))
            continue
        if name == TAG_KEY_FILTER:
            tag_filters.append(TagFilter(None, values))
            continue
        if name != TASK_STATE_FILTER:
            raise errors.invalid_filter(name)
        for value in set(values) - set(TASK_STATES):
            raise errors.invalid_value(f"{TASK_STATE_FILTER} filter", value, TASK_STATES)
        states = set(values) if states is None else states & set(values)
    return states, tag_filters


class VMImportApi:
    def __init__(self, store: TaskStore, state: AwsState) -> None:
        self.store = store
        self.state = state

    def handle(self, call: Call) -> Reply:
        operations = {
            IMPORT_IMAGE: self.import_image,
            DESCRIBE_TASKS: self.describe_tasks,
            CANCEL_TASK: self.cancel_task,
            IMPORT_SNAPSHOT: self.import_snapshot,
            DESCRIBE_SNAPSHOT_TASKS: self.describe_snapshot_tasks,
        }
        try:
            # One request at a time: a task is looked at and shown in one state.
            with self.store.exclusive():
                result = operations[call.action](call)
        except errors.ApiError as error:
            return Reply(error.status, wire.render_error(error, call.request_id))
        except Exception:
            LOG.exception("%s failed", call.action)
            internal = errors.internal_error()
            return Reply(internal.status, wire.render_error(internal, call.request_id))
        model = _model(call.action)
        return Reply(200, wire.render_result(call.action, result, call.request_id, model))

    def import_image(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(IMPORT_IMAGE, call.form)
        if params.get("DryRun"):
            raise errors.dry_run()
        request = validate.import_request(params)
        known = self.store.known(call.account, call.region, request)
        if isinstance(known, Task):
            return task_view(known, self.store.current(known))
        self.store.ensure_capacity(call.account, call.region)
        inspections = resolve.inspect_request(self.state, call.account, call.region, request)
        task = self.store.start(call.account, call.region, request, inspections)
        return task_view(task, self.store.current(task))

    def _describe(self, call: Call, kind: str) -> dict[str, Any]:
        """DescribeImportImageTasks or DescribeImportSnapshotTasks: one page of one kind."""
        action = DESCRIBE_TASKS if kind == Task.KIND else DESCRIBE_SNAPSHOT_TASKS
        params = wire.parse_request(action, _legacy_filters(call.form), _model(action))
        if params.get("DryRun"):
            raise errors.dry_run()
        states, tag_filters = _filters(params)
        max_results = params.get("MaxResults")
        if max_results is not None and max_results < 1:
            raise errors.invalid_max_results(max_results)
        page, next_token = self.store.describe(
            call.account,
            call.region,
            kind=kind,
            task_ids=params.get("ImportTaskIds", []),
            states=states,
            tag_filters=tag_filters,
            max_results=max_results,
            next_token=params.get("NextToken"),
        )
        result: dict[str, Any] = {}
        if kind == Task.KIND:
            result["ImportImageTasks"] = [task_view(t, s) for t, s in page if isinstance(t, Task)]
        else:
            shown = [snapshot_task_view(t, s) for t, s in page if isinstance(t, SnapshotTask)]
            result["ImportSnapshotTasks"] = shown
        if next_token is not None:
            result["NextToken"] = next_token
        return result

    def describe_tasks(self, call: Call) -> dict[str, Any]:
        return self._describe(call, Task.KIND)

    def import_snapshot(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(IMPORT_SNAPSHOT, call.form, ec2_model())
        if params.get("DryRun"):
            raise errors.dry_run()
        request = snapshotvalidate.snapshot_request(params)
        known = self.store.known(call.account, call.region, request, SnapshotTask.KIND)
        if isinstance(known, SnapshotTask):
            return snapshot_task_view(known, self.store.current(known))
        self.store.ensure_capacity(call.account, call.region, errors.snapshot_task_limit)
        checked = request.as_import_request()
        inspections = resolve.inspect_request(
            self.state, call.account, call.region, checked, boot_disk=False
        )
        task = SnapshotTask(
            new_snapshot_task_id(),
            call.account,
            call.region,
            request,
            inspections[0],
            self.store.clock(),
        )
        added = self.store.add(task, errors.snapshot_task_limit)
        assert isinstance(added, SnapshotTask)
        return snapshot_task_view(added, self.store.current(added))

    def describe_snapshot_tasks(self, call: Call) -> dict[str, Any]:
        return self._describe(call, SnapshotTask.KIND)

    def cancel_task(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(CANCEL_TASK, call.form)
        if params.get("DryRun"):
            raise errors.dry_run()
        task_id = params.get("ImportTaskId")
        if not task_id:
            raise errors.missing_parameter("ImportTaskId")
        previous = self.store.cancel(call.account, call.region, task_id, params.get("CancelReason"))
        return {"ImportTaskId": task_id, "PreviousState": previous, "State": "deleting"}
