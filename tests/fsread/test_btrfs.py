"""The btrfs reader against what the kernel and btrfs-progs say of the same images.

The oracles are independent of the reader: every file's type, size, SHA-256 and
link target as the kernel showed them once mounted (checked by the recipe
against the trees given to it), `btrfs subvolume list` and `get-default`, blkid,
and `btrfs inspect-internal dump-tree`'s extents.  Damaged images (bytes
changed, node checksums recomputed so the structures themselves are hostile)
raise only the readers' errors.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.crc32c import crc32c
from ec2_import_image.diskimage.errors import DiskImageError, FormatError
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.fsread import btrfs_disk
from ec2_import_image.fsread.btrfs import Btrfs, BtrfsVolume, mount_options, name_hash
from ec2_import_image.fsread.btrfs_extents import (
    Compression,
    ExtentType,
    decompress,
    parse_extent,
)
from ec2_import_image.fsread.tree import FileType, NotFound, Tree
from ec2_import_image.fsread.xxh64 import xxh64
from tests.support.btrfslvm import Images, Patched, record, text

SMALL = ["crc32c", "xxhash", "sha256", "blake2"]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    return Images(tmp_path_factory.mktemp("btrfs"))


def _open(images: Images, name: str) -> Btrfs:
    return Btrfs(FileBlob(images.path(f"{name}.raw")))


def _check_manifest(tree: Tree, manifest: list[dict[str, Any]], prefix: str = "") -> int:
    checked = 0
    for entry in manifest:
        path = entry["path"]
        if not path.startswith(prefix):
            continue
        path = path[len(prefix) :]
        found = tree.lstat(path)
        assert found.type.value == entry["type"], path
        if entry["type"] == "file":
            assert found.size == entry["size"], path
            data = tree.read_file(path, limit=64 * 1024 * 1024)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], path
        elif entry["type"] == "symlink":
            assert tree.readlink(path) == entry["target"], path
        checked += 1
    return checked


# -- every file, as the kernel showed it -----------------------------------------------------


@pytest.mark.parametrize("name", ["btrfs-fedora", "btrfs-opensuse"])
def test_every_file_reads_as_the_kernel_showed_it(images: Images, name: str) -> None:
    fs = _open(images, name)
    manifest = record(f"{name}.manifest.json")
    assert _check_manifest(Tree(fs.top_level()), manifest) == len(manifest) >= 20


@pytest.mark.parametrize("checksum", SMALL)
def test_mkfs_rootdir_images_read_as_the_tree_given_to_mkfs(images: Images, checksum: str) -> None:
    """Each node checksum (crc32c, xxhash64, sha256, blake2b), 4 and 64 KiB nodes, mixed
    block groups, DUP data, single metadata."""
    fs = _open(images, f"btrfs-small-{checksum}")
    names = {"crc32c": 0, "xxhash": 1, "sha256": 2, "blake2": 3}
    assert fs.disk.superblock.csum_type == names[checksum]
    manifest = record("btrfs-small.manifest.json")
    assert _check_manifest(Tree(fs.top_level()), manifest) == len(manifest)


def test_directory_listings_are_the_kernels(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    tree = Tree(fs.top_level())
    manifest = record("btrfs-fedora.manifest.json")
    children: dict[str, set[str]] = {}
    for entry in manifest:
        parent, _, name = entry["path"].rpartition("/")
        children.setdefault(parent, set()).add(name)
        if entry["type"] == "directory":
            children.setdefault(entry["path"], set())
    for directory, names in children.items():
        assert set(tree.names(directory or "/")) == names, directory
    many = tree.list_dir("root/usr/share/many")
    assert len(many) == 520 and all(entry.type is FileType.FILE for entry in many)


# -- the tools' records ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["btrfs-fedora", "btrfs-opensuse"])
def test_subvolumes_are_what_btrfs_subvolume_list_says(images: Images, name: str) -> None:
    fs = _open(images, name)
    expected = [
        (row["id"], row["parent"], row["path"], row["uuid"])
        for row in record(f"{name}.subvolumes.json")
    ]
    found = [(sub.id, sub.parent, sub.path, sub.uuid) for sub in fs.subvolumes()]
    assert found == expected


@pytest.mark.parametrize("name", ["btrfs-fedora", "btrfs-opensuse"])
def test_the_default_subvolume_is_what_get_default_says(images: Images, name: str) -> None:
    fs = _open(images, name)
    words = text(f"{name}.default.txt").split()
    default = fs.default_subvolume()
    assert default.id == int(words[1])
    if "path" in words:
        assert default.path == words[words.index("path") + 1]
    else:
        assert default.path == "" and words[2] == "(FS_TREE)"


@pytest.mark.parametrize(
    "name", ["btrfs-fedora", "btrfs-opensuse", *(f"btrfs-small-{c}" for c in SMALL)]
)
def test_uuid_and_label_are_what_blkid_says(images: Images, name: str) -> None:
    fs = _open(images, name)
    fields = dict(line.split("=", 1) for line in text(f"{name}.blkid.txt").split())
    assert fields["TYPE"] == "btrfs"
    assert fs.uuid == fields["UUID"]
    assert fs.label == fields["LABEL"]


@pytest.mark.parametrize(
    "name", ["btrfs-fedora", "btrfs-opensuse", *(f"btrfs-small-{c}" for c in SMALL)]
)
def test_extents_are_what_dump_tree_says(images: Images, name: str) -> None:
    fs = _open(images, name)
    rows = record(f"{name}.extents.json")
    assert rows
    for row in rows:
        found = list(fs.extents(row["tree"], row["inode"]))
        assert len(found) == len(row["extents"]), row
        for extent, expected in zip(found, row["extents"], strict=True):
            assert extent.file_offset == expected["file_offset"]
            assert extent.type.name.lower() == expected["type"]
            assert extent.compression.name.lower() == expected["compression"]
            assert extent.ram_bytes == expected["ram_bytes"]
            if extent.type is ExtentType.INLINE:
                assert len(extent.inline) == expected["inline_size"]
            else:
                assert extent.disk_bytenr == expected["disk_bytenr"]
                assert extent.disk_num_bytes == expected["disk_num_bytes"]
                assert extent.offset == expected["offset"]
                assert extent.num_bytes == expected["num_bytes"]


def test_the_fixtures_hold_every_kind_of_extent() -> None:
    """What the reader is proved on: each compression, inline and regular, a compressed
    extent used from an offset, preallocated extents and explicit holes."""
    kinds: set[tuple[str, str]] = set()
    offsets: set[str] = set()
    for name in ("btrfs-fedora", "btrfs-opensuse"):
        for row in record(f"{name}.extents.json"):
            for extent in row["extents"]:
                kinds.add((extent["type"], extent["compression"]))
                if extent.get("offset") and extent["compression"] != "none":
                    offsets.add(extent["compression"])
                if extent.get("disk_bytenr") == 0:
                    kinds.add(("hole", "none"))
    for method in ("zlib", "lzo", "zstd"):
        assert ("regular", method) in kinds and ("inline", method) in kinds
    assert {("prealloc", "none"), ("hole", "none"), ("regular", "none")} <= kinds
    assert offsets == {"zlib", "lzo", "zstd"}


# -- mounting as fstab asks ---------------------------------------------------------------------


def test_fedora_root_as_fstab_mounts_it(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    root = Tree(fs.mount("subvol=root,compress=zstd:1"))
    assert "ID=fedora" in root.read_text("/etc/os-release")  # ../usr/lib/os-release
    assert root.readlink("etc/os-release") == "../usr/lib/os-release"
    assert root.lookup("/lib/modules").type is FileType.DIRECTORY  # lib -> usr/lib
    fstab = root.read_text("/etc/fstab")
    assert f"UUID={fs.uuid} /     btrfs subvol=root" in fstab
    entries = root.names("/boot/loader/entries")
    assert entries == ["0123456789abcdef0123456789abcdef-6.5.6-300.fc39.x86_64.conf"]
    # the nested subvolume is crossed into, as the kernel does
    assert root.read_text("/var/lib/machines/README") == "inside a nested subvolume\n"
    machines = root.lookup("/var/lib/machines")
    assert machines.handle == (258, 256)
    home = Tree(fs.mount("subvol=home"))
    assert home.names("fedora") == [".bashrc", "link-to-root", "notes.txt"]
    # an absolute link inside the subvolume resolves from the subvolume's root
    assert not home.exists("fedora/link-to-root")
    assert Tree(fs.mount("subvolid=257")).names("/") == ["fedora"]
    assert Tree(fs.mount("subvol=/root")).exists("/etc/fstab")
    assert set(Tree(fs.mount("")).names("/")) == {"home", "root", "snapshots"}
    assert set(Tree(fs.mount("subvolid=0")).names("/")) == {"home", "root", "snapshots"}


def test_mount_refusals_are_lookup_errors(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    with pytest.raises(NotFound, match="not a btrfs subvolume"):
        fs.mount("subvol=root/usr")
    with pytest.raises(NotFound):
        fs.mount("subvol=nowhere")
    with pytest.raises(NotFound, match="not 257"):
        fs.mount("subvol=root,subvolid=257")
    with pytest.raises(NotFound):
        fs.mount("subvolid=999")
    with pytest.raises(NotFound):
        fs.mount("subvolid=x")
    assert mount_options("defaults,subvol=@/home,noatime,subvolid=7") == ("@/home", 7)


def test_a_snapshot_shows_a_nested_subvolume_as_an_empty_directory(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    snapshot = Tree(fs.open_subvolume("snapshots/root-1"))
    machines = snapshot.lookup("var/lib/machines")
    assert machines.type is FileType.DIRECTORY
    assert snapshot.names("var/lib/machines") == []
    assert not snapshot.exists("usr/share/doc/compress")  # taken before those were written
    assert snapshot.read_text("etc/hostname") == "fedora-fixture\n"


def test_opensuse_default_and_nested_paths(images: Images) -> None:
    fs = _open(images, "btrfs-opensuse")
    root = Tree(fs.mount("defaults"))
    assert "ID=opensuse-leap" in root.read_text("/etc/os-release")
    assert fs.mount("").subvolume.path == "@/.snapshots/1/snapshot"
    assert Tree(fs.mount("subvol=/@/home")).read_text("user/README") == "openSUSE home\n"
    assert fs.open_subvolume(259).subvolume.path == "@/.snapshots/1/snapshot"
    holes = root.read_file("var/lib/holes.img")
    assert (
        holes[: 256 * 1024] == bytes(256 * 1024) and holes[256 * 1024 : 256 * 1024 + 6] == b"middle"
    )


def test_names_sharing_a_hash_share_one_dir_item(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    volume = fs.open_subvolume("root")
    tree = Tree(volume)
    first, second, plain = tree.names("usr/share/collide")
    assert plain == "plain" and name_hash(first.encode()) == name_hash(second.encode())
    directory = tree.lookup("usr/share/collide").handle
    assert isinstance(directory, tuple)
    item = fs.disk.lookup(
        fs.root_item(256).tree, (directory[1], btrfs_disk.DIR_ITEM, name_hash(first.encode()))
    )
    assert item is not None and first.encode() in item and second.encode() in item
    assert tree.read_text(f"usr/share/collide/{first}").startswith("the first")
    assert tree.read_text(f"usr/share/collide/{second}").startswith("the second")


def test_odd_names_and_files(images: Images) -> None:
    tree = Tree(_open(images, "btrfs-fedora").open_subvolume("root"))
    latin1 = b"latin1-\xe9t\xe9.txt".decode("utf-8", "surrogateescape")
    assert tree.read_text(f"usr/share/doc/{latin1}") == "a name that is not UTF-8\n"
    assert tree.read_text("usr/share/doc/café-ñandú.txt") == "a UTF-8 name\n"
    assert tree.lstat("var/lib/fifo").type is FileType.OTHER
    assert tree.read_file("etc/subuid") == b""
    assert tree.exists("long-name-" + "x" * 240)
    assert not tree.exists("x" * 300)
    assert tree.read_file("usr/bin/rbash") == tree.read_file("usr/bin/bash")  # a hard link


def test_partial_reads_cross_extents_and_holes(images: Images) -> None:
    fs = _open(images, "btrfs-fedora")
    volume = fs.open_subvolume("root")
    tree = Tree(volume)
    for path in (
        "usr/share/doc/compress/lzo.log",
        "usr/share/doc/compress/mixed.log",
        "var/lib/sparse.img",
        "var/lib/prealloc.img",
    ):
        found = tree.lookup(path)
        whole = volume.read(found.handle, 0, found.size)
        for offset, length in (
            (0, 1),
            (65530, 20),
            (131000, 300000),
            (found.size - 5, 100),
            (found.size, 10),
        ):
            assert volume.read(found.handle, offset, length) == whole[offset : offset + length]
    assert volume.read(tree.lookup("var/lib/sparse.img").handle, -1, 10) == b""


# -- refusals and damage ---------------------------------------------------------------------


def test_a_multi_device_file_system_is_refused(images: Images) -> None:
    with pytest.raises(FormatError, match="spans 2 devices"):
        _open(images, "btrfs-raid1-a")


def test_not_btrfs_is_refused() -> None:
    with pytest.raises(FormatError, match="no valid btrfs superblock"):
        Btrfs(BytesBlob(bytes(1024 * 1024)))


def _node_copies(fs: Btrfs, logical: int) -> list[int]:
    chunk = fs.disk.chunks.find(logical)
    return [copy + logical - chunk.logical for copy in chunk.copies]


def test_a_damaged_copy_of_a_dup_node_is_read_from_the_other(images: Images) -> None:
    blob = FileBlob(images.path("btrfs-fedora.raw"))
    fs = Btrfs(blob)
    logical = fs.root_item(256).tree.logical
    first, second = _node_copies(fs, logical)
    damaged = Btrfs(Patched(blob, {first + 200: b"\xff\xfe"}))
    assert "ID=fedora" in Tree(damaged.mount("subvol=root")).read_text("etc/os-release")
    both = Btrfs(Patched(blob, {first + 200: b"\xff\xfe", second + 200: b"\xff\xfe"}))
    with pytest.raises(FormatError, match="checksum"):
        Tree(both.mount("subvol=root")).read_text("etc/os-release")


def test_a_damaged_primary_superblock_falls_back_to_a_mirror(images: Images) -> None:
    blob = FileBlob(images.path("btrfs-fedora.raw"))
    fs = Btrfs(Patched(blob, {0x10000 + 0x100: b"\x01"}))
    assert fs.uuid == "5b3e5f0e-6d1c-4c1f-9a5e-0a7f3c2d1e01"
    with pytest.raises(FormatError, match="no valid btrfs superblock"):
        Btrfs(Patched(blob, {0x10000 + 0x100: b"\x01", 0x4000000 + 0x100: b"\x01"}))


def _walk(tree: Tree, path: str, budget: list[int]) -> Iterator[str]:
    for entry in tree.list_dir(path):
        budget[0] -= 1
        if budget[0] < 0:
            return
        child = f"{path.rstrip('/')}/{entry.name}"
        yield child
        if entry.type is FileType.DIRECTORY:
            yield from _walk(tree, child, budget)


def _exercise(blob: Blob, subvolume: str) -> None:
    """Open, list and read everything; only the readers' errors may come out."""
    try:
        fs = Btrfs(blob)
        fs.subvolumes()
        tree = Tree(fs.mount(f"subvol={subvolume}"))
        for path in _walk(tree, "/", [3000]):
            try:
                found = tree.lstat(path)
                if found.type is FileType.FILE:
                    tree.read_file(path, limit=1024 * 1024)
                elif found.type is FileType.SYMLINK:
                    tree.readlink(path)
            except (DiskImageError, LookupError):
                continue
    except (DiskImageError, LookupError):
        return


