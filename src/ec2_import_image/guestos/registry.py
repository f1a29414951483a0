"""A small read-only reader of Windows registry hives (regf): keys by path, subkeys, values.

Written from the libyal project's *Windows NT Registry File (REGF) format* (Joachim Metz,
https://github.com/libyal/libregf/blob/main/documentation/Windows%20NT%20Registry%20File%20(REGF)%20format.asciidoc).
A hive is a 4096-byte base block ("regf": sequence numbers, version, the root key's cell,
the size of the hive bins, an XOR-32 checksum of its first 508 bytes) followed by hive bins
("hbin") holding cells.  A cell is a 32-bit size (negative when allocated) and its data;
cell offsets count from the first bin.  Keys are "nk" cells (name, parent, subkey list,
value list); subkey lists are "lf" (entries with a 4-character name hint), "lh" (with a
hash of the upper-cased name), "li" (offsets only) or "ri" (a list of those lists); values
are "vk" cells whose data is inline (4 bytes or less), in one data cell, or, past 16344
bytes in hives of version 1.4 and later, in "db" big data: a list of segments.

Why not a library: regipy (MIT; construct, inflection and pytz; 60-90 ms to import) reads
a hive from a file path into memory, raises construct's and its own exceptions and logs and
skips values it cannot parse; python-registry (Apache-2.0) has had no release since 2019
and pulls Python 2 shims.  The hives this reader serves sit inside a disk image, often on
S3: reading from a ``Blob`` touches only the cells on the path asked for (the SYSTEM hive
of a server is 10 to 100 MB; a driver check reads a few dozen of its cells), and every
malformed structure is a ``FormatError``, never a wrong answer.

Names compare case-insensitively, as Windows does.  A hive whose two sequence numbers
differ was not flushed cleanly (``dirty``): its transaction logs (.LOG1/.LOG2) are not
replayed here, so what it holds is what was last written to the primary file.  Reads are
bounded: cells must lie inside the hive bins, lists are bounded by their cells, a value
past ``MAX_VALUE`` bytes is refused.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.errors import FormatError

BASE_BLOCK = 4096
#: the largest value data read (the largest values of a SYSTEM or SOFTWARE hive are a few MB)
MAX_VALUE = 16 * 1024 * 1024
#: the largest cell read (a subkey list of 65535 entries is 512 KiB)
MAX_CELL = 1024 * 1024
#: big data segments hold at most this much each
BIG_DATA_SEGMENT = 16344
KEY_COMP_NAME = 0x0020
VALUE_COMP_NAME = 0x0001
_INLINE = 0x80000000


class ValueType(IntEnum):
    NONE = 0
    SZ = 1
    EXPAND_SZ = 2
    BINARY = 3
    DWORD = 4
    DWORD_BIG_ENDIAN = 5
    LINK = 6
    MULTI_SZ = 7
    RESOURCE_LIST = 8
    FULL_RESOURCE_DESCRIPTOR = 9
    RESOURCE_REQUIREMENTS_LIST = 10
    QWORD = 11


_STRING_TYPES = (ValueType.SZ, ValueType.EXPAND_SZ, ValueType.LINK)


def _utf16(data: bytes) -> str:
    """A UTF-16LE string up to its first NUL (a stray odd byte is dropped)."""
    text = data[: len(data) - len(data) % 2].decode("utf-16-le", "replace")
    return text.split("\x00", 1)[0]


@dataclass(frozen=True)
class Value:
    """One value of a key: its name ("" for the default value), type and raw data."""

    name: str
    type: int
    data: bytes

    def string(self) -> str | None:
        """The text of a REG_SZ, REG_EXPAND_SZ or REG_LINK; None for other types."""
        return _utf16(self.data) if self.type in _STRING_TYPES else None

    def integer(self) -> int | None:
        """The number of a REG_DWORD, REG_DWORD_BIG_ENDIAN or REG_QWORD; None for others."""
        if self.type in (ValueType.DWORD, ValueType.DWORD_BIG_ENDIAN):
            size = 4
        elif self.type == ValueType.QWORD:
            size = 8
        else:
            return None
        if len(self.data) < size:
            raise FormatError(
                f"value {self.name!r}: {len(self.data)} bytes for a {size}-byte number"
            )
        if self.type == ValueType.DWORD_BIG_ENDIAN:
            return int.from_bytes(self.data[:size], "big")
        return int.from_bytes(self.data[:size], "little")

    def strings(self) -> list[str] | None:
        """The strings of a REG_MULTI_SZ (empty strings dropped); None for other types."""
        if self.type != ValueType.MULTI_SZ:
            return None
        text = self.data[: len(self.data) - len(self.data) % 2].decode("utf-16-le", "replace")
        return [part for part in text.split("\x00") if part]

    @property
    def value(self) -> str | int | list[str] | bytes:
        """The data as Python reads it: text, a number, a list of strings, or the bytes."""
        for decoded in (self.string(), self.integer(), self.strings()):
            if decoded is not None:
                return decoded
        return self.data


class Key:
    """A key of a hive; its subkeys and values are read when asked for."""

    def __init__(self, hive: Hive, offset: int, cell: bytes) -> None:
        if len(cell) < 76 or cell[:2] != b"nk":
            raise FormatError(f"registry cell {offset:#x} is not a key (nk)")
        self.hive = hive
        self.offset = offset
        flags = struct.unpack_from("<H", cell, 2)[0]
        (
            self._parent,
            self.subkey_count,
            _volatile,
            self._subkeys,
            _volatile_list,
            self.value_count,
            self._values,
        ) = struct.unpack_from("<7I", cell, 16)
        name_size = struct.unpack_from("<H", cell, 72)[0]
        raw = cell[76 : 76 + name_size]
        if len(raw) != name_size:
            raise FormatError(f"registry key {offset:#x}: its name runs past its cell")
        self.name = raw.decode("latin-1") if flags & KEY_COMP_NAME else _utf16(raw + b"\0\0")

    def __repr__(self) -> str:
        return f"Key({self.name!r} at {self.offset:#x})"

    def subkeys(self) -> list[Key]:
        """The subkeys, in the hive's order (sorted by upper-cased name)."""
        if self.subkey_count == 0:
            return []
        return [self.hive.key_at(offset) for offset, _ in self.hive.subkey_entries(self._subkeys)]

    def subkey(self, name: str) -> Key | None:
        """The subkey ``name`` (case-insensitive), using the lists' hints where they have them."""
        if self.subkey_count == 0:
            return None
        wanted = name.upper()
        hashed = _name_hash(wanted)
        for offset, entry_hint in self.hive.subkey_entries(self._subkeys):
            if entry_hint is not None:
                kind, data = entry_hint
                if kind == "lh" and hashed is not None and data != hashed:
                    continue
                if kind == "lf" and not _hint_matches(data, wanted):
                    continue
            key = self.hive.key_at(offset)
            if key.name.upper() == wanted:
                return key
        return None

    def values(self) -> list[Value]:
        if self.value_count == 0:
            return []
        return [
            self.hive.value_at(offset)
            for offset in self.hive.offsets(self._values, self.value_count)
        ]

    def value(self, name: str) -> Value | None:
        """The value ``name`` (case-insensitive; "" is the default value)."""
        wanted = name.upper()
        for value in self.values():
            if value.name.upper() == wanted:
                return value
        return None

    def string(self, name: str) -> str | None:
        found = self.value(name)
        return found.string() if found is not None else None

    def integer(self, name: str) -> int | None:
        found = self.value(name)
        return found.integer() if found is not None else None


