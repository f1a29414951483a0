"""initramfs images made by cpio and each compressor, listed against cpio -itv's listings.

scripts/make-guestos-fixtures.sh made the archives (newc, crc, odc) from trees mimicking
Debian's initramfs-tools, Fedora's and SUSE's dracut and an early-microcode archive,
compressed them with gzip, xz, zstd, lz4 -l, bzip2 and xz --format=lzma and concatenated
them as the distributions do; ``cpio -itv`` listed every uncompressed part (the .list
files).  An image's entries are its parts' listings, in order.
"""

from __future__ import annotations

import contextlib
import stat
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.errors import DiskImageError, FormatError
from ec2_import_image.fsread.tree import TooLarge
from ec2_import_image.guestos.initramfs import (
    Compression,
    InitramfsEntry,
    has_module,
    kernel_versions,
    list_initramfs,
    modules,
    read_initramfs,
)
from tests.support.countingblob import CountingBlob

INITRAMFS = Path(__file__).resolve().parents[1] / "fixtures" / "guestos" / "initramfs"
DEBIAN = [f"debian.cpio{suffix}" for suffix in ("", ".gz", ".xz", ".zst", ".lz4", ".bz2", ".lzma")]
PARTS = {
    **{name: ["debian.cpio"] for name in DEBIAN},
    "debian-crc.cpio.zst": ["debian-crc.cpio"],
    "debian-odc.cpio": ["debian-odc.cpio"],
    "microcode.cpio": ["microcode.cpio"],
    "fedora-early.img": ["microcode.cpio", "dracut.cpio"],
    "suse-multi.img": ["microcode.cpio", "suse.cpio", "suse.cpio"],
    "mixed-lz4.img": ["microcode.cpio", "debian.cpio", "suse.cpio"],
}
Listed = tuple[str, int, str, str | None]


def cpio_listing(part: str) -> list[Listed]:
    """``cpio -itv --numeric-uid-gid``: mode, links, uid, gid, size (or major, minor), date."""
    listed: list[Listed] = []
    for line in (INITRAMFS / f"{part}.list").read_text().splitlines():
        device = line[0] in "bc"
        fields = line.split(None, 9 if device else 8)
        size = 0 if device else int(fields[4])
        rest = fields[-1]
        name, _, target = rest.partition(" -> ") if line[0] == "l" else (rest, "", "")
        if name != ".":
            listed.append((fields[0], size, name, target or None))
    return listed


def as_listed(entries: list[InitramfsEntry]) -> list[Listed]:
    return [(stat.filemode(entry.mode), entry.size, entry.name, entry.link) for entry in entries]


@pytest.mark.parametrize("image", sorted(PARTS))
def test_entries_are_the_parts_cpio_listings(image: str) -> None:
    entries = list_initramfs((INITRAMFS / image).read_bytes())
    expected = [entry for part in PARTS[image] for entry in cpio_listing(part)]
    assert as_listed(entries) == expected
    assert not any(entry.name.startswith(("./", "/")) for entry in entries)


def test_archives_and_their_compression() -> None:
    microcode = (INITRAMFS / "microcode.cpio").stat().st_size
    fedora = read_initramfs((INITRAMFS / "fedora-early.img").read_bytes())
    assert [(part.offset, part.compression) for part in fedora.archives] == [
        (0, Compression.NONE),
        (microcode, Compression.ZSTD),
    ]
    suse = read_initramfs(BytesBlob((INITRAMFS / "suse-multi.img").read_bytes()))
    kinds = [part.compression for part in suse.archives]
    assert kinds == [Compression.NONE, Compression.XZ, Compression.GZIP]
    mixed = read_initramfs((INITRAMFS / "mixed-lz4.img").read_bytes())
    assert [part.compression for part in mixed.archives][-1] is Compression.LZ4
    for name, kind in [
        ("debian.cpio.lzma", Compression.LZMA),
        ("debian.cpio.bz2", Compression.BZIP2),
    ]:
        assert read_initramfs((INITRAMFS / name).read_bytes()).archives[0].compression is kind


