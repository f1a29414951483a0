"""Registry hives built cell by cell, for the structures hivex never writes.

hivex (the fixtures' tool) writes "lh" subkey lists and single data cells.  Windows also
writes "lf", "li" and "ri" lists and, past 16344 bytes, "db" big data: these hives have
them, laid out from the REGF format description (see ``guestos/registry.py``), with a base
block like the seed of scripts/make_minimal_hive.py.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ec2_import_image.guestos.registry import base_block_checksum

BLOCK = 4096


def _hash(name: str) -> int:
    value = 0
    for char in name.upper():
        value = (value * 37 + ord(char)) & 0xFFFFFFFF
    return value


@dataclass
class HiveBuilder:
    cells: bytearray = field(default_factory=bytearray)

    def cell(self, payload: bytes) -> int:
        """Append an allocated cell; its offset relative to the first bin."""
        offset = 32 + len(self.cells)
        size = (len(payload) + 4 + 7) // 8 * 8
        self.cells += struct.pack("<i", -size) + payload + bytes(size - 4 - len(payload))
        return offset

    def value(self, name: str, value_type: int, data: bytes, *, big: bool = False) -> int:
        raw_name = name.encode("latin-1")
        if len(data) <= 4 and not big:
            size, where = 0x80000000 | len(data), int.from_bytes(data.ljust(4, b"\0"), "little")
        elif big:
            segments = [self.cell(data[i : i + 16344]) for i in range(0, len(data), 16344)]
            listing = self.cell(struct.pack(f"<{len(segments)}I", *segments))
            size, where = len(data), self.cell(b"db" + struct.pack("<HI", len(segments), listing))
        else:
            size, where = len(data), self.cell(data)
        return self.cell(
            b"vk" + struct.pack("<HIIIHH", len(raw_name), size, where, value_type, 1, 0) + raw_name
        )

    def subkey_list(self, kind: str, keys: list[tuple[str, int]], per_list: int = 2) -> int:
        if kind == "ri":
            parts = [
                self.subkey_list("li", keys[i : i + per_list])
                for i in range(0, len(keys), per_list)
            ]
            return self.cell(b"ri" + struct.pack(f"<H{len(parts)}I", len(parts), *parts))
        if kind == "li":
            return self.cell(
                b"li" + struct.pack(f"<H{len(keys)}I", len(keys), *(off for _, off in keys))
            )
        entries = b""
        for name, offset in keys:
            hint = (
                _hash(name)
                if kind == "lh"
                else int.from_bytes(name[:4].encode("latin-1").ljust(4, b"\0"), "little")
            )
            entries += struct.pack("<II", offset, hint)
        return self.cell(kind.encode() + struct.pack("<H", len(keys)) + entries)

    def key(
        self,
        name: str,
        subkeys: list[tuple[str, int]] = (),  # type: ignore[assignment]
        values: list[int] = (),  # type: ignore[assignment]
        *,
        kind: str = "lh",
        utf16: bool = False,
    ) -> int:
        subkey_list = self.subkey_list(kind, list(subkeys)) if subkeys else 0xFFFFFFFF
        value_list = self.cell(struct.pack(f"<{len(values)}I", *values)) if values else 0xFFFFFFFF
        raw = name.encode("utf-16-le") if utf16 else name.encode("latin-1")
        return self.cell(
            b"nk"
            + struct.pack("<HQI", 0 if utf16 else 0x20, 0, 0)
            + struct.pack(
                "<14I",
                0xFFFFFFFF,
                len(subkeys),
                0,
                subkey_list,
                0xFFFFFFFF,
                len(values),
                value_list,
                0xFFFFFFFF,
                0xFFFFFFFF,
                0,
                0,
                0,
                0,
                0,
            )
            + struct.pack("<HH", len(raw), 0)
            + raw
        )

    def hive(self, root: int) -> bytes:
        """The hive: the seed's base block pointing at ``root``, and one bin of the cells."""
        size = (32 + len(self.cells) + 8 + BLOCK - 1) // BLOCK * BLOCK
        free = size - 32 - len(self.cells)
        hbin = b"hbin" + struct.pack("<III", 0, size, 0) + bytes(16) + bytes(self.cells)
        hbin += struct.pack("<i", free) + bytes(free - 4)
        base = bytearray(BLOCK)
        struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0, 1, 5, 0, 1, root, size, 1)
        struct.pack_into("<I", base, 508, base_block_checksum(bytes(base)))
        return bytes(base) + hbin
