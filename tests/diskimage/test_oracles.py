"""The readers' facts against independent tools' records (IMAGE.oracle.json, made by the recipe).

The emulator judges disks with these same readers, so no emulator test can catch a wrong
rule in them: here each fixture's container facts are compared with qemu-img's (info,
check, compare), its partitions with sfdisk's, its file systems with blkid's, its ESP's
loaders with mtools'.  Labels and file-system UUIDs are not compared: the readers do
not report them (a GPT partition's name is, and is compared with sfdisk's).
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from ec2_import_image.diskimage.cache import CachedBlob
from ec2_import_image.diskimage.fat import FALLBACK_LOADERS
from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.records import (
    ContainerFormat,
    DiskReport,
    PartitionTable,
    PartitionType,
)
from ec2_import_image.diskimage.sources import FileBlob
from tests.support.diskfixtures import DiskFixtures
from tests.support.oracles import (
    QEMU_FORMATS,
    SFDISK_LABELS,
    blkid_filesystem,
    oracle,
    recorded,
    sfdisk_partitions,
)

#: a VHD footer's fields (Microsoft's Virtual Hard Disk Image Format Specification, 2006)
_CURRENT_SIZE = struct.Struct(">Q")
_GEOMETRY = struct.Struct(">HBB")
#: the creator applications whose VHDs qemu sizes by their CHS geometry (block/vpc.c)
_CHS_CREATORS = (b"vpc ", b"qemu")
_MAX_GEOMETRY = (65535, 16, 255)


def inspect(disks: DiskFixtures, name: str) -> DiskReport:
    with FileBlob(disks.path(name)) as blob:
        return inspect_image(CachedBlob(blob), name)


def usable(report: DiskReport) -> bool:
    return report.complete and report.damage is None


CONTAINERS = [name for name in recorded() if oracle(name).get("qemu_img_info") is not None]


def qemu_virtual_size(disks: DiskFixtures, name: str, record: dict[str, Any]) -> int:
    """The virtual size qemu reports, and for a VHD the relation to the footer's size.

    qemu's vpc driver (block/vpc.c) sizes a VHD by its CHS geometry (cylinders x heads x
    sectors x 512) when the footer's creator application is Virtual PC (``vpc ``) or an
    older qemu (``qemu``) and the geometry is not the maximum (65535/16/255), and by the
    footer's Current Size otherwise (``qem2``: qemu with force_size, ``win ``: Hyper-V,
    ``d2v ``...).  The VHD specification makes Current Size the disk's size, and the
    readers report it: where qemu goes by the geometry, the two agree only because the
    creator rounded Current Size to that geometry, as qemu-img does when it makes a VHD.
    """
    size: int = record["qemu_img_info"]["virtual-size"]
    if record["qemu_format"] != "vpc":
        return size
    data = disks.path(name).read_bytes()
    footer = data[-512:] if data[-512:][:8] == b"conectix" else data[:512]
    creator = footer[28:32]
    current = _CURRENT_SIZE.unpack_from(footer, 48)[0]
    geometry = _GEOMETRY.unpack_from(footer, 56)
    cylinders, heads, sectors = geometry
    if creator in _CHS_CREATORS and geometry != _MAX_GEOMETRY:
        assert size == cylinders * heads * sectors * 512
        assert current == size, "qemu-img rounds Current Size to the geometry it writes"
    else:
        assert size == current
    return size


@pytest.mark.parametrize("name", CONTAINERS)
def test_virtual_size_and_format_are_qemus(disks: DiskFixtures, name: str) -> None:
    record = oracle(name)
    report = inspect(disks, name)
    assert QEMU_FORMATS[report.format] == record["qemu_img_info"]["format"]
    assert report.virtual_size == qemu_virtual_size(disks, name, record)


def test_a_piece_of_a_split_disk_is_the_size_its_descriptor_gives_it(
    disks: DiskFixtures,
) -> None:
    # qemu opens a twoGbMaxExtentSparse piece only through its descriptor
    assert oracle("gpt-uefi.split-s001.vmdk")["qemu_img_info"] is None
    (extent,) = oracle("gpt-uefi.split.vmdk")["qemu_img_info"]["format-specific"]["data"]["extents"]
    report = inspect(disks, "gpt-uefi.split-s001.vmdk")
    assert (report.format, report.virtual_size) == (ContainerFormat.VMDK, extent["virtual-size"])


def test_the_disks_of_an_ova_are_qemus(disks: DiskFixtures) -> None:
    members = oracle("vm.ova")["members"]
    report = inspect(disks, "vm.ova")
    assert [disk.source.rsplit("!", 1)[1] for disk in report.disks] == list(members)
    for disk in report.disks:
        member = members[disk.source.rsplit("!", 1)[1]]
        assert member["qemu_img_info"]["format"] == QEMU_FORMATS[disk.format]
        assert disk.virtual_size == member["qemu_img_info"]["virtual-size"]
        assert member["qemu_img_check"]["status"] == 0 and usable(disk)


#: where qemu reads the disk and the readers still refuse the file, and why
_QEMU_IS_LENIENT = {
    # the vpc driver falls back to the copy of the footer at offset 0; the specification
    # (and VM Import: "Footers not identical") needs the footer at the end
    "gpt-uefi.dynamic-cut.vhd": "the VHD footer at the end of the file is missing",
}


@pytest.mark.parametrize(
    "name", [n for n in recorded() if oracle(n).get("qemu_img_compare") is not None]
)
def test_complete_exactly_when_qemu_reads_the_disk_it_was_made_from(
    disks: DiskFixtures, name: str
) -> None:
    record = oracle(name)
    report = inspect(disks, name)
    identical = record["qemu_img_compare"]["status"] == 0
    if name == "gpt-uefi.split-s001.vmdk":
        # qemu cannot open a piece of a split disk alone; the readers report it as one
        assert record["qemu_img_compare"]["status"] == 2
        assert report.extent_files == () and report.variant is not None
        return
    if name in _QEMU_IS_LENIENT:
        assert identical and not report.complete
        assert report.truncation == _QEMU_IS_LENIENT[name]
        return
    if report.format in (ContainerFormat.QCOW2, ContainerFormat.VDI):
        return  # refused formats: their contents are not read
    assert usable(report) == identical, (report.truncation, report.damage)
    check = record["qemu_img_check"]
    if check["result"] is not None and check["status"] != 0:
        assert not report.complete  # qemu-img check found a table pointing past the end


RAW_WITH_TABLES = [name for name in recorded() if oracle(name).get("sfdisk")]
RAW_RECORDED = [name for name in recorded() if "blkid" in oracle(name)]


def _sfdisk_type(label: str, kind: str) -> str:
    return f"0x{int(kind, 16):02x}" if label == "dos" else kind.upper()


@pytest.mark.parametrize("name", RAW_RECORDED)
def test_partitions_are_sfdisks(disks: DiskFixtures, name: str) -> None:
    record = oracle(name)
    report = inspect(disks, name)
    table: dict[str, Any] = (record["sfdisk"] or {}).get("partitiontable") or {}
    expected_table = SFDISK_LABELS[table["label"]] if table else PartitionTable.NONE
    assert report.partition_table is expected_table
    expected = [
        (
            p["number"],
            p["start"] * 512,
            p["size"] * 512,
            _sfdisk_type(table["label"], str(p["type"])),
            bool(p.get("bootable")) or "LegacyBIOSBootable" in str(p.get("attrs", "")),
            p.get("name", ""),
        )
        for p in sfdisk_partitions(record)
    ]
    found = [(p.number, p.start, p.size, p.type_id, p.bootable, p.name) for p in report.partitions]
    assert found == expected


@pytest.mark.parametrize("name", RAW_RECORDED)
def test_file_systems_are_blkids(disks: DiskFixtures, name: str) -> None:
    record = oracle(name)
    report = inspect(disks, name)
    blkid = record["blkid"]
    found = {str(p.number): p.filesystem for p in report.partitions}
    expected = {
        number: blkid_filesystem(tags) for number, tags in blkid.items() if number != "whole"
    }
    assert found == expected
    if report.partition_table is PartitionTable.NONE:
        assert report.filesystem == blkid_filesystem(blkid["whole"])
    else:
        assert report.filesystem is None and "PTTYPE" in blkid["whole"]


@pytest.mark.parametrize("name", [n for n in RAW_RECORDED if "esp_boot" in oracle(n)])
def test_esp_loaders_are_what_mtools_lists(disks: DiskFixtures, name: str) -> None:
    record = oracle(name)
    report = inspect(disks, name)
    listed = {
        entry.upper()
        for esp in record["esp_boot"].values()
        if esp["status"] == 0
        for entry in esp["names"]
    }
    assert set(report.esp_loaders) == listed & set(FALLBACK_LOADERS)
    faulty = {str(fault.number) for fault in report.esp_faults}
    assert faulty == {number for number, esp in record["esp_boot"].items() if esp["status"]}
    esps = [p for p in report.partitions if p.type is PartitionType.EFI_SYSTEM]
    assert {str(p.number) for p in esps} == set(record["esp_boot"])