def _tree_nodes(fs: Btrfs, root: btrfs_disk.TreeRoot) -> list[int]:
    nodes: list[int] = []
    pending = [(root.logical, root.level, root.generation)]
    while pending:
        logical, level, generation = pending.pop()
        node = fs.disk.node(logical, level, generation)
        nodes.append(logical)
        if level:
            pending.extend((child, level - 1, gen) for child, gen in node.refs)
    return nodes


@dataclass(frozen=True)
class _Target:
    """A node to damage: where its copies are and its used bytes (header and item headers at
    the start, item data at the end; the middle is free space)."""

    copies: list[int]
    head_end: int
    data_start: int


@pytest.fixture(scope="module")
def opensuse(images: Images) -> tuple[Blob, list[_Target]]:
    """The openSUSE image and the nodes of its chunk tree, root tree and subvolume trees."""
    blob = FileBlob(images.path("btrfs-opensuse.raw"))
    fs = Btrfs(blob)
    superblock = fs.disk.superblock
    roots = [
        btrfs_disk.TreeRoot(
            superblock.chunk_root, superblock.chunk_root_level, superblock.chunk_root_generation
        ),
        fs.disk.root_tree,
        *(fs.root_item(tree_id).tree for tree_id in (5, 256, 257, 258, 259)),
    ]
    targets = []
    for root in roots:
        for logical in _tree_nodes(fs, root):
            node = fs.disk.node(logical, *_level_and_generation(fs, root, logical))
            size = btrfs_disk.KEY_POINTER.size if node.level else btrfs_disk.ITEM.size
            head_end = btrfs_disk.HEADER.size + len(node.keys) * size
            data_start = min((offset for offset, _ in node.refs), default=len(node.data))
            if node.level:
                data_start = len(node.data)
            targets.append(_Target(_node_copies(fs, logical), head_end, data_start))
    return blob, targets


