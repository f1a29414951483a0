"""The WSGI layer in front of moto: VM Import and image requests are ours, the rest moto's.

A request is ours when it is an EC2 Query API call (a form POST, or a GET with
a query string, to ``/``) whose ``Action`` is one of the three VM Import
actions or one of the image actions (``images.api``), and whose SigV4 scope,
if signed, names the ``ec2`` service.  Its Region comes from that scope.
Before any request the task store and the image store advance, so moto's EC2
sees the images the clock says exist.  ``GET /emulator/images/{ami-id}`` is
the emulator's own view of an AMI (``images.inspection``).  S3's multipart
requests (scope ``s3``, or unsigned) pass through ``s3checksums`` first: the
part checksums S3 checks and lists, which moto does not.
Extra routes (``routes``: the EBS direct APIs and their controls) see every
request first, and answer the ones that are theirs.
"""

from __future__ import annotations

import io
import os
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from ec2_import_emulator.api import ACTIONS, Call, VMImportApi
from ec2_import_emulator.images import inspection
from ec2_import_emulator.images.api import ImageApi
from ec2_import_emulator.s3checksums import PartChecksums, Uploads

DEFAULT_REGION = "us-east-1"
MAX_FORM_BYTES = 4 * 1024 * 1024
#: IAM actions moto lacks that clients of the emulator call (answered 501 NotImplemented)
UNEMULATED_IAM_ACTIONS = ("SimulatePrincipalPolicy", "SimulateCustomPolicy")
_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
#: an endpoint in front of moto: (environ, start_response, the request's account as
#: (environ, access key) -> account) -> its reply, or None to pass the request on
Route = Callable[
    [Environ, StartResponse, Callable[[Environ, str | None], str]], Iterable[bytes] | None
]


def credential_scope(environ: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """Access key, Region and service of a SigV4-signed request."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        return None
    return match.group(1), match.group(3), match.group(4)


def read_form(environ: Environ) -> dict[str, str] | None:
    """The Query API parameters of a request to ``/`` (the body is put back)."""
    if environ.get("PATH_INFO", "/") not in ("", "/"):
        return None
    pairs = urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    content_type = environ.get("CONTENT_TYPE", "")
    if environ.get("REQUEST_METHOD") == "POST":
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length > MAX_FORM_BYTES:
            return None
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        text = body.decode("utf-8", "replace")
        pairs += urllib.parse.parse_qsl(text, keep_blank_values=True)
    return dict(pairs)


class VMImportMiddleware:
    def __init__(
        self,
        app: WsgiApp,
        api: VMImportApi,
        account_for: Callable[[str | None], str],
        uploads: Uploads,
        *,
        images: ImageApi | None = None,
        routes: Sequence[Route] = (),
    ) -> None:
        self.app = app
        self.api = api
        self.images = images
        self.routes = tuple(routes)
        self._account_for = account_for
        self.part_checksums = PartChecksums(uploads)

    def _account(self, environ: Environ, access_key: str | None) -> str:
        if os.environ.get("MOTO_ACCOUNT_ID"):
            return os.environ["MOTO_ACCOUNT_ID"]
        header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if header:
            return str(header)
        return self._account_for(access_key)

    def vm_import_call(self, environ: Environ) -> Call | None:
        scope = credential_scope(environ)
        if scope is not None and scope[2] != "ec2":
            return None
        form = read_form(environ)
        ours = ACTIONS + (self.images.actions if self.images is not None else ())
        if form is None or form.get("Action") not in ours:
            return None
        access_key, region = (scope[0], scope[1]) if scope else (None, DEFAULT_REGION)
        return Call(
            action=form["Action"],
            form=form,
            account=self._account(environ, access_key),
            region=region,
            request_id=str(uuid.uuid4()),
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        self.api.store.advance()
        if self.images is not None:
            self.images.store.advance()
        if environ.get("PATH_INFO") == "/moto-api/reset" and environ["REQUEST_METHOD"] == "POST":
            self.api.store.reset()
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(inspection.PREFIX) and environ.get("REQUEST_METHOD") == "GET":
            return self._image_view(environ, start_response, path[len(inspection.PREFIX) :])
        for route in self.routes:
            routed = route(environ, start_response, self._account)
            if routed is not None:
                return routed
        unemulated = self.unemulated_call(environ)
        if unemulated is not None:
            return self._reply(start_response, 501, unemulated, str(uuid.uuid4()))
        scope = credential_scope(environ)
        if scope is None or scope[2] == "s3":
            account = self._account(environ, scope[0] if scope else None)
            checked = self.part_checksums.handle(environ, start_response, self.app, account)
            if checked is not None:
                return checked
        call = self.vm_import_call(environ)
        if call is None:
            return self.app(environ, start_response)
        if call.action in ACTIONS or self.images is None:
            reply = self.api.handle(call)
        else:
            answered = self.images.handle(call)
            if answered is None:
                return self.app(environ, start_response)
            reply = answered
        return self._reply(start_response, reply.status, reply.body, call.request_id)

    def _image_view(
        self, environ: Environ, start_response: StartResponse, image_id: str
    ) -> Iterable[bytes]:
        query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
        region = query.get("region", [None])[0]
        if self.images is None:
            status, document = 404, {"Error": "The image view is not enabled."}
        else:
            with self.images.store.exclusive():
                status, document = inspection.describe(image_id, region)
        body = inspection.render(status, document)
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    @staticmethod
    def _reply(
        start_response: StartResponse, status: int, body: bytes, request_id: str
    ) -> Iterable[bytes]:
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "text/xml;charset=UTF-8"),
                ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [body]

    def unemulated_call(self, environ: Environ) -> bytes | None:
        """The error document for an IAM action moto does not implement and clients probe.

        ``vmimport check`` asks IAM's SimulatePrincipalPolicy first and evaluates the
        role's documents itself when the endpoint cannot answer; moto would answer
        with a server error and log a traceback for each check.  Here it is refused
        as not implemented, quietly.
        """
        scope = credential_scope(environ)
        if scope is None or scope[2] != "iam":
            return None
        form = read_form(environ)
        action = None if form is None else form.get("Action")
        if action not in UNEMULATED_IAM_ACTIONS:
            return None
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="'
            'https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
            f"<Code>NotImplemented</Code><Message>{action} is not emulated by "
            "ec2-import-emulator.</Message></Error><RequestId>0</RequestId></ErrorResponse>"
        ).encode()
