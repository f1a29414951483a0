"""``vmimport check`` on local disks made by real tools: reports, the schema, exit statuses."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.report import SCHEMA_VERSION, schema
from tests.support.diskfixtures import DiskFixtures, names
from tests.support.vmimport_run import Outcome, environment, session_factory

ROOT = Path(__file__).resolve().parents[2]


def vmimport(*argv: str) -> Outcome:
    env = environment()
    status = cli.run(list(argv), env, session_factory=session_factory)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    return Outcome(status, env.stdout.getvalue(), env.stderr.getvalue())


def report(*argv: str) -> tuple[int, dict[str, Any]]:
    outcome = vmimport("check", "--json", *argv)
    document = json.loads(outcome.stdout)
    jsonschema.validate(document, schema())
    assert document["version"] == SCHEMA_VERSION == 2
    return outcome.status, document


def codes(document: dict[str, Any]) -> list[str]:
    return [problem["code"] for problem in document["problems"]]


@pytest.mark.parametrize("name", names())
def test_every_fixture_gives_a_report_that_follows_the_schema(
    disks: DiskFixtures, name: str
) -> None:
    status, document = report(str(disks.path(name)))
    assert status == (ExitStatus.OK if document["ok"] else ExitStatus.PROBLEMS)
    assert document["account"] is None
    assert [disk["source"] for disk in document["disks"]] == [str(disks.path(name))]


def test_a_good_uefi_disk(disks: DiskFixtures) -> None:
    path = str(disks.path("gpt-uefi.stream.vmdk"))
    status, document = report(path)
    assert (status, document["ok"], document["problems"]) == (ExitStatus.OK, True, [])
    (disk,) = document["disks"]
    assert (disk["format"], disk["variant"], disk["boot_mode"]) == (
        "vmdk",
        "streamOptimized",
        "uefi",
    )
    assert [(p["type"], p["filesystem"]) for p in disk["partitions"]] == [
        ("efi-system", "vfat"),
        ("linux", "ext4"),
    ]
    assert disk["esp_loaders"] == ["BOOTX64.EFI"]


def test_several_disks_are_one_image_and_problems_keep_disk_order(disks: DiskFixtures) -> None:
    boot, data = disks.path("mbr-linux.sparse.vmdk"), disks.path("gpt-uefi.qcow2")
    status, document = report(str(boot), str(data), "--boot-mode", "uefi")
    assert status == ExitStatus.PROBLEMS
    assert codes(document) == [
        "vmdk-not-stream-optimized",
        "boot-mode-mismatch",
        "unsupported-format",
    ]
    assert [p["source"] for p in document["problems"]] == [str(boot), str(boot), str(data)]


def test_request_options_are_judged(disks: DiskFixtures) -> None:
    path = str(disks.path("gpt-uefi.stream.vmdk"))
    assert codes(report(path, "--boot-mode", "uefi-preferred")[1]) == ["boot-mode-unsupported"]
    assert codes(report(path, "--architecture", "arm64")[1]) == ["arm64-unsupported"]
    assert codes(report(path, "--format", "vhd")[1]) == ["format-mismatch"]


def test_an_ova_is_read_through_and_its_digests_checked(disks: DiskFixtures) -> None:
    outcome = vmimport("check", str(disks.path("vm.ova")))
    assert outcome.status == ExitStatus.OK
    assert "vm.ova!vm-disk1.vmdk" in outcome.stdout
    assert "digested" in outcome.stderr  # the digests were verified (a line, not a bar)


def test_the_summary_for_a_person(disks: DiskFixtures) -> None:
    good = vmimport("check", str(disks.path("gpt-uefi.stream.vmdk")))
    assert "boot mode: uefi (BOOTX64.EFI)" in good.stdout
    assert "No problems found" in good.stdout
    assert "\x1b[" not in good.stdout  # no styling in a pipe
    bad = vmimport("check", str(disks.path("gpt-uefi.qcow2")))
    assert bad.status == ExitStatus.PROBLEMS
    assert "error unsupported-format" in bad.stdout
    assert "fix: convert it: qemu-img convert -O vmdk" in bad.stdout
    assert "1 error, 0 warnings: the import would fail as things stand." in bad.stdout


def test_debug_says_how_many_bytes_were_read(disks: DiskFixtures) -> None:
    outcome = vmimport("--debug", "check", str(disks.path("big.stream.vmdk")))
    line = next(line for line in outcome.stderr.splitlines() if "bytes read in" in line)
    read = int(line.split(": ")[-1].split()[0])
    assert 0 < read < 4 * 1024 * 1024  # a 10 GiB-virtual disk: a few hundred KiB


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "missing argument 'DISK...'"),
        (["/nonexistent/disk.vmdk"], "cannot read /nonexistent/disk.vmdk"),
        (["s3://bucket-only"], "is not s3://BUCKET/KEY"),
        (["disk.vmdk", "--boot-mode", "bios"], "invalid value for '--boot-mode'"),
    ],
)
def test_usage_errors(argv: list[str], message: str) -> None:
    outcome = vmimport("check", *argv)
    assert outcome.status == ExitStatus.USAGE
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_the_published_schema_is_the_shipped_one() -> None:
    published = json.loads((ROOT / "docs" / "check-report.schema.json").read_text())
    assert published == schema()
    jsonschema.Draft202012Validator.check_schema(published)


@pytest.mark.parametrize(
    ("name", "filesystem", "problems"),
    [
        ("nopart.raw", "ext4", ["no-partition-table"]),
        ("luks.raw", "luks", ["encrypted-volume", "no-partition-table"]),
        ("zero.raw", None, ["no-partition-table"]),
    ],
)
def test_a_disk_without_a_partition_table_says_what_fills_it(
    disks: DiskFixtures, name: str, filesystem: str | None, problems: list[str]
) -> None:
    path = str(disks.path(name))
    status, document = report(path)
    (disk,) = document["disks"]
    assert (disk["format"], disk["partition_table"], disk["filesystem"]) == (
        "raw",
        "none",
        filesystem,
    )
    assert (status, codes(document)) == (ExitStatus.PROBLEMS, problems)
    text = vmimport("check", path).stdout
    expected = (
        f"none: no partitions: {filesystem} on the whole disk"
        if filesystem
        else ("none: no partitions\n")
    )
    assert expected in text
