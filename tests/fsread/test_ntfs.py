"""NTFS volumes made by mkntfs and filled through ntfs-3g, read back against ntfs-3g's reading.

scripts/make-guestos-fixtures.sh recorded, through the ntfs-3g mount, every path's type,
size, sha256 and link target (the .manifest.tsv files), blkid's UUID and LABEL, and
ntfsinfo's dump of the fragmented file.  ntfs-3g is an independent NTFS implementation: its
reading of compressed files, of the run list spread over extension records, of sparse
files and of reparse points is the oracle here.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.errors import DiskImageError, FormatError
from ec2_import_image.fsread.fileblob import file_blob
from ec2_import_image.fsread.ntfs import NotReadable, NtfsVolume
from ec2_import_image.fsread.tree import FileType, NotFound, Tree
from ec2_import_image.guestos.registry import Hive
from ec2_import_image.guestos.windows import read_drivers, read_version
from tests.support.countingblob import CountingBlob
from tests.support.diskfixtures import NTFS_FIXTURES, DiskFixtures


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    fixtures = DiskFixtures(tmp_path_factory.mktemp("ntfs"), NTFS_FIXTURES)
    return {name: fixtures.path(f"{name}.ntfs").read_bytes() for name in ("windows", "small")}


def manifest(name: str) -> list[tuple[str, int, str, str, str]]:
    rows = []
    for line in (NTFS_FIXTURES / f"{name}.manifest.tsv").read_text().splitlines():
        kind, size, digest, link, path = line.split("\t")
        rows.append((kind, int(size), digest, link, path))
    return rows


def blkid(name: str) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in (NTFS_FIXTURES / f"{name}.blkid").read_text().splitlines()
    )
    return {key: value.replace("\\ ", " ") for key, value in pairs}


def our_target(ntfs3g: str) -> str | None:
    """What ntfs-3g shows as a link's target, as this reader gives it for drive C:.

    ntfs-3g shows a junction's target under the mount point, and an absolute symbolic link
    under /.NTFS-3G/<drive>:/ (it cannot know the drive); this volume is C:.
    """
    if ntfs3g.startswith("/.NTFS-3G/"):
        drive, _, rest = ntfs3g[len("/.NTFS-3G/") :].partition("/")
        return "/" + rest if drive.upper() == "C:" else None
    return ntfs3g


@pytest.mark.parametrize("name", ["windows", "small"])
def test_every_path_reads_as_ntfs3g_read_it(volumes: dict[str, bytes], name: str) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes[name])))
    rows = manifest(name)
    assert rows
    for kind, size, digest, link, path in rows:
        found = tree.lstat(path)
        if kind == "file":
            assert found.type is FileType.FILE, path
            assert found.size == size, path
            assert hashlib.sha256(tree.read_file(path, limit=1 << 30)).hexdigest() == digest, path
        elif kind == "dir":
            assert found.type is FileType.DIRECTORY, path
        else:
            expected = our_target(link)
            if expected is None:
                assert found.type is FileType.OTHER, path
            else:
                assert found.type is FileType.SYMLINK, path
                assert tree.readlink(path) == expected, path


@pytest.mark.parametrize("name", ["windows", "small"])
def test_listings_are_ntfs3gs(volumes: dict[str, bytes], name: str) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes[name])))
    rows = manifest(name)
    children: dict[str, set[str]] = {"": set()}
    for kind, _, _, _, path in rows:
        parent, _, base = path.rpartition("/")
        children.setdefault(parent, set()).add(base)
        if kind == "dir":
            children.setdefault(path, set())
    for directory, names in children.items():
        assert set(tree.names("/" + directory)) == names, directory
    # the 8.3 names are not listed; the reserved records ($MFT...) neither
    assert "PROGRA~1" not in tree.names("/") and "$MFT" not in tree.names("/")


@pytest.mark.parametrize("name", ["windows", "small"])
def test_uuid_and_label_are_blkids(volumes: dict[str, bytes], name: str) -> None:
    volume = NtfsVolume(BytesBlob(volumes[name]))
    expected = blkid(name)
    assert volume.uuid == expected["UUID"]
    assert volume.label == expected["LABEL"]


def test_the_fragmented_file_needed_an_attribute_list(volumes: dict[str, bytes]) -> None:
    dump = (NTFS_FIXTURES / "windows.components.ntfsinfo").read_text()
    assert "$ATTRIBUTE_LIST" in dump
    volume = NtfsVolume(BytesBlob(volumes["windows"]))
    tree = Tree(volume)
    info = volume.info(tree.lookup("/Windows/System32/config/COMPONENTS").handle)
    assert info.attribute_list and info.extension_records and info.data_runs > 100
    # the hive written into the same holes is fragmented too
    assert volume.info(tree.lookup("/Windows/System32/config/SOFTWARE").handle).data_runs > 1
    cbs = volume.info(tree.lookup("/Windows/Logs/CBS/CBS.log").handle)
    assert cbs.compressed and not cbs.encrypted


def test_lookups_ignore_case_and_find_8dot3_names(volumes: dict[str, bytes]) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes["windows"])))
    assert tree.read_text("/windows/SYSTEM32/Drivers/ETC/HOSTS") == "127.0.0.1 localhost\n"
    assert tree.read_text("/PROGRA~1/amazon/EC2LAUNCH/agent-config.yml") == "version: 1.0\n"
    assert tree.lookup("/PROGRA~2").type is FileType.DIRECTORY
    for number in (1, 350, 700):
        name = f"api{number:03d}.dll"
        assert (
            tree.read_text(f"/Windows/System32/{name.upper()}") == f"MZ placeholder {number:03d}\n"
        )
    assert not tree.exists("/Windows/System32/api701.dll")
    assert not tree.exists("/$MFT")
    unicode = [name for name in tree.names("/Users/Administrator/Desktop") if "😀" in name]
    assert len(unicode) == 1 and tree.read_text(
        f"/users/administrator/desktop/{unicode[0].upper()}"
    )


def test_hard_links_share_a_file_and_streams_are_not_data(volumes: dict[str, bytes]) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes["windows"])))
    hosts = tree.lookup("/Windows/System32/drivers/etc/hosts")
    assert tree.lookup("/Windows/WinSxS/amd64_hosts_31bf3856ad364e35").handle == hosts.handle
    assert tree.read_text("/Users/Public/desktop.ini") == "public\n"


def test_links_resolve_inside_the_volume(volumes: dict[str, bytes]) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes["windows"])))
    assert tree.read_text("/Windows/win.lnk") == "[fonts]\n"
    assert tree.read_text("/Documents and Settings/Public/desktop.ini") == "public\n"
    assert tree.names("/Users/All Users") == ["Amazon"]
    assert tree.lstat("/Users/data").type is FileType.OTHER
    with pytest.raises(NotFound):
        tree.read_file("/Users/data")


def test_a_name_in_a_large_directory_costs_a_few_index_records(volumes: dict[str, bytes]) -> None:
    blob = CountingBlob(volumes["windows"])
    volume = NtfsVolume(blob)
    tree = Tree(volume)
    system32 = tree.lookup("/Windows/System32")
    assert len(tree.names("/Windows/System32")) > 700
    allocation = volume.info(system32.handle)
    assert not allocation.attribute_list
    volume = NtfsVolume(blob)  # cold caches
    tree = Tree(volume)
    tree.lookup("/Windows/System32/api001.dll")
    blob.read_bytes = 0
    tree.lookup("/Windows/System32/api690.dll")
    # the directory is 20-odd index records of 4 KiB; one lookup reads one and a record
    assert blob.read_bytes <= 4096 + 1024


def test_registry_hives_read_in_place(volumes: dict[str, bytes]) -> None:
    tree = Tree(NtfsVolume(BytesBlob(volumes["windows"])))
    version = read_version(Hive(file_blob(tree, "/Windows/System32/config/SOFTWARE")))
    assert version is not None and version.product_name == "Windows Server 2019 Datacenter"
    drivers = read_drivers(Hive(file_blob(tree, "/WINDOWS/system32/CONFIG/system")))
    assert drivers.aws_nvme and drivers.ena and drivers.aws_pv
    with pytest.raises(NotFound):
        file_blob(tree, "/Windows/System32")


def _attributes(image: bytearray, record: int) -> Iterator[tuple[int, int]]:
    """(type, offset) of the attributes of the file record at ``record`` (before fix-ups)."""
    offset = record + struct.unpack_from("<H", image, record + 20)[0]
    while offset < record + 1024:
        kind, length = struct.unpack_from("<II", image, offset)
        if kind == 0xFFFFFFFF or not length:
            return
        yield kind, offset
        offset += length


def _record_of(image: bytearray, name: str) -> int:
    """The file record whose $FILE_NAME is ``name`` (found by its bytes)."""
    needle = name.encode("utf-16-le")
    at = image.find(needle)
    while at >= 0:
        start = at - at % 1024
        if image[start : start + 4] == b"FILE":
            for kind, offset in _attributes(image, start):
                value = offset + struct.unpack_from("<H", image, offset + 20)[0]
                if kind == 0x30 and image[value + 66 : value + 66 + len(needle)] == needle:
                    return start
        at = image.find(needle, at + 1)
    raise AssertionError(name)


def test_encrypted_files_are_refused(volumes: dict[str, bytes]) -> None:
    image = bytearray(volumes["windows"])
    record = _record_of(image, "win.ini")
    flags_at = next(offset for kind, offset in _attributes(image, record) if kind == 0x80) + 12
    struct.pack_into("<H", image, flags_at, struct.unpack_from("<H", image, flags_at)[0] | 0x4000)
    tree = Tree(NtfsVolume(BytesBlob(bytes(image))))
    with pytest.raises(NotReadable, match="encrypted"):
        tree.read_file("/Windows/win.ini")
    assert tree.read_text("/Windows/System32/drivers/etc/hosts")


def test_torn_records_are_refused(volumes: dict[str, bytes]) -> None:
    image = bytearray(volumes["windows"])
    record = _record_of(image, "win.ini")
    image[record + 510] ^= 0xFF  # the update sequence number at the end of the first block
    tree = Tree(NtfsVolume(BytesBlob(bytes(image))))
    with pytest.raises(FormatError, match="update sequence"):
        tree.read_file("/Windows/win.ini")


def test_boot_sector_checks(volumes: dict[str, bytes]) -> None:
    good = volumes["small"]
    with pytest.raises(FormatError, match="boot sector"):
        NtfsVolume(BytesBlob(good[:3] + b"EXFAT   " + good[11:]))
    bad_cluster = bytearray(good[:512])
    bad_cluster[13] = 3
    with pytest.raises(FormatError, match="cluster size"):
        NtfsVolume(BytesBlob(bytes(bad_cluster) + good[512:]))
    with pytest.raises(FormatError, match="cut short"):
        NtfsVolume(BytesBlob(good[: 16384 + 100]))
    # a volume cut after its MFT's first records: the files beyond are refused when read
    tree = Tree(NtfsVolume(BytesBlob(good[:200_000])))
    with pytest.raises(FormatError):
        tree.read_file("/packed/log.txt")


def _walk(volume: NtfsVolume, budget: list[int]) -> None:
    """Every file of a (mutated) volume, at most 300 stats and 12 levels."""
    stack = [(volume.root(), 0)]
    while stack and budget[0] > 0:
        handle, depth = stack.pop()
        budget[0] -= 1
        found = volume.stat(handle)
        if found.type is FileType.DIRECTORY and depth < 12:
            for entry in volume.entries(handle):
                volume.child(handle, entry.name)
                stack.append((entry.handle, depth + 1))
        elif found.type is FileType.FILE:
            volume.read(handle, 0, 1 << 20)
        elif found.type is FileType.SYMLINK:
            volume.read_link(handle)


@st.composite
def mutated_small(draw: st.DrawFn) -> bytes:
    data = bytearray(SMALL)
    # the metadata: the boot sector and the MFT (cluster 32 of 512 bytes) and its records
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.one_of(st.integers(0, 511), st.integers(16384, 16384 + 80 * 1024)))
        chunk = draw(st.binary(min_size=1, max_size=8))
        data[at : at + len(chunk)] = chunk
    return bytes(data)


SMALL = b""


@pytest.fixture(scope="module", autouse=True)
def _small(volumes: dict[str, bytes]) -> None:
    global SMALL  # noqa: PLW0603 - the fuzzer's seed, unpacked once
    SMALL = volumes["small"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_small())
def test_mutated_volumes_raise_only_disk_image_errors(data: bytes) -> None:
    with contextlib.suppress(DiskImageError):
        _walk(NtfsVolume(BytesBlob(data)), [300])
