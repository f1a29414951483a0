"""LZNT1 decompression: the compression of NTFS's compressed files.

Written from Microsoft's [MS-XCA] *Xpress Compression Algorithm*, section 2.5 "LZNT1
Algorithm Details" (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-xca/).
The data is a run of chunks, each holding at most 4096 bytes of output: a 16-bit
little-endian header (bits 0-11: the chunk's size in bytes minus 3, the header included;
bits 12-14: the signature 3; bit 15: compressed), then either the bytes as they are or
groups of a flag byte and eight tokens, bit i of the flag telling whether token i is a
literal byte (0) or a 16-bit back reference (1).  A reference holds a displacement and a
length whose split moves with the position in the chunk: at position p (bytes already
output in this chunk), the length takes 12 bits while p - 1 is below 16 and one bit less
each time p - 1 doubles; the displacement is the high bits plus 1, the length the low bits
plus 3.  A header of zero, or the end of the data, ends the stream.

Malformed data (a bad signature, a reference before the chunk's start, a chunk cut short,
a chunk of more than 4096 bytes) is a ``FormatError``; output stops at ``limit`` bytes.
"""

from __future__ import annotations

from ec2_import_image.diskimage.errors import FormatError

CHUNK = 4096


def _chunk(data: bytes, out: bytearray) -> None:
    """Decompress one compressed chunk body onto ``out``."""
    start = len(out)
    index, size = 0, len(data)
    while index < size:
        flags = data[index]
        index += 1
        for bit in range(8):
            if index >= size:
                break
            if not flags >> bit & 1:
                out.append(data[index])
                index += 1
                continue
            if index + 1 >= size:
                raise FormatError("an LZNT1 reference is cut short")
            word = data[index] | data[index + 1] << 8
            index += 2
            position = len(out) - start
            length_bits = 12
            scan = position - 1
            while scan >= 16:
                length_bits -= 1
                scan >>= 1
            displacement = (word >> length_bits) + 1
            length = (word & ((1 << length_bits) - 1)) + 3
            if position == 0 or displacement > position:
                raise FormatError("an LZNT1 reference points before its chunk")
            if position + length > CHUNK:
                raise FormatError("an LZNT1 chunk decompresses past 4096 bytes")
            source = len(out) - displacement
            if displacement >= length:
                out += out[source : source + length]
            else:
                for offset in range(length):
                    out.append(out[source + offset])
        if len(out) - start > CHUNK:
            raise FormatError("an LZNT1 chunk decompresses past 4096 bytes")


def decompress(data: bytes, limit: int) -> bytes:
    """The output of an LZNT1 stream, at most ``limit`` bytes."""
    out = bytearray()
    position = 0
    while position + 2 <= len(data) and len(out) < limit:
        header = data[position] | data[position + 1] << 8
        if header == 0:
            break
        if header >> 12 & 7 != 3:
            raise FormatError("an LZNT1 chunk header has a bad signature")
        size = (header & 0x0FFF) + 1
        body = data[position + 2 : position + 2 + size]
        if len(body) != size:
            raise FormatError("an LZNT1 chunk is cut short")
        position += 2 + size
        if header & 0x8000:
            _chunk(body, out)
        else:
            out += body
    return bytes(out[:limit])
