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
import threading
import time
from typing import Any

from ec2_import_image.awsconfig.session import full_session
from ec2_import_image.environment import Environment
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.context import GlobalOptions
from tests.support.children import say
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET
from tests.support.vmimport_run import environment


def main(argv: list[str]) -> int:
    endpoint, after, *rest = argv
    lock = threading.Lock()
    completed = [0]
    passed = [0]

    def done(**_: Any) -> None:
        with lock:
            completed[0] += 1
            say(f"sent {completed[0]}")

    def gate(**_: Any) -> None:
        with lock:
            passed[0] += 1
            blocked = passed[0] > int(after)
        if blocked:
            say("blocked")
            time.sleep(600)

    def sessions(options: GlobalOptions, env: Environment) -> Any:
        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        session.register("before-call.s3.UploadPart", gate)
        session.register("after-call.s3.UploadPart", done)
        return session

    tests_env = environment()
    env = Environment(
        stdout=sys.stdout,
        stderr=sys.stderr,
        environ=tests_env.environ,
        program="vmimport",
        stdout_isatty=False,
        stderr_isatty=False,
    )
    return cli.run(["--endpoint-url", endpoint, *rest], env, session_factory=sessions)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
