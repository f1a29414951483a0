"""The EBS direct APIs and their fault controls, as a route in front of moto.

A request is EBS direct's when its path is ``/snapshots`` or under it and its
SigV4 credential scope names the service ``ebs`` (botocore's ``ebs`` client
signs so); its Region is the scope's, its account the one the middleware finds
for the access key.  Every request, whoever answers it, first lets the clock
act (``EbsDirect.advance``: snapshots sealed, timed out, deleted in EC2);
``POST /moto-api/reset`` also clears the snapshots and restores the fault plan.

``/emulator/ebs/faults`` is the test-only control of ``faults``: ``GET``
answers the plan in force as JSON, ``POST`` (or ``PUT``) a JSON object of the
fields to change (``{"throttle": 3}``), ``DELETE`` clears every fault; a bad
field is answered 400 with ``{"Error": "..."}``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from ec2_import_emulator.ebsdirect import errors, rest
from ec2_import_emulator.ebsdirect.service import EbsDirect
from ec2_import_emulator.snapshots import BLOCK_SIZE

LOG = logging.getLogger("ec2_import_emulator")
CONTROL_PATH = "/emulator/ebs/faults"
RESET_PATH = "/moto-api/reset"
SERVICE = "ebs"
#: the largest body read (a block and then some: a longer one is not a block)
MAX_BODY = BLOCK_SIZE + 1
MAX_CONTROL_BODY = 64 * 1024

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
#: the middleware's account of a request: (environ, access key) -> account id
AccountOf = Callable[[Environ, str | None], str]
#: the middleware's reading of a request's SigV4 scope: (access key, Region, service)
ScopeOf = Callable[[Environ], tuple[str, str, str] | None]


def _headers(environ: Environ) -> dict[str, str]:
    found = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            found[key.replace("_", "-").lower()] = str(environ[key])
    return found


def _body(environ: Environ, limit: int) -> bytes:
    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length >= 0:
        return bytes(stream.read(min(length, limit)))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read(limit))
    return b""


def _respond(
    start_response: StartResponse, status: int, headers: Iterable[tuple[str, str]], body: bytes
) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [*headers, ("Content-Length", str(len(body)))],
    )
    return [body]


class EbsDirectEndpoint:
    """The route: ``route(environ, start_response, account_of)`` answers or returns None."""

    def __init__(self, service: EbsDirect, scope_of: ScopeOf) -> None:
        self.service = service
        self._scope_of = scope_of

    def __call__(
        self, environ: Environ, start_response: StartResponse, account_of: AccountOf
    ) -> Iterable[bytes] | None:
        self.service.advance()
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET"))
        if path == RESET_PATH and method == "POST":
            self.service.reset()
            self.service.faults.reset()
            return None
        if path == CONTROL_PATH:
            return self._control(environ, start_response, method)
        scope = self._scope_of(environ)
        if scope is None or scope[2] != SERVICE or not rest.is_ebs_path(path):
            return None
        account = account_of(environ, scope[0])
        reply = self._answer(environ, method, path, account, scope[1])
        request_id = str(uuid.uuid4())
        return _respond(
            start_response,
            reply.status,
            [*reply.headers, ("x-amzn-RequestId", request_id)],
            reply.body,
        )

    def _answer(
        self, environ: Environ, method: str, path: str, account: str, region: str
    ) -> rest.Reply:
        operation = None
        try:
            throttled = self.service.faults.take_throttle()
            if throttled is not None:
                raise throttled
            matched = rest.match(method, path)
            if matched is None:
                raise errors.unknown_operation(method, path)
            operation, labels = matched
            denied = self.service.faults.take_denial(operation)
            if denied is not None:
                raise denied
            query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
            body = _body(environ, MAX_BODY)
            params = rest.parse(operation, labels, query, _headers(environ), body)
            if operation == "PutSnapshotBlock" and self.service.faults.put_delay > 0:
                time.sleep(self.service.faults.put_delay)
            return rest.render(operation, self.service.call(operation, account, region, params))
        except errors.EbsError as error:
            return rest.render_error(error)
        except Exception:
            LOG.exception("EBS direct %s failed", operation or path)
            return rest.render_error(errors.internal())

    def _control(
        self, environ: Environ, start_response: StartResponse, method: str
    ) -> Iterable[bytes]:
        faults = self.service.faults
        status, document = 200, None
        if method == "DELETE":
            faults.clear()
        elif method in ("POST", "PUT"):
            try:
                changes = json.loads(_body(environ, MAX_CONTROL_BODY) or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("the body must be a JSON object of the fields to change")
                faults.update(changes)
            except ValueError as exc:
                status, document = 400, {"Error": str(exc)}
        elif method != "GET":
            status, document = 405, {"Error": f"{method} is not one of GET, POST, PUT, DELETE"}
        body = json.dumps(document if document is not None else faults.describe()).encode()
        return _respond(start_response, status, [("Content-Type", "application/json")], body)
