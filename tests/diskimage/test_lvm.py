"""LVM2 physical volumes and logical volumes against LVM's own view of the same PVs.

The oracles: `pvs`, `vgs` and `lvs --segments` (JSON, in bytes), `pvck --dump
headers` and `pvck --dump metadata` as recorded by the recipe, and the SHA-256 of
each file the recipe wrote where `lvs` said a logical volume's extents are.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.diskimage.lvm import (
    LogicalVolume,
    PhysicalVolume,
    format_uuid,
    logical_volumes,
    lvm_crc,
    read_pv,
    volume_groups,
)
from ec2_import_image.diskimage.lvm_config import parse
from ec2_import_image.diskimage.sources import FileBlob
from tests.support.btrfslvm import Images, Patched, record, text

PV_FILES = {"lvm-rhel.raw", "lvm-span-a.raw", "lvm-span-b.raw"}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    return Images(tmp_path_factory.mktemp("lvm"))


def _pv(images: Images, name: str) -> PhysicalVolume:
    return read_pv(FileBlob(images.path(name)))


def _rows(name: str, kind: str) -> list[dict[str, str]]:
    report: dict[str, list[dict[str, str]]] = record(name)["report"][0]
    return report.get(kind) or report["seg"]


def _all(images: Images) -> dict[str, PhysicalVolume]:
    return {name: _pv(images, name) for name in sorted(PV_FILES)}


def _by_path(volumes: list[LogicalVolume]) -> dict[str, LogicalVolume]:
    return {volume.path: volume for volume in volumes}


# -- against pvs, vgs, lvs --------------------------------------------------------------------


@pytest.mark.parametrize("report", ["lvm-rhel.pvs.json", "lvm-span.pvs.json"])
def test_physical_volumes_are_what_pvs_says(images: Images, report: str) -> None:
    pvs = _all(images)
    groups = volume_groups(list(pvs.values()))
    refs = {ref.uuid: ref for group in groups for ref in group.physical_volumes}
    for row in _rows(report, "pv"):
        pv = pvs[row["pv_name"]]
        assert pv.uuid == row["pv_uuid"]
        assert pv.device_size == int(row["dev_size"])
        assert len(pv.metadata_areas) == int(row["pv_mda_count"])
        ref = refs[pv.uuid]
        assert ref.pe_start == int(row["pe_start"])
        assert ref.pe_count == int(row["pv_pe_count"])


@pytest.mark.parametrize("name", ["lvm-rhel", "lvm-span"])
def test_volume_groups_are_what_vgs_says(images: Images, name: str) -> None:
    groups = {group.name: group for group in volume_groups(list(_all(images).values()))}
    for row in _rows(f"{name}.vgs.json", "vg"):
        group = groups[row["vg_name"]]
        assert group.uuid == row["vg_uuid"]
        assert group.seqno == int(row["vg_seqno"])
        assert group.extent_size == int(row["vg_extent_size"])
        assert len(group.physical_volumes) == int(row["pv_count"])
        assert len(group.logical_volumes) == int(row["lv_count"])
        assert group.missing == ()


@pytest.mark.parametrize("name", ["lvm-rhel", "lvm-span"])
def test_logical_volumes_and_segments_are_what_lvs_says(images: Images, name: str) -> None:
    pvs = _all(images)
    file_of = {pv.uuid: file for file, pv in pvs.items()}
    volumes = _by_path(logical_volumes(list(pvs.values())))
    rows = [row for row in _rows(f"{name}.lvs.json", "seg") if not row["lv_name"].startswith("[")]
    seen: set[str] = set()
    for row in rows:
        volume = volumes[f"{row['vg_name']}/{row['lv_name']}"]
        seen.add(volume.path)
        assert volume.uuid == row["lv_uuid"]
        assert volume.size == int(row["lv_size"])
        segment = next(s for s in volume.segments if s.start_extent == int(row["seg_start_pe"]))
        assert segment.extent_count == int(row["seg_size_pe"])
        kind = {"linear": "striped"}.get(row["segtype"], row["segtype"])
        assert segment.type == kind
        if segment.type == "striped":
            assert len(segment.stripes) == int(row["stripes"])
            each = segment.extent_count // len(segment.stripes)
            ranges = [
                f"{file_of[uuid]}:{first}-{first + each - 1}" for uuid, first in segment.stripes
            ]
            assert " ".join(ranges) == row["seg_pe_ranges"]
    groups = {row["vg_name"] for row in rows}
    assert seen == {path for path in volumes if path.split("/")[0] in groups}


def test_logical_volume_contents_are_the_files_written_into_them(images: Images) -> None:
    volumes = _by_path(logical_volumes(list(_all(images).values())))
    contents: dict[str, str] = record("lvm.contents.json")
    assert set(contents) == {"rhel/root", "rhel/home", "rhel/swap", "data/big"}
    for path, digest in contents.items():
        blob = volumes[path].open()
        assert hashlib.sha256(blob.read(0, blob.size)).hexdigest() == digest, path
    home = volumes["rhel/home"]
    assert [(s.start_extent, s.extent_count) for s in home.segments] == [(0, 4), (4, 4)]
    assert home.segments[0].stripes[0][1] + 4 != home.segments[1].stripes[0][1]  # a gap
    big = volumes["data/big"]
    assert len({s.stripes[0][0] for s in big.segments}) == 2  # on both PVs
    blob = big.open()
    for extent in (0, 44, 45, 59):  # reads across the segments' seams
        assert blob.read(extent * 1048576, 10) == f"extent {extent:3d}".encode()
    assert blob.read(45 * 1048576 - 5, 10)[5:] == b"exten"


def test_the_metadata_text_wraps_and_is_read_as_pvck_dumps_it(images: Images) -> None:
    pv = _pv(images, "lvm-rhel.raw")
    assert pv.metadata is not None
    assert pv.metadata.wrapped
    assert "# commit wrapped" in text("lvm-rhel.headers.txt")
    headers = dict(
        re.findall(r"mda_header_1\.(raw_locn\[0\]\.\w+|size) (\S+)", text("lvm-rhel.headers.txt"))
    )
    assert pv.metadata.offset == int(headers["raw_locn[0].offset"])
    assert pv.metadata.size == int(headers["raw_locn[0].size"])
    assert pv.metadata.offset + pv.metadata.size > int(headers["size"])
    assert pv.metadata.text == text("lvm-rhel.metadata.txt")
    span = _pv(images, "lvm-span-a.raw")
    assert span.metadata is not None and span.metadata.text == text("lvm-span-a.metadata.txt")


def test_a_label_in_the_fourth_sector_and_a_pv_without_metadata(images: Images) -> None:
    pv = _pv(images, "lvm-span-b.raw")
    assert pv.label_sector == 3
    assert pv.metadata_areas == () and pv.metadata is None
    assert volume_groups([pv]) == []


# -- refusals ---------------------------------------------------------------------------------


def test_kinds_not_read_are_listed_and_refused(images: Images) -> None:
    volumes = _by_path(logical_volumes(list(_all(images).values())))
    expected = {
        "data/pool": "logical volume data/pool is a thin pool: not read",
        "data/thin": "logical volume data/thin is a thin volume: not read",
        "data/r1": "logical volume data/r1 is a RAID1 volume: not read",
        "data/striped": "logical volume data/striped is striped over 2 physical volumes: not read",
    }
    for path, message in expected.items():
        assert volumes[path].problem == message
        with pytest.raises(FormatError, match=re.escape(message)):
            volumes[path].open()
    # hidden parts (pool_tmeta, r1_rimage_0...) are not listed
    assert not any("_t" in path or "_r" in path for path in volumes)


def test_a_missing_pv_is_named(images: Images) -> None:
    a = _pv(images, "lvm-span-a.raw")
    b = _pv(images, "lvm-span-b.raw")
    (group,) = volume_groups([a])
    assert group.missing == (b.uuid,)
    big = _by_path(list(group.logical_volumes))["data/big"]
    assert big.problem is not None and b.uuid in big.problem and "was not given" in big.problem
    with pytest.raises(FormatError, match=b.uuid):
        big.open()


def test_a_damaged_first_metadata_area_falls_back_to_the_second(images: Images) -> None:
    blob = FileBlob(images.path("lvm-span-a.raw"))
    pv = read_pv(blob)
    first, second = pv.metadata_areas
    damaged = read_pv(Patched(blob, {first.offset + 100: b"\xff"}))
    assert damaged.metadata is not None and damaged.metadata.area == second
    assert damaged.metadata.text == text("lvm-span-a.metadata.txt")
    with pytest.raises(FormatError, match="no usable LVM metadata"):
        read_pv(Patched(blob, {first.offset + 100: b"\xff", second.offset + 100: b"\xff"}))


def test_label_faults_are_refused(images: Images) -> None:
    blob = FileBlob(images.path("lvm-rhel.raw"))
    with pytest.raises(FormatError, match="CRC"):
        read_pv(Patched(blob, {512 + 100: b"\x01"}))
    with pytest.raises(FormatError, match="no LVM2 label"):
        read_pv(BytesBlob(bytes(4096)))
    with pytest.raises(FormatError, match="says it is in sector"):
        read_pv(Patched(blob, {512 + 8: struct.pack("<Q", 2)}))


def test_crc_and_uuid_helpers() -> None:
    assert lvm_crc(b"") == 0xF597A6CF
    assert (
        format_uuid("kUZ4RvOeMUzhq23YmR3U0TdchI7nxqmR") == "kUZ4Rv-OeMU-zhq2-3YmR-3U0T-dchI-7nxqmR"
    )


# -- the configuration syntax ---------------------------------------------------------------


def test_the_config_syntax() -> None:
    parsed = parse(
        'contents = "Text Format Volume Group"  # a comment\n'
        "version = 1\n"
        'vg { id = "a\\"b\\\\c" seqno = -3 ratio = 1.5 tags = [] status = ["READ", "WRITE"]\n'
        "  physical_volumes { pv0 { pe_start = 2048 } } }\n"
    )
    assert parsed == {
        "contents": "Text Format Volume Group",
        "version": 1,
        "vg": {
            "id": 'a"b\\c',
            "seqno": -3,
            "ratio": 1.5,
            "tags": [],
            "status": ["READ", "WRITE"],
            "physical_volumes": {"pv0": {"pe_start": 2048}},
        },
    }


@pytest.mark.parametrize(
    "bad",
    [
        "a {",
        "a = ",
        "}",
        "a = [1, [2]]",
        "a = [1 2]",
        "a b",
        'a = "unterminated',
        "a = {",
        "x" + " { x" * 40 + " }" * 41,
        "a = $",
    ],
)
def test_the_config_parser_refuses_malformed_text(bad: str) -> None:
    with pytest.raises(FormatError):
        parse(bad)


def _recrc_metadata(blob: FileBlob, pv: PhysicalVolume, new_text: bytes) -> Patched:
    """The PV with its committed metadata text replaced (CRCs made right, so the parser and
    the volume group reader, not the checksums, meet the text)."""
    assert pv.metadata is not None
    area = pv.metadata.area
    header = bytearray(blob.read(area.offset, 512))
    text_at = area.offset + 512
    header[40:64] = struct.pack("<QQII", 512, len(new_text), lvm_crc(new_text), 0)
    header[0:4] = struct.pack("<I", lvm_crc(bytes(header[4:])))
    return Patched(blob, {area.offset: bytes(header), text_at: new_text})


@pytest.fixture(scope="module")
def span(images: Images) -> tuple[FileBlob, PhysicalVolume, bytes, PhysicalVolume]:
    """PV a (its blob, PV, metadata text) and PV b of the VG over two PVs."""
    blob = FileBlob(images.path("lvm-span-a.raw"))
    pv = read_pv(blob)
    assert pv.metadata is not None
    return blob, pv, pv.metadata.text.encode(), _pv(images, "lvm-span-b.raw")


def test_a_rewritten_text_is_read(
    span: tuple[FileBlob, PhysicalVolume, bytes, PhysicalVolume],
) -> None:
    blob, pv, original, _ = span
    patched = read_pv(_recrc_metadata(blob, pv, original.replace(b"seqno = 10", b"seqno = 11")))
    assert patched.metadata is not None and patched.metadata.seqno == 11


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_hostile_metadata_texts_raise_only_format_errors(
    span: tuple[FileBlob, PhysicalVolume, bytes, PhysicalVolume], data: st.DataObject
) -> None:
    blob, pv, original, b = span
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(mutated) - 1))
        mutated[at] = data.draw(st.sampled_from(b'{}[]=,"#0123456789 \nabz-'))
    with contextlib.suppress(FormatError):
        read = read_pv(_recrc_metadata(blob, pv, bytes(mutated)))
        for volume in logical_volumes([read, b]):
            with contextlib.suppress(FormatError):
                part = volume.open()
                part.read(0, 16)
                part.read(part.size - 16, 32)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=2048), st.integers(0, 3))
def test_hostile_label_sectors_raise_only_format_errors(data: bytes, sector: int) -> None:
    image = bytearray(8192)
    image[sector * 512 : sector * 512 + len(data)] = data[: 8192 - sector * 512]
    image[sector * 512 : sector * 512 + 8] = b"LABELONE"
    image[sector * 512 + 8 : sector * 512 + 16] = struct.pack("<Q", sector)
    image[sector * 512 + 24 : sector * 512 + 32] = b"LVM2 001"
    image[sector * 512 + 16 : sector * 512 + 20] = struct.pack(
        "<I", lvm_crc(bytes(image[sector * 512 + 20 : sector * 512 + 512]))
    )
    with contextlib.suppress(FormatError):
        read_pv(BytesBlob(bytes(image)))


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("mirror", "a mirror"),
        ("cache", "a cached volume"),
        ("snapshot", "a snapshot"),
        ("vdo", "a VDO volume"),
        ("raid5_ls", "a RAID5_LS volume"),
        ("something-new", "a something-new volume"),
        ("error", "an error volume"),
    ],
)
def test_each_kind_not_read_is_named(
    span: tuple[FileBlob, PhysicalVolume, bytes, PhysicalVolume], kind: str, said: str
) -> None:
    blob, pv, original, b = span
    rewritten = original.replace(b'type = "thin"\n', f'type = "{kind}"\n'.encode())
    volumes = _by_path(logical_volumes([read_pv(_recrc_metadata(blob, pv, rewritten)), b]))
    assert volumes["data/thin"].problem == f"logical volume data/thin is {said}: not read"
