"""Polling import tasks: the chunk asked again id by id when the service forgot one, and the
wait for one task on a fake clock (transient failures borne, limits, a task just started)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from ec2_import_image.vmimport.engine.waiting import (
    GaveUp,
    WaitLimits,
    poll_tasks,
    wait_for_task,
)
from ec2_import_image.vmimport.errors import Incomplete
from tests.support.clock import FakeClock

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client


def error(code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "DescribeImportImageTasks")


class FakeEc2:
    """DescribeImportImageTasks over known tasks; ``script`` answers polls in turn."""

    def __init__(self, known: dict[str, str], script: Iterator[Any] | None = None) -> None:
        self.known = known
        self.script = script
        self.calls: list[list[str]] = []

    def describe_import_image_tasks(self, **params: Any) -> dict[str, Any]:
        ids = params["ImportTaskIds"]
        self.calls.append(ids)
        if self.script is not None:
            answer = next(self.script)
            if isinstance(answer, Exception):
                raise answer
            return {"ImportImageTasks": [{"ImportTaskId": ids[0], **answer}]}
        unknown = [name for name in ids if name not in self.known]
        if unknown:
            raise error("InvalidConversionTaskId")
        return {
            "ImportImageTasks": [{"ImportTaskId": name, "Status": self.known[name]} for name in ids]
        }


def test_a_forgotten_task_is_found_out_id_by_id() -> None:
    ec2 = FakeEc2({"import-ami-1": "active", "import-ami-3": "completed"})
    states = poll_tasks(cast("EC2Client", ec2), ["import-ami-1", "import-ami-2", "import-ami-3"])
    assert {name: (task or {}).get("Status") for name, task in states.items()} == {
        "import-ami-1": "active",
        "import-ami-2": None,
        "import-ami-3": "completed",
    }
    assert ec2.calls[0] == ["import-ami-1", "import-ami-2", "import-ami-3"]
    assert len(ec2.calls) == 4


def wait(ec2: FakeEc2, clock: FakeClock, limits: WaitLimits, **options: Any) -> Any:
    notes: list[str] = []
    seen: list[str] = []
    ended = wait_for_task(
        cast("EC2Client", ec2),
        "import-ami-1",
        limits=limits,
        clock=clock.clock,
        sleep=clock.sleep,
        on_state=lambda task: seen.append(task["Status"]),
        note=notes.append,
        **options,
    )
    return ended, seen, notes


def test_transient_failures_are_borne_and_the_wait_goes_on() -> None:
    answers: list[Any] = [{"Status": "active"}, error("Throttling"), error("InternalError", 500)]
    script = iter([*answers, {"Status": "completed"}])
    clock = FakeClock()
    ended, seen, notes = wait(FakeEc2({}, script), clock, WaitLimits(poll_interval=10))
    assert ended["Status"] == "completed" and seen == ["active", "completed"]
    assert clock.sleeps == [2.0, 3.0, 6.0]
    assert notes[-1] == "polling works again after 9 s of failed polls"


def test_transient_failures_that_last_give_up_and_permanent_ones_at_once() -> None:
    forever = iter([error("Throttling")] * 100)
    with pytest.raises(Incomplete, match="--max-transient-seconds 20"):
        wait(FakeEc2({}, forever), FakeClock(), WaitLimits(max_transient=20))
    denied = iter([error("AuthFailure")])
    with pytest.raises(Incomplete, match=r"polling import-ami-1 failed: .*AuthFailure"):
        wait(FakeEc2({}, denied), FakeClock(), WaitLimits())


def test_max_wait_stops_waiting_on_a_poll_at_the_limit() -> None:
    clock = FakeClock()
    running = iter([{"Status": "active"}] * 100)
    with pytest.raises(GaveUp, match=r"after 100 s \(--max-wait 100\); the import goes on"):
        wait(FakeEc2({}, running), clock, WaitLimits(max_wait=100))
    assert clock.elapsed == 100


def test_a_task_just_started_may_be_unknown_for_a_moment() -> None:
    script = iter([error("InvalidConversionTaskId"), {"Status": "completed"}])
    ended, _, _ = wait(FakeEc2({}, script), FakeClock(), WaitLimits(), fresh=True)
    assert ended["Status"] == "completed"
    forgotten = iter([error("InvalidConversionTaskId")])
    ended, _, _ = wait(FakeEc2({}, forgotten), FakeClock(), WaitLimits())
    assert ended is None
