"""Page tokens of the image listings: an offset into the listing, named for its action."""

from __future__ import annotations

import base64

from ec2_import_emulator import errors as common


def token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode("ascii")


def offset(kind: str, given: str | None, size: int) -> int:
    """Where a page starts: 0 without a token; InvalidNextToken for one not given here."""
    if given is None:
        return 0
    try:
        prefix, _, number = base64.urlsafe_b64decode(given.encode("ascii")).decode().partition(":")
    except (ValueError, UnicodeError):
        raise common.invalid_next_token(given) from None
    if prefix != kind or not number.isdigit() or int(number) > size:
        raise common.invalid_next_token(given)
    return int(number)
