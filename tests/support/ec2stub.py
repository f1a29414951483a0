"""A loopback EC2 Query-API endpoint for tests: scripted replies, recorded requests.

Each request is recorded as its ordered (name, value) form pairs (query string
then body) and answered from a script keyed by the request's ``Action``: the
n-th request of an Action gets the n-th reply of its list, the last reply
repeating.  A reply is a dict: ``status``, ``body`` (bytes or text),
``headers``, ``delay`` (seconds) or ``drop`` (close without answering).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer, QuietHandler

INVALID_ACTION = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidAction'
    "</Code><Message>The action {action} is not valid for this web service.</Message>"
    "</Error></Errors><RequestID>0</RequestID></Response>"
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: list[tuple[str, str]]

    @property
    def action(self) -> str:
        """The request's ``Action`` (``Unknown`` without one, as the shared stub names it)."""
        return dict(self.form).get("Action", "Unknown")


class Stub(LoopbackServer):
    def __init__(self, replies: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
        super().__init__()
        self.replies: Mapping[str, Sequence[Mapping[str, Any]]] = dict(replies or {})
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def choose(self, action: str) -> Mapping[str, Any]:
        with self._lock:
            n = self._counts.get(action, 0)
            self._counts[action] = n + 1
        script = self.replies.get(action)
        if not script:
            return {"status": 400, "body": INVALID_ACTION.format(action=action)}
        return script[min(n, len(script) - 1)]

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_body()
                query = urllib.parse.urlsplit(self.path).query
                form = urllib.parse.parse_qsl(query, keep_blank_values=True)
                form += urllib.parse.parse_qsl(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
                record = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, form
                )
                with stub._lock:
                    stub.requests.append(record)
                reply = stub.choose(record.action)
                if reply.get("delay"):
                    time.sleep(float(reply["delay"]))
                if reply.get("drop"):
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = reply.get("body") or b""
                if isinstance(payload, str):
                    payload = payload.encode("utf-8")
                try:
                    self.send_response(int(reply.get("status", 200)))
                    self.send_header("Content-Type", "text/xml;charset=UTF-8")
                    for key, value in (reply.get("headers") or {}).items():
                        self.send_header(key, str(value))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST
            do_PUT = do_POST

        return Handler


def refused_port() -> tuple[socket.socket, int]:
    """A bound, never-listening loopback socket: connections to its port are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]