def _level_and_generation(fs: Btrfs, root: btrfs_disk.TreeRoot, logical: int) -> tuple[int, int]:
    pending = [(root.logical, root.level, root.generation)]
    while pending:
        at, level, generation = pending.pop()
        if at == logical:
            return level, generation
        if level:
            pending.extend((c, level - 1, g) for c, g in fs.disk.node(at, level, generation).refs)
    raise AssertionError(logical)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_nodes_raise_only_reader_errors(
    opensuse: tuple[Blob, list[_Target]], data: st.DataObject
) -> None:
    """Bytes of a tree node (chunk, root or subvolume tree) changed where the node is used,
    its checksum recomputed, in both DUP copies: the structures themselves are hostile;
    opening, listing and reading everything stays bounded and raises only reader errors."""
    blob, targets = opensuse
    target = data.draw(st.sampled_from(targets))
    node = bytearray(blob.read(target.copies[0], 16384))
    used = st.one_of(st.integers(0x20, target.head_end - 1), st.integers(target.data_start, 16383))
    for _ in range(data.draw(st.integers(1, 6))):
        node[data.draw(used)] = data.draw(st.integers(0, 255))
    node[:4] = struct.pack("<I", crc32c(bytes(node[0x20:])))
    _exercise(Patched(blob, dict.fromkeys(target.copies, bytes(node))), "/@/.snapshots/1/snapshot")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.integers(0, 3))
