"""``engine.volumes``: the AMI's disks in order, an OVA as the disks its descriptor lists."""

from __future__ import annotations

from pathlib import Path

from ec2_import_image.diskimage.inspect import inspect_image
from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.vmimport.engine.volumes import Volume, volumes
from tests.support.diskfixtures import TWO_DISK_OVA, DiskFixtures


def test_an_ova_counts_as_its_disks_in_the_descriptors_order_after_the_disks_before_it(
    tmp_path: Path,
) -> None:
    # vm-two-disks.ova's DiskSection lists vm-boot.vmdk, then vm-data.vmdk; its archive holds
    # vm-data.vmdk first (scripts/make-ova-fixtures.sh)
    ova = str(DiskFixtures(tmp_path).path(TWO_DISK_OVA))
    with FileBlob(ova) as blob:
        report = inspect_image(blob, ova)
    found = volumes(["/disks/boot.raw", ova, "s3://b/data.vhd"], {ova: report})
    assert found == (
        Volume("/disks/boot.raw", 0),
        Volume(ova, 1, 0, "vm-boot.vmdk"),
        Volume(ova, 1, 1, "vm-data.vmdk"),
        Volume("s3://b/data.vhd", 2),
    )
    assert [v.number for v in found] == ["1", "2", "2.2", "3"]
    assert found[2].label == f"{ova}!vm-data.vmdk" and found[0].label == "/disks/boot.raw"
