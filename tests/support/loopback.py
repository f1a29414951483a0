"""A quiet threaded HTTP server on 127.0.0.1 (a free port) for the tests' fake endpoints;
HTTPS with ``tls=(certificate, key)`` (``tests.support.tls.self_signed``)."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self) -> tuple[socket.socket, Any]:
        # A reply's headers and body are two writes: without TCP_NODELAY the second waits
        # for the client's delayed ACK (about 40 ms on Linux) on every request.
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away is not the test's concern


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive, as botocore's pool expects), no request log, the body read whole."""

    protocol_version = "HTTP/1.1"
    #: the server's TLS context (None: plain HTTP), set by ``LoopbackServer.start``
    tls: ssl.SSLContext | None = None

    def setup(self) -> None:
        if self.tls is not None:
            self.request = self.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self.tls is not None:
                self.request.close()  # the wrapped socket: the server closes the plain one

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class LoopbackServer:
    """Start, stop, or use as a context; subclasses give the request handler class."""

    def __init__(self, *, tls: tuple[Path, Path] | None = None) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        handler = self.handler_class()
        if self._tls is not None:
            handler = type(handler.__name__, (handler,), {"tls": self._tls})
        self._server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
