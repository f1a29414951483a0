"""Start the emulator: moto's server app behind the VM Import middleware, on 127.0.0.1.

``Emulator`` runs it in a thread (the tests use it in-process);
``main`` is the ``ec2-import-emulator`` command.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from types import FrameType
from typing import Any

from ec2_import_emulator import ec2model
from ec2_import_emulator.api import VMImportApi
from ec2_import_emulator.aws_state import MotoState
from ec2_import_emulator.ebsdirect import faults
from ec2_import_emulator.ebsdirect.endpoint import EbsDirectEndpoint
from ec2_import_emulator.ebsdirect.service import EbsDirect
from ec2_import_emulator.images.api import ImageApi
from ec2_import_emulator.images.store import (
    DEFAULT_MAX_COPIES,
    ImageClock,
    ImageOptions,
    ImageStore,
)
from ec2_import_emulator.middleware import VMImportMiddleware, credential_scope
from ec2_import_emulator.tasks import TaskStore

HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_SPEED = 60.0
DEFAULT_MAX_ACTIVE_TASKS = 20
PROGRAM = "ec2-import-emulator"
#: how often the server thread looks for a stop request (seconds)
POLL_INTERVAL = 0.05


def _handler_class(log_requests: bool) -> Any:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    if log_requests:
        return MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return QuietHandler


def _listen(port: int) -> socket.socket:
    """A listening socket on HOST (OSError if the port is taken)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


@cache
def moto_app() -> Any:
    """moto's server app: one per process, as moto's backends are (building it is slow)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class Emulator:
    """One endpoint serving S3, IAM, STS and EC2 (moto) plus VM Import and EBS direct (this
    package)."""

    def __init__(
        self,
        port: int = 0,
        *,
        speed: float = DEFAULT_SPEED,
        max_active_tasks: int = DEFAULT_MAX_ACTIVE_TASKS,
        clock: Callable[[], float] = time.monotonic,
        log_requests: bool = False,
        max_image_copies: int = DEFAULT_MAX_COPIES,
        ebs_faults: faults.FaultPlan | None = None,
    ) -> None:
        self._requested_port = port
        self._log_requests = log_requests
        image_clock = ImageClock(clock, speed)
        self.state = MotoState(now=image_clock.now)
        self.store = TaskStore(
            self.state, speed=speed, max_active_tasks=max_active_tasks, clock=clock
        )
        self.api = VMImportApi(self.store, self.state)
        self.images = ImageApi(ImageStore(image_clock, ImageOptions(max_copies=max_image_copies)))
        self.ebs = EbsDirect(clock=clock, speed=speed, faults=faults.Faults(ebs_faults))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def build_app(self) -> VMImportMiddleware:
        routes = (EbsDirectEndpoint(self.ebs, credential_scope),)
        return VMImportMiddleware(
            moto_app(),
            self.api,
            self.state.account_for,
            self.state,
            images=self.images,
            routes=routes,
        )

    def start(self) -> Emulator:
        from werkzeug.serving import make_server

        ec2model.warm()
        listener = _listen(self._requested_port)
        try:
            self._server = make_server(
                HOST,
                self._requested_port,
                self.build_app(),
                threaded=True,
                request_handler=_handler_class(self._log_requests),
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # the server works on its own duplicate
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_INTERVAL,), name=PROGRAM, daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text}")
        return value

    return convert


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog=PROGRAM,
        description="An offline AWS endpoint on 127.0.0.1 for VM Import: S3, IAM, STS and EC2 "
        "(moto) plus ImportImage, ImportSnapshot, their Describe actions, CancelImportTask, "
        "the EBS direct APIs, and the image actions as the service answers them (RegisterImage, "
        "CopyImage, sharing, deprecation, deregistration protection; GET /emulator/images/AMI-ID "
        "says whether an AMI could boot).",
    )
    result.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one). "
        "The port is printed on the first line of stdout.",
    )
    result.add_argument(
        "--speed",
        type=_positive(float),
        default=DEFAULT_SPEED,
        help="how many times faster than a real import the tasks run; an import takes "
        f"1800 s divided by this (default {DEFAULT_SPEED:g}: 30 s)",
    )
    result.add_argument(
        "--max-active-tasks",
        type=_positive(int),
        default=DEFAULT_MAX_ACTIVE_TASKS,
        help="active import tasks allowed per Region "
        f"(default {DEFAULT_MAX_ACTIVE_TASKS}); more is ResourceCountLimitExceeded",
    )
    result.add_argument(
        "--max-image-copies",
        type=_positive(int),
        default=DEFAULT_MAX_COPIES,
        help="AMI copies in progress allowed per destination Region "
        f"(default {DEFAULT_MAX_COPIES}); more is ResourceLimitExceeded",
    )
    _ebs_fault_options(result)
    result.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    return result


def _ebs_fault_options(result: argparse.ArgumentParser) -> None:
    """Failures of the EBS direct APIs on request (also through /emulator/ebs/faults)."""
    group = result.add_argument_group(
        "EBS direct faults (for tests; also set at run time through /emulator/ebs/faults)"
    )
    group.add_argument(
        "--ebs-throttle",
        type=_count,
        default=0,
        metavar="N",
        help="refuse the first N EBS direct requests with --ebs-throttle-error",
    )
    group.add_argument(
        "--ebs-throttle-error",
        choices=faults.THROTTLE_ERRORS,
        default=faults.THROTTLE_ERRORS[0],
        help="the error of a throttled request (default %(default)s)",
    )
    group.add_argument(
        "--ebs-refuse-start",
        type=_count,
        default=0,
        metavar="N",
        help="refuse the first N StartSnapshot requests with --ebs-refuse-start-error",
    )
    group.add_argument(
        "--ebs-refuse-start-error",
        choices=faults.REFUSE_START_ERRORS,
        default=faults.REFUSE_START_ERRORS[0],
        help="the error of a refused StartSnapshot (default %(default)s)",
    )
    group.add_argument(
        "--ebs-put-delay",
        type=_delay,
        default=0.0,
        metavar="SECONDS",
        help="answer every PutSnapshotBlock this many real seconds late (0 to 60)",
    )


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _delay(text: str) -> float:
    try:
        return faults.changed(faults.FaultPlan(), {"put_delay": float(text)}).put_delay
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def fault_plan(args: argparse.Namespace) -> faults.FaultPlan:
    return faults.FaultPlan(
        throttle=args.ebs_throttle,
        throttle_error=args.ebs_throttle_error,
        refuse_start=args.ebs_refuse_start,
        refuse_start_error=args.ebs_refuse_start_error,
        put_delay=args.ebs_put_delay,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"{PROGRAM}: %(message)s")
    try:
        emulator = Emulator(
            args.port,
            speed=args.speed,
            max_active_tasks=args.max_active_tasks,
            log_requests=args.log_requests,
            max_image_copies=args.max_image_copies,
            ebs_faults=fault_plan(args),
        ).start()
    except ImportError as exc:
        print(
            f"{PROGRAM}: {exc}. Install the emulator extra: pip install "
            "'ec2-import-image[emulator]'",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"{PROGRAM}: cannot listen on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(emulator.port, flush=True)
    print(
        f"{PROGRAM}: serving S3, IAM, STS, EC2 and VM Import, with EBS direct, on "
        f"{emulator.endpoint} "
        f"(speed {args.speed:g}, {args.max_active_tasks} active tasks per Region); "
        "Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping.wait(0.5):
        pass
    emulator.stop()
    return 0
