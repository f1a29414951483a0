"""A file's bytes from its block map: runs of blocks read in large pieces, holes as zeros.

Every extent-based file system maps a file's logical blocks to places on the
disk: ext's extent trees and block maps, XFS's extent lists and B+trees.  A
reader turns the part of the map a read touches into ``Run``\\ s (sorted,
not overlapping) and ``read_runs`` assembles the bytes: one read of the blob
per run, zeros for what no run covers (a hole) and for a run the file system
marks unwritten or uninitialized (allocated, never written: whatever the disk
holds there is not the file's).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.errors import FormatError

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Run:
    """``count`` logical blocks from ``logical``, stored from byte ``disk`` of the volume."""

    logical: int
    count: int
    disk: int
    #: allocated but not written: reads as zeros
    unwritten: bool = False


@dataclass(frozen=True)
class MapWalk:
    """One walk of a file's map for its blocks ``first`` to ``end - 1``: the runs found.

    A tree node reached twice (a loop, or a subtree shared by two parents) is refused:
    ``enter`` remembers the nodes read.
    """

    owner: int
    first: int
    end: int
    runs: list[Run] = field(default_factory=list)
    nodes: set[int] = field(default_factory=set)

    def enter(self, node: int, where: str) -> None:
        if node in self.nodes:
            raise FormatError(f"{where} reaches the same node twice")
        self.nodes.add(node)

    def overlap(self, logical: int, count: int) -> tuple[int, int]:
        """The part of ``count`` blocks from ``logical`` the walk wants (empty: start >= stop)."""
        return max(logical, self.first), min(logical + count, self.end)


def read_runs(blob: Blob, runs: list[Run], block_size: int, offset: int, length: int) -> bytes:
    """``length`` bytes of a file from ``offset``, given the runs that cover that range."""
    pieces: list[bytes] = []
    position, end = offset, offset + length
    for run in runs:
        start = run.logical * block_size
        stop = start + run.count * block_size
        if stop <= position:
            continue
        if start >= end:
            break
        if start > position:
            pieces.append(bytes(start - position))
            position = start
        take = min(stop, end) - position
        if run.unwritten:
            pieces.append(bytes(take))
        else:
            data = blob.read(run.disk + position - start, take)
            if len(data) != take:
                raise FormatError("a file's blocks lie beyond the end of the volume")
            pieces.append(data)
        position += take
    if position < end:
        pieces.append(bytes(end - position))
    return b"".join(pieces)


def check_disjoint(runs: list[Run], block_size: int, where: str) -> None:
    """Refuse a map that puts two pieces of a file in the same place on the disk.

    A directory is parsed block by block; one block mapped over and over would make a
    small image cost as much as a huge directory.  No file system shares a directory's
    blocks, so this is a malformed map.
    """
    end = -1
    for run in sorted(runs, key=lambda run: run.disk):
        if run.disk < end:
            raise FormatError(f"{where} maps two of its blocks to the same place")
        end = run.disk + run.count * block_size


def written_blocks(
    blob: Blob, runs: list[Run], block_size: int, chunk: int
) -> Iterator[tuple[int, bytes]]:
    """``(logical block, bytes)`` pieces of the written runs, at most ``chunk`` blocks each.

    Directories are read this way: a hole or an unwritten run holds no entries.
    """
    for run in runs:
        if run.unwritten:
            continue
        for first in range(0, run.count, chunk):
            count = min(chunk, run.count - first)
            data = blob.read(run.disk + first * block_size, count * block_size)
            if len(data) != count * block_size:
                raise FormatError("a directory's blocks lie beyond the end of the volume")
            yield run.logical + first, data


def merge(runs: list[Run], block_size: int) -> list[Run]:
    """Runs that continue each other on the disk, joined (one read instead of many)."""
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.unwritten == run.unwritten
            and last.logical + last.count == run.logical
            and last.disk + last.count * block_size == run.disk
        ):
            merged[-1] = Run(last.logical, last.count + run.count, last.disk, last.unwritten)
        else:
            merged.append(run)
    return merged


class Lru(Generic[K, V]):
    """The last ``capacity`` values computed, by key (inodes, directories, metadata blocks)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, make: Callable[[K], V]) -> V:
        items = self._items
        if key in items:
            items.move_to_end(key)
            return items[key]
        value = make(key)
        items[key] = value
        if len(items) > self._capacity:
            items.popitem(last=False)
        return value
