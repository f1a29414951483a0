"""The three VM Import actions: a parsed request in, an XML reply out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ec2_import_emulator import errors, resolve, validate, wire
from ec2_import_emulator.aws_state import AwsState
from ec2_import_emulator.tasks import TASK_STATES, TagFilter, TaskStore
from ec2_import_emulator.view import task_view

LOG = logging.getLogger("ec2_import_emulator")

IMPORT_IMAGE = "ImportImage"
DESCRIBE_TASKS = "DescribeImportImageTasks"
CANCEL_TASK = "CancelImportTask"
ACTIONS = (IMPORT_IMAGE, DESCRIBE_TASKS, CANCEL_TASK)
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


class VMImportApi:
    def __init__(self, store: TaskStore, state: AwsState) -> None:
        self.store = store
        self.state = state

    def handle(self, call: Call) -> Reply:
        operations = {
            IMPORT_IMAGE: self.import_image,
            DESCRIBE_TASKS: self.describe_tasks,
            CANCEL_TASK: self.cancel_task,
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
        return Reply(200, wire.render_result(call.action, result, call.request_id))

    def import_image(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(IMPORT_IMAGE, call.form)
        if params.get("DryRun"):
            raise errors.dry_run()
        request = validate.import_request(params)
        known = self.store.known(call.account, call.region, request)
        if known is not None:
            return task_view(known, self.store.current(known))
        self.store.ensure_capacity(call.account, call.region)
        inspections = resolve.inspect_request(self.state, call.account, call.region, request)
        task = self.store.start(call.account, call.region, request, inspections)
        return task_view(task, self.store.current(task))

    def describe_tasks(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(DESCRIBE_TASKS, _legacy_filters(call.form))
        if params.get("DryRun"):
            raise errors.dry_run()
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
        max_results = params.get("MaxResults")
        if max_results is not None and max_results < 1:
            raise errors.invalid_max_results(max_results)
        page, next_token = self.store.describe(
            call.account,
            call.region,
            task_ids=params.get("ImportTaskIds", []),
            states=states,
            tag_filters=tag_filters,
            max_results=max_results,
            next_token=params.get("NextToken"),
        )
        result: dict[str, Any] = {"ImportImageTasks": [task_view(t, s) for t, s in page]}
        if next_token is not None:
            result["NextToken"] = next_token
        return result

    def cancel_task(self, call: Call) -> dict[str, Any]:
        params = wire.parse_request(CANCEL_TASK, call.form)
        if params.get("DryRun"):
            raise errors.dry_run()
        task_id = params.get("ImportTaskId")
        if not task_id:
            raise errors.missing_parameter("ImportTaskId")
        previous = self.store.cancel(call.account, call.region, task_id, params.get("CancelReason"))
        return {"ImportTaskId": task_id, "PreviousState": previous, "State": "deleting"}
