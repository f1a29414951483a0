"""CRC-32C (Castagnoli): VHDX's headers, region tables and log entries; ext4's and XFS's metadata.

The standard library has only the IEEE CRC-32; the few kilobytes a VHDX
check needs are fast enough table-driven in Python.  ``crc32c_update`` is the
bare register update (no inversion before or after), which ext4's metadata
checksums chain from a seed.
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


def crc32c_update(crc: int, data: bytes) -> int:
    """The register after ``data``, from ``crc`` (nothing inverted)."""
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def crc32c(data: bytes) -> int:
    return crc32c_update(0xFFFFFFFF, data) ^ 0xFFFFFFFF