def test_hostile_extent_items_raise_only_format_errors(data: bytes, method: int) -> None:
    try:
        extent = parse_extent(0, data, 4096)
    except FormatError:
        pass
    else:
        assert extent.length >= 0
    with contextlib.suppress(FormatError):
        decompress(Compression(method), data, 4096, 4096)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=4096))
def test_hostile_btrfs_lzo_framing_raises_only_format_errors(data: bytes) -> None:
    framed = struct.pack("<I", len(data) + 4) + data
    for payload in (data, framed):
        with contextlib.suppress(FormatError):
            decompress(Compression.LZO, payload, 131072, 4096)


def test_a_decompression_bomb_is_bounded() -> None:
    """A zstd frame of 1 GiB of zeros is read no further than the extent's size."""
    from ec2_import_image.zstdcodec import compress

    bomb = compress(bytes(8 * 1024 * 1024))
    assert len(decompress(Compression.ZSTD, bomb, 131072, 4096)) == 131072
    bomb = zlib.compress(bytes(8 * 1024 * 1024))
    assert len(decompress(Compression.ZLIB, bomb, 131072, 4096)) == 131072


def test_node_parsing_refuses_what_does_not_add_up(images: Images) -> None:
    fs = _open(images, "btrfs-small-xxhash")
    superblock = fs.disk.superblock
    with pytest.raises(FormatError, match="checksum"):
        btrfs_disk.parse_node(bytes(superblock.nodesize), superblock, 0)
    with pytest.raises(FormatError, match="truncated"):
        btrfs_disk.parse_node(b"", superblock, 0)
    with pytest.raises(FormatError, match="in no chunk"):
        fs.disk.read(2**60, 10)


