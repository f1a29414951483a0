"""Tiny disk images (a few KB each) in the formats VM Import meets, built from their specs.

The emulator's tests import each format (and each malformed variant) with them,
and ``make demo`` imports one; they hold no data, only the structures that
tell the formats apart.

Each builder lays out just the structures format detection looks at: the
VMDK sparse extent header and its embedded descriptor, the VHD footer (with
its checksum) and dynamic header, the VHDX file type identifier, an OVA's tar
with the OVF descriptor first, an MBR or a GPT header, a QCOW2 header.
"""

from __future__ import annotations

import io
import struct
import tarfile
import time

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


def raw_gpt(size: int = 8 * SECTOR) -> bytes:
    """A GPT disk: protective MBR (type EE) and the header (``EFI PART``) at LBA 1."""
    disk = bytearray(size)
    entry = struct.pack("<B3sB3sII", 0x00, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, 0xFFFFFFFF)
    disk[446 : 446 + 16] = entry
    disk[510:512] = b"\x55\xaa"
    header = struct.pack("<8sIII", b"EFI PART", 0x00010000, 92, 0)
    disk[SECTOR : SECTOR + len(header)] = header
    return bytes(disk)


def unknown_bytes(size: int = 4 * SECTOR) -> bytes:
    """Bytes with no partition table and no known magic."""
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


def vmdk_stream_optimized(capacity: int = 2048, create_type: str = "streamOptimized") -> bytes:
    """A stream-optimized VMDK of ``capacity`` sectors holding no grains."""
    header = _sparse_header(
        version=3, flags=0x30001, capacity=capacity, gd_offset=2**64 - 1, compress=1
    )
    extent = f'RW {capacity} SPARSE "disk.vmdk"'
    descriptor = _pad(_descriptor(create_type, capacity, extent))
    footer_marker = _pad(struct.pack("<QII", 1, 0, 3))  # marker: footer follows
    footer = _sparse_header(version=3, flags=0x30001, capacity=capacity, gd_offset=3, compress=1)
    end_of_stream = b"\x00" * SECTOR
    return header + descriptor + footer_marker + footer + end_of_stream


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


def _dynamic(disk_type: int, size: int) -> tuple[bytes, bytes]:
    footer = vhd_footer(size, disk_type, SECTOR)
    block_size = 2 * 1024 * 1024
    entries = max(1, size // block_size)
    header = struct.pack(
        ">8sQQIII", b"cxsparse", 2**64 - 1, 3 * SECTOR, 0x00010000, entries, block_size
    )
    header = header + b"\x00" * (1024 - len(header))
    bat = _pad(b"\xff\xff\xff\xff" * entries)
    return footer, header + bat


def vhd_dynamic(size: int = 64 * 1024 * 1024, disk_type: int = VHD_DYNAMIC) -> bytes:
    """A dynamic VHD with no blocks allocated: footer copy, dynamic header, BAT, footer."""
    footer, middle = _dynamic(disk_type, size)
    return footer + middle + footer


def vhd_dynamic_footers_differ(size: int = 64 * 1024 * 1024) -> bytes:
    """A dynamic VHD whose copy at offset 0 does not match its footer."""
    footer, middle = _dynamic(VHD_DYNAMIC, size)
    other = vhd_footer(size * 2, VHD_DYNAMIC, SECTOR)
    return other + middle + footer


# -- VHDX ---------------------------------------------------------------------


def vhdx(size: int = 8 * 1024) -> bytes:
    """The VHDX file type identifier (``vhdxfile`` and the creator, UTF-16)."""
    image = bytearray(size)
    identifier = b"vhdxfile" + "ec2-import-image tests".encode("utf-16-le")
    image[: len(identifier)] = identifier
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
    manifest = ("vm.mf", "".join(f"SHA256({n})= 00\n" for n in names).encode())
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
