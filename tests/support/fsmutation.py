"""Hostile file-system images: a real image with some of its metadata changed, or cut short.

``metadata_ranges`` walks a real image (tests/fixtures/fsread/) the way a reader lists
it, without reading file data (directories, inodes, link targets, one byte at each end
of every file so that its block map is walked) and records every range of bytes the
reader read: its metadata.  A mutation changes a few bytes inside those ranges and may
cut the image short; ``PatchedBlob`` serves the result and counts the reads.  ``walk``
then does everything a caller does (list, stat, look up through links, read bounded
pieces) and lets through only what a reader may raise on a bad image:
``DiskImageError`` (``FormatError``, ``Unsupported``, ``TooLarge``) and ``LookupError``.
A reader that would loop without end reads without end: past ``READ_BUDGET`` reads the
blob raises ``ReadBudgetExceeded`` (an ``AssertionError``), and the test fails instead
of hanging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import Blob, clamp_read
from ec2_import_image.diskimage.errors import DiskImageError
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.fsread.tree import FileType, Handle, Tree, Volume

#: reads one walk of a mutated image may make (a full walk of a fixture makes a few thousand)
READ_BUDGET = 50_000
#: what a reader may raise on a malformed image
EXPECTED = (DiskImageError, LookupError)
#: paths a caller looks up (through links: merged /usr, os-release, a long link)
LOOKUPS = (
    "/etc/os-release",
    "/lib/modules/6.1.0-13-amd64/modules.builtin",
    "/etc/alternatives/long-link",
    "/etc/alternatives/doc-link",
    "/boot/grub/grub.cfg",
    "/usr/share/zoneinfo/zone-598-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
)


class ReadBudgetExceeded(AssertionError):
    """A reader read more than a walk of any image needs: it would not have stopped."""


class RecordingBlob:
    """A blob that records the ranges read from it."""

    def __init__(self, base: Blob) -> None:
        self._base = base
        self.ranges: list[tuple[int, int]] = []

    @property
    def size(self) -> int:
        return self._base.size

    def read(self, offset: int, length: int) -> bytes:
        data = self._base.read(offset, length)
        if data:
            self.ranges.append((offset, len(data)))
        return data


@dataclass
class PatchedBlob:
    """``base`` with bytes replaced (offset -> bytes), cut to ``cut`` bytes, reads counted."""

    base: Blob
    patches: dict[int, bytes]
    cut: int | None = None
    reads: int = field(default=0, init=False)

    @property
    def size(self) -> int:
        return self.base.size if self.cut is None else min(self.cut, self.base.size)

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        if self.reads > READ_BUDGET:
            raise ReadBudgetExceeded(f"more than {READ_BUDGET} reads")
        length = clamp_read(offset, length, self.size)
        if not length:
            return b""
        data = bytearray(self.base.read(offset, length))
        for at, chunk in self.patches.items():
            for index, value in enumerate(chunk):
                if offset <= at + index < offset + len(data):
                    data[at + index - offset] = value
        return bytes(data)


def metadata_ranges(open_volume: Callable[[Blob], Volume], blob: Blob) -> list[tuple[int, int]]:
    """The ranges a reader reads to list the tree and walk every file's map (not its data)."""
    recording = RecordingBlob(blob)
    volume = open_volume(recording)
    pending: list[Handle] = [volume.root()]
    while pending:
        for entry in volume.entries(pending.pop()):
            found = volume.stat(entry.handle)
            if found.type is FileType.DIRECTORY:
                pending.append(entry.handle)
            elif found.type is FileType.SYMLINK:
                volume.read_link(entry.handle)
            elif found.type is FileType.FILE and found.size:
                volume.read(entry.handle, 0, 1)
                volume.read(entry.handle, found.size // 2, 1)
                volume.read(entry.handle, found.size - 1, 1)
    # one-byte data reads are not metadata; a reader reads metadata in sectors or blocks
    return sorted({(offset, length) for offset, length in recording.ranges if length >= 512})


@st.composite
def mutations(
    draw: st.DrawFn, ranges: list[tuple[int, int]]
) -> tuple[dict[int, bytes], int | None]:
    """A few changed places inside the metadata, and maybe a cut near some of it."""
    patches: dict[int, bytes] = {}
    for _ in range(draw(st.integers(1, 6))):
        start, length = draw(st.sampled_from(ranges))
        at = start + draw(st.integers(0, length - 1))
        patches[at] = draw(
            st.one_of(
                st.binary(min_size=1, max_size=4),
                st.sampled_from([b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x01", b"\x80", b"\x7f"]),
            )
        )
    cut = None
    if draw(st.integers(0, 4)) == 0:
        start, length = draw(st.sampled_from(ranges))
        cut = start + draw(st.integers(0, length))
    return patches, cut


def walk(volume: Volume, *, most: int = 1500) -> int:
    """Everything a caller does, bounded, each failure of the expected kinds passed over.

    Returns how many operations completed (so a test can see that it walked at all).
    """
    done = 0
    tree = Tree(volume)
    for path in LOOKUPS:
        try:
            tree.read_file(path, limit=64 * 1024)
            done += 1
        except EXPECTED:
            pass
    pending: list[Handle] = [volume.root()]
    seen: set[Handle] = set(pending)
    while pending and done < most:
        try:
            entries = volume.entries(pending.pop())
            for count, entry in enumerate(entries):
                if count >= 300 or done >= most:
                    break
                done += 1
                _visit(volume, entry.handle, pending, seen)
        except EXPECTED:
            pass
    return done


def _visit(volume: Volume, handle: Handle, pending: list[Handle], seen: set[Handle]) -> None:
    try:
        found = volume.stat(handle)
        if found.type is FileType.DIRECTORY and handle not in seen:
            seen.add(handle)
            pending.append(handle)
        elif found.type is FileType.SYMLINK:
            volume.read_link(handle)
        elif found.type is FileType.FILE:
            volume.read(handle, 0, min(found.size, 64 * 1024))
            volume.read(handle, max(0, found.size - 5000), 5000)
    except EXPECTED:
        pass


_RANGES: dict[tuple[str, str], list[tuple[int, int]]] = {}


def check_mutations(open_volume: Callable[[Blob], Volume], image: Path, examples: int) -> None:
    """Walk ``examples`` mutations of ``image``: nothing but the expected errors comes out."""
    base = FileBlob(image)
    key = (str(image), getattr(open_volume, "__qualname__", ""))
    if key not in _RANGES:
        _RANGES[key] = metadata_ranges(open_volume, base)
    assert walk(open_volume(base)) > 500

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutations(_RANGES[key]))
    def mutated(change: tuple[dict[int, bytes], int | None]) -> None:
        patches, cut = change
        try:
            volume = open_volume(PatchedBlob(base, patches, cut))
        except EXPECTED:
            return
        walk(volume)

    mutated()
