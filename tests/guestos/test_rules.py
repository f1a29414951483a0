"""The requirements page's table as data: rows, versions, kernels, as the page writes them."""

from __future__ import annotations

import pytest

from ec2_import_image.guestos import rules


def row(version: str, kernel: str = "1.0", pack: str = "-") -> rules.LinuxRow:
    return rules.LinuxRow(version, kernel, pack, rules.NEWEST)


@pytest.mark.parametrize(
    ("cell", "version", "inside"),
    [
        ("5.1-5.11", "5.11", True),
        ("5.1-5.11", "5.4", True),
        ("5.1-5.11", "5.0", False),
        ("5.1-5.11", "6", False),
        ("6.0.0—6.0.8", "6.0.8", True),
        ("6.0.0—6.0.8", "6.0.10", False),
        ("7.0–7.9", "7", True),  # 7 is 7.0
        ("12.2", "12.2", True),
        ("12.2", "12.4", False),
        ("12.2", "12", False),
        ("9", "9.3", True),
        ("-", "anything", True),
    ],
)
def test_versions_in_rows(cell: str, version: str, inside: bool) -> None:
    assert rules.version_in_row(row(cell), version) is inside


@pytest.mark.parametrize(
    ("cell", "kernel", "listed"),
    [
        ("6.1", "6.1.102-111.182.amzn2023.x86_64", True),
        ("6.1", "6.10.3-200.fc40.x86_64", False),
        ("4.14, 4.19, 5.4, 5.10", "5.10.220-209.869.amzn2.x86_64", True),
        ("4.14, 4.19, 5.4, 5.10", "5.15.0-1.amzn2.x86_64", False),
        ("2.6.32", "2.6.32-754.35.1.el6.x86_64", True),
        ("3.2.0", "3.2.0-4-amd64", True),
        ("3.2.0", "3.16.0-4-amd64", False),
        ("el5uek kernel suffixes", "2.6.39-400.el5uek", True),
        ("el5uek kernel suffixes", "2.6.18-419.el5", False),
        (
            "RHEL-compatible kernels 2.6.32, 2.6.39 UEK kernels 3.8.13, 4.1.12",
            "4.1.12-124.el6uek",
            True,
        ),
    ],
)
def test_kernels_in_rows(cell: str, kernel: str, listed: bool) -> None:
    assert rules.kernel_listed(row("-", cell), kernel) is listed


def test_every_row_has_its_copy_and_date() -> None:
    for distribution in rules.LINUX:
        assert distribution.rows
        for item in distribution.rows:
            assert item.copy in (rules.NEWEST, rules.ENGLISH)
            assert item.copy.read == rules.READ
            assert rules.row_kernels(item) or "el5uek" in item.kernel
    complete = {d.name for d in rules.LINUX if d.complete}
    assert complete == {"Amazon Linux 2023", "Amazon Linux 2", "CentOS", "Debian", "Fedora"}


def test_amazon_linux_is_two_products() -> None:
    assert rules.linux_support("amzn", "2").support is rules.Support.TAKEN
    assert rules.linux_support("amzn", "2023").support is rules.Support.TAKEN
    assert rules.linux_support("amzn", "2018.03").support is rules.Support.NOT_TAKEN
