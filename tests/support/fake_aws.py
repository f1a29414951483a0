"""Loopback stand-ins for the AWS endpoints that credential providers call.

One ``FakeAws`` server answers, by method and path:

- STS (Query protocol, ``POST /``): ``AssumeRole`` and ``AssumeRoleWithWebIdentity``;
- the SSO portal (``GET /federation/credentials``), as ``GetRoleCredentials``;
- container credentials (``GET`` on a path of the test's choosing);
- the instance metadata service: ``PUT /latest/api/token``, the IAM role name and its
  credentials under ``/latest/meta-data/iam/security-credentials/``, and the region under
  ``/latest/meta-data/placement/availability-zone/``;
- as ``HTTPS_PROXY``, the host a client wanted to reach (``CONNECT``, recorded and refused),
  so that tests can see which AWS host would have been called without leaving loopback.

Each service answers with the ``Creds`` it was given; every request is recorded (method,
path, lower-cased headers, body) so tests can check what a provider sent, and how often.
Point botocore at it with ``AWS_ENDPOINT_URL_STS``/``AWS_ENDPOINT_URL_SSO``,
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_EC2_METADATA_SERVICE_ENDPOINT``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from tests.support.loopback import LoopbackServer, QuietHandler

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
IMDS_TOKEN = "imds-session-token-0123456789"
ROLE_ARN = "arn:aws:iam::123456789012:role/importer"


def expiration(hours: float = 1.0) -> datetime:
    """A time ``hours`` from now, in UTC, without microseconds."""
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Creds:
    """Temporary credentials, with recognisable values a test can search for."""

    access_key: str
    secret_key: str
    token: str
    expires: datetime = field(default_factory=expiration)

    @classmethod
    def named(cls, name: str) -> Creds:
        """Distinct, recognisable credentials for one source (``name`` in upper case)."""
        tag = name.upper()
        return cls(
            access_key=f"ASIA{tag}KEYID",
            secret_key=f"{tag}-SECRET-KEY-do-not-print-0123456789",
            token=f"{tag}-SESSION-TOKEN-do-not-print-9876543210",
        )


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str

    @property
    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body, keep_blank_values=True))

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    @property
    def route(self) -> str:
        return urllib.parse.urlsplit(self.path).path


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "application/json"


Handler = Callable[[Request], Reply]


def sts_reply(action: str, creds: Creds) -> Reply:
    body = (
        f'<{action}Response xmlns="{STS_NAMESPACE}">\n'
        f"  <{action}Result>\n"
        "    <Credentials>\n"
        f"      <AccessKeyId>{creds.access_key}</AccessKeyId>\n"
        f"      <SecretAccessKey>{creds.secret_key}</SecretAccessKey>\n"
        f"      <SessionToken>{creds.token}</SessionToken>\n"
        f"      <Expiration>{iso(creds.expires)}</Expiration>\n"
        "    </Credentials>\n"
        "    <AssumedRoleUser>\n"
        "      <AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId>\n"
        "      <Arn>arn:aws:sts::123456789012:assumed-role/importer/session</Arn>\n"
        "    </AssumedRoleUser>\n"
        f"  </{action}Result>\n"
        "  <ResponseMetadata><RequestId>sts-request-1</RequestId></ResponseMetadata>\n"
        f"</{action}Response>\n"
    )
    return Reply(200, body, "text/xml")


def sts_error(code: str, message: str, status: int = 403) -> Reply:
    body = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>sts-request-2</RequestId></ErrorResponse>"
    )
    return Reply(status, body, "text/xml")


class FakeAws(LoopbackServer):
    """A loopback HTTP server with a route table; start(), stop(), or use as a context."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.routes: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()

    # -- services ------------------------------------------------------------------------

    def sts(self, creds: Creds, error: Reply | None = None) -> FakeAws:
        """STS at ``/``: AssumeRole and AssumeRoleWithWebIdentity answer ``creds``."""

        def answer(request: Request) -> Reply:
            if error is not None:
                return error
            action = request.form.get("Action", "")
            if action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
                return sts_reply(action, creds)
            return sts_error("InvalidAction", f"Unknown action {action}", 400)

        self.routes["POST", "/"] = answer
        return self

    def sso(self, creds: Creds) -> FakeAws:
        """The SSO portal's GetRoleCredentials."""

        def answer(request: Request) -> Reply:
            if not request.headers.get("x-amz-sso_bearer_token"):
                return Reply(401, json.dumps({"message": "Session token not found or invalid"}))
            role = {
                "accessKeyId": creds.access_key,
                "secretAccessKey": creds.secret_key,
                "sessionToken": creds.token,
                "expiration": int(creds.expires.timestamp() * 1000),
            }
            return Reply(200, json.dumps({"roleCredentials": role}))

        self.routes["GET", "/federation/credentials"] = answer
        return self

    def container(self, path: str, creds: Creds, authorization: str | None = None) -> FakeAws:
        """Container credentials at ``path`` (checking the Authorization header if given)."""

        def answer(request: Request) -> Reply:
            if authorization is not None and request.headers.get("authorization") != authorization:
                return Reply(401, json.dumps({"message": "unauthorized"}))
            return Reply(200, json.dumps(_credential_document(creds)))

        self.routes["GET", path] = answer
        return self

    def imds(self, role: str | None, creds: Creds | None, zone: str | None = None) -> FakeAws:
        """IMDSv2: a session token, then the role's credentials and/or the availability zone."""
        base = "/latest/meta-data/"
        self.routes["PUT", "/latest/api/token"] = lambda _: Reply(200, IMDS_TOKEN, "text/plain")

        def guarded(reply: Reply) -> Handler:
            def answer(request: Request) -> Reply:
                if request.headers.get("x-aws-ec2-metadata-token") != IMDS_TOKEN:
                    return Reply(401, "", "text/plain")
                return reply

            return answer

        if role is not None and creds is not None:
            document = {"Code": "Success", "Type": "AWS-HMAC", **_credential_document(creds)}
            roles = f"{base}iam/security-credentials/"
            self.routes["GET", roles] = guarded(Reply(200, role, "text/plain"))
            self.routes["GET", roles + role] = guarded(Reply(200, json.dumps(document)))
        if zone is not None:
            self.routes["GET", f"{base}placement/availability-zone/"] = guarded(
                Reply(200, zone, "text/plain")
            )
        return self

    # -- what was asked ------------------------------------------------------------------

    def seen(self, method: str, route: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.route == route]

    @property
    def connect_targets(self) -> list[str]:
        """The ``host:port`` of each CONNECT this server refused as a proxy."""
        return [r.path for r in self.requests if r.method == "CONNECT"]

    @property
    def sts_actions(self) -> list[str]:
        return [r.form.get("Action", "") for r in self.seen("POST", "/")]

    # -- the server ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.endpoint + path

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                body = self.read_body().decode("utf-8", "replace")
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with fake._lock:
                    fake.requests.append(request)
                handler = fake.routes.get((self.command, request.route))
                reply = handler(request) if handler else Reply(404, "", "text/plain")
                payload = reply.body.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer
            do_POST = _answer
            do_PUT = _answer
            # as an HTTPS proxy: ``CONNECT host:port`` is recorded, then refused (404)
            do_CONNECT = _answer

        return Handler


def _credential_document(creds: Creds) -> dict[str, str]:
    """The JSON both the container endpoint and IMDS answer with."""
    return {
        "AccessKeyId": creds.access_key,
        "SecretAccessKey": creds.secret_key,
        "Token": creds.token,
        "Expiration": iso(creds.expires),
    }
