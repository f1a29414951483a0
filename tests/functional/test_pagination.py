"""describe-import-image-tasks paging as AWS CLI v2.36.7 does it (checked against v2 from source).

A loopback Stub serves several pages (``tests/support/pages.py``): tasks 1-5 in pages
of 2, 2 and 1, linked by ``token-page-2`` and ``token-page-3``.  The tests check the
requests v2 would send (NextToken, MaxResults) and what it prints.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.pages import page_replies, task_id, task_pages
from tests.support.runner import Harness, Run

DESCRIBE = ["ec2", "describe-import-image-tasks"]
USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
)


def describe(
    harness: Harness, *args: str, sizes: tuple[int, ...] = (2, 2, 1), first: int = 1
) -> Run:
    harness.stub.replies = page_replies(task_pages(sizes, first))
    return harness.run(["--endpoint-url", harness.endpoint, *DESCRIBE, *args])


def paging_params(result: Run) -> list[list[tuple[str, str]]]:
    """What each request said about paging."""
    return [
        [(k, v) for k, v in r.form if k in ("NextToken", "MaxResults")] for r in result.requests
    ]


def ids(result: Run) -> list[str]:
    return [task["ImportTaskId"] for task in json.loads(result.stdout)["ImportImageTasks"]]


def decode(token: str) -> dict[str, object]:
    value: dict[str, object] = json.loads(base64.b64decode(token))
    return value


ALL = [task_id(n) for n in range(1, 6)]
#: the token v2 prints after 3 of the 5 tasks: page 2's token, 1 task of that page shown
RESUME_AFTER_3 = "eyJOZXh0VG9rZW4iOiAidG9rZW4tcGFnZS0yIiwgImJvdG9fdHJ1bmNhdGVfYW1vdW50IjogMX0="
THREE_REQUESTS = [[], [("NextToken", "token-page-2")], [("NextToken", "token-page-3")]]


def test_every_page_is_followed_and_merged(harness: Harness) -> None:
    result = describe(harness)
    assert result.rc == 0, result.stderr
    assert paging_params(result) == THREE_REQUESTS
    assert ids(result) == ALL
    assert "NextToken" not in json.loads(result.stdout)


def test_text_output_is_written_page_by_page(harness: Harness) -> None:
    result = describe(harness, "--output", "text", "--query", "ImportImageTasks[].ImportTaskId")
    assert result.rc == 0
    # --query applies to each page: one line per page
    assert result.stdout == (
        f"{task_id(1)}\t{task_id(2)}\n{task_id(3)}\t{task_id(4)}\n{task_id(5)}\n"
    )


def test_json_query_applies_to_the_merged_result(harness: Harness) -> None:
    result = describe(harness, "--query", "ImportImageTasks[].ImportTaskId")
    assert json.loads(result.stdout) == ALL


def test_text_rows_of_all_pages(harness: Harness) -> None:
    result = describe(harness, "--output", "text")
    assert result.stdout.splitlines() == [
        f"IMPORTIMAGETASKS\ttask {n}\t{task_id(n)}\t{n * 10}\tactive" for n in range(1, 6)
    ]


def test_yaml_stream_writes_one_document_per_page(harness: Harness) -> None:
    result = describe(
        harness, "--output", "yaml-stream", "--query", "ImportImageTasks[].ImportTaskId"
    )
    assert result.stdout == (
        f"- - {task_id(1)}\n  - {task_id(2)}\n"
        f"- - {task_id(3)}\n  - {task_id(4)}\n"
        f"- - {task_id(5)}\n"
    )


def test_max_items_stops_early_and_prints_a_resume_token(harness: Harness) -> None:
    result = describe(harness, "--max-items", "3")
    assert result.rc == 0
    assert paging_params(result) == THREE_REQUESTS[:2]
    assert ids(result) == ALL[:3]
    token = json.loads(result.stdout)["NextToken"]
    assert token == RESUME_AFTER_3
    assert decode(token) == {"NextToken": "token-page-2", "boto_truncate_amount": 1}


def test_max_items_in_text_output(harness: Harness) -> None:
    result = describe(harness, "--max-items", "3", "--output", "text")
    assert result.stdout.splitlines()[-1] == "NEXTTOKEN\t" + RESUME_AFTER_3
    assert len(result.stdout.splitlines()) == 4


def test_starting_token_resumes_where_max_items_stopped(harness: Harness) -> None:
    token = RESUME_AFTER_3  # what --max-items 3 printed
    # the service answers page 2 again (tasks 3 and 4), then page 3
    result = describe(harness, "--starting-token", token, sizes=(2, 1), first=3)
    assert result.rc == 0
    assert paging_params(result) == [
        [("NextToken", "token-page-2")],
        [("NextToken", "token-page-2")],
    ]
    assert ids(result) == ALL[3:]  # task 3 was already shown: it is skipped


def test_starting_token_with_max_items(harness: Harness) -> None:
    token = base64.b64encode(json.dumps({"NextToken": "token-page-2"}).encode()).decode()
    result = describe(harness, "--starting-token", token, "--max-items", "1", sizes=(2, 1), first=3)
    assert paging_params(result) == [[("NextToken", "token-page-2")]]
    assert ids(result) == [task_id(3)]
    assert decode(json.loads(result.stdout)["NextToken"]) == {
        "NextToken": "token-page-2",
        "boto_truncate_amount": 1,
    }


def test_page_size_sets_max_results_on_every_request(harness: Harness) -> None:
    result = describe(harness, "--page-size", "2")
    assert paging_params(result) == [
        [("MaxResults", "2")],
        [("MaxResults", "2"), ("NextToken", "token-page-2")],
        [("MaxResults", "2"), ("NextToken", "token-page-3")],
    ]
    assert ids(result) == ALL


def test_page_size_and_max_items_together(harness: Harness) -> None:
    result = describe(harness, "--page-size", "2", "--max-items", "3", "--output", "yaml-stream")
    assert len(result.requests) == 2
    assert result.stdout.count("NextToken: token-page-") == 2  # each page as it came


def test_no_paginate_sends_one_request(harness: Harness) -> None:
    result = describe(harness, "--no-paginate")
    assert paging_params(result) == [[]]
    assert ids(result) == ALL[:2]
    assert json.loads(result.stdout)["NextToken"] == "token-page-2"


def test_no_paginate_text_shows_the_service_token(harness: Harness) -> None:
    result = describe(harness, "--no-paginate", "--output", "text")
    assert result.stdout.splitlines()[0] == "token-page-2"


@pytest.mark.parametrize(
    ("args", "sent"),
    [
        (["--max-results", "2"], [("MaxResults", "2")]),
        (["--next-token", "token-page-2"], [("NextToken", "token-page-2")]),
        (["--max-results", "2", "--next-token", "t"], [("MaxResults", "2"), ("NextToken", "t")]),
        (["--cli-input-json", '{"NextToken": "t"}'], [("NextToken", "t")]),
    ],
    ids=["max-results", "next-token", "both", "cli-input-json"],
)
def test_the_api_paging_options_turn_automatic_paging_off(
    harness: Harness, args: list[str], sent: list[tuple[str, str]]
) -> None:
    result = describe(harness, *args)
    assert result.rc == 0
    assert paging_params(result) == [sent]
    assert json.loads(result.stdout)["NextToken"] == "token-page-2"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--no-paginate", "--max-items", "1"], "--max-items"),
        (["--no-paginate", "--page-size", "1"], "--page-size"),
        (["--no-paginate", "--starting-token", "x"], "--starting-token"),
        (
            ["--no-paginate", "--max-items", "1", "--page-size", "2", "--starting-token", "x"],
            "--starting-token, --page-size, --max-items",
        ),
        (["--max-results", "2", "--page-size", "1"], "--page-size"),
        (["--next-token", "x", "--starting-token", "y"], "--starting-token"),
        (["--next-token", "x", "--max-items", "3"], "--max-items"),
    ],
)
def test_paging_arguments_without_automatic_paging(
    harness: Harness, args: list[str], named: str
) -> None:
    result = describe(harness, *args)
    assert (result.rc, result.stdout) == (252, "")
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): Cannot specify --no-paginate "
        f"along with pagination arguments: {named}\n"
    )
    assert result.requests == []


def test_max_items_must_be_an_integer(harness: Harness) -> None:
    result = describe(harness, "--max-items", "abc")
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): argument --max-items: "
        f"invalid int value: 'abc'\n\n{USAGE}"
    )


def test_page_size_zero_is_sent_as_is(harness: Harness) -> None:
    result = describe(harness, "--page-size", "0")
    assert result.rc == 0
    assert [dict(p).get("MaxResults") for p in paging_params(result)] == ["0", "0", "0"]


def test_the_same_token_twice_stops_paging(harness: Harness) -> None:
    first = task_pages([1, 1])[0]
    harness.stub.replies = page_replies([first])  # every request gets page 1 again
    result = harness.run(["--endpoint-url", harness.endpoint, *DESCRIBE, "--output", "text"])
    assert result.rc == 255
    assert result.stderr == (
        "\naws: [ERROR]: Error during pagination: The same next token was received twice: "
        "{'NextToken': 'token-page-2'}\n"
    )
    assert len(result.requests) == 2
    # text output had already written both pages
    assert result.stdout.count("IMPORTIMAGETASKS") == 2


def test_error_on_a_later_page(harness: Harness) -> None:
    from pathlib import Path

    error = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
    harness.stub.replies = {
        "DescribeImportImageTasks": [
            {"status": 200, "body": task_pages([1, 1])[0].xml().encode()},
            {"status": 400, "body": (error / "err-InvalidParameter.xml").read_bytes()},
        ]
    }
    result = harness.run(["--endpoint-url", harness.endpoint, *DESCRIBE, "--output", "text"])
    assert result.rc == 254
    assert result.stdout == f"IMPORTIMAGETASKS\ttask 1\t{task_id(1)}\t10\tactive\n"
    assert result.stderr.startswith(
        "\naws: [ERROR]: An error occurred (InvalidParameter) when calling the "
        "DescribeImportImageTasks operation: "
    )


def test_a_single_page(harness: Harness) -> None:
    result = describe(harness, sizes=(3,))
    assert paging_params(result) == [[]]
    assert ids(result) == ALL[:3]


def test_import_image_ignores_no_paginate(harness: Harness) -> None:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": task_pages([0])[0].xml().encode()}]
    }
    result = harness.run(
        ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--no-paginate"]
    )
    assert result.rc == 0
    assert len(result.requests) == 1


def test_import_image_has_no_paging_options(harness: Harness) -> None:
    result = harness.run(["ec2", "import-image", "--max-items", "2"])
    assert result.rc == 252
    assert result.stderr.endswith("\naws: [ERROR]: Unknown options: --max-items, 2\n")


# -- v2 behaviour that needs a change in params/build.py -----------------------------------

NON_POSITIVE = "warning: Non-positive values for --max-items may result in undefined behavior.\n"


@pytest.mark.parametrize("value", ["0", "-1"])
def test_non_positive_max_items_warns(harness: Harness, value: str) -> None:
    result = describe(harness, "--max-items", value)
    assert result.rc == 0
    assert result.stderr == NON_POSITIVE


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["--no-paginate", "--max-items", "0"], NON_POSITIVE),
        (["--cli-input-json", '{"MaxResults": 5}', "--max-items", "2"], ""),
    ],
    ids=["no-paginate-zero", "cli-input-token"],
)
def test_paging_options_without_paging_reach_validation(
    harness: Harness, args: list[str], stderr: str
) -> None:
    result = describe(harness, *args)
    assert (result.rc, result.requests) == (252, [])
    assert result.stderr == stderr + (
        "\naws: [ERROR]: An error occurred (ParamValidation): Parameter validation failed:\n"
        'Unknown parameter in input: "PaginationConfig", must be one of: DryRun, Filters, '
        "ImportTaskIds, MaxResults, NextToken\n"
    )
