"""A child process that runs ``vmimport`` and stops before a request of any service, to be
killed with SIGKILL.

    python -m tests.support.gated_child_event ENDPOINT SERVICE.OPERATION AFTER ARGV...

``gated_child`` for any botocore event name (``ebs.PutSnapshotBlock``): the first AFTER
requests go out, each printing ``answered N``; the next print ``blocked`` and wait.
"""

from __future__ import annotations

import sys

from tests.support.gated_child import gated


def main(argv: list[str]) -> int:
    endpoint, event, after, *rest = argv
    return gated(endpoint, event, int(after), rest, answered="answered")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