def _hint_matches(hint: int, upper: str) -> bool:
    """Whether an "lf" entry's hint (the name's first four characters) fits ``upper``.

    Only ASCII hints and names are compared; anything else may match.
    """
    stored = hint.to_bytes(4, "little").rstrip(b"\0")
    if not stored.isascii() or not upper[:4].isascii():
        return True
    return stored.decode("ascii").upper() == upper[:4]


def _name_hash(upper: str) -> int | None:
    """An "lh" entry's hash of the upper-cased name (ASCII names; others are not filtered)."""
    if not upper.isascii():
        return None
    value = 0
    for char in upper:
        value = (value * 37 + ord(char)) & 0xFFFFFFFF
    return value


def base_block_checksum(base: bytes) -> int:
    """The XOR-32 of the base block's first 508 bytes (0 is written 1, all ones 0xFFFFFFFE)."""
    checksum = 0
    for (word,) in struct.iter_unpack("<I", base[:508]):
        checksum ^= word
    return {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum)


class Hive:
    """A registry hive over bytes or a ``Blob`` (see the module's docstring)."""

    def __init__(self, source: bytes | Blob) -> None:
        self._blob: Blob = BytesBlob(source) if isinstance(source, bytes | bytearray) else source
        base = self._blob.read(0, BASE_BLOCK)
        if len(base) < 512 or base[:4] != b"regf":
            raise FormatError("not a registry hive (no regf signature)")
        (primary, secondary, _written, major, minor, file_type, file_format, root, bins_size) = (
            struct.unpack_from("<IIQIIIIII", base, 4)
        )
        if base_block_checksum(base) != struct.unpack_from("<I", base, 508)[0]:
            raise FormatError("the registry hive's base block checksum does not match")
        if major != 1 or not 2 <= minor <= 6:
            raise FormatError(f"registry hive version {major}.{minor} is not supported")
        if file_type != 0 or file_format != 1:
            raise FormatError("not a primary registry hive file (a transaction log?)")
        available = self._blob.size - BASE_BLOCK
        if bins_size < 4096 or bins_size % 4096:
            raise FormatError("the registry hive's bins size is invalid")
        self.bins_size = min(bins_size, max(available, 0))
        self.minor_version = minor
        self.dirty = primary != secondary
        self.root = self.key_at(root)

    # -- cells ---------------------------------------------------------------------------

    def cell(self, offset: int) -> bytes:
        """The data of the allocated cell at ``offset`` (relative to the first bin)."""
        if offset % 8 or not 32 <= offset < self.bins_size - 8:
            raise FormatError(f"registry cell offset {offset:#x} is outside the hive bins")
        head = self._blob.read(BASE_BLOCK + offset, 256)
        if len(head) < 8:
            raise FormatError(f"registry cell {offset:#x} is cut short")
        size = struct.unpack_from("<i", head)[0]
        if size >= 0:
            raise FormatError(f"registry cell {offset:#x} is free but referenced")
        size = -size
        if size < 8 or size % 8 or size > MAX_CELL or offset + size > self.bins_size:
            raise FormatError(f"registry cell {offset:#x} has an invalid size ({size})")
        if size <= len(head):
            return head[4:size]
        data = head + self._blob.read(BASE_BLOCK + offset + len(head), size - len(head))
        if len(data) != size:
            raise FormatError(f"registry cell {offset:#x} is cut short")
        return data[4:]

    def key_at(self, offset: int) -> Key:
        return Key(self, offset, self.cell(offset))

    def offsets(self, list_offset: int, count: int) -> list[int]:
        """The ``count`` 32-bit offsets of a value list or a big data segment list."""
        data = self.cell(list_offset)
        if count * 4 > len(data):
            raise FormatError(f"registry list {list_offset:#x} is shorter than its {count} entries")
        return list(struct.unpack_from(f"<{count}I", data))

    def subkey_entries(
        self, list_offset: int, *, nested: bool = False
    ) -> Iterator[tuple[int, tuple[str, int] | None]]:
        """The entries of a subkey list: (key offset, ("lf"|"lh", hint) or None)."""
        data = self.cell(list_offset)
        kind = data[:2]
        count = struct.unpack_from("<H", data, 2)[0] if len(data) >= 4 else 0
        if kind in (b"lf", b"lh"):
            if 4 + count * 8 > len(data):
                raise FormatError(f"registry subkey list {list_offset:#x} is cut short")
            tag = kind.decode()
            for index in range(count):
                offset, hint = struct.unpack_from("<II", data, 4 + index * 8)
                yield offset, (tag, hint)
        elif kind in (b"li", b"ri"):
            if 4 + count * 4 > len(data):
                raise FormatError(f"registry subkey list {list_offset:#x} is cut short")
            offsets = struct.unpack_from(f"<{count}I", data, 4)
            if kind == b"li":
                for offset in offsets:
                    yield offset, None
            elif nested:
                raise FormatError(f"registry index root {list_offset:#x} inside an index root")
            else:
                for offset in offsets:
                    yield from self.subkey_entries(offset, nested=True)
        else:
            raise FormatError(f"registry cell {list_offset:#x} is not a subkey list")

    def value_at(self, offset: int) -> Value:
        cell = self.cell(offset)
        if len(cell) < 20 or cell[:2] != b"vk":
            raise FormatError(f"registry cell {offset:#x} is not a value (vk)")
        name_size, size, data_offset, value_type, flags = struct.unpack_from("<HIIIH", cell, 2)
        raw = cell[20 : 20 + name_size]
        if len(raw) != name_size:
            raise FormatError(f"registry value {offset:#x}: its name runs past its cell")
        name = raw.decode("latin-1") if flags & VALUE_COMP_NAME else _utf16(raw + b"\0\0")
        return Value(name, value_type, self._value_data(offset, size, data_offset))

    def _value_data(self, offset: int, size: int, data_offset: int) -> bytes:
        if size & _INLINE:
            size &= ~_INLINE
            if size > 4:
                raise FormatError(f"registry value {offset:#x}: {size} inline bytes")
            return struct.pack("<I", data_offset)[:size]
        if size == 0:
            return b""
        if size > MAX_VALUE:
            raise FormatError(f"registry value {offset:#x} is {size} bytes, over the bound")
        if size > BIG_DATA_SEGMENT and self.minor_version >= 4:
            head = self.cell(data_offset)
            if head[:2] == b"db":
                return self._big_data(offset, head, size)
        data = self.cell(data_offset)
        if len(data) < size:
            raise FormatError(f"registry value {offset:#x}: its data cell is shorter than {size}")
        return data[:size]

    def _big_data(self, offset: int, head: bytes, size: int) -> bytes:
        if len(head) < 8:
            raise FormatError(f"registry value {offset:#x}: its big data record is cut short")
        count, segments = struct.unpack_from("<HI", head, 2)
        if count * BIG_DATA_SEGMENT < size:
            raise FormatError(f"registry value {offset:#x}: {count} segments for {size} bytes")
        pieces: list[bytes] = []
        total = 0
        for segment in self.offsets(segments, count):
            data = self.cell(segment)[:BIG_DATA_SEGMENT]
            pieces.append(data)
            total += len(data)
            if total >= size:
                break
        if total < size:
            raise FormatError(f"registry value {offset:#x}: its big data is cut short")
        return b"".join(pieces)[:size]

    # -- paths -----------------------------------------------------------------------------

    def key(self, path: str) -> Key | None:
        """The key at a backslash-separated path below the root (case-insensitive)."""
        current = self.root
        for part in path.split("\\"):
            if not part:
                continue
            found = current.subkey(part)
            if found is None:
                return None
            current = found
        return current


def open_hive(source: bytes | Blob) -> Hive:
    return Hive(source)
