"""How a file is cut into parts, and the checksums of a part computed locally.

S3 allows 10,000 parts of 5 MiB to 5 GiB (the last may be smaller).  The part
size is the larger of a minimum (``DEFAULT_MIN_PART``, measured in
docs/performance.md: larger parts cost nothing in memory, since parts are
streamed, and fewer requests) and the size that makes 10,000 parts cover the
file, rounded up to a MiB: a function of the file's size and the settings
alone, so the hash pass (``hashing``) hashes each part of the layout the
upload will use.  The part size is recorded with the part hashes and with the
upload id: a resumed upload keeps the layout it was created with.

Local checksums check a part S3 has but the state database does not (sent
just before a ``kill -9``), and the parts of an upload that cannot carry a
precomputed SHA-256: its SHA-256 (against the hash pass), its CRC32 (what S3
lists for an upload created with that algorithm by an earlier version) and
its MD5 (a plain part's ETag, without SSE-KMS; its ``Content-MD5``).
Checksums are written as S3 writes them: base64 of the digest's bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Sequence
from typing import NamedTuple

MiB = 1024 * 1024
S3_MIN_PART = 5 * MiB
S3_MAX_PART = 5 * 1024 * MiB
S3_MAX_PARTS = 10_000
DEFAULT_MIN_PART = 32 * MiB
_READ = MiB


class PartRange(NamedTuple):
    number: int
    offset: int
    length: int


def part_size_for(size: int, minimum: int = DEFAULT_MIN_PART) -> int:
    """The part size for a file of ``size`` bytes."""
    needed = -(-size // S3_MAX_PARTS)
    needed = -(-needed // MiB) * MiB
    chosen = max(minimum, S3_MIN_PART, needed)
    if chosen > S3_MAX_PART:
        raise ValueError(f"a file of {size} bytes needs more than 10,000 parts of 5 GiB")
    return chosen


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def fits(size: int, part_size: int) -> bool:
    """Whether S3 takes a file of ``size`` bytes cut at ``part_size``."""
    return S3_MIN_PART <= part_size <= S3_MAX_PART and part_count(size, part_size) <= S3_MAX_PARTS


def part_range(number: int, size: int, part_size: int) -> PartRange:
    """Where part ``number`` (from 1) of a file of ``size`` bytes lies."""
    offset = (number - 1) * part_size
    return PartRange(number, offset, max(0, min(part_size, size - offset)))


def crc32_base64(value: int) -> str:
    """A CRC32 as S3 writes it: the 4 big-endian bytes, base64."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


def sha256_base64(digest: bytes) -> str:
    """A SHA-256 as S3 writes it (``ChecksumSHA256``): the 32 bytes, base64."""
    return base64.b64encode(digest).decode("ascii")


def composite_sha256(part_sha256s: Sequence[str]) -> str:
    """The checksum S3 gives an object completed from parts with SHA-256 checksums: the
    SHA-256 of the parts' digests (bytes) in order, base64, and ``-`` the part count."""
    combined = hashlib.sha256(b"".join(base64.b64decode(value) for value in part_sha256s))
    return f"{sha256_base64(combined.digest())}-{len(part_sha256s)}"


class LocalDigests(NamedTuple):
    sha256: str
    crc32: str
    md5: str
    #: the MD5 as ``Content-MD5`` carries it (base64)
    md5_base64: str


def local_digests(fd: int, where: PartRange) -> LocalDigests:
    """The SHA-256 and CRC32 (base64) and MD5 (hex and base64) of a part of the file, read in
    blocks."""
    crc = 0
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    done = 0
    while done < where.length:
        block = os.pread(fd, min(_READ, where.length - done), where.offset + done)
        if not block:
            break
        crc = zlib.crc32(block, crc)
        md5.update(block)
        sha.update(block)
        done += len(block)
    return LocalDigests(
        sha256_base64(sha.digest()),
        crc32_base64(crc),
        md5.hexdigest(),
        base64.b64encode(md5.digest()).decode("ascii"),
    )


def normal_etag(etag: str | None) -> str:
    """An ETag without its quotes."""
    return (etag or "").strip().strip('"')
