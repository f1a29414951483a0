"""``vmimport check`` with disks on the emulator's S3: ranged reads, the account, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ec2_import_emulator import samples as images
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.report import schema
from tests.emulator.conftest import BUCKET, Lab
from tests.support.diskfixtures import DiskFixtures
from tests.support.osfixtures import OsImages
from tests.support.vmimport_run import vmimport


@pytest.fixture
def lab(trust_only_lab: Lab) -> Lab:
    """The vmimport role with its trust policy only: each test grants what it judges."""
    return trust_only_lab


def report(lab: Lab, *argv: str) -> tuple[int, dict[str, Any]]:
    outcome = vmimport(lab.endpoint, "check", "--json", *argv)
    document = json.loads(outcome.stdout)
    jsonschema.validate(document, schema())
    return outcome.status, document


def upload_file(lab: Lab, path: Path, key: str) -> str:
    lab.s3.upload_file(str(path), BUCKET, key)
    return f"s3://{BUCKET}/{key}"


def test_an_s3_disk_is_read_by_ranges_and_the_account_checked(
    granted: Lab, disks: DiskFixtures
) -> None:
    url = upload_file(granted, disks.path("big.stream.vmdk"), "exports/big.vmdk")
    outcome = vmimport(granted.endpoint, "--debug", "check", url)
    assert outcome.status == ExitStatus.OK, outcome.stdout
    line = next(line for line in outcome.stderr.splitlines() if "bytes read in" in line)
    read = int(line.split(f"{url}: ")[1].split()[0])
    assert 0 < read < 4 * 1024 * 1024  # of a 10 GiB-virtual disk
    assert "Account (import Region us-east-1)" in outcome.stdout
    status, document = report(granted, url)
    assert (status, document["ok"]) == (ExitStatus.OK, True)
    (disk,) = document["disks"]
    assert (disk["source"], disk["variant"], disk["virtual_size"]) == (
        url,
        "streamOptimized",
        10 * 1024**3,
    )
    assert document["account"]["objects"][0]["source"] == url
    assert document["account"]["role"]["exists"] is True


def test_problems_come_in_disk_order_then_the_accounts(granted: Lab) -> None:
    granted.iam.delete_role_policy(RoleName="vmimport", PolicyName="access")
    granted.upload(images.vmdk_monolithic_sparse(), "boot.vmdk")
    granted.upload(images.qcow2(), "data.qcow2")
    boot, data = f"s3://{BUCKET}/boot.vmdk", f"s3://{BUCKET}/data.qcow2"
    status, document = report(granted, boot, data)
    assert status == ExitStatus.PROBLEMS
    found = [(problem["source"], problem["code"]) for problem in document["problems"]]
    sources = [source for source, _ in found]
    boots, datas = sources.count(boot), sources.count(data)
    assert sources[:boots] == [boot] * boots and sources[boots : boots + datas] == [data] * datas
    assert (boot, "vmdk-not-stream-optimized") in found
    assert (data, "unsupported-format") in found
    account_codes = [code for _, code in found[boots + datas :]]
    assert "role-policy-s3" in account_codes


def test_a_missing_object_and_a_missing_role(lab: Lab) -> None:
    lab.s3.create_bucket(Bucket=BUCKET)
    lab.iam.delete_role(RoleName="vmimport")
    status, document = report(lab, f"s3://{BUCKET}/nothing.vmdk")
    assert status == ExitStatus.PROBLEMS
    assert document["disks"] == []
    assert {"object-missing", "role-missing"} <= {p["code"] for p in document["problems"]}


def test_an_s3_ovas_digests_only_with_verify_digests(granted: Lab, disks: DiskFixtures) -> None:
    url = upload_file(granted, disks.path("vm.ova"), "vm.ova")
    plain = vmimport(granted.endpoint, "check", url)
    assert plain.status == ExitStatus.OK
    assert "digested" not in plain.stderr
    verified = vmimport(granted.endpoint, "check", "--verify-digests", url)
    assert verified.status == ExitStatus.OK
    assert "digested" in verified.stderr


def test_a_bucket_alone_checks_the_account(granted: Lab, disks: DiskFixtures) -> None:
    status, document = report(granted, str(disks.path("gpt-uefi.stream.vmdk")), "--bucket", BUCKET)
    assert status == ExitStatus.OK
    assert [bucket["name"] for bucket in document["account"]["buckets"]] == [BUCKET]


def test_an_unreachable_endpoint_means_the_check_could_not_be_completed(
    disks: DiskFixtures,
) -> None:
    outcome = vmimport("http://127.0.0.1:9", "check", f"s3://{BUCKET}/disk.vmdk")
    assert outcome.status == ExitStatus.INCOMPLETE
    assert outcome.stderr.startswith("vmimport: error: ")
    assert len(outcome.stderr.splitlines()) == 1
    assert "Traceback" not in outcome.stderr


def test_an_s3_disks_system_is_read_by_ranges_without_its_initramfs(
    granted: Lab, os_images: OsImages
) -> None:
    """centos7 on S3: its system is read with ranged GETs; the image road does not ask
    where the NVMe driver is, so its initramfs is not fetched and no-nvme-driver is not
    given (it is, from the same bytes, for a local disk); the road advised, since
    ImportImage refuses the kernel, says that the driver's place is not known."""
    url = upload_file(granted, os_images.path("centos7"), "exports/centos7.raw")
    outcome = vmimport(granted.endpoint, "--debug", "check", url)
    line = next(line for line in outcome.stderr.splitlines() if "bytes read in" in line)
    read, requests = int(line.split(f"{url}: ")[1].split()[0]), int(line.split()[-2])
    assert 0 < read <= 2 * 1024 * 1024 and requests <= 16
    status, document = report(granted, url)
    assert status == ExitStatus.PROBLEMS  # kernel-unsupported: an error of the image road
    found = document["disks"][0]["os"]
    assert (found["distribution"], found["version"]) == ("centos", "7")
    assert found["initramfs"]["read"] is False and found["drivers"]["nvme"] == "module"
    assert [p["code"] for p in document["problems"]] == ["kernel-unsupported"]
    assert document["roads"]["image"] == ["kernel-unsupported"]
    assert document["recommended_road"] == "direct"
    assert "the initramfs was not read" in document["road_reason"]
    _, local = report(granted, str(os_images.path("centos7")))
    assert local["disks"][0]["os"]["initramfs"]["read"] is True
    assert [p["code"] for p in local["problems"]] == ["kernel-unsupported", "no-nvme-driver"]


def test_the_direct_road_needs_no_role(lab: Lab, disks: DiskFixtures) -> None:
    """The role has no permission yet: the image road's check says so, the direct road's
    judges the object and leaves the role alone (it uses none)."""
    lab.s3.create_bucket(Bucket=BUCKET)
    url = upload_file(lab, disks.path("gpt-uefi.v3.qcow2"), "exports/kvm.qcow2")
    status, document = report(lab, url)
    found = {problem["code"] for problem in document["problems"]}
    assert status == ExitStatus.PROBLEMS and "unsupported-format" in found
    assert any(code.startswith("role-") for code in found)
    status, document = report(lab, "--via", "direct", url)
    assert (status, document["problems"]) == (ExitStatus.OK, [])
