"""The state of one ``vmimport`` run: the injected environment, the global options, AWS clients.

Commands receive a ``Run`` (click's context object) and reach AWS only
through it: one full botocore session on v2's configuration chain
(``awsconfig.session``), created on first use, and one client per service,
all sent to ``--endpoint-url`` when it is given (how the emulator is used).
Tests give ``Run`` their own environment and, where they need it, their own
session factory.

A botocore session is not safe to create clients from in several threads at
once (``batch`` prepares entries in worker threads): the session and every
client are made under one lock; the clients themselves are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from ec2_import_image.environment import Environment
from ec2_import_image.shellcommand import Reach

if TYPE_CHECKING:
    import botocore.session
    from botocore.client import BaseClient
    from botocore.config import Config
    from mypy_boto3_ebs.client import EBSClient
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sts.client import STSClient
    from rich.console import Console


class GlobalOptions(NamedTuple):
    """The options every command takes, before or after its name."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    debug: bool = False
    json: bool = False

    def merged(self, **given: Any) -> GlobalOptions:
        """These options with the values given later on the line (None: not given)."""
        return self._replace(**{k: v for k, v in given.items() if v not in (None, False)})


SessionFactory = Callable[[GlobalOptions, Environment], "botocore.session.Session"]


def default_session(options: GlobalOptions, env: Environment) -> botocore.session.Session:
    from ec2_import_image.awsconfig.session import full_session

    return full_session(profile=options.profile, region=options.region, environ=env.environ)


class Run:
    """One run of a command: what it may read and write, and how it reaches AWS."""

    def __init__(
        self,
        env: Environment,
        options: GlobalOptions | None = None,
        session_factory: SessionFactory = default_session,
    ) -> None:
        self.env = env
        self.options = options or GlobalOptions()
        self._session_factory = session_factory
        self._session: botocore.session.Session | None = None
        self._clients: dict[tuple[str, str], BaseClient] = {}
        self._lock = threading.RLock()
        #: the command line's program and command words (``vmimport import``), once known
        self.command_path = "vmimport"

    def session(self) -> botocore.session.Session:
        with self._lock:
            if self._session is None:
                self._session = self._session_factory(self.options, self.env)
            return self._session

    # ``client`` is typed per service for mypy (the boto3-stubs extras of the dev extra, read
    # only under TYPE_CHECKING): botocore makes each service's client class at run time, as the
    # stubs describe it.

    @overload
    def client(
        self, service: Literal["ebs"], name: str = ..., config: Config | None = ...
    ) -> EBSClient: ...
    @overload
    def client(
        self, service: Literal["ec2"], name: str = ..., config: Config | None = ...
    ) -> EC2Client: ...
    @overload
    def client(
        self, service: Literal["iam"], name: str = ..., config: Config | None = ...
    ) -> IAMClient: ...
    @overload
    def client(
        self, service: Literal["kms"], name: str = ..., config: Config | None = ...
    ) -> KMSClient: ...
    @overload
    def client(
        self, service: Literal["s3"], name: str = ..., config: Config | None = ...
    ) -> S3Client: ...
    @overload
    def client(
        self, service: Literal["sts"], name: str = ..., config: Config | None = ...
    ) -> STSClient: ...
    def client(self, service: str, name: str = "", config: Config | None = None) -> BaseClient:
        """The client of ``service``, sent to ``--endpoint-url`` when given; made once per
        ``name`` (with ``config``: "" is the run's default client of the service)."""
        with self._lock:
            key = (service, name)
            if key not in self._clients:
                self._clients[key] = self.create_client(service, config)
            return self._clients[key]

    def create_client(self, service: str, config: Config | None = None) -> BaseClient:
        """A new client of ``service`` (not kept), sent to ``--endpoint-url`` when given: its
        type is the caller's to say (``typing.cast``), knowing the service."""
        with self._lock:
            return self.session().create_client(
                service, endpoint_url=self.options.endpoint_url, config=config
            )

    @property
    def region(self) -> str | None:
        """The Region requests go to (options, environment, profile), None when there is none."""
        region = self.session().get_config_variable("region")
        return None if region is None else str(region)

    def reach(self) -> Reach:
        """The options a pasted command needs to act where this run does: the Region as
        resolved, ``--endpoint-url``, the profile (``shellcommand``)."""
        return Reach.of(
            region=self.region,
            endpoint_url=self.options.endpoint_url,
            profile=self.options.profile,
            environ=self.env.environ,
        )

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console on stdout (the report) or stderr (progress): decorated on a terminal."""
        from rich.console import Console

        stream = self.env.stderr if stderr else self.env.stdout
        tty = bool(self.env.stderr_isatty if stderr else self.env.stdout_isatty)
        return Console(
            file=stream,
            force_terminal=tty,
            no_color=not tty,
            highlight=False,
            width=None if tty else 100,
            soft_wrap=not tty,
        )
