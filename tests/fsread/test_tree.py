"""Path resolution over a read-only volume: symbolic links, ``..``, bounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ec2_import_image.fsread.tree import (
    MAX_LINKS,
    DirEntry,
    FileType,
    Handle,
    LinkLoop,
    NotADirectory,
    NotFound,
    Stat,
    TooLarge,
    Tree,
    find_child,
)


class DictVolume:
    """A volume in memory: a directory is a dict, a file bytes, a link a ``("link", target)``."""

    def __init__(self, tree: dict[str, object]) -> None:
        self.nodes: dict[int, object] = {}
        self._root = self._add(tree)

    def _add(self, node: object) -> int:
        number = len(self.nodes) + 1
        self.nodes[number] = node  # reserved before the children take their numbers
        if isinstance(node, dict):
            self.nodes[number] = {name: self._add(child) for name, child in node.items()}
        return number

    def root(self) -> Handle:
        return self._root

    def stat(self, handle: Handle) -> Stat:
        node = self.nodes[int(str(handle))]
        if isinstance(node, dict):
            return Stat(handle, FileType.DIRECTORY, 0)
        if isinstance(node, tuple):
            return Stat(handle, FileType.SYMLINK, len(node[1]))
        assert isinstance(node, bytes)
        return Stat(handle, FileType.FILE, len(node))

    def entries(self, directory: Handle) -> Iterator[DirEntry]:
        node = self.nodes[int(str(directory))]
        assert isinstance(node, dict)
        for name, number in node.items():
            yield DirEntry(name, number)

    def child(self, directory: Handle, name: str) -> Handle | None:
        return find_child(self, directory, name)

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        node = self.nodes[int(str(handle))]
        assert isinstance(node, bytes)
        return node[offset : offset + length]

    def read_link(self, handle: Handle) -> bytes:
        node = self.nodes[int(str(handle))]
        assert isinstance(node, tuple)
        return str(node[1]).encode()


def _tree() -> Tree:
    return Tree(
        DictVolume(
            {
                "etc": {
                    "os-release": ("link", "../usr/lib/os-release"),
                    "abs": ("link", "/usr/lib/os-release"),
                    "loop": ("link", "loop"),
                    "escape": ("link", "../../../../usr/lib/os-release"),
                },
                "usr": {"lib": {"os-release": b"ID=debian\n", "modules": {}}},
                "lib": ("link", "usr/lib"),
                "big": b"x" * 100,
            }
        )
    )


def test_relative_and_absolute_links_resolve_inside_the_image() -> None:
    tree = _tree()
    assert tree.read_file("/etc/os-release") == b"ID=debian\n"
    assert tree.read_file("etc/abs") == b"ID=debian\n"
    assert tree.read_file("/lib/os-release") == b"ID=debian\n"
    assert tree.names("/lib") == ["modules", "os-release"]


def test_dotdot_stops_at_the_root() -> None:
    assert _tree().read_file("/etc/escape") == b"ID=debian\n"
    assert _tree().read_file("/../../usr/./lib/os-release") == b"ID=debian\n"


def test_lstat_and_readlink_do_not_follow_the_last_link() -> None:
    tree = _tree()
    assert tree.lstat("/lib").type is FileType.SYMLINK
    assert tree.readlink("/lib") == "usr/lib"
    assert tree.lookup("/lib").type is FileType.DIRECTORY


def test_a_loop_is_refused_after_the_kernels_bound() -> None:
    with pytest.raises(LinkLoop, match=str(MAX_LINKS)):
        _tree().lookup("/etc/loop")
    assert not _tree().exists("/etc/loop")


def test_missing_paths_and_files_used_as_directories() -> None:
    tree = _tree()
    with pytest.raises(NotFound):
        tree.lookup("/etc/fstab")
    with pytest.raises(NotADirectory):
        tree.lookup("/big/x")
    assert not tree.exists("/big/x")
    assert tree.is_dir("/usr") and not tree.is_dir("/big")


def test_reads_are_bounded() -> None:
    with pytest.raises(TooLarge):
        _tree().read_file("/big", limit=99)
    assert _tree().read_file("/big", limit=100) == b"x" * 100
