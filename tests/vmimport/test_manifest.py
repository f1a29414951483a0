"""Batch manifests in YAML and CSV: entries, defaults, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2_import_image.roads import Road
from ec2_import_image.vmimport.manifest import ManifestError, load_manifest
from ec2_import_image.vmimport.spec import (
    BootMode,
    DiskFormat,
    DiskSource,
    ImportOptions,
    LicenseType,
    Platform,
)


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("web-1.vmdk", "db-1-os.vmdk", "db-1-data.vmdk"):
        (folder / name).write_bytes(b"disk")
    return tmp_path


YAML_MANIFEST = """\
defaults:
  bucket: migration-disks
  prefix: vmimport/
  boot_mode: uefi
  tags: {project: dc-exit}
entries:
  - name: web-1
    disks: [exports/web-1.vmdk]
    description: web server
    platform: Linux
  - name: db-1
    disks: [exports/db-1-os.vmdk, exports/db-1-data.vmdk, s3://other/db-1-logs.vmdk]
    license_type: BYOL
    boot_mode: legacy-bios
    keep_upload: true
"""


def test_a_yaml_manifest(exports: Path) -> None:
    path = exports / "manifest.yaml"
    path.write_text(YAML_MANIFEST)
    manifest = load_manifest(path)
    web, db = manifest.entries
    assert web.name == "web-1"
    assert web.disks == (DiskSource(str(exports / "exports" / "web-1.vmdk")),)
    assert web.options == ImportOptions(
        bucket="migration-disks",
        boot_mode=BootMode.UEFI,
        platform=Platform.LINUX,
        description="web server",
        tags=(("project", "dc-exit"),),
    )
    assert db.disks[2] == DiskSource("s3://other/db-1-logs.vmdk")
    assert db.disks[2].is_s3 and db.disks[2].bucket_and_key == ("other", "db-1-logs.vmdk")
    assert (db.options.boot_mode, db.options.license_type, db.options.keep_upload) == (
        BootMode.LEGACY_BIOS,
        LicenseType.BYOL,
        True,
    )


def test_a_csv_manifest_with_defaults_from_the_command_line(exports: Path) -> None:
    path = exports / "vms.csv"
    path.write_text(
        "name,disks,format,tags,encrypted,kms_key_id\n"
        "web-1,exports/web-1.vmdk,VMDK,team=web;tier=front,,\n"
        "db-1,exports/db-1-os.vmdk;exports/db-1-data.vmdk,,,yes,alias/disks\n"
    )
    manifest = load_manifest(path, {"bucket": "from-cli", "prefix": "imports/"})
    web, db = manifest.entries
    assert web.options.format == DiskFormat.VMDK
    assert web.options.tags == (("team", "web"), ("tier", "front"))
    assert (web.options.bucket, web.options.prefix) == ("from-cli", "imports/")
    assert len(db.disks) == 2
    assert (db.options.encrypted, db.options.kms_key_id) == (True, "alias/disks")


def test_the_entry_wins_over_defaults_which_win_over_the_command_line(exports: Path) -> None:
    path = exports / "m.yaml"
    path.write_text(
        "defaults: {bucket: from-defaults}\n"
        "entries:\n"
        "  - {name: a, disks: [exports/web-1.vmdk]}\n"
        "  - {name: b, disks: [exports/web-1.vmdk], bucket: from-entry}\n"
    )
    a, b = load_manifest(path, {"bucket": "from-cli"}).entries
    assert (a.options.bucket, b.options.bucket) == ("from-defaults", "from-entry")


def test_every_problem_is_reported_at_once_with_entry_and_key(exports: Path) -> None:
    path = exports / "bad.yaml"
    path.write_text(
        "defaults: {name: x, plattform: Linux}\n"
        "entries:\n"
        "  - name: web-1\n"
        "    disks: [exports/missing.vmdk, 's3://bucket-only']\n"
        "    boot_mode: uefi-preferred\n"
        "    bucket: b\n"
        "  - name: web-1\n"
        "    disks: [exports/web-1.vmdk]\n"
        "    bucket: b\n"
        "  - disks: [exports/web-1.vmdk]\n"
        "    kms_key_id: k\n"
        "    license_type: AWS\n"
        "    usage_operation: RunInstances:0002\n"
        "  - name: 'bad name/with slash'\n"
        "    disks: [exports/web-1.vmdk]\n"
        "    tags: {'aws:owner': me}\n"
        "    encrypted: maybe\n"
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    found = {(p.where, p.key) for p in caught.value.problems}
    assert found == {
        ("defaults", "name"),
        ("defaults", "plattform"),
        ("entries[0] (web-1)", "disks"),
        ("entries[0] (web-1)", "boot_mode"),
        ("entries[1] (web-1)", "name"),
        ("entries[2]", "name"),
        ("entries[2]", "kms_key_id"),
        ("entries[2]", "usage_operation"),
        ("entries[2]", "bucket"),
        ("entries[3] (bad name/with slash)", "name"),
        ("entries[3] (bad name/with slash)", "tags"),
        ("entries[3] (bad name/with slash)", "encrypted"),
        ("entries[3] (bad name/with slash)", "bucket"),
    }
    message = str(caught.value)
    assert "unknown key (did you mean 'platform'?)" in message
    assert "'uefi-preferred' is not accepted for imports" in message
    assert "no such file" in message and "is not s3://BUCKET/KEY" in message
    assert "already the name of entries[0] (web-1)" in message


def test_unusable_documents(exports: Path) -> None:
    path = exports / "m.yaml"
    for text, expected in (
        ("[1, 2]\n", "expected a mapping with 'entries'"),
        ("entries: {a: 1}\n", "expected a list"),
        ("entries: [\n", "not valid YAML"),
        ("entries: []\n", "no entries"),
        ("entries:\n  - 7\n", "an entry is a mapping"),
        (
            'a0: &a ["x"]\na1: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
            "a2: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\na3: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            "a4: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\na5: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "a6: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
            "alias bomb",
        ),
    ):
        path.write_text(text)
        with pytest.raises(ManifestError, match=expected):
            load_manifest(path)
    csv_path = exports / "m.csv"
    csv_path.write_text("name,disks,platfrom\nweb-1,exports/web-1.vmdk,Linux\n")
    with pytest.raises(ManifestError, match="unknown column \\(did you mean 'platform'\\?\\)"):
        load_manifest(csv_path, {"bucket": "b"})


def test_license_specifications_are_arns(exports: Path) -> None:
    path = exports / "licensed.yaml"
    path.write_text(
        "defaults: {bucket: b}\nentries:\n"
        "  - name: a\n    disks: [exports/web-1.vmdk]\n"
        "    license_specifications: [arn:aws:license-manager:us-east-1:1:l]\n"
        "  - name: b\n    disks: [exports/web-1.vmdk]\n    license_specifications: [not-an-arn]\n"
    )
    with pytest.raises(ManifestError) as refused:
        load_manifest(path)
    assert [(p.where, p.key) for p in refused.value.problems] == [
        ("entries[1] (b)", "license_specifications")
    ]
    csv_path = exports / "licensed.csv"
    csv_path.write_text(
        "name,disks,license_specifications\n"
        "a,exports/web-1.vmdk,arn:aws:license-manager:x;arn:aws:license-manager:y\n"
    )
    (entry,) = load_manifest(csv_path, {"bucket": "b"}).entries
    assert entry.options.license_specifications == (
        "arn:aws:license-manager:x",
        "arn:aws:license-manager:y",
    )


def test_only_the_selected_entries_are_read_but_every_name_stays_unique(exports: Path) -> None:
    path = exports / "hosts.yaml"
    path.write_text(
        "defaults: {bucket: b}\nentries:\n"
        "  - name: here\n    disks: [exports/web-1.vmdk]\n"
        "  - name: there\n    disks: [elsewhere/disk.vmdk]\n"
    )
    (entry,) = load_manifest(path, only=lambda name: name == "here").entries
    assert entry.name == "here"
    with pytest.raises(ManifestError, match="no such file"):
        load_manifest(path)
    path.write_text(path.read_text() + "  - name: there\n    disks: [x.vmdk]\n")
    with pytest.raises(ManifestError, match="already the name of"):
        load_manifest(path, only=lambda name: name == "here")


def test_the_road_is_a_key_like_every_other_and_direct_needs_no_bucket(exports: Path) -> None:
    path = exports / "roads.yaml"
    path.write_text(
        "defaults: {via: direct}\n"
        "entries:\n"
        "  - {name: a, disks: [exports/web-1.vmdk], tpm: true, ena: false}\n"
        "  - {name: b, disks: [exports/web-1.vmdk], via: image, bucket: disks}\n"
        "  - {name: c, disks: [exports/web-1.vmdk]}\n"
    )
    a, b, c = load_manifest(path, {"via": "snapshot"}).entries
    assert (a.options.via, b.options.via, c.options.via) == (Road.DIRECT, Road.IMAGE, Road.DIRECT)
    assert (a.options.tpm, a.options.ena, a.options.bucket) == (True, False, None)
    assert (c.options.ena, c.options.tpm) == (True, False)  # RegisterImage's defaults


def test_the_roads_that_upload_need_a_bucket_and_register_image_keys_need_its_roads(
    exports: Path,
) -> None:
    path = exports / "roads.yaml"
    path.write_text(
        "entries:\n"
        "  - {name: a, disks: [exports/web-1.vmdk], via: snapshot}\n"
        "  - {name: b, disks: [exports/web-1.vmdk], bucket: d, tpm: true}\n"
        "  - {name: c, disks: [exports/web-1.vmdk], via: road}\n"
        "  - {name: d, disks: [exports/web-1.vmdk], via: direct, tpm: true,"
        " boot_mode: legacy-bios}\n"
    )
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    problems = [(p.where, p.key) for p in raised.value.problems]
    assert ("entries[0] (a)", "bucket") in problems
    assert ("entries[1] (b)", "tpm") in problems
    assert ("entries[2] (c)", "via") in problems
    assert ("entries[3] (d)", "tpm") in problems
