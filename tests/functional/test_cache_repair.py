"""A cache entry of the right encoding but the wrong shape is rebuilt, not obeyed.

Once, an endpoints entry such as ``{"partitions": ["aws"]}`` broke every
sending command ("string indices must be integers") until it was deleted.
The endpoints are now in the view of botocore's data (service/datapath.py).
"""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support.runner import Harness

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"


def send(harness: Harness) -> int:
    harness.stub.replies = {
        "ImportImage": [{"status": 200, "body": (RESPONSES / "ImportImage.xml").read_bytes()}]
    }
    result = harness.run(["--endpoint-url", harness.endpoint, "ec2", "import-image"])
    assert result.stderr == ""
    return int(result.rc)


def test_a_wrong_shaped_endpoints_entry_is_rebuilt(harness: Harness) -> None:
    assert send(harness) == 0
    directory = harness.home / ".cache" / "ec2-import-image"
    (entry,) = directory.glob("botocore-data-*/endpoints.json")
    good = entry.read_bytes()
    entry.write_text('{"partitions": ["aws"]}')
    assert send(harness) == 0
    assert entry.read_bytes() == good
    assert send(harness) == 0


def test_the_cache_directory_is_the_users_alone(harness: Harness) -> None:
    send(harness)
    directory = harness.home / ".cache" / "ec2-import-image"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
