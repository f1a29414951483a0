"""The ext2/3/4 reader against the tree mke2fs and debugfs were given (tests/fixtures/fsread/).

Each image holds the same tree (scripts/make-fsread-fixtures.sh); its manifest is the
oracle, file by file.  blkid's view of each image is the oracle of the UUID and label.
The structures each image was made to hold (block maps, extent trees two deep,
uninitialized extents over old bytes, htree and inline directories, slow symlinks) are
checked to be there, so a rebuilt fixture that lost one fails here.
"""

from __future__ import annotations

import struct

import pytest

from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.fsread import ext
from ec2_import_image.fsread.errors import Unsupported
from ec2_import_image.fsread.ext import ExtVolume
from ec2_import_image.fsread.tree import FileType, NotFound, TooLarge, Tree
from tests.support.diskfixtures import DiskFixtures
from tests.support.fsmanifest import blkid, differences, images, manifest, read_tree
from tests.support.fsmutation import PatchedBlob, check_mutations

EXT_IMAGES = images("ext")
MUTATED = ["ext2.img", "ext4.img", "ext4-small.img", "ext4-inline.img"]
SUPER = ext.SUPERBLOCK_OFFSET


def _volume(fsimages: DiskFixtures, name: str) -> ExtVolume:
    return ExtVolume(FileBlob(fsimages.path(name)))


def _handle(volume: ExtVolume, path: str) -> int:
    handle = Tree(volume).lstat(path).handle
    assert isinstance(handle, int)
    return handle


def test_the_fixtures_are_all_there() -> None:
    assert EXT_IMAGES == [
        "ext2.img", "ext3.img", "ext4-inline.img", "ext4-small.img", "ext4.img",
    ]  # fmt: skip


@pytest.mark.parametrize("name", EXT_IMAGES)
def test_every_file_is_read_as_mkfs_was_given_it(fsimages: DiskFixtures, name: str) -> None:
    read = read_tree(_volume(fsimages, name), skip=("lost+found",))
    assert differences(read, manifest()) == []


@pytest.mark.parametrize("name", EXT_IMAGES)
def test_uuid_and_label_are_blkids(fsimages: DiskFixtures, name: str) -> None:
    volume = _volume(fsimages, name)
    view = blkid(name)
    assert (volume.uuid, volume.label) == (view["UUID"], view["LABEL"])
    assert volume.block_size == int(view["BLOCK_SIZE"])
    assert not volume.needs_recovery


@pytest.mark.parametrize("name", EXT_IMAGES)
def test_paths_resolve_through_the_images_links(fsimages: DiskFixtures, name: str) -> None:
    tree = Tree(_volume(fsimages, name))
    assert tree.read_text("/etc/os-release").startswith('PRETTY_NAME="Debian GNU/Linux 12')
    assert tree.readlink("/etc/os-release") == "../usr/lib/os-release"
    assert b"nvme.ko" in tree.read_file("/lib/modules/6.1.0-13-amd64/modules.builtin")
    assert tree.exists("/lib/modules/6.1.0-13-amd64/kernel/drivers/net/ethernet/amazon/ena/ena.ko")
    assert tree.read_file("/etc/alternatives/long-link") == b"the end of a long link\n"
    assert len(tree.readlink("/etc/alternatives/long-link")) > 900
    assert "grub" in tree.names("/etc/default")
    assert len(tree.names("/usr/share/zoneinfo")) == 600
    assert tree.lookup("/dev/console").type is FileType.OTHER
    with pytest.raises(NotFound):
        tree.lookup("/etc/shadow")


@pytest.mark.parametrize("name", EXT_IMAGES)
def test_pieces_of_files_across_runs_and_holes(fsimages: DiskFixtures, name: str) -> None:
    volume = _volume(fsimages, name)
    for path in ("/var/lib/fragmented.bin", "/var/lib/sparse.img"):
        handle = _handle(volume, path)
        whole = volume.read(handle, 0, volume.stat(handle).size)
        for offset, length in ((0, 1), (1000, 5000), (4095, 2), (3_000_000, 300), (2**20, 70_000)):
            assert volume.read(handle, offset, length) == whole[offset : offset + length]
        assert volume.read(handle, len(whole), 10) == b""
        assert volume.read(handle, len(whole) - 3, 10) == whole[-3:]


