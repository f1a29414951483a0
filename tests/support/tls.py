"""HTTPS on loopback for CA-bundle tests: a self-signed certificate and a TLS front for the Stub.

``self_signed(directory)`` makes a certificate for 127.0.0.1 with the ``openssl``
command (tests using it are skipped where it is missing).  ``TlsFront`` accepts TLS
connections with that certificate and relays their bytes to a plain-HTTP server
(the EC2 Stub), so the Stub records the requests as usual.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

OPENSSL = shutil.which("openssl")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate (which is its own CA) and key for ``127.0.0.1``."""
    assert OPENSSL is not None
    cert, key = directory / "loopback-cert.pem", directory / "loopback-key.pem"
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class TlsFront:
    """A TLS listener on 127.0.0.1 relaying each connection to ``backend_port``."""

    def __init__(self, cert: Path, key: Path, backend_port: int) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._backend_port = backend_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> TlsFront:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> TlsFront:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            client = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()  # the client refused our certificate: what the tests look for
            return
        with client, socket.create_connection(("127.0.0.1", self._backend_port)) as backend:
            backend.settimeout(10)
            pump = threading.Thread(target=_copy, args=(backend, client), daemon=True)
            pump.start()
            _copy(client, backend)
            pump.join(timeout=10)


def _copy(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)
