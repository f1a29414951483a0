"""DescribeImportImageTasks reply pages for pagination tests.

``task_pages(sizes)`` splits numbered import tasks into pages of the given sizes,
each page but the last carrying a ``nextToken``; ``page_replies`` turns them into
the Stub's scripted replies, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def task_id(number: int) -> str:
    return f"import-ami-{number:017x}"


@dataclass(frozen=True)
class Page:
    tasks: tuple[int, ...]
    next_token: str | None

    @property
    def task_ids(self) -> list[str]:
        return [task_id(n) for n in self.tasks]

    def xml(self) -> str:
        items = "".join(
            f"<item><importTaskId>{task_id(n)}</importTaskId><description>task {n}</description>"
            f"<progress>{n * 10 % 100}</progress><status>active</status></item>"
            for n in self.tasks
        )
        token = f"<nextToken>{self.next_token}</nextToken>" if self.next_token is not None else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<DescribeImportImageTasksResponse xmlns="{NAMESPACE}">'
            f"<requestId>page-request</requestId><importImageTaskSet>{items}</importImageTaskSet>"
            f"{token}</DescribeImportImageTasksResponse>"
        )


def task_pages(sizes: Sequence[int], first: int = 1) -> list[Page]:
    """Pages of consecutive tasks (numbered from ``first``), ``sizes[i]`` tasks on page i."""
    pages = []
    number = first
    for index, size in enumerate(sizes):
        tasks = tuple(range(number, number + size))
        number += size
        token = f"token-page-{index + 2}" if index < len(sizes) - 1 else None
        pages.append(Page(tasks, token))
    return pages


def page_replies(pages: Sequence[Page]) -> dict[str, list[dict[str, object]]]:
    return {
        "DescribeImportImageTasks": [{"status": 200, "body": page.xml().encode()} for page in pages]
    }
