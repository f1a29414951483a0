"""The XFS reader against the tree mkfs.xfs and the kernel were given (tests/fixtures/fsread/).

Each image holds the same tree (scripts/make-fsread-fixtures.sh); its manifest is the
oracle, file by file.  blkid's view of each image is the oracle of the UUID and label.
The structures each image was made to hold (short-form, block, leaf, node and B+tree
directories, bmbt B+trees of depth 1 and 2, unwritten extents over old bytes, remote
symbolic links with and without v5 headers, 64-bit extent counters) are checked to be
there, so a rebuilt fixture that lost one fails here.
"""

from __future__ import annotations

import struct

import pytest

from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.crc32c import crc32c
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.fsread import xfs
from ec2_import_image.fsread.errors import Unsupported
from ec2_import_image.fsread.tree import FileType, NotFound, TooLarge, Tree
from ec2_import_image.fsread.xfs import XfsVolume
from tests.support.diskfixtures import DiskFixtures
from tests.support.fsmanifest import blkid, differences, images, manifest, read_tree
from tests.support.fsmutation import PatchedBlob, check_mutations

XFS_IMAGES = images("xfs")
MUTATED = XFS_IMAGES


def _volume(fsimages: DiskFixtures, name: str) -> XfsVolume:
    return XfsVolume(FileBlob(fsimages.path(name)))


def _inode(volume: XfsVolume, path: str) -> xfs.Inode:
    return volume.inode(Tree(volume).lstat(path).handle)


def _inode_address(volume: XfsVolume, path: str) -> int:
    """Where the inode of ``path`` is: AG, AG block and index from its number."""
    number = Tree(volume).lookup(path).handle
    assert isinstance(number, int)
    sb = volume.superblock
    ag = number >> (sb.agblklog + sb.inopblog)
    block = (number >> sb.inopblog) & ((1 << sb.agblklog) - 1)
    index = number & ((1 << sb.inopblog) - 1)
    return (ag * sb.agblocks + block) * sb.block_size + index * sb.inode_size


def test_the_fixtures_are_all_there() -> None:
    assert XFS_IMAGES == ["xfs-1k.img", "xfs-v4.img", "xfs.img"]


@pytest.mark.parametrize("name", XFS_IMAGES)
def test_every_file_is_read_as_mkfs_was_given_it(fsimages: DiskFixtures, name: str) -> None:
    read = read_tree(_volume(fsimages, name))
    assert differences(read, manifest()) == []


@pytest.mark.parametrize("name", XFS_IMAGES)
def test_uuid_and_label_are_blkids(fsimages: DiskFixtures, name: str) -> None:
    volume = _volume(fsimages, name)
    view = blkid(name)
    assert (volume.uuid, volume.label) == (view["UUID"], view["LABEL"])


@pytest.mark.parametrize("name", XFS_IMAGES)
def test_paths_resolve_through_the_images_links(fsimages: DiskFixtures, name: str) -> None:
    tree = Tree(_volume(fsimages, name))
    assert tree.read_text("/etc/os-release").startswith('PRETTY_NAME="Debian GNU/Linux 12')
    assert b"nvme.ko" in tree.read_file("/lib/modules/6.1.0-13-amd64/modules.builtin")
    assert tree.exists("/lib/modules/6.1.0-13-amd64/kernel/drivers/net/ethernet/amazon/ena/ena.ko")
    assert tree.read_file("/etc/alternatives/long-link") == b"the end of a long link\n"
    assert tree.read_file("/etc/alternatives/doc-link") == b"the end of a long link\n"
    assert len(tree.names("/usr/share/zoneinfo")) == 600
    assert tree.lookup("/run/initctl").type is FileType.OTHER
    assert tree.read_file("/usr/bin/sh") == tree.read_file("/bin/dash")
    with pytest.raises(NotFound):
        tree.lookup("/etc/shadow")


@pytest.mark.parametrize("name", XFS_IMAGES)
def test_pieces_of_files_across_extents_and_holes(fsimages: DiskFixtures, name: str) -> None:
    volume = _volume(fsimages, name)
    tree = Tree(volume)
    for path in ("/var/lib/fragmented.bin", "/var/lib/sparse.img"):
        handle = tree.lookup(path).handle
        whole = volume.read(handle, 0, volume.stat(handle).size)
        for offset, length in ((0, 1), (1000, 5000), (4095, 2), (3_000_000, 300), (2**20, 70_000)):
            assert volume.read(handle, offset, length) == whole[offset : offset + length]
        assert volume.read(handle, len(whole), 10) == b""


