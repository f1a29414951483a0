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


class _Stream:
    """The input and the output of one decompression."""

    __slots__ = ("data", "limit", "out", "position")

    def __init__(self, data: bytes, limit: int) -> None:
        self.data = data
        self.position = 0
        self.out = bytearray()
        self.limit = limit

    def byte(self) -> int:
        position = self.position
        if position >= len(self.data):
            raise FormatError("LZO stream: truncated")
        self.position = position + 1
        return self.data[position]

    def le16(self) -> int:
        position = self.position
        if position + 2 > len(self.data):
            raise FormatError("LZO stream: truncated")
        self.position = position + 2
        return self.data[position] | self.data[position + 1] << 8

    def length(self, field: int, mask: int) -> int:
        """A length field, extended by zero bytes (255 each) and a last non-zero byte."""
        if field:
            return field
        data = self.data
        position = self.position
        end = len(data)
        start = position
        while position < end and data[position] == 0:
            position += 1
        if position >= end:
            raise FormatError("LZO stream: truncated in a length")
        self.position = position + 1
        return mask + 255 * (position - start) + data[position]

    def literals(self, count: int) -> None:
        if count == 0:
            return
        position = self.position
        if position + count > len(self.data):
            raise FormatError("LZO stream: literals past the end of the input")
        if len(self.out) + count > self.limit:
            raise FormatError(f"LZO stream: output beyond its bound of {self.limit} bytes")
        self.out += self.data[position : position + count]
        self.position = position + count

    def copy(self, distance: int, length: int) -> None:
        out = self.out
        size = len(out)
        if distance > size:
            raise FormatError("LZO stream: a match reaches before the start of the output")
        if size + length > self.limit:
            raise FormatError(f"LZO stream: output beyond its bound of {self.limit} bytes")
        start = size - distance
        if distance >= length:
            out += out[start : start + length]
        else:  # the block overlaps what it writes: a repeated pattern
            pattern = out[start:]
            repeats, rest = divmod(length, distance)
            out += pattern * repeats + pattern[:rest]


def decompress(data: bytes, limit: int) -> bytes:
    """One LZO1X stream's bytes; more than ``limit`` bytes of output is refused."""
    if not data:
        raise FormatError("LZO stream: empty")
    stream = _Stream(data, limit)
    state = 0
    if data[0] > 17:
        stream.position = 1
        count = data[0] - 17
        stream.literals(count)
        state = min(count, 4)
    while True:
        instruction = stream.byte()
        if instruction < 16:
            if state == 0:
                stream.literals(3 + stream.length(instruction, 15))
                state = 4
                continue
            high = stream.byte()
            if state < 4:
                stream.copy((high << 2) + ((instruction >> 2) & 3) + 1, 2)
            else:
                stream.copy((high << 2) + ((instruction >> 2) & 3) + 2049, 3)
            state = instruction & 3
        elif instruction < 32:
            length = 2 + stream.length(instruction & 7, 7)
            operand = stream.le16()
            distance = _END_DISTANCE + ((instruction & 8) << 11) + (operand >> 2)
            if distance == _END_DISTANCE:
                break
            stream.copy(distance, length)
            state = operand & 3
        elif instruction < 64:
            length = 2 + stream.length(instruction & 31, 31)
            operand = stream.le16()
            stream.copy((operand >> 2) + 1, length)
            state = operand & 3
        else:
            high = stream.byte()
            if instruction < 128:
                length = 3 + ((instruction >> 5) & 1)
            else:
                length = 5 + ((instruction >> 5) & 3)
            stream.copy((high << 3) + ((instruction >> 2) & 7) + 1, length)
            state = instruction & 3
        stream.literals(state)
    if stream.position != len(data):
        raise FormatError("LZO stream: bytes after its end")
    return bytes(stream.out)