def test_each_image_holds_the_structures_it_was_made_for(fsimages: DiskFixtures) -> None:
    def depth(volume: ExtVolume, path: str) -> int:
        inode = volume.inode(_handle(volume, path))
        assert inode.flags & ext.FL_EXTENTS
        magic, _entries, _most, tree_depth = struct.unpack_from("<HHHH", inode.block)
        assert magic == ext.EXTENT_MAGIC
        return int(tree_depth)

    for name in ("ext2.img", "ext3.img"):
        volume = _volume(fsimages, name)
        sparse = volume.inode(_handle(volume, "/var/lib/sparse.img"))
        assert not sparse.flags & ext.FL_EXTENTS
        assert struct.unpack("<15I", sparse.block)[13]  # double indirect block in use
    assert depth(_volume(fsimages, "ext4.img"), "/var/lib/fragmented.bin") == 1
    assert depth(_volume(fsimages, "ext4-small.img"), "/var/lib/fragmented.bin") == 2
    small = _volume(fsimages, "ext4-small.img")
    assert small.superblock.desc_size == 32 and small.superblock.incompat & ext.INCOMPAT_META_BG
    per_meta_group = small.block_size // small.superblock.desc_size
    group = (_handle(small, "/var/lib/fragmented.bin") - 1) // small.superblock.inodes_per_group
    assert group >= per_meta_group  # its descriptor is in the second meta group's block
    assert _volume(fsimages, "ext4.img").superblock.desc_size == 64
    for name in EXT_IMAGES:
        volume = _volume(fsimages, name)
        assert volume.inode(_handle(volume, "/usr/share/zoneinfo")).flags & ext.FL_INDEX
        link = volume.inode(_handle(volume, "/etc/alternatives/doc-link"))
        assert link.size > ext.I_BLOCK_SIZE and (link.blocks or link.flags & ext.FL_INLINE_DATA)
    inline = _volume(fsimages, "ext4-inline.img")
    for path in ("/etc/default", "/usr/lib/os-release", "/etc/hostname"):
        inode = inline.inode(_handle(inline, path))
        assert inode.flags & ext.FL_INLINE_DATA
    assert inline.inode(_handle(inline, "/etc/default")).size > ext.I_BLOCK_SIZE


@pytest.mark.parametrize("name", ["ext4.img", "ext4-small.img", "ext4-inline.img"])
def test_uninitialized_extents_read_as_zeros_over_old_bytes(
    fsimages: DiskFixtures, name: str
) -> None:
    volume = _volume(fsimages, name)
    handle = _handle(volume, "/var/lib/sparse.img")
    runs = volume.runs(handle, 0, 1 << 20)
    unwritten = [run for run in runs if run.unwritten]
    assert unwritten
    blob = FileBlob(fsimages.path(name))
    for run in unwritten:
        assert any(blob.read(run.disk, run.count * volume.block_size))  # debugfs's junk
        start = run.logical * volume.block_size
        length = run.count * volume.block_size
        assert volume.read(handle, start, length) == bytes(length)


# -- refusals ------------------------------------------------------------------------------


def _patched(fsimages: DiskFixtures, name: str, patches: dict[int, bytes]) -> Blob:
    return PatchedBlob(FileBlob(fsimages.path(name)), patches)


def _superblock(fsimages: DiskFixtures, name: str) -> bytes:
    return FileBlob(fsimages.path(name)).read(SUPER, 1024)


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        (ext.INCOMPAT_COMPRESSION, "compression"),
        (ext.INCOMPAT_JOURNAL_DEV, "journal device"),
        (ext.INCOMPAT_DIRDATA, "dirdata"),
        (0x80000000, "does not know"),
    ],
)
def test_features_it_cannot_read_are_refused_by_name(
    fsimages: DiskFixtures, flag: int, words: str
) -> None:
    raw = _superblock(fsimages, "ext3.img")
    incompat = struct.unpack_from("<I", raw, 0x60)[0] | flag
    with pytest.raises(Unsupported, match=words):
        ExtVolume(_patched(fsimages, "ext3.img", {SUPER + 0x60: struct.pack("<I", incompat)}))


