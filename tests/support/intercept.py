"""A loopback proxy in front of an endpoint that answers some Query API actions itself.

What moto cannot show (IAM's SimulatePrincipalPolicy, which it does not
implement; a caller that is the root user; a refusal) is answered by the
test's own handler for that action; every other request goes to the
upstream endpoint (the emulator) and its reply comes back unchanged.
"""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import NamedTuple

from tests.support.loopback import LoopbackServer, QuietHandler

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
    "date",
    "server",
}


class Reply(NamedTuple):
    status: int
    body: str


#: an action's answer, from the request's form
Handler = Callable[[Mapping[str, str]], Reply]


def error_reply(code: str, message: str, status: int = 403) -> Reply:
    """IAM's and STS's error document."""
    return Reply(
        status,
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>intercepted</RequestId></ErrorResponse>",
    )


def root_caller(account: str = "123456789012") -> Handler:
    """GetCallerIdentity as STS answers the root user's credentials."""

    def answer(form: Mapping[str, str]) -> Reply:
        return Reply(
            200,
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn>"
            f"<UserId>{account}</UserId><Account>{account}</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>intercepted</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>",
        )

    return answer


class InterceptingProxy(LoopbackServer):
    def __init__(self, upstream: str, handlers: Mapping[str, Handler]) -> None:
        super().__init__()
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.handlers = dict(handlers)
        #: every intercepted request's form, in order
        self.seen: list[dict[str, str]] = []

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(QuietHandler):
            def _relay(self) -> None:
                body = self.read_body()
                form = dict(urllib.parse.parse_qsl(body.decode("latin-1"))) if body else {}
                handler = proxy.handlers.get(form.get("Action", ""))
                if self.command == "POST" and handler is not None:
                    proxy.seen.append(form)
                    self._answer(handler(form))
                    return
                self._forward(body)

            def _answer(self, reply: Reply) -> None:
                data = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self, body: bytes) -> None:
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                connection.request(self.command, self.path, body=body, headers=headers)
                upstream = connection.getresponse()
                data = upstream.read()
                self.send_response(upstream.status)
                for key, value in upstream.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                length = upstream.getheader("Content-Length")
                head = self.command == "HEAD"
                self.send_header("Content-Length", length if head and length else str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)
                connection.close()

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _relay

        return Handler