def test_each_image_holds_the_structures_it_was_made_for(fsimages: DiskFixtures) -> None:
    formats = {
        "/etc/alternatives": xfs.FORMAT_LOCAL,
        "/usr/share/doc": xfs.FORMAT_EXTENTS,
        "/etc/alternatives/doc-link": xfs.FORMAT_LOCAL,
        "/etc/alternatives/long-link": xfs.FORMAT_EXTENTS,
        "/var/lib/fragmented.bin": xfs.FORMAT_BTREE,
    }
    for name in ("xfs.img", "xfs-1k.img"):
        volume = _volume(fsimages, name)
        for path, data_format in formats.items():
            assert _inode(volume, path).format == data_format, (name, path)
    v5, one_k, v4 = (_volume(fsimages, name) for name in ("xfs.img", "xfs-1k.img", "xfs-v4.img"))
    # block, leaf and node directories: one data block; data and leaf; data, leaves, free index
    assert _inode(v5, "/usr/share/doc").extents == 1
    leaf_blocks = xfs.DIR_LEAF_OFFSET // v5.block_size
    locale = v5.runs(Tree(v5).lookup("/usr/share/locale").handle, 0, 3 * leaf_blocks)
    assert [run.logical >= leaf_blocks for run in locale].count(True) == 1
    zones = v5.runs(Tree(v5).lookup("/usr/share/zoneinfo").handle, 0, 3 * leaf_blocks)
    assert any(run.logical >= 2 * leaf_blocks for run in zones)  # a free index: node form
    assert one_k.superblock.dir_block_size == 8 * one_k.block_size
    fragmented = _inode(one_k, "/var/lib/fragmented.bin")
    assert struct.unpack_from(">H", fragmented.fork)[0] == 2  # bmbt root at level 2
    assert fragmented.extents == 2048  # from the 64-bit counter (nrext64)
    assert v4.version == 4 and not v4.superblock.ftype
    assert _inode(v4, "/usr/share/zoneinfo").format == xfs.FORMAT_BTREE
    assert _inode(v4, "/etc/alternatives/doc-link").format == xfs.FORMAT_EXTENTS


@pytest.mark.parametrize("name", ["xfs.img", "xfs-1k.img"])
def test_unwritten_extents_read_as_zeros_over_old_bytes(fsimages: DiskFixtures, name: str) -> None:
    volume = _volume(fsimages, name)
    handle = Tree(volume).lookup("/var/lib/sparse.img").handle
    unwritten = [run for run in volume.runs(handle, 0, 1 << 20) if run.unwritten]
    assert unwritten
    blob = FileBlob(fsimages.path(name))
    for run in unwritten:
        length = run.count * volume.block_size
        assert any(blob.read(run.disk, length))  # the junk the recipe freed there
        assert volume.read(handle, run.logical * volume.block_size, length) == bytes(length)


# -- refusals ------------------------------------------------------------------------------


def _with_superblock(fsimages: DiskFixtures, name: str, offset: int, value: bytes) -> Blob:
    """The image with superblock bytes changed and its checksum made right again."""
    blob = FileBlob(fsimages.path(name))
    sector = bytearray(blob.read(0, 512))
    sector[offset : offset + len(value)] = value
    sector[224:228] = b"\0\0\0\0"
    sector[224:228] = struct.pack("<I", crc32c(bytes(sector)))
    return PatchedBlob(blob, {0: bytes(sector)})


@pytest.mark.parametrize(
    ("flag", "words"), [(xfs.INCOMPAT_NEEDSREPAIR, "xfs_repair"), (0x40000000, "does not know")]
)
def test_features_it_cannot_read_are_refused_by_name(
    fsimages: DiskFixtures, flag: int, words: str
) -> None:
    incompat = struct.unpack_from(">I", FileBlob(fsimages.path("xfs.img")).read(216, 4))[0]
    blob = _with_superblock(fsimages, "xfs.img", 216, struct.pack(">I", incompat | flag))
    with pytest.raises(Unsupported, match=words):
        XfsVolume(blob)


def test_a_realtime_file_is_refused_when_read(fsimages: DiskFixtures) -> None:
    volume = _volume(fsimages, "xfs-v4.img")  # v4: no inode checksum to redo
    at = _inode_address(volume, "/etc/fstab") + 90  # di_flags
    patched = XfsVolume(PatchedBlob(FileBlob(fsimages.path("xfs-v4.img")), {at: b"\0\x01"}))
    with pytest.raises(Unsupported, match="real-time"):
        Tree(patched).read_file("/etc/fstab")


@pytest.mark.parametrize("offset", [100, 300])
def test_checksums_are_verified(fsimages: DiskFixtures, offset: int) -> None:
    # the superblock's versionnum (offset 100) and a field the checksum covers past it
    blob = PatchedBlob(FileBlob(fsimages.path("xfs.img")), {offset: b"\x12"})
    with pytest.raises(FormatError, match="checksum"):
        XfsVolume(blob)


def test_an_inodes_checksum_is_verified(fsimages: DiskFixtures) -> None:
    volume = _volume(fsimages, "xfs.img")
    at = _inode_address(volume, "/etc/fstab") + 60  # di_size
    patched = XfsVolume(PatchedBlob(FileBlob(fsimages.path("xfs.img")), {at: b"\x01"}))
    with pytest.raises(FormatError, match="checksum"):
        Tree(patched).read_file("/etc/fstab")


def test_a_directory_over_the_bound_is_refused(
    fsimages: DiskFixtures, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xfs, "MAX_DIRECTORY_SIZE", 16 * 1024)
    tree = Tree(_volume(fsimages, "xfs.img"))
    with pytest.raises(TooLarge):
        tree.names("/usr/share/zoneinfo")
    assert tree.names("/etc/alternatives") == ["README", "doc-link", "long-link"]


def test_not_xfs_at_all() -> None:
    with pytest.raises(FormatError, match="no XFS superblock"):
        XfsVolume(BytesBlob(bytes(4096)))


# -- hostile images ------------------------------------------------------------------------


@pytest.mark.parametrize("name", MUTATED)
def test_mutated_metadata_raises_only_format_and_lookup_errors(
    fsimages: DiskFixtures, name: str
) -> None:
    check_mutations(XfsVolume, fsimages.path(name), examples=60)
