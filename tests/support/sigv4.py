"""What a SigV4-signed request says about its signer: key id, region, service, token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_CREDENTIAL = re.compile(r"Credential=([^/]+)/(\d{8})/([^/]*)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Signer:
    key_id: str
    region: str
    service: str
    token: str | None


def signer(headers: Mapping[str, str]) -> Signer:
    """The signer of a request, from its (lower-cased) headers; fails when it is unsigned."""
    authorization = headers.get("authorization", "")
    match = _CREDENTIAL.search(authorization)
    assert match is not None, f"not a SigV4 Authorization header: {authorization!r}"
    return Signer(match[1], match[3], match[4], headers.get("x-amz-security-token"))
