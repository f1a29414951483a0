"""The state of one ``vmimport`` run: the injected environment, the global options, AWS clients.

Commands receive a ``Run`` (click's context object) and reach AWS only
through it: one full botocore session on v2's configuration chain
(``awsconfig.session``), created on first use, and one client per service,
all sent to ``--endpoint-url`` when it is given (how the emulator is used).
Tests give ``Run`` their own environment and, where they need it, their own
session factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ec2_import_image.environment import Environment

if TYPE_CHECKING:
    import botocore.session
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
        self._clients: dict[str, Any] = {}

    def session(self) -> botocore.session.Session:
        if self._session is None:
            self._session = self._session_factory(self.options, self.env)
        return self._session

    def client(self, service: str) -> Any:
        """A botocore client of ``service``, sent to ``--endpoint-url`` when given."""
        if service not in self._clients:
            self._clients[service] = self.session().create_client(
                service, endpoint_url=self.options.endpoint_url
            )
        return self._clients[service]

    @property
    def region(self) -> str | None:
        """The Region requests go to (options, environment, profile), None when there is none."""
        region = self.session().get_config_variable("region")
        return None if region is None else str(region)

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
