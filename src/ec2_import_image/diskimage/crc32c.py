"""CRC-32C (Castagnoli), the checksum of VHDX headers, region tables and log entries.

The standard library has only the IEEE CRC-32; the few kilobytes a VHDX
check needs are fast enough table-driven in Python.
"""

from __future__ import annotations

_POLYNOMIAL = 0x82F63B78


def _table() -> tuple[int, ...]:
    rows = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        rows.append(crc)
    return tuple(rows)


_TABLE = _table()


def crc32c(data: bytes) -> int:
    table = _TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_register(register: int, data: bytes) -> int:
    """The CRC-32C register after ``data``, started from ``register`` and not inverted at
    the end (btrfs hashes names this way from ~1)."""
    table = _TABLE
    crc = register
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc
