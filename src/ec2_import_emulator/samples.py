"""Tiny disk images (a few KiB each; VHDX a few MiB) in the formats VM Import meets.

The emulator's tests import each format (and each malformed variant) with them,
and ``make demo`` imports one.  Each is built from the format's published
specification and is readable through its container: a stream-optimized VMDK
with deflated grains and its tables, a dynamic VHD with its BAT and sector
bitmaps, a VHDX with its headers, region tables, metadata and BAT; inside, an
MBR with an active partition, or a GPT disk whose EFI system partition (a
FAT12 volume) holds ``\\EFI\\BOOT\\BOOTX64.EFI``.  The variants no Linux tool
makes (differencing VHD and VHDX) come from the same builders.
"""

from __future__ import annotations

import hashlib
import io
import struct
import tarfile
import time
import uuid
import zlib
from collections.abc import Iterable

from ec2_import_image.diskimage.crc32c import crc32c

SECTOR = 512
GRAIN_SECTORS = 128


# -- RAW ----------------------------------------------------------------------


def raw_mbr(size: int = 8 * SECTOR) -> bytes:
    """A disk with an MBR: one Linux partition entry and the 55 AA boot signature."""
    disk = bytearray(size)
    entry = struct.pack("<B3sB3sII", 0x80, b"\x00\x02\x00", 0x83, b"\xff\xff\xff", 1, 7)
    disk[446 : 446 + 16] = entry
    disk[510:512] = b"\x55\xaa"
    return bytes(disk)


def fat12(loaders: tuple[str, ...] = ("BOOTX64.EFI",), sectors: int = 24) -> bytes:
    """A FAT12 volume holding ``\\EFI\\BOOT\\<loader>`` files (one sector per cluster)."""
    volume = bytearray(sectors * SECTOR)
    struct.pack_into(
        "<3s8sHBHBHHBHHHII",
        volume,
        0,
        b"\xeb\x3c\x90",
        b"MSWIN4.1",
        SECTOR,
        1,
        1,
        1,
        16,
        sectors,
        0xF8,
        1,
        1,
        1,
        0,
        0,
    )
    volume[54:62] = b"FAT12   "
    volume[510:512] = b"\x55\xaa"
    data_start = 3  # boot sector, one FAT sector, one root directory sector
    clusters = [0xFF8, 0xFFF] + [0xFFF] * (2 + len(loaders))
    fat = bytearray(SECTOR)
    for index, value in enumerate(clusters):
        at = index * 3 // 2
        pair = int.from_bytes(fat[at : at + 2], "little")
        pair = pair | (value << 4) if index & 1 else pair | value
        fat[at : at + 2] = pair.to_bytes(2, "little")
    volume[SECTOR : 2 * SECTOR] = fat

    def entry(name: str, attributes: int, cluster: int, size: int = 0) -> bytes:
        base, _, extension = name.partition(".")
        short = base.ljust(8).encode() + extension.ljust(3).encode()
        return struct.pack("<11sB8xHHHHI", short, attributes, 0, 0, 0, cluster, size)

    def put(cluster: int, entries: list[bytes]) -> None:
        at = (data_start + cluster - 2) * SECTOR if cluster else 2 * SECTOR
        volume[at : at + 32 * len(entries)] = b"".join(entries)

    put(0, [entry("EFI", 0x10, 2)])
    put(2, [entry(".", 0x10, 2), entry("..", 0x10, 0), entry("BOOT", 0x10, 3)])
    files = [entry(name, 0x20, 4 + n, 16) for n, name in enumerate(loaders)]
    put(3, [entry(".", 0x10, 3), entry("..", 0x10, 2), *files])
    for n in range(len(loaders)):
        at = (data_start + 4 + n - 2) * SECTOR
        volume[at : at + 16] = b"MZ test loader\x00\x00"
    return bytes(volume)


ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")


def _gpt_header(my_lba: int, other_lba: int, entries_lba: int, last: int, array: bytes) -> bytes:
    fields = [
        b"EFI PART",
        0x00010000,
        92,
        0,
        my_lba,
        other_lba,
        3,
        last,
        uuid.UUID(int=1).bytes_le,
        entries_lba,
        4,
        128,
        zlib.crc32(array),
    ]
    layout = "<8sIII4xQQQQ16sQIII"
    header = struct.pack(layout, *fields)
    fields[3] = zlib.crc32(header)
    return _pad(struct.pack(layout, *fields))


def raw_gpt(loaders: tuple[str, ...] = ("BOOTX64.EFI",), sectors: int = 32) -> bytes:
    """A GPT disk: protective MBR, header and 4-entry array, an ESP (FAT12), the backups."""
    disk = bytearray(sectors * SECTOR)
    entry = struct.pack("<B3sB3sII", 0x00, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, sectors - 1)
    disk[446 : 446 + 16] = entry
    disk[510:512] = b"\x55\xaa"
    esp = fat12(loaders)
    first, last = 3, 3 + len(esp) // SECTOR - 1
    name = "EFI system partition".encode("utf-16-le")
    array = _pad(
        struct.pack(
            "<16s16sQQQ72s", ESP_TYPE.bytes_le, uuid.UUID(int=2).bytes_le, first, last, 0, name
        )
    )
    final = sectors - 1
    disk[SECTOR : 2 * SECTOR] = _gpt_header(1, final, 2, final - 2, array)
    disk[2 * SECTOR : 3 * SECTOR] = array
    disk[first * SECTOR : (last + 1) * SECTOR] = esp
    disk[(final - 1) * SECTOR : final * SECTOR] = array
    disk[final * SECTOR :] = _gpt_header(final, 1, final - 1, final - 2, array)
    return bytes(disk)


def raw_without_table(size: int = 4 * SECTOR) -> bytes:
    """Bytes with no partition table, file system or container magic: a RAW disk (RAW has no
    signature) without a partition table."""
    return bytes(range(256)) * (size // 256)


# -- VMDK ---------------------------------------------------------------------


def _descriptor(create_type: str, capacity: int, extent: str) -> bytes:
    return (
        "# Disk DescriptorFile\n"
        "version=1\n"
        "CID=12345678\n"
        "parentCID=ffffffff\n"
        f'createType="{create_type}"\n\n'
        "# Extent description\n"
        f"{extent}\n\n"
        "# The Disk Data Base\n"
        "#DDB\n\n"
        'ddb.adapterType = "lsilogic"\n'
        f'ddb.geometry.cylinders = "{max(1, capacity // (16 * 63))}"\n'
        'ddb.geometry.heads = "16"\n'
        'ddb.geometry.sectors = "63"\n'
        'ddb.virtualHWVersion = "4"\n'
    ).encode("ascii")


def _pad(data: bytes, multiple: int = SECTOR) -> bytes:
    return data + b"\x00" * (-len(data) % multiple)


def _sparse_header(
    *, version: int, flags: int, capacity: int, gd_offset: int, compress: int
) -> bytes:
    header = struct.pack(
        "<4sIIQQQQIQQQB4sH",
        b"KDMV",
        version,
        flags,
        capacity,
        GRAIN_SECTORS,
        1,  # descriptor at sector 1
        1,  # one sector long
        512,
        0,
        gd_offset,
        GRAIN_SECTORS,
        0,
        b"\n \r\n",
        compress,
    )
    return _pad(header)


def _marker(sectors: int, kind: int) -> bytes:
    return _pad(struct.pack("<QII", sectors, 0, kind))


def _grains(extents: Iterable[tuple[int, bytes]]) -> dict[int, bytes]:
    """The grains (by number) that runs of bytes at their offsets fill, zeros elsewhere."""
    size = GRAIN_SECTORS * SECTOR
    grains: dict[int, bytearray] = {}
    for offset, run in extents:
        position = 0
        while position < len(run):
            number, within = divmod(offset + position, size)
            piece = run[position : position + size - within]
            grain = grains.setdefault(number, bytearray(size))
            grain[within : within + len(piece)] = piece
            position += len(piece)
    return {number: bytes(grain) for number, grain in grains.items()}


def vmdk_stream_optimized(
    capacity: int = 2048,
    create_type: str = "streamOptimized",
    data: bytes | None = None,
    *,
    extents: Iterable[tuple[int, bytes]] | None = None,
) -> bytes:
    """A stream-optimized VMDK of ``capacity`` sectors, laid out as VMware writes it.

    Header (grain directory at the end), descriptor, deflated grains (each a
    marker: LBA and size), the grain tables and directory behind their markers,
    the footer (the header again, with the directory's offset), end of stream.
    ``data`` (default: an MBR disk) fills the first grains; or ``extents``, runs of
    bytes at their offsets (a large disk given by what is not zeros).
    """
    if extents is None:
        extents = [(0, raw_mbr() if data is None else data)]
    extent = f'RW {capacity} SPARSE "disk.vmdk"'
    descriptor = _pad(_descriptor(create_type, capacity, extent))
    body = bytearray(descriptor)
    sector = 1 + len(descriptor) // SECTOR
    tables: dict[int, list[int]] = {}
    for number, grain in sorted(_grains(extents).items()):
        if grain.count(0) == len(grain):
            continue
        packed = zlib.compress(grain)
        tables.setdefault(number // 512, [0] * 512)[number % 512] = sector
        chunk = _pad(struct.pack("<QI", number * GRAIN_SECTORS, len(packed)) + packed)
        body += chunk
        sector += len(chunk) // SECTOR
    directory = [0] * -(-capacity // (GRAIN_SECTORS * 512))
    for index, table in sorted(tables.items()):
        body += _marker(4, 1)
        directory[index] = sector + 1
        body += struct.pack("<512I", *table)
        sector += 5
    body += _marker(-(-len(directory) * 4 // SECTOR), 2)
    gd_sector = sector + 1
    body += _pad(struct.pack(f"<{len(directory)}I", *directory))
    header = _sparse_header(
        version=3, flags=0x30001, capacity=capacity, gd_offset=2**64 - 1, compress=1
    )
    footer = _sparse_header(
        version=3, flags=0x30001, capacity=capacity, gd_offset=gd_sector, compress=1
    )
    return header + bytes(body) + _marker(1, 3) + footer + b"\x00" * SECTOR


def vmdk_monolithic_sparse(capacity: int = 2048) -> bytes:
    """A hosted sparse VMDK (not stream-optimized): uncompressed, no markers."""
    header = _sparse_header(version=1, flags=0x3, capacity=capacity, gd_offset=21, compress=0)
    extent = f'RW {capacity} SPARSE "disk.vmdk"'
    descriptor = _pad(_descriptor("monolithicSparse", capacity, extent))
    return header + descriptor + b"\x00" * (4 * SECTOR)


def vmdk_descriptor_only(capacity: int = 2048) -> bytes:
    """A descriptor whose extent is another file (monolithicFlat)."""
    extent = f'RW {capacity} FLAT "disk-flat.vmdk" 0'
    return _descriptor("monolithicFlat", capacity, extent)


# -- VHD ----------------------------------------------------------------------

VHD_FIXED, VHD_DYNAMIC, VHD_DIFFERENCING = 2, 3, 4


def vhd_footer(current_size: int, disk_type: int, data_offset: int) -> bytes:
    """The 512-byte VHD footer, checksum included."""
    fields = [
        b"conectix",
        0x00000002,
        0x00010000,
        data_offset,
        int(time.time()) - 946684800,
        b"test",
        0x00010000,
        b"Wi2k",
        current_size,
        current_size,
        (1024 << 16) | (16 << 8) | 63,
        disk_type,
        0,
        bytes(range(16)),
        0,
    ]
    layout = ">8sIIQI4sI4sQQIII16sB"
    raw = _pad(struct.pack(layout, *fields))
    checksum = ~sum(raw) & 0xFFFFFFFF
    fields[12] = checksum
    return _pad(struct.pack(layout, *fields))


def vhd_fixed(data: bytes | None = None) -> bytes:
    """Raw disk data followed by the footer."""
    body = raw_mbr() if data is None else data
    return body + vhd_footer(len(body), VHD_FIXED, 2**64 - 1)


VHD_SAMPLE_BLOCK = 16 * 1024


def _dynamic(disk_type: int, size: int, data: bytes) -> tuple[bytes, bytes]:
    """The footer, and the dynamic header, BAT and blocks holding ``data``.

    Blocks are 16 KiB (the specification's default is 2 MiB) to keep the image small.
    """
    footer = vhd_footer(size, disk_type, SECTOR)
    block = VHD_SAMPLE_BLOCK
    entries = max(1, -(-size // block))
    bat_size = -(-entries * 4 // SECTOR) * SECTOR
    header = struct.pack(">8sQQIII", b"cxsparse", 2**64 - 1, 3 * SECTOR, 0x00010000, entries, block)
    header = header.ljust(1024, b"\x00")
    checksum = ~sum(header) & 0xFFFFFFFF
    header = header[:36] + struct.pack(">I", checksum) + header[40:]
    bat = [0xFFFFFFFF] * entries
    blocks = bytearray()
    next_sector = (3 * SECTOR + bat_size) // SECTOR
    for index in range(-(-len(data) // block)):
        chunk = data[index * block : (index + 1) * block].ljust(block, b"\0")
        if not any(chunk):
            continue
        bat[index] = next_sector
        bitmap = _pad(b"\xff" * (block // SECTOR // 8))
        blocks += bitmap + chunk
        next_sector += (len(bitmap) + block) // SECTOR
    table = struct.pack(f">{entries}I", *bat).ljust(bat_size, b"\x00")
    return footer, header + table + bytes(blocks)


def vhd_dynamic(
    size: int = 64 * 1024 * 1024, disk_type: int = VHD_DYNAMIC, data: bytes | None = None
) -> bytes:
    """A dynamic (or differencing) VHD: footer copy, dynamic header, BAT, blocks, footer."""
    footer, middle = _dynamic(disk_type, size, raw_mbr() if data is None else data)
    return footer + middle + footer


def vhd_dynamic_footers_differ(size: int = 64 * 1024 * 1024) -> bytes:
    """A dynamic VHD whose copy at offset 0 does not match its footer."""
    footer, middle = _dynamic(VHD_DYNAMIC, size, raw_mbr())
    other = vhd_footer(size * 2, VHD_DYNAMIC, SECTOR)
    return other + middle + footer


# -- VHDX ---------------------------------------------------------------------


MIB = 1024 * 1024
_VHDX_GUIDS = {
    "bat": "2DC27766-F623-4200-9D64-115E9BFD4A08",
    "metadata": "8B7CA206-4790-4B9A-B8FE-575F050F886E",
    "file_parameters": "CAA16737-FA36-4D43-B3B6-33F0AA44E76B",
    "virtual_size": "2FA54224-CD1B-4876-B211-5DBED83BF4B8",
    "logical_sector": "8141BF1D-A96F-4709-BA47-F233A8FAAB5F",
    "physical_sector": "CDA348C7-445D-4471-9CC9-E9885251C556",
}


def _guid(name: str) -> bytes:
    return uuid.UUID(_VHDX_GUIDS[name]).bytes_le


def _with_crc32c(raw: bytearray) -> bytes:
    raw[4:8] = b"\x00" * 4
    raw[4:8] = struct.pack("<I", crc32c(bytes(raw)))
    return bytes(raw)


def vhdx(size: int = 8 * MIB, *, has_parent: bool = False, data: bytes | None = None) -> bytes:
    """A dynamic (or, with ``has_parent``, differencing) VHDX: 1 MiB blocks, 512-byte sectors.

    File type identifier, two headers, two region tables, the metadata region at
    1 MiB, the BAT at 2 MiB, and the blocks that hold ``data`` (default: an MBR).
    """
    data = raw_mbr() if data is None else data
    image = bytearray(3 * MIB)
    image[: 8 + 44] = b"vhdxfile" + "ec2-import-image tests".encode("utf-16-le")
    for sequence, offset in enumerate((64 * 1024, 128 * 1024)):
        header = bytearray(4096)
        struct.pack_into(
            "<4sIQ16s16s16sHHIQ",
            header,
            0,
            b"head",
            0,
            sequence,
            bytes(16),
            bytes(16),
            bytes(16),
            0,
            1,
            MIB,
            MIB,
        )
        image[offset : offset + 4096] = _with_crc32c(header)
    regions = bytearray(64 * 1024)
    struct.pack_into("<4sII", regions, 0, b"regi", 0, 2)
    struct.pack_into("<16sQII", regions, 16, _guid("metadata"), MIB, MIB, 1)
    struct.pack_into("<16sQII", regions, 48, _guid("bat"), 2 * MIB, MIB, 1)
    table = _with_crc32c(regions)
    image[192 * 1024 : 256 * 1024] = table
    image[256 * 1024 : 320 * 1024] = table
    items = [
        ("file_parameters", struct.pack("<II", MIB, 2 if has_parent else 0)),
        ("virtual_size", struct.pack("<Q", size)),
        ("logical_sector", struct.pack("<I", 512)),
        ("physical_sector", struct.pack("<I", 4096)),
    ]
    metadata = bytearray(64 * 1024)
    struct.pack_into("<8sHH", metadata, 0, b"metadata", 0, len(items))
    for index, (name, value) in enumerate(items):
        at = 64 * 1024 + 8 * index
        struct.pack_into("<16sIII", metadata, 32 + 32 * index, _guid(name), at, len(value), 6)
        image[MIB + at : MIB + at + len(value)] = value
    image[MIB : MIB + len(metadata)] = metadata
    blocks = -(-size // MIB)
    bat = [0] * blocks
    for index in range(min(blocks, -(-len(data) // MIB))):
        chunk = data[index * MIB : (index + 1) * MIB]
        if any(chunk):
            bat[index] = 6 | (len(image) // MIB) << 20
            image += chunk.ljust(MIB, b"\x00")
    image[2 * MIB : 2 * MIB + 8 * blocks] = struct.pack(f"<{blocks}Q", *bat)
    return bytes(image)


# -- QCOW2 --------------------------------------------------------------------


def qcow2(size: int = 64 * 1024 * 1024) -> bytes:
    """A QCOW2 version 3 header (not a format VM Import accepts)."""
    header = struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 0, 0, 16, size)
    return _pad(header, 4096)


# -- OVA ----------------------------------------------------------------------


def ovf(disk_names: list[str], chunk_size: int | None = None) -> bytes:
    chunk = f' ovf:chunkSize="{chunk_size}"' if chunk_size else ""
    files = "\n".join(
        f'    <File ovf:href="{name}" ovf:id="file{n}"{chunk}/>'
        for n, name in enumerate(disk_names, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" '
        'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">\n'
        f"  <References>\n{files}\n  </References>\n"
        '  <VirtualSystem ovf:id="test-vm"><Info>A test VM</Info></VirtualSystem>\n'
        "</Envelope>\n"
    ).encode()


def tar(members: list[tuple[str, bytes]]) -> bytes:
    """A POSIX (ustar) tar of the members, in order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def ova(disks: list[bytes] | None = None, *, ovf_first: bool = True) -> bytes:
    """An OVA: the .ovf, a .mf, then the disks (stream-optimized VMDKs by default)."""
    disks = [vmdk_stream_optimized()] if disks is None else disks
    names = [f"vm-disk{n}.vmdk" for n in range(1, len(disks) + 1)]
    descriptor = ("vm.ovf", ovf(names))
    descriptor_digest = f"SHA256({descriptor[0]})= {hashlib.sha256(descriptor[1]).hexdigest()}\n"
    digests = "".join(
        f"SHA256({name})= {hashlib.sha256(disk).hexdigest()}\n"
        for name, disk in zip(names, disks, strict=True)
    )
    manifest = ("vm.mf", (descriptor_digest + digests).encode())
    members = list(zip(names, disks, strict=True))
    if ovf_first:
        return tar([descriptor, manifest, *members])
    return tar([*members, descriptor, manifest])


def ova_chunked() -> bytes:
    """An OVA whose disk is split into chunks (``ovf:chunkSize``)."""
    disk = vmdk_stream_optimized()
    half = len(disk) // 2
    return tar(
        [
            ("vm.ovf", ovf(["vm-disk1.vmdk"], chunk_size=half)),
            ("vm-disk1.vmdk.000000000", disk[:half]),
            ("vm-disk1.vmdk.000000001", disk[half:]),
        ]
    )
