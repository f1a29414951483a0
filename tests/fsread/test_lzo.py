"""The LZO1X decompressor against lzop's own output, and bounded on hostile streams.

lzop (LZO library 2.10) compressed one sample at level 1 (LZO1X-1) and level 9
(LZO1X-999, which finds longer and farther matches); its container holds, per
block, the uncompressed and compressed sizes, an Adler-32 of the uncompressed
data, and the raw LZO1X stream.  The container is parsed here (lzop's format:
the magic, a header, then the blocks up to a zero size), so each block is
checked against lzop's checksum and the whole against the sample's SHA-256.
btrfs's own LZO extents are checked in test_btrfs.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.lzo import decompress
from tests.support.btrfslvm import FIXTURES

_MAGIC = b"\x89LZO\x00\r\n\x1a\n"
_ADLER32_D, _ADLER32_C, _EXTRA, _FILTER, _CRC32_D, _CRC32_C = 1, 2, 0x40, 0x800, 0x100, 0x200


def lzop_blocks(raw: bytes) -> Iterator[tuple[int, bytes, int | None]]:
    """(uncompressed size, stored bytes, Adler-32 of the uncompressed data) per block."""
    assert raw[:9] == _MAGIC
    position = 9
    version, _library, _needed = struct.unpack_from(">HHH", raw, position)
    position += 6
    assert version >= 0x0940
    position += 2  # method, level
    (flags,) = struct.unpack_from(">I", raw, position)
    position += 4
    if flags & _FILTER:
        position += 4
    position += 12  # mode, mtime (low, high)
    position += 1 + raw[position]  # the file name
    position += 4  # the header's checksum
    if flags & _EXTRA:
        (length,) = struct.unpack_from(">I", raw, position)
        position += 4 + length + 4
    while True:
        (size,) = struct.unpack_from(">I", raw, position)
        position += 4
        if size == 0:
            return
        (stored,) = struct.unpack_from(">I", raw, position)
        position += 4
        adler = None
        if flags & _ADLER32_D:
            (adler,) = struct.unpack_from(">I", raw, position)
            position += 4
        if flags & _CRC32_D:
            position += 4
        if stored < size and flags & (_ADLER32_C | _CRC32_C):
            position += 4
        yield size, raw[position : position + stored], adler
        position += stored


def _streams(level: int) -> list[tuple[int, bytes, int | None]]:
    return list(lzop_blocks((FIXTURES / f"lzo-sample.{level}.lzo").read_bytes()))


@pytest.mark.parametrize("level", [1, 9])
def test_lzop_blocks_decompress_to_the_sample(level: int) -> None:
    out = bytearray()
    compressed = 0
    for size, stored, adler in _streams(level):
        block = decompress(stored, size) if len(stored) < size else stored
        compressed += len(stored) < size
        assert len(block) == size
        if adler is not None:
            assert zlib.adler32(block) == adler
        out += block
    assert compressed >= 1
    expected = (FIXTURES / "lzo-sample.sha256").read_text().strip()
    assert hashlib.sha256(out).hexdigest() == expected


def test_the_output_bound_is_enforced() -> None:
    size, stored, _ = next(block for block in _streams(9) if len(block[1]) < block[0])
    assert len(decompress(stored, size)) == size
    with pytest.raises(FormatError, match="bound"):
        decompress(stored, size - 1)


def test_every_truncation_is_refused() -> None:
    size, stored, _ = _streams(1)[0]
    for cut in range(0, len(stored), 97):
        with pytest.raises(FormatError):
            decompress(stored[:cut], size)
    with pytest.raises(FormatError, match="after its end"):
        decompress(stored + b"\0", size)


def test_small_hand_made_streams() -> None:
    # 4 literals (first byte 17 + 4), a 2kB-distance copy of 3 bytes from distance 1 with
    # 0 literals after (01LDDDSS: L=0, D=0, S=0; H=0), then the end (0x11 0x00 0x00)
    assert decompress(bytes([21]) + b"abcd" + bytes([0x40, 0x00]) + b"\x11\x00\x00", 100) == (
        b"abcdddd"
    )
    # an empty stream is just the end marker
    assert decompress(b"\x11\x00\x00", 0) == b""
    # a copy reaching before the output's start
    with pytest.raises(FormatError, match="before the start"):
        decompress(bytes([18]) + b"a" + bytes([0x44, 0x05]) + b"\x11\x00\x00", 100)
    with pytest.raises(FormatError, match="empty"):
        decompress(b"", 10)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=1 << 16))
def test_arbitrary_bytes_raise_only_format_errors(data: bytes, limit: int) -> None:
    with contextlib.suppress(FormatError):
        assert len(decompress(data, limit)) <= limit


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_real_streams_raise_only_format_errors(data: st.DataObject) -> None:
    size, stored, _ = _streams(9)[0]
    mutated = bytearray(stored[:2000])
    for _ in range(data.draw(st.integers(1, 6))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(FormatError):
        assert len(decompress(bytes(mutated), size)) <= size
