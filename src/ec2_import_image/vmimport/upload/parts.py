"""How a file is cut into parts, and the checksums of a part computed locally.

S3 allows 10,000 parts of 5 MiB to 5 GiB (the last may be smaller).  The part
size is the larger of a minimum (``DEFAULT_MIN_PART``, measured in
docs/performance.md: larger parts cost nothing in memory, since parts are
streamed, and fewer requests) and the size that makes 10,000 parts cover the
file, rounded up to a MiB.  A resumed upload keeps the part size it was
created with (stored with its upload id).

Local checksums check a part S3 has but the state database does not (sent
just before a ``kill -9``): its CRC32 (what S3 lists when the upload has a
checksum algorithm) or its MD5 (a single part's ETag, without SSE-KMS).
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
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


def part_range(number: int, size: int, part_size: int) -> PartRange:
    """Where part ``number`` (from 1) of a file of ``size`` bytes lies."""
    offset = (number - 1) * part_size
    return PartRange(number, offset, max(0, min(part_size, size - offset)))


def crc32_base64(value: int) -> str:
    """A CRC32 as S3 writes it: the 4 big-endian bytes, base64."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


class LocalDigests(NamedTuple):
    crc32: str
    md5: str


def local_digests(fd: int, where: PartRange) -> LocalDigests:
    """The CRC32 (base64) and MD5 (hex) of a part of the file, read in blocks."""
    crc = 0
    md5 = hashlib.md5(usedforsecurity=False)
    done = 0
    while done < where.length:
        block = os.pread(fd, min(_READ, where.length - done), where.offset + done)
        if not block:
            break
        crc = zlib.crc32(block, crc)
        md5.update(block)
        done += len(block)
    return LocalDigests(crc32_base64(crc), md5.hexdigest())


def normal_etag(etag: str | None) -> str:
    """An ETag without its quotes."""
    return (etag or "").strip().strip('"')
