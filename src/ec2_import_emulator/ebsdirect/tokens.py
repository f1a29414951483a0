"""Block tokens and page tokens: opaque to clients, checked by the emulator.

ListSnapshotBlocks and ListChangedBlocks give a block token per block;
GetSnapshotBlock needs it.  "Block tokens returned by EBS direct APIs are
temporary" (ebsapi-elements), "valid for seven days, and next tokens are valid
for 60 minutes" (ebsapi-faq).  Here a token carries what it stands for (the
block index, or the next page's first index) and when it was issued on the
emulator's clock, signed with a secret of the process, and is bound to the
snapshot and, for a block, to the block's SHA-256: a token does not open another
snapshot's block, nor a block written since.  Tokens use the base64 alphabet the
model's patterns allow (``^[A-Za-z0-9+/=]+$``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

#: how long a block token lasts, in seconds of service time (ebsapi-faq)
BLOCK_TOKEN_LIFETIME = 7 * 24 * 3600.0
#: how long a next-page token lasts (ebsapi-faq)
PAGE_TOKEN_LIFETIME = 3600.0
_MAC_BYTES = 16


class Tokens:
    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def _mac(self, *parts: str) -> bytes:
        message = "|".join(parts).encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def _encode(self, number: int, issued: float, mac: bytes) -> str:
        return base64.b64encode(f"{number}:{issued!r}:".encode() + mac).decode("ascii")

    @staticmethod
    def _decode(token: str) -> tuple[int, float, bytes] | None:
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
            number, issued, mac = raw.split(b":", 2)
            return int(number), float(issued), mac
        except (ValueError, binascii.Error, UnicodeError):
            return None

    def block(self, snapshot_id: str, index: int, digest: bytes, issued: float) -> str:
        mac = self._mac("block", snapshot_id, str(index), repr(issued), digest.hex())
        return self._encode(index, issued, mac)

    def check_block(self, token: str, snapshot_id: str, index: int, digest: bytes) -> float | None:
        """When the token was issued, None when it is not this block's."""
        decoded = self._decode(token)
        if decoded is None or decoded[0] != index:
            return None
        expected = self._mac("block", snapshot_id, str(index), repr(decoded[1]), digest.hex())
        return decoded[1] if hmac.compare_digest(expected, decoded[2]) else None

    def page(self, snapshot_id: str, kind: str, next_index: int, issued: float) -> str:
        mac = self._mac("page", kind, snapshot_id, str(next_index), repr(issued))
        return self._encode(next_index, issued, mac)

    def check_page(self, token: str, snapshot_id: str, kind: str) -> tuple[int, float] | None:
        """The next page's first index and when the token was issued; None when it is not a
        token of this listing."""
        decoded = self._decode(token)
        if decoded is None:
            return None
        index, issued, mac = decoded
        expected = self._mac("page", kind, snapshot_id, str(index), repr(issued))
        return (index, issued) if hmac.compare_digest(expected, mac) else None