def test_modules_of_the_default_kernel() -> None:
    debian = list_initramfs((INITRAMFS / "debian.cpio.zst").read_bytes())
    kernel = "6.1.0-13-amd64"
    assert kernel_versions(debian) == {kernel}
    for module in ("nvme", "nvme-core", "nvme_core", "xen-blkfront", "ena", "virtio_scsi"):
        assert has_module(debian, kernel, module), module
    assert not has_module(debian, kernel, "xen_netfront")
    assert not has_module(debian, "6.1.0-12-amd64", "nvme")
    # dracut on Fedora: merged /usr, .ko.xz
    fedora = list_initramfs((INITRAMFS / "fedora-early.img").read_bytes())
    fedora_kernel = "6.5.6-300.fc39.x86_64"
    assert has_module(fedora, fedora_kernel, "nvme") and has_module(
        fedora, fedora_kernel, "xen-blkfront"
    )
    assert not has_module(fedora, fedora_kernel, "ena")
    # SUSE: .ko.zst
    suse = list_initramfs((INITRAMFS / "suse-multi.img").read_bytes())
    assert modules(suse, "6.4.0-150600.23.7-default") == {"nvme", "nvme_core", "ena"}


def _newc(files: list[tuple[str, int, bytes]]) -> bytes:
    """A newc archive (for the bounds' tests only; the listings' oracle is cpio's)."""
    out = bytearray()
    for name, mode, data in [*files, ("TRAILER!!!", 0, b"")]:
        raw = name.encode() + b"\0"
        fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out += b"070701" + b"".join(b"%08x" % field for field in fields) + raw
        out += bytes(-len(out) % 4) + data
        out += bytes(-len(out) % 4)
    return bytes(out)


def test_file_data_of_an_uncompressed_archive_is_not_read() -> None:
    big = 64 << 20
    archive = _newc([("lib/firmware/huge.bin", 0o100644, bytes(big)), ("init", 0o100755, b"#!")])
    blob = CountingBlob(archive)
    entries = list_initramfs(blob)
    assert [(entry.name, entry.size) for entry in entries] == [
        ("lib/firmware/huge.bin", big),
        ("init", 2),
    ]
    assert blob.read_bytes < 4 << 20


def test_a_decompression_bomb_is_refused() -> None:
    data = (INITRAMFS / "debian.cpio.gz").read_bytes()
    assert list_initramfs(data, max_decompressed=64 * 1024)
    with pytest.raises(TooLarge, match="decompresses to more than 1000 bytes"):
        list_initramfs(data, max_decompressed=1000)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = bomb.compress(_newc([("zeros", 0o100644, bytes(8 << 20))])) + bomb.flush()
    with pytest.raises(TooLarge):
        list_initramfs(payload, max_decompressed=1 << 20)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello world", "junk"),
        (b"\x89LZO\x00\x0d\x0a\x1a\x0a", "LZO"),
        (b"\0\0" + _newc([("a", 0o100644, b"x")]), "multiple of four"),
        (_newc([("a", 0o100644, b"x")])[:-20], "cut short"),
        (b"070701" + b"z" * 104, "not a number"),
        (b"070701" + b"0" * 88 + b"00000000" + b"0" * 8 + b"a", "name of 0 bytes"),
    ],
)
def test_malformed_images(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        list_initramfs(data)


COMPRESSED = [*DEBIAN[1:], "debian-crc.cpio.zst"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(COMPRESSED), st.floats(0.0, 0.999))
def test_a_cut_compressed_archive_is_refused(name: str, where: float) -> None:
    data = (INITRAMFS / name).read_bytes()
    with pytest.raises(FormatError):
        list_initramfs(data[: int(len(data) * where)] or b"\x1f")


SEEDS = [(INITRAMFS / name).read_bytes() for name in sorted(PARTS)]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        chunk = draw(st.binary(min_size=1, max_size=8))
        data[at : at + len(chunk)] = chunk
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_images_raise_only_disk_image_errors(data: bytes) -> None:
    with contextlib.suppress(DiskImageError):
        list_initramfs(data, max_decompressed=1 << 20)