# -- the reader's own pieces against independent values -------------------------------------


def test_xxh64_matches_the_reference_vectors_and_zstd_frames() -> None:
    from ec2_import_image.zstdcodec import CompressionParameter, compress

    assert xxh64(b"") == 0xEF46DB3751D8E999
    assert xxh64(b"abc") == 0x44BC2CF5AD770999
    checksummed = {int(CompressionParameter.checksum_flag): 1}
    for size in (0, 1, 3, 4, 7, 8, 31, 32, 33, 100, 1000, 16384):
        data = bytes(range(256)) * (size // 256 + 1)
        data = data[:size]
        frame = compress(data, options=checksummed)  # a zstd frame ends with XXH64's low 32 bits
        assert struct.unpack("<I", frame[-4:])[0] == xxh64(data) & 0xFFFFFFFF


def test_name_hash_is_the_dir_item_key(images: Images) -> None:
    """DIR_ITEMs are found under the name's hash (values dump-tree printed as their keys)."""
    assert name_hash(b"pre") == 2691869611
    assert name_hash(b"sparse") == 4242386490
    fs = _open(images, "btrfs-fedora")
    volume: BtrfsVolume = fs.open_subvolume("root")
    etc = Tree(volume).lookup("etc").handle
    assert isinstance(etc, tuple)
    for name in ("fstab", "hostname", "os-release"):
        key = (etc[1], btrfs_disk.DIR_ITEM, name_hash(name.encode()))
        assert fs.disk.lookup(fs.root_item(256).tree, key) is not None
