"""A child process that runs ``vmimport`` and stops before an operation, to be killed with SIGKILL.

    python -m tests.support.gated_child ENDPOINT OPERATION AFTER ARGV...

It runs ``vmimport --endpoint-url ENDPOINT ARGV...`` (the tests' credentials,
no configuration files), printing ``answered OPERATION N`` as each request of
the EC2 operation OPERATION (``CopyImage``) is answered.  The first AFTER
requests go out; the next prints ``blocked`` and waits, so that the parent
kills the process with exactly AFTER of them answered by the service (and
recorded by the state database, or not yet).
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


def gated(endpoint: str, event: str, after: int, argv: list[str], *, answered: str) -> int:
    """``vmimport --endpoint-url ENDPOINT ARGV...``, the requests of ``event``
    (``SERVICE.OPERATION``) gated: the first ``after`` go out, each printing ``ANSWERED N``
    once answered; the next prints ``blocked`` and waits."""
    lock = threading.Lock()
    done_count = [0]
    passed = [0]

    def done(**_: Any) -> None:
        with lock:
            done_count[0] += 1
            say(f"{answered} {done_count[0]}")

    def gate(**_: Any) -> None:
        with lock:
            passed[0] += 1
            blocked = passed[0] > after
        if blocked:
            say("blocked")
            time.sleep(600)

    def sessions(options: GlobalOptions, env: Environment) -> Any:
        session = full_session(profile=options.profile, region=options.region, environ=env.environ)
        session.set_credentials(FAKE_KEY_ID, FAKE_SECRET)
        session.register(f"before-call.{event}", gate)
        session.register(f"after-call.{event}", done)
        return session

    env = Environment(
        stdout=sys.stdout,
        stderr=sys.stderr,
        environ=environment().environ,
        program="vmimport",
        stdout_isatty=False,
        stderr_isatty=False,
    )
    return cli.run(["--endpoint-url", endpoint, *argv], env, session_factory=sessions)


def main(argv: list[str]) -> int:
    endpoint, operation, after, *rest = argv
    return gated(endpoint, f"ec2.{operation}", int(after), rest, answered=f"answered {operation}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
