"""The parts of ``dropin/waiting/``: fault classes, the bar's layout, the hints, the limits."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from botocore import exceptions
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.cli.options import OptionKind
from ec2_import_image.dropin.waiting.display import (
    PERCENT,
    PlainReporter,
    layout,
    locale_name,
    shorten,
    wants_utf8,
)
from ec2_import_image.dropin.waiting.hints import hint_lines, reach_options
from ec2_import_image.dropin.waiting.waiter import Limits
from ec2_import_image.environment import Environment
from ec2_import_image.importtasks.faults import FaultKind, MissingTasks, classify
from ec2_import_image.importtasks.tasks import describe_all, state_line

TRANSIENT, PERMANENT = FaultKind.TRANSIENT, FaultKind.PERMANENT


def service_error(code: str, status: int, message: str = "m") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "DescribeImportImageTasks")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("RequestLimitExceeded", 503, TRANSIENT),
        ("RequestLimitExceeded", 400, TRANSIENT),
        ("Throttling", 400, TRANSIENT),
        ("ThrottlingException", 400, TRANSIENT),
        ("EC2ThrottledException", 400, TRANSIENT),
        ("RequestTimeout", 400, TRANSIENT),
        ("InternalError", 500, TRANSIENT),
        ("Unavailable", 503, TRANSIENT),
        ("503", 503, TRANSIENT),
        ("Whatever", 507, TRANSIENT),  # any 5xx
        ("AuthFailure", 401, PERMANENT),
        ("UnauthorizedOperation", 403, PERMANENT),
        ("ExpiredToken", 400, PERMANENT),
        ("InvalidParameterValue", 400, PERMANENT),
        ("InvalidConversionTaskId", 400, PERMANENT),
        ("InvalidConversionTaskId.Malformed", 400, PERMANENT),
        ("404", 404, PERMANENT),
    ],
)
def test_service_errors(code: str, status: int, kind: FaultKind) -> None:
    fault = classify(service_error(code, status, "why"))
    assert fault.kind is kind
    assert fault.reason == f"An error occurred ({code}): why"
    assert fault.code == code


def test_the_runs_own_task_may_be_unknown_for_a_moment() -> None:
    own = classify(service_error("InvalidConversionTaskId", 400), own_tasks=True)
    assert own.kind is TRANSIENT
    malformed = classify(service_error("InvalidConversionTaskId.Malformed", 400), own_tasks=True)
    assert malformed.kind is PERMANENT
    assert malformed.about_task_ids


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (exceptions.EndpointConnectionError(endpoint_url="http://x"), TRANSIENT),
        (exceptions.ConnectTimeoutError(endpoint_url="http://x"), TRANSIENT),
        (exceptions.ReadTimeoutError(endpoint_url="http://x"), TRANSIENT),
        (exceptions.ConnectionClosedError(endpoint_url="http://x"), TRANSIENT),
        (ResponseParserError("Unable to parse response"), TRANSIENT),
        (MissingTasks("The reply lists no task x."), TRANSIENT),
        (exceptions.NoCredentialsError(), PERMANENT),
        (exceptions.ParamValidationError(report="bad"), PERMANENT),
        (exceptions.NoRegionError(), PERMANENT),
        (ValueError("a bug"), PERMANENT),
    ],
)
def test_other_errors(error: Exception, kind: FaultKind) -> None:
    fault = classify(error)
    assert (fault.kind, fault.reason, fault.code) == (kind, str(error), None)


@pytest.mark.parametrize("width", range(40, 201))
@pytest.mark.parametrize("id_width", [28, 19])
def test_the_id_and_percentage_always_fit(width: int, id_width: int) -> None:
    fit = layout(width, id_width)
    used = id_width + 1 + PERCENT
    used += (1 + fit.bar if fit.bar else 0) + (1 + fit.text if fit.text else 0)
    used += 1 + 8 if fit.elapsed else 0
    assert used <= width - 1
    assert fit.id_width == id_width


def test_wider_terminals_get_more() -> None:
    assert layout(40, 28) == (28, 0, 5, False)
    assert layout(80, 28).bar and layout(80, 28).elapsed
    assert layout(200, 28).bar == 40


@pytest.mark.parametrize(("ascii_only", "expected"), [(True, "conv..."), (False, "conver\u2026")])
def test_shorten(ascii_only: bool, expected: str) -> None:
    assert shorten("converting", 7, ascii_only) == expected
    assert shorten("booting", 7, ascii_only) == "booting"


@pytest.mark.parametrize(
    ("environ", "locale", "utf8"),
    [
        ({"LANG": "en_US.UTF-8"}, "en_US.UTF-8", True),
        ({"LANG": "C"}, "C", False),
        ({}, "", False),
        ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, "C", False),  # Python's coercion (PEP 538)
        ({"LC_CTYPE": "C.UTF-8"}, "", False),
        ({"LANG": "C", "LC_CTYPE": "en_US.utf8"}, "en_US.utf8", True),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "POSIX"}, "POSIX", False),
        ({"LANG": "de_DE.ISO-8859-1"}, "de_DE.ISO-8859-1", False),
    ],
)
def test_the_locale(environ: dict[str, str], locale: str, utf8: bool) -> None:
    assert locale_name(environ) == locale
    assert wants_utf8(Environment(environ=environ, stderr=io.StringIO())) is utf8


def test_plain_lines_say_each_change_once() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    task = {"ImportTaskId": "import-ami-1", "Status": "active", "StatusMessage": "booting"}
    reporter.update([task])
    reporter.update([task])
    reporter.note("a notice")
    reporter.update([{**task, "Progress": "58"}])
    assert stream.getvalue() == (
        "import-ami-1: active, booting\na notice\nimport-ami-1: active, booting (58%)\n"
    )


def test_hints_carry_the_options_that_reach_the_task_quoted() -> None:
    options = reach_options(
        GlobalOptions(endpoint_url="http://127.0.0.1:5000/a b", verify_ssl=False),
        "eu-west-3",
        {"AWS_PROFILE": "team (ci)"},
    )
    assert options == (
        "--region",
        "eu-west-3",
        "--endpoint-url",
        "http://127.0.0.1:5000/a b",
        "--profile",
        "team (ci)",
        "--no-verify-ssl",
    )
    lines = hint_lines(["import-ami-1", "import-ami-2"], options)
    tail = (
        "--region eu-west-3 --endpoint-url 'http://127.0.0.1:5000/a b' --profile 'team (ci)' "
        "--no-verify-ssl"
    )
    assert lines == [
        "To wait again:",
        f"  aws ec2 wait image-import-completed --import-task-ids import-ami-1 import-ami-2 {tail}",
        "To cancel the imports:",
        f"  aws ec2 cancel-import-task --import-task-id import-ami-1 {tail}",
        f"  aws ec2 cancel-import-task --import-task-id import-ami-2 {tail}",
    ]
    assert hint_lines([], options) == []


def test_limits() -> None:
    assert Limits() == (14400, 300)
    assert Limits.given({OptionKind.MAX_WAIT: 30}) == (30, 300)
    assert Limits.given({OptionKind.MAX_TRANSIENT: 5}) == (14400, 5)


def test_describe_all_follows_tokens_and_stops_on_a_repeated_one() -> None:
    pages: dict[str | None, dict[str, Any]] = {
        None: {"ImportImageTasks": [{"ImportTaskId": "a"}], "NextToken": "t2"},
        "t2": {"ImportImageTasks": [{"ImportTaskId": "b"}], "NextToken": "t3"},
        "t3": {"ImportImageTasks": [], "NextToken": "t2"},
    }
    asked: list[Any] = []

    def describe(**params: Any) -> dict[str, Any]:
        asked.append(params.get("NextToken"))
        return pages[params.get("NextToken")]

    tasks = describe_all(describe, {"MaxResults": 5})
    assert [t["ImportTaskId"] for t in tasks] == ["a", "b"]
    assert asked == [None, "t2", "t3"]


def test_state_line() -> None:
    assert state_line({"ImportTaskId": "i", "Status": "completed"}) == "i: completed"
    task = {"ImportTaskId": "i", "Status": "active", "StatusMessage": "pending", "Progress": "2"}
    assert state_line(task) == "i: active, pending (2%)"


def test_the_environment_tells_time_by_default() -> None:
    env = Environment()
    assert env.clock is time.monotonic
    assert env.sleep is time.sleep
