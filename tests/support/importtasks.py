"""Scripted DescribeImportImageTasks replies for the waiter's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
TASK_ID = "import-ami-1234567890abcdef0"
NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
#: a reply botocore retries and the waiter treats as transient
UNAVAILABLE: dict[str, Any] = {"status": 503, "body": b""}


def item(
    status: str,
    message: str = "",
    progress: str = "",
    image: str = "",
    task: str = TASK_ID,
) -> str:
    """One task of a reply."""
    fields = [f"<importTaskId>{task}</importTaskId>", f"<status>{status}</status>"]
    if message:
        fields.append(f"<statusMessage>{message}</statusMessage>")
    if progress:
        fields.append(f"<progress>{progress}</progress>")
    if image:
        fields.append(f"<imageId>{image}</imageId>")
    return f"<item>{''.join(fields)}</item>"


def tasks_reply(*items: str, next_token: str | None = None) -> dict[str, Any]:
    """A 200 reply listing ``items`` (see ``item``), with a NextToken if given."""
    token = f"<nextToken>{next_token}</nextToken>" if next_token else ""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImportImageTasksResponse '
        f'xmlns="{NAMESPACE}"><requestId>r</requestId>'
        f"<importImageTaskSet>{''.join(items)}</importImageTaskSet>{token}"
        "</DescribeImportImageTasksResponse>"
    )
    return {"status": 200, "body": body.encode()}


def describe(status: str, message: str = "", progress: str = "", image: str = "") -> dict[str, Any]:
    """A reply with the one task ``TASK_ID``."""
    return tasks_reply(item(status, message, progress, image))


def recorded(name: str, status: int = 200) -> dict[str, Any]:
    """A reply whose body is one of the recorded responses."""
    return {"status": status, "body": (RESPONSES / f"{name}.xml").read_bytes()}


def error_reply(code: str, message: str, status: int = 400) -> dict[str, Any]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>e</RequestID></Response>"
    )
    return {"status": status, "body": body.encode()}


COMPLETED = describe("completed", image="ami-0123456789abcdef0")
LIFECYCLE = [
    describe("active", "pending", "2"),
    describe("active", "converting", "28"),
    describe("active", "converting", "28"),
    COMPLETED,
]