def _inode_at(volume: ExtVolume, number: int) -> int:
    """The byte address of inode ``number`` in the image."""
    sb = volume.superblock
    group, index = divmod(number - 1, sb.inodes_per_group)
    return volume._group(group).inode_table * sb.block_size + index * sb.inode_size


def _with_inode_flags(fsimages: DiskFixtures, path: str, flags: int) -> tuple[ExtVolume, int]:
    """ext3.img (no inode checksums) with more flags on the inode of ``path``."""
    volume = _volume(fsimages, "ext3.img")
    number = _handle(volume, path)
    value = struct.pack("<I", volume.inode(number).flags | flags)
    patched = ExtVolume(_patched(fsimages, "ext3.img", {_inode_at(volume, number) + 0x20: value}))
    return patched, number


def test_a_journal_needing_recovery_is_said_not_replayed(fsimages: DiskFixtures) -> None:
    raw = _superblock(fsimages, "ext3.img")
    incompat = struct.unpack_from("<I", raw, 0x60)[0] | ext.INCOMPAT_RECOVER
    volume = ExtVolume(_patched(fsimages, "ext3.img", {SUPER + 0x60: struct.pack("<I", incompat)}))
    assert volume.needs_recovery
    assert Tree(volume).read_text("/etc/hostname") == "debian\n"


def test_an_encrypted_directory_is_refused_when_listed(fsimages: DiskFixtures) -> None:
    patched, etc = _with_inode_flags(fsimages, "/etc", ext.FL_ENCRYPT)
    with pytest.raises(Unsupported, match="encrypted"):
        list(patched.entries(etc))
    assert Tree(patched).read_file("/usr/lib/os-release")  # the rest reads


def test_a_casefold_directory_finds_names_in_any_case(fsimages: DiskFixtures) -> None:
    patched, _ = _with_inode_flags(fsimages, "/etc/alternatives", ext.FL_CASEFOLD)
    tree = Tree(patched)
    assert tree.read_file("/etc/alternatives/readme") == b"editor\n"
    assert not tree.exists("/Etc/alternatives")  # /etc itself is not casefold


def test_a_directory_mapping_a_block_twice_is_refused(fsimages: DiskFixtures) -> None:
    volume = _volume(fsimages, "ext2.img")
    number = _handle(volume, "/usr/share/zoneinfo")
    first = volume.inode(number).block[:4]
    patched = ExtVolume(_patched(fsimages, "ext2.img", {_inode_at(volume, number) + 0x2C: first}))
    with pytest.raises(FormatError, match="same place"):
        list(patched.entries(number))


@pytest.mark.parametrize(
    ("name", "offset"), [("ext4.img", SUPER + 0x20), ("ext4-small.img", 2048 + 0x8)]
)
def test_checksums_are_verified(fsimages: DiskFixtures, name: str, offset: int) -> None:
    # ext4.img: a superblock field (crc32c); ext4-small.img: group 0's descriptor (crc16)
    with pytest.raises(FormatError, match="checksum"):
        Tree(ExtVolume(_patched(fsimages, name, {offset: b"\x01\x02"}))).lookup("/etc")


def test_a_directory_over_the_bound_is_refused(
    fsimages: DiskFixtures, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ext, "MAX_DIRECTORY_SIZE", 16 * 1024)
    tree = Tree(_volume(fsimages, "ext4.img"))
    with pytest.raises(TooLarge):
        tree.names("/usr/share/zoneinfo")
    assert tree.names("/etc/alternatives") == ["README", "doc-link", "long-link"]


def test_not_ext_at_all() -> None:
    with pytest.raises(FormatError, match="no ext2/3/4 superblock"):
        ExtVolume(BytesBlob(bytes(4096)))


# -- hostile images ------------------------------------------------------------------------


@pytest.mark.parametrize("name", MUTATED)
def test_mutated_metadata_raises_only_format_and_lookup_errors(
    fsimages: DiskFixtures, name: str
) -> None:
    check_mutations(ExtVolume, fsimages.path(name), examples=60)
