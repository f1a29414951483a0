"""LZO1X decompression, bounded: what btrfs's LZO-compressed extents hold.

The Python binding of the LZO library is GPL, so this is a small decompressor
written from the prose description of the stream, *LZO stream format as
understood by Linux's LZO decompressor* (Willy Tarreau, Dave Rodgman;
``Documentation/staging/lzo.rst`` in the Linux tree,
https://docs.kernel.org/staging/lzo.html).  The stream is a series of
instructions; each either copies literals from the input or copies a block
from the output already produced (a distance back, a length), then 0 to 3
literals whose count (the *state*) changes what the next short instruction
means:

- first byte above 17: ``byte - 17`` literals (state: their count, at most 4);
- ``0000LLLL`` after no literals: a run of ``3 + L`` literals (L extended);
- ``0000DDSS`` + ``H`` after 1..3 literals: 2 bytes from ``(H << 2) + D + 1``;
  after a run of 4 or more: 3 bytes from ``(H << 2) + D + 2049``;
- ``0001HLLL`` + LE16: ``2 + L`` bytes from ``16384 + (H << 14) + (LE16 >> 2)``;
  the distance 16384 itself ends the stream;
- ``001LLLLL`` + LE16: ``2 + L`` bytes from ``(LE16 >> 2) + 1``;
- ``01LDDDSS`` + ``H``: ``3 + L`` bytes, ``1LLDDDSS`` + ``H``: ``5 + L`` bytes,
  both from ``(H << 3) + D + 1``;

where a length field of zero is extended by zero bytes worth 255 each and a
final non-zero byte, and ``SS`` (the low bits of the instruction or of the
LE16) is the count of literals copied after the block.

Only version 0 of the bitstream is read (what liblzo and btrfs write; the
run-length variant ``lzo-rle`` of zram is not).  Everything is bounded: the
output may not exceed the caller's ``limit``, a distance may not reach before
the output's start, a truncated stream or bytes after its end are refused, all
with ``FormatError``.
"""

from __future__ import annotations

from ec2_import_image.diskimage.errors import FormatError

_END_DISTANCE = 16384
_TRUNCATED = "LZO stream: truncated"


def _extended(data: bytes, position: int, mask: int) -> tuple[int, int]:
    """A length field of zero, extended: zero bytes worth 255 each and a last non-zero byte
    added to the field's mask; the length and the position after it."""
    start = position
    while data[position] == 0:
        position += 1
    return mask + 255 * (position - start) + data[position], position + 1


def _over(limit: int) -> FormatError:
    return FormatError(f"LZO stream: output beyond its bound of {limit} bytes")


def decompress(data: bytes, limit: int) -> bytes:
    """One LZO1X stream's bytes; more than ``limit`` bytes of output is refused.

    One loop with its state in locals (this is the hot path of reading an LZO-compressed
    btrfs file); reading past the input's end raises IndexError, turned into FormatError.
    """
    if not data:
        raise FormatError("LZO stream: empty")
    out = bytearray()
    end = len(data)
    position = 0
    state = 0
    try:
        if data[0] > 17:  # the first byte: literals only
            count = data[0] - 17
            if 1 + count > end:
                raise FormatError(_TRUNCATED)
            if count > limit:
                raise _over(limit)
            out += data[1 : 1 + count]
            position = 1 + count
            state = min(count, 4)
        while True:
            instruction = data[position]
            position += 1
            if instruction >= 64:  # 01LDDDSS / 1LLDDDSS, then H: a copy within 2 kB
                length = (
                    5 + ((instruction >> 5) & 3)
                    if instruction >= 128
                    else 3 + ((instruction >> 5) & 1)
                )
                distance = (data[position] << 3) + ((instruction >> 2) & 7) + 1
                position += 1
                state = instruction & 3
            elif instruction >= 16:  # then LE16: 001LLLLL a copy within 16 kB, 0001HLLL
                far = instruction < 32  # a copy 16..48 kB back, or the end of the stream
                mask = 7 if far else 31
                length = instruction & mask
                if not length:
                    length, position = _extended(data, position, mask)
                length += 2
                operand = data[position] | data[position + 1] << 8
                position += 2
                if far:
                    distance = _END_DISTANCE + ((instruction & 8) << 11) + (operand >> 2)
                    if distance == _END_DISTANCE:
                        break
                else:
                    distance = (operand >> 2) + 1
                state = operand & 3
            elif state == 0:  # 0000LLLL after no literals: a run of literals
                count = instruction
                if not count:
                    count, position = _extended(data, position, 15)
                count += 3
                if position + count > end:
                    raise FormatError("LZO stream: literals past the end of the input")
                if len(out) + count > limit:
                    raise _over(limit)
                out += data[position : position + count]
                position += count
                state = 4
                continue
            else:  # 0000DDSS, then H: 2 bytes within 1 kB, or 3 bytes 2..3 kB back
                high = data[position]
                position += 1
                if state < 4:
                    length = 2
                    distance = (high << 2) + ((instruction >> 2) & 3) + 1
                else:
                    length = 3
                    distance = (high << 2) + ((instruction >> 2) & 3) + 2049
                state = instruction & 3
            size = len(out)
            if distance > size:
                raise FormatError("LZO stream: a match reaches before the start of the output")
            if size + length + state > limit:
                raise _over(limit)
            start = size - distance
            if distance >= length:
                out += out[start : start + length]
            else:  # the block overlaps what it writes: a repeated pattern
                pattern = out[start:]
                repeats, rest = divmod(length, distance)
                out += pattern * repeats + pattern[:rest]
            if state:
                if position + state > end:
                    raise FormatError("LZO stream: literals past the end of the input")
                out += data[position : position + state]
                position += state
    except IndexError:
        raise FormatError(_TRUNCATED) from None
    if position != end:
        raise FormatError("LZO stream: bytes after its end")
    return bytes(out)
