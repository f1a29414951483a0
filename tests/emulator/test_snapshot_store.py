"""The snapshot-content store: blocks on disk, zeros elsewhere, parents, a disk copied in."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ec2_import_emulator.snapshots import BLOCK_SIZE, GIB, SnapshotKey, SnapshotStore
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.diskimage.virtual import open_virtual_disk
from tests.support.diskfixtures import DiskFixtures

KEY = SnapshotKey("123456789012", "us-east-1", "snap-0123456789abcdef0")


def _key(number: int) -> SnapshotKey:
    return SnapshotKey(KEY.account, KEY.region, f"snap-{number:017x}")


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "store")


def test_blocks_read_back_with_zeros_elsewhere(store: SnapshotStore) -> None:
    content = store.create(KEY, 1)
    block = bytes(range(256)) * (BLOCK_SIZE // 256)
    digest = content.write_block(3, block)
    assert digest == hashlib.sha256(block).digest() == content.digest(3)
    assert content.size == GIB and content.block_count == 2048
    assert content.block(3) == block and content.block(2) is None
    assert content.read(3 * BLOCK_SIZE - 4, 8) == bytes(4) + block[:4]
    assert content.read(GIB - 10, 100) == bytes(10)
    assert list(content.allocated()) == [(3 * BLOCK_SIZE, BLOCK_SIZE)]
    assert content.indexes() == [3] and content.own_digests() == [(3, digest)]
    with pytest.raises(IndexError):
        content.write_block(2048, block)
    with pytest.raises(ValueError, match="524288"):
        content.write_block(0, b"short")


def test_no_file_as_large_as_the_volume(store: SnapshotStore) -> None:
    content = store.create(KEY, 65536)
    content.write_block(content.block_count - 1, b"\x01" * BLOCK_SIZE)
    content.write_block(0, b"\x02" * BLOCK_SIZE)
    content.write_block(content.block_count - 1, b"\x03" * BLOCK_SIZE)
    assert content.path.stat().st_size == 2 * BLOCK_SIZE
    assert content.read(content.size - BLOCK_SIZE, 2) == b"\x03\x03"


def test_a_child_reads_its_parent_and_outlives_it(store: SnapshotStore) -> None:
    parent = store.create(_key(1), 1)
    parent.write_block(0, b"\x01" * BLOCK_SIZE)
    parent.write_block(1, b"\x02" * BLOCK_SIZE)
    child = store.create(_key(2), 2, parent)
    child.write_block(1, b"\x03" * BLOCK_SIZE)
    child.write_block(3000, b"\x04" * BLOCK_SIZE)
    assert child.indexes() == [0, 1, 3000]
    assert [index for index, _ in child.own_digests()] == [1, 3000]
    assert child.read(0, 1) == b"\x01" and child.read(BLOCK_SIZE, 1) == b"\x03"
    store.forget(_key(1))
    assert parent.path.exists() and child.read(0, 1) == b"\x01"
    store.forget(_key(2))
    assert not parent.path.exists() and not child.path.exists()


def test_a_virtual_disk_copied_in(store: SnapshotStore, fixtures: DiskFixtures) -> None:
    raw = fixtures.path("gpt-uefi.raw").read_bytes()
    disk = open_virtual_disk(FileBlob(fixtures.path("gpt-uefi.qcow2")), "gpt-uefi.qcow2")
    content = store.create(KEY, 1)
    written = content.fill(disk)
    nonzero = [i for i in range(0, len(raw), BLOCK_SIZE) if any(raw[i : i + BLOCK_SIZE])]
    assert written == len(nonzero)
    assert content.indexes() == [offset // BLOCK_SIZE for offset in nonzero]
    assert content.read(0, len(raw)) == raw


def test_retain_reset_and_close() -> None:
    store = SnapshotStore()
    kept, dropped = store.create(_key(1), 1), store.create(_key(2), 1)
    directory = kept.path.parent
    store.retain(lambda key: key == _key(1))
    assert store.keys() == [_key(1)] and not dropped.path.exists()
    with pytest.raises(ValueError, match="already"):
        store.create(_key(1), 1)
    store.close()
    assert store.keys() == [] and not directory.exists()
