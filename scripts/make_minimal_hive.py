"""Write an empty Windows registry hive (regf): the seed hivex's tools edit into the fixtures.

hivex (``hivexregedit --merge``, ``hivexsh -w``) edits hives but cannot make one, and Debian's
package ships no empty hive.  This writes the smallest hive the format allows, laid out from
the libyal project's "Windows NT Registry File (REGF) format" document: a 4096-byte base
block ("regf", equal sequence numbers, version 1.5, the root cell's offset, the bins' size,
the XOR-32 checksum of its first 508 bytes) and one 4096-byte hive bin ("hbin") holding the
root key's "nk" cell (flags: hive entry, no delete, ASCII name), the "sk" cell of its security
descriptor (a self-relative descriptor with an empty DACL, its own list of one) and a free
cell for the rest.  hivex checks all of these when it opens the file, so the fixtures' hives
are hivex's own from the first key on.

Usage: python3 scripts/make_minimal_hive.py OUTPUT [ROOT_NAME]
"""

from __future__ import annotations

import struct
import sys

BLOCK = 4096
#: 2024-01-01T00:00:00Z as a FILETIME (100 ns since 1601): fixed, so the seed is reproducible
FILETIME = 133485408000000000
ROOT_OFFSET = 0x20  # the first cell of the first bin, relative to the bins' start


def _cell(payload: bytes) -> bytes:
    """An allocated cell: a negative size (4 bytes included, rounded up to 8) and the data."""
    size = (len(payload) + 4 + 7) // 8 * 8
    return struct.pack("<i", -size) + payload + bytes(size - 4 - len(payload))


def _security_descriptor() -> bytes:
    # revision 1, control SE_SELF_RELATIVE | SE_DACL_PRESENT, no owner/group/SACL, a DACL
    # at 20: revision 2, size 8, no ACE
    return struct.pack("<BBHIIII", 1, 0, 0x8004, 0, 0, 0, 20) + struct.pack("<BBHHH", 2, 0, 8, 0, 0)


def build(root_name: str = "ROOT") -> bytes:
    name = root_name.encode("ascii")
    nk_size = (76 + len(name) + 4 + 7) // 8 * 8
    sk_offset = ROOT_OFFSET + nk_size
    nk = (
        b"nk"
        + struct.pack("<HQI", 0x2C, FILETIME, 0)  # flags, last written, access bits
        + struct.pack(
            "<14I",
            0xFFFFFFFF,  # parent: none
            0,  # subkeys
            0,  # volatile subkeys
            0xFFFFFFFF,  # subkeys list
            0xFFFFFFFF,  # volatile subkeys list
            0,  # values
            0xFFFFFFFF,  # values list
            sk_offset,  # security key
            0xFFFFFFFF,  # class name
            0,  # largest subkey name
            0,  # largest subkey class name
            0,  # largest value name
            0,  # largest value data
            0,  # work variable
        )
        + struct.pack("<HH", len(name), 0)
        + name
    )
    descriptor = _security_descriptor()
    sk = b"sk" + struct.pack("<HIIII", 0, sk_offset, sk_offset, 1, len(descriptor)) + descriptor
    cells = _cell(nk) + _cell(sk)
    free = BLOCK - 32 - len(cells)
    hbin = (
        b"hbin"
        + struct.pack("<III", 0, BLOCK, 0)
        + struct.pack("<IQI", 0, FILETIME, 0)
        + cells
        + struct.pack("<i", free)
        + bytes(free - 4)
    )
    assert len(hbin) == BLOCK
    header = bytearray(BLOCK)
    struct.pack_into(
        "<4sIIQIIIIIII", header, 0, b"regf", 1, 1, FILETIME, 1, 5, 0, 1, ROOT_OFFSET, BLOCK, 1
    )
    label = root_name.encode("utf-16-le")[:64]
    header[48 : 48 + len(label)] = label
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(header[:508])):
        checksum ^= word
    checksum = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum)
    struct.pack_into("<I", header, 508, checksum)
    return bytes(header) + hbin


def main(output: str, root_name: str = "ROOT") -> None:
    with open(output, "wb") as out:
        out.write(build(root_name))


if __name__ == "__main__":
    main(*sys.argv[1:3])
