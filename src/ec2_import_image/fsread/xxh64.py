"""XXH64, one of the checksums btrfs may put on its tree nodes (``mkfs.btrfs --csum xxhash``).

Written from *xxHash fast digest algorithm* (Yann Collet, version 0.2.0,
https://github.com/Cyan4973/xxHash/blob/release/doc/xxhash_spec.md, "XXH64
algorithm description"): four accumulators over 32-byte stripes, converged,
then the remaining 8-, 4- and 1-byte lanes, then the avalanche; everything
modulo 2**64, lanes little-endian.  The standard library has no xxHash; a
btrfs node is 4 to 64 KiB, which pure Python hashes in a few milliseconds.
"""

from __future__ import annotations

import struct

PRIME1 = 0x9E3779B185EBCA87
PRIME2 = 0xC2B2AE3D27D4EB4F
PRIME3 = 0x165667B19E3779F9
PRIME4 = 0x85EBCA77C2B2AE63
PRIME5 = 0x27D4EB2F165667C5
_MASK = (1 << 64) - 1


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _round(accumulator: int, lane: int) -> int:
    accumulator = (accumulator + lane * PRIME2) & _MASK
    return (_rotl(accumulator, 31) * PRIME1) & _MASK


def _merge(accumulator: int, value: int) -> int:
    return ((accumulator ^ _round(0, value)) * PRIME1 + PRIME4) & _MASK


def xxh64(data: bytes, seed: int = 0) -> int:
    length = len(data)
    position = 0
    if length >= 32:
        v1 = (seed + PRIME1 + PRIME2) & _MASK
        v2 = (seed + PRIME2) & _MASK
        v3 = seed
        v4 = (seed - PRIME1) & _MASK
        stripes = length // 32
        lanes = struct.unpack_from(f"<{stripes * 4}Q", data)
        for index in range(0, stripes * 4, 4):
            v1 = _round(v1, lanes[index])
            v2 = _round(v2, lanes[index + 1])
            v3 = _round(v3, lanes[index + 2])
            v4 = _round(v4, lanes[index + 3])
        position = stripes * 32
        accumulator = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _MASK
        for value in (v1, v2, v3, v4):
            accumulator = _merge(accumulator, value)
    else:
        accumulator = (seed + PRIME5) & _MASK
    accumulator = (accumulator + length) & _MASK
    while position + 8 <= length:
        (lane,) = struct.unpack_from("<Q", data, position)
        accumulator ^= _round(0, lane)
        accumulator = (_rotl(accumulator, 27) * PRIME1 + PRIME4) & _MASK
        position += 8
    if position + 4 <= length:
        (lane,) = struct.unpack_from("<I", data, position)
        accumulator ^= (lane * PRIME1) & _MASK
        accumulator = (_rotl(accumulator, 23) * PRIME2 + PRIME3) & _MASK
        position += 4
    while position < length:
        accumulator ^= (data[position] * PRIME5) & _MASK
        accumulator = (_rotl(accumulator, 11) * PRIME1) & _MASK
        position += 1
    accumulator ^= accumulator >> 33
    accumulator = (accumulator * PRIME2) & _MASK
    accumulator ^= accumulator >> 29
    accumulator = (accumulator * PRIME3) & _MASK
    accumulator ^= accumulator >> 32
    return accumulator
