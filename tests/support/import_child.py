"""A child process that runs ``vmimport import`` and stops mid-upload, to be killed with SIGKILL.

    python -m tests.support.import_child ENDPOINT AFTER ARGV...

It runs ``vmimport --endpoint-url ENDPOINT ARGV...`` (the tests' credentials,
no configuration files), printing ``sent N`` as UploadPart requests
complete.  The first AFTER UploadPart requests go out; any other prints
``blocked`` and waits.  With at least as many parts left as upload threads,
every thread comes to wait, each once its last part is answered: the parent
kills the process then, with exactly AFTER parts on S3, which the state
database may or may not have recorded yet.
"""

from __future__ import annotations

import sys

from tests.support.gated_child import gated


def main(argv: list[str]) -> int:
    endpoint, after, *rest = argv
    return gated(endpoint, "s3.UploadPart", int(after), rest, answered="sent")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
